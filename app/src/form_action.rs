//! Forms that call a server function.
//!
//! The page renders the same `<form method="post" action="/api/…">` as
//! Leptos's `ActionForm`, so a form works without JavaScript: the browser
//! posts it, and the server answers with a redirect back to the page. Once
//! hydrated, a submit posts the form's own fields, as the browser encodes
//! them, to the same address and reads the typed answer.
//!
//! `ActionForm` instead decodes the fields into the server function's
//! arguments in the browser and encodes them again for the request, which
//! put a form decoder, an encoder and an action per form into the bundle.
//! Here the browser's encoding goes out as it is; what is typed per form is
//! only the decoding of its answer.

use std::marker::PhantomData;

use leptos::prelude::*;
#[cfg(feature = "ssr")]
use leptos::server::ServerActionError;
use leptos::server_fn::ServerFn;
#[cfg(feature = "ssr")]
use leptos::server_fn::error::ServerFnUrlError;
use serde::de::DeserializeOwned;

use crate::error::AppError;

/// The state of one form: its last answer (`value`) and how many answers
/// came (`version`, which pages track to load their data again).
pub struct FormAction<S: ServerFn> {
    version: RwSignal<usize>,
    value: RwSignal<Option<Result<S::Output, AppError>>>,
    call: PhantomData<fn() -> S>,
}

impl<S: ServerFn> Clone for FormAction<S> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<S: ServerFn> Copy for FormAction<S> {}

impl<S> FormAction<S>
where
    S: ServerFn<Error = AppError>,
    S::Output: Send + Sync + 'static,
{
    /// A form with no answer yet, or, on the server, the error that a post
    /// without JavaScript brought back to this page.
    pub fn new() -> Self {
        // Only the server has it (from the address the post redirected
        // to); the browser starts with no answer either way, as Leptos's own
        // actions do, so it does not carry the decoder.
        #[cfg(feature = "ssr")]
        let failed = use_context::<ServerActionError>()
            .filter(|error| error.path() == S::PATH)
            .map(|error| Err(ServerFnUrlError::<AppError>::decode_err(error.err())));
        #[cfg(not(feature = "ssr"))]
        let failed = None;
        Self {
            version: RwSignal::new(0),
            value: RwSignal::new(failed),
            call: PhantomData,
        }
    }
}

impl<S> Default for FormAction<S>
where
    S: ServerFn<Error = AppError>,
    S::Output: Send + Sync + 'static,
{
    fn default() -> Self {
        Self::new()
    }
}

impl<S: ServerFn> FormAction<S> {
    /// How many answers came: one more after each submission.
    pub fn version(&self) -> RwSignal<usize> {
        self.version
    }

    /// The last answer, `None` before the first.
    pub fn value(&self) -> RwSignal<Option<Result<S::Output, AppError>>> {
        self.value
    }

    /// The last successful answer, or `read` (what the page loaded) before
    /// there is one: for a section whose form answers with its new state.
    pub fn answer_or(self, read: S::Output) -> impl Fn() -> S::Output + Copy
    where
        S::Output: Clone + Send + Sync + 'static,
    {
        let read = StoredValue::new(read);
        move || {
            self.value
                .get()
                .and_then(Result::ok)
                .unwrap_or_else(|| read.get_value())
        }
    }
}

