//! Telltale's dashboard: routes, pages and the server functions they call.
//!
//! Compiled twice: with `ssr` into the server (rendering, server functions
//! talking to the store) and with `hydrate` into the browser bundle. Pages
//! render the types of `telltale-model` that the server functions return —
//! the same types the REST API serializes.

pub mod components;
pub mod data;
pub mod live;
pub mod notify;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod security;
pub mod server_fns;

use leptos::prelude::*;
use leptos_meta::{MetaTags, Stylesheet, Title, provide_meta_context};
use leptos_router::{
    ParamSegment, SsrMode, StaticSegment,
    components::{A, Route, Router, Routes},
};

use crate::components::theme::ThemeToggle;
use crate::components::time::provide_clock;
use crate::live::{LiveIndicator, provide_live};
use crate::notify::NotifyToggle;
use crate::pages::{
    alerts::AlertsPage,
    events::EventsPage,
    job_detail::JobDetailPage,
    jobs::JobsPage,
    login::LoginPage,
    not_found::NotFound,
    overview::OverviewPage,
    runs::{RunDetailPage, RunsPage},
    settings::SettingsPage,
    workers::WorkersPage,
};

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
    mark_hydrated();

    // Pages render with `SsrMode::Async` so the data is in the first HTML:
    // an operator with JavaScript off (or a slow bundle) still reads it.
    view! {
        <Stylesheet id="leptos" href="/pkg/telltale.css" />
        <Title formatter=|page: String| {
            if page.is_empty() { "Telltale".to_owned() } else { format!("{page} · Telltale") }
        } />
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
                </nav>
                <SignedIn />
                <LiveIndicator />
                <NotifyToggle />
                <ThemeToggle />
            </header>
            <main>
                <Routes fallback=NotFound>
                    <Route path=StaticSegment("") view=OverviewPage ssr=SsrMode::Async />
                    <Route path=StaticSegment("events") view=EventsPage ssr=SsrMode::Async />
                    <Route path=StaticSegment("jobs") view=JobsPage ssr=SsrMode::Async />
                    <Route
                        path=(StaticSegment("jobs"), ParamSegment("name"))
                        view=JobDetailPage
                        ssr=SsrMode::Async
                    />
                    <Route path=StaticSegment("login") view=LoginPage ssr=SsrMode::Async />
                    <Route path=StaticSegment("settings") view=SettingsPage ssr=SsrMode::Async />
                    <Route path=StaticSegment("runs") view=RunsPage ssr=SsrMode::Async />
                    <Route path=StaticSegment("workers") view=WorkersPage ssr=SsrMode::Async />
                    <Route path=StaticSegment("alerts") view=AlertsPage ssr=SsrMode::Async />
                    <Route
                        path=(StaticSegment("alerts"), ParamSegment("id"))
                        view=pages::alert_detail::AlertDetailPage
                        ssr=SsrMode::Async
                    />
                    <Route
                        path=(StaticSegment("runs"), ParamSegment("id"))
                        view=RunDetailPage
                        ssr=SsrMode::Async
                    />
                </Routes>
            </main>
        </Router>
    }
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
                        let admin = u.role == telltale_model::Role::Admin;
                        view! {
                            <form method="post" action="/auth/logout" class="signed-in">
                                // Only admins may use the settings page.
                                {admin.then(|| view! { <A href="/settings">"Settings"</A> })}
                                <span class="muted">{u.email}</span>
                                <button type="submit">"Sign out"</button>
                            </form>
                        }
                    })
            })}
        </Suspense>
    }
}

/// Sets `data-hydrated` on `<body>` once the browser has taken over the
/// server's HTML, so tests (and curious operators) can tell the two apart.
/// Effects never run on the server, so server HTML never carries it.
fn mark_hydrated() {
    Effect::new(|_| {
        #[cfg(feature = "hydrate")]
        if let Some(body) = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.body())
        {
            let _ = body.set_attribute("data-hydrated", "");
        }
    });
}
