//! Telltale's dashboard: routes, pages and the server functions they call.
//!
//! Compiled twice: with `ssr` into the server (rendering, server functions
//! talking to the store) and with `hydrate` into the browser bundle. Pages
//! render the types of `telltale-model` that the server functions return —
//! the same types the REST API serializes.

pub mod components;
pub mod data;
pub mod error;
pub mod form;
pub mod form_action;
mod keys;
pub mod live;
pub mod notify;
pub mod pages;
pub mod routes;
#[cfg(feature = "ssr")]
pub mod security;
pub mod server_fns;

use leptos::prelude::*;
use leptos_meta::{MetaTags, Title, provide_meta_context};
use leptos_router::{
    Lazy, ParamSegment, SsrMode, StaticSegment,
    components::{A, Route, Router, Routes},
};

use crate::components::theme::ThemeToggle;
use crate::components::time::provide_clock;
use crate::live::{LiveIndicator, provide_live};
use crate::notify::NotifyToggle;
use crate::pages::not_found::NotFound;

/// The HTML document around the app, rendered on the server only.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    security::set_page_csp();
    // The theme chosen in the toggle, so the first paint is already right.
    #[cfg(feature = "ssr")]
    let theme = components::theme::requested().attribute();
    #[cfg(not(feature = "ssr"))]
    let theme: Option<&str> = None;
    view! {
        <!DOCTYPE html>
        <html lang="en" data-theme=theme>
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <link rel="icon" type="image/svg+xml" href="/favicon.svg" />
                // Static, so in the server-only shell: the app has nothing
                // to manage about it.
                <link rel="stylesheet" id="leptos" href="/pkg/telltale.css" />
                <AutoReload options=options.clone() />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    provide_clock();
    provide_live();
    keys::search_key();

    // Pages render with `SsrMode::Async` so the data is in the first HTML:
    // an operator with JavaScript off (or a slow bundle) still reads it.
    view! {
        <Title formatter=page_title />
        <Router>
            <header class="topbar">
                <A href="/" attr:class="brand">
                    "Telltale"
                </A>
                <nav>
                    <A href="/">"Overview"</A>
                    <A href="/jobs">"Jobs"</A>
                    <A href="/runs">"Runs"</A>
                    <A href="/workers">"Workers"</A>
                    <A href="/alerts">"Alerts"</A>
                    <A href="/events">"Events"</A>
                    <SettingsLink />
                </nav>
                <SignedIn />
                <LiveIndicator />
                <NotifyToggle />
                <ThemeToggle />
            </header>
            <main>
                <Routes fallback=NotFound>
                    <Route path=StaticSegment("") view={Lazy::<routes::Overview>::new()} ssr=SsrMode::Async />
                    <Route path=StaticSegment("events") view={Lazy::<routes::Events>::new()} ssr=SsrMode::Async />
                    <Route path=StaticSegment("jobs") view={Lazy::<routes::Jobs>::new()} ssr=SsrMode::Async />
                    <Route
                        path=(StaticSegment("jobs"), ParamSegment("name"))
                        view={Lazy::<routes::JobDetail>::new()}
                        ssr=SsrMode::Async
                    />
                    <Route path=StaticSegment("new-job") view={Lazy::<routes::NewJob>::new()} ssr=SsrMode::Async />
                    <Route path=StaticSegment("login") view={Lazy::<routes::Login>::new()} ssr=SsrMode::Async />
                    <Route path=StaticSegment("settings") view={Lazy::<routes::Settings>::new()} ssr=SsrMode::Async />
                    <Route path=StaticSegment("runs") view={Lazy::<routes::Runs>::new()} ssr=SsrMode::Async />
                    <Route path=StaticSegment("statistics") view={Lazy::<routes::Statistics>::new()} ssr=SsrMode::Async />
                    <Route path=StaticSegment("workers") view={Lazy::<routes::Workers>::new()} ssr=SsrMode::Async />
                    <Route path=StaticSegment("alerts") view={Lazy::<routes::Alerts>::new()} ssr=SsrMode::Async />
                    <Route
                        path=(StaticSegment("alerts"), ParamSegment("id"))
                        view={Lazy::<routes::AlertDetail>::new()}
                        ssr=SsrMode::Async
                    />
                    <Route
                        path=(StaticSegment("runs"), ParamSegment("id"))
                        view={Lazy::<routes::RunDetail>::new()}
                        ssr=SsrMode::Async
                    />
                </Routes>
            </main>
        </Router>
    }
}

/// The document title of every page: each `<Title text=…>` below passes
/// through here, so this is the one place its text is made safe.
///
/// leptos_meta writes the title into the server's `<head>` as it is, not
/// escaped, and titles carry producer text (job names, run ids): a job
/// named `</title><script>…` would end the element and write markup. On the
/// server the text is escaped for HTML; in the browser it is set through
/// `document.title`, which takes text, so it is left alone there.
pub fn page_title(page: String) -> String {
    as_head_text(if page.is_empty() {
        "Telltale".to_owned()
    } else {
        format!("{page} · Telltale")
    })
}

#[cfg(feature = "ssr")]
fn as_head_text(title: String) -> String {
    html_escape::encode_text(&title).into_owned()
}

#[cfg(not(feature = "ssr"))]
fn as_head_text(title: String) -> String {
    title
}

/// The way to the settings, for everyone who may read pages: admins
/// change them, viewers read where alerts go (and everyone when login is
/// off, the local default).
#[component]
fn SettingsLink() -> impl IntoView {
    view! { <A href="/settings">"Settings"</A> }
}

/// Who is signed in, and the sign-out button (a form POST, so it works
/// without JavaScript and cannot be triggered by a link from another site).
#[component]
fn SignedIn() -> impl IntoView {
    let user = crate::data::data(|| (), |_| server_fns::auth::current_user());
    view! {
        <Suspense>
            {move || Suspend::new(async move {
                user.await
                    .ok()
                    .flatten()
                    .map(|u| {
                        view! {
                            <form method="post" action="/auth/logout" class="signed-in">
                                <span class="muted">{u.email}</span>
                                <button type="submit">"Sign out"</button>
                            </form>
                        }
                    })
            })}
        </Suspense>
    }
}

/// Sets `data-hydrated` on `<body>` once the browser has taken over all of
/// the server's HTML, so tests (and curious operators) can tell the two
/// apart. Called by the browser entry when hydration is complete; the
/// server's HTML never carries it.
#[cfg(feature = "hydrate")]
pub fn mark_hydrated() {
    if let Some(body) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.body())
    {
        let _ = body.set_attribute("data-hydrated", "");
    }
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::page_title;

    #[test]
    fn producer_text_in_the_title_stays_text() {
        let title = page_title("Job </title><script>alert(1)</script> & co".to_owned());
        assert_eq!(
            title,
            "Job &lt;/title&gt;&lt;script&gt;alert(1)&lt;/script&gt; &amp; co · Telltale"
        );
        assert_eq!(page_title(String::new()), "Telltale");
    }
}
