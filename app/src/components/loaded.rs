//! The loading and error arms of every page, written once: a placeholder
//! while the data is on its way, the typed error's message when it failed,
//! and the page's own view of the data otherwise.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::Title;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::data::Data;
use crate::error::AppError;
use crate::form_action::FormAction;

/// Shows `children(value)` once `data` has loaded, `loading` before, and the
/// error's message if it failed. A `Transition`: after the first load the
/// old view stays up while new data comes in, so live updates do not blank
/// the page.
///
/// ```ignore
/// <Loaded data=workers loading="Loading workers…" let:workers>
///     <WorkerTable workers />
/// </Loaded>
/// ```
#[component]
pub fn Loaded<T, V, F>(
    data: Data<Result<T, AppError>>,
    /// The placeholder's words, naming what is loading.
    #[prop(default = "Loading…")]
    loading: &'static str,
    children: F,
) -> impl IntoView
where
    T: Serialize + DeserializeOwned + Clone + Send + Sync + 'static,
    F: Fn(T) -> V + Send + Sync + 'static,
    V: IntoView + 'static,
{
    let children = Arc::new(children);
    let body: Arc<dyn Fn() -> LoadedView + Send + Sync> = Arc::new(move || {
        let children = Arc::clone(&children);
        Box::pin(async move {
            match data.await {
                Ok(value) => children(value).into_any(),
                Err(error) => view! { <Failed error /> }.into_any(),
            }
        })
    });
    loaded_view(loading, body)
}

/// A page's view of its loaded data, still to come.
type LoadedView = Pin<Box<dyn Future<Output = AnyView> + Send>>;

/// The `Transition` of every [`Loaded`]: one function for all of them, not
/// one per data type, so each use in the bundle costs only its data's part.
fn loaded_view(
    loading: &'static str,
    body: Arc<dyn Fn() -> LoadedView + Send + Sync>,
) -> impl IntoView {
    view! {
        <Transition fallback=move || view! { <p class="muted">{loading}</p> }>
            {move || Suspend::new(body())}
        </Transition>
    }
}

/// A failed load or action, in the typed error's words. A missing thing
/// is the page's answer, not a glitch: it gets the heading ("No such run")
/// as well as the message naming what was asked for.
#[component]
pub fn Failed(error: AppError) -> impl IntoView {
    match &error {
        AppError::NotFound { resource, .. } => {
            let heading = format!("No such {resource}");
            view! {
                <Title text=heading.clone() />
                <h1>{heading}</h1>
                <p class="error" role="alert" data-error="not_found">{error.to_string()}</p>
            }
            .into_any()
        }
        _ => error_line(error).into_any(),
    }
}

/// A failure said in one line: what forms show above themselves.
pub fn error_line(error: AppError) -> impl IntoView {
    view! { <p class="error" role="alert">{error.to_string()}</p> }
}

/// The error of an action's last submission, if it failed: what the forms
/// show above themselves.
pub fn action_error<S>(action: FormAction<S>) -> impl IntoView + use<S>
where
    S: ServerFn + 'static,
    S::Output: Clone + Send + Sync + 'static,
{
    move || action.value().get().and_then(|r| r.err()).map(error_line)
}
