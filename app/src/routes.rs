//! Every page as a lazy route: built with `cargo leptos build --split`, the
//! browser bundle is cut at these points, so a page downloads the shared
//! framework and its own code rather than every page's (the main module is
//! about 229 KB gzipped instead of 522 KB for all pages at once). On the
//! server, and in a build without `--split`, they are plain calls.
//!
//! Each page still creates its own resources when its view runs: the first
//! paint comes from the server with its data, and moving to another page in
//! the browser loads that page's module (once) before its data.

use leptos::prelude::*;
use leptos_router::{LazyRoute, lazy_route};

use crate::pages::{
    alert_detail::AlertDetailPage,
    alerts::AlertsPage,
    events::EventsPage,
    job_detail::JobDetailPage,
    job_manage::NewJobPage,
    jobs::JobsPage,
    login::LoginPage,
    overview::OverviewPage,
    runs::{RunDetailPage, RunsPage},
    settings::SettingsPage,
    statistics::StatisticsPage,
    workers::WorkersPage,
};

/// A unit struct per page whose lazily loaded view is that page.
macro_rules! lazy_pages {
    ($($route:ident => $page:ident),* $(,)?) => {$(
        pub struct $route;

        #[lazy_route]
        impl LazyRoute for $route {
            fn data() -> Self {
                $route
            }

            fn view(_this: Self) -> AnyView {
                view! { <$page /> }.into_any()
            }
        }
    )*};
}

lazy_pages! {
    Overview => OverviewPage,
    Events => EventsPage,
    Jobs => JobsPage,
    JobDetail => JobDetailPage,
    NewJob => NewJobPage,
    Login => LoginPage,
    Settings => SettingsPage,
    Runs => RunsPage,
    Workers => WorkersPage,
    Alerts => AlertsPage,
    AlertDetail => AlertDetailPage,
    RunDetail => RunDetailPage,
    Statistics => StatisticsPage,
}