impl<S> FormAction<S>
where
    S: ServerFn<Error = AppError> + 'static,
    S::Output: DeserializeOwned + Send + Sync + 'static,
{
    /// What reads the server's answer as this form's: its value, and one
    /// more version.
    #[cfg(feature = "hydrate")]
    fn answered(self) -> Answered {
        self.answered_resetting(None)
    }

    /// As [`Self::answered`], and a form that was taken (`form`) is reset
    /// once its post succeeded: what was typed into it has been sent, and
    /// the section's next markup keeps only what the reader typed and did
    /// not send (see `server_html`).
    #[cfg(feature = "hydrate")]
    fn answered_resetting(self, form: Option<web_sys::HtmlFormElement>) -> Answered {
        std::rc::Rc::new(move |answer| {
            let value = browser::answer(answer);
            if let (Ok(_), Some(form)) = (&value, &form) {
                form.reset();
            }
            self.value.set(Some(value));
            self.version.update(|n| *n += 1);
        })
    }

    /// Posts a form of server-rendered markup whose action is this server
    /// function, as [`SubmitForm`] posts its own: for a
    /// [`crate::components::server_html::ServerHtml`]'s `on_submit`. A
    /// submission of any other form is left to the browser.
    pub fn post_inside(self, ev: leptos::ev::SubmitEvent) {
        #[cfg(feature = "hydrate")]
        {
            use wasm_bindgen::JsCast;
            let form = ev
                .target()
                .and_then(|t| t.dyn_into::<web_sys::HtmlFormElement>().ok());
            let ours = form
                .as_ref()
                .and_then(|form| form.get_attribute("action"))
                .is_some_and(|action| action == S::PATH);
            if !ours || ev.default_prevented() {
                return;
            }
            ev.prevent_default();
            post_and_answer(S::PATH, &ev, self.answered_resetting(form));
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = ev;
    }
}

/// A `<form>` posting to the server function of `action`.
///
/// Only reading the answer as `S`'s output is typed per form; the form and
/// its submit handler are one function for all forms, so each form in the
/// bundle costs a decoder rather than a copy of the whole handler.
#[component]
pub fn SubmitForm<S>(action: FormAction<S>, children: Children) -> impl IntoView
where
    S: ServerFn<Error = AppError> + 'static,
    S::Output: DeserializeOwned + Send + Sync + 'static,
{
    #[cfg(feature = "hydrate")]
    let answered = action.answered();
    // On the server the form is only rendered: its submit handler never runs.
    #[cfg(not(feature = "hydrate"))]
    let answered = {
        let _ = action;
        Answered
    };
    form_posting(S::PATH, answered, children)
}

/// What a form does with the server's answer once it has come.
#[cfg(feature = "hydrate")]
type Answered = std::rc::Rc<dyn Fn(Result<browser::Answer, AppError>)>;
/// On the server a form is only rendered: nothing reads an answer there.
#[cfg(not(feature = "hydrate"))]
struct Answered;

/// Posts the submitted form's fields to `path` and hands the answer to
/// `answered`: one copy for every form, whichever server function.
#[cfg(feature = "hydrate")]
fn post_and_answer(path: &'static str, ev: &leptos::ev::SubmitEvent, answered: Answered) {
    let posted = browser::post(path, ev);
    leptos::task::spawn_local(async move {
        let answer = match posted {
            Ok(request) => request.await,
            Err(error) => Err(error),
        };
        answered(answer);
    });
}

fn form_posting(path: &'static str, answered: Answered, children: Children) -> impl IntoView {
    #[cfg(not(feature = "hydrate"))]
    let Answered = answered;
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        if ev.default_prevented() {
            return;
        }
        ev.prevent_default();
        #[cfg(feature = "hydrate")]
        post_and_answer(path, &ev, answered.clone());
    };
    view! {
        <form action=path method="post" on:submit=on_submit>
            {children()}
        </form>
    }
}

#[cfg(feature = "hydrate")]
mod browser {
    use std::future::Future;

    use leptos::server_fn::Bytes;
    use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
    use leptos::server_fn::redirect::{REDIRECT_HEADER, call_redirect_hook};
    use serde::de::DeserializeOwned;
    use wasm_bindgen::JsValue;
    use web_sys::{SubmitEvent, UrlSearchParams};

    use crate::error::AppError;

    /// What the server answered, before it is read as the form's type.
    pub struct Answer {
        status: u16,
        body: Vec<u8>,
    }

    fn failed(what: &str, error: impl std::fmt::Display) -> AppError {
        AppError::from_server_fn_error(ServerFnErrorErr::Request(format!("{what}: {error}")))
    }

    /// What the browser threw, in its words.
    fn thrown(error: JsValue) -> String {
        error
            .as_string()
            .unwrap_or_else(|| "an exception".to_owned())
    }

    /// Starts the post of the submitted form's fields (and the button that
    /// submitted it, as the browser would send it) to `url`.
    pub fn post(
        url: &'static str,
        ev: &SubmitEvent,
    ) -> Result<impl Future<Output = Result<Answer, AppError>> + 'static, AppError> {
        // Matched, not displayed: the error's Display prints its payload
        // with Debug, which would bring serde_qs's error and its Debug
        // into every page with a form.
        let fields = leptos::form::form_data_from_event(ev).map_err(|e| match e {
            leptos::form::FromFormDataError::FormData(js) => {
                failed("could not read the form", thrown(js))
            }
            _ => failed("could not read the form", "no form sent this event"),
        })?;
        let body = UrlSearchParams::new_with_str_sequence_sequence(&fields)
            .map_err(|e| failed("could not encode the form", thrown(e)))?
            .to_string();
        let request = gloo_net::http::Request::post(url)
            .header("Content-Type", "application/x-www-form-urlencoded")
            // Not text/html: the server then answers a redirect with a
            // header for the router rather than a 302 the fetch would follow.
            .header("Accept", "application/json")
            .body(JsValue::from(body))
            .map_err(|e| failed("could not build the request", e))?;
        Ok(async move {
            let response = request
                .send()
                .await
                .map_err(|e| failed("the server did not answer", e))?;
            let status = response.status();
            if response.headers().has(REDIRECT_HEADER)
                && let Some(location) = response.headers().get("Location")
            {
                call_redirect_hook(&location);
            }
            let body = response
                .binary()
                .await
                .map_err(|e| failed("the answer was cut short", e))?;
            Ok(Answer { status, body })
        })
    }

    /// The answer as the server function's output, or its typed error.
    pub fn answer<O: DeserializeOwned>(answer: Result<Answer, AppError>) -> Result<O, AppError> {
        let Answer { status, body } = answer?;
        if (400..=599).contains(&status) {
            return Err(AppError::de(Bytes::from(body)));
        }
        serde_json::from_slice(&body).map_err(|e| {
            AppError::from_server_fn_error(ServerFnErrorErr::Deserialization(e.to_string()))
        })
    }
}
