use std::sync::Arc;

use axum::extract::FromRef;
use leptos::config::LeptosOptions;

use crate::Config;
use crate::auth::AuthState;
use crate::leader::LeaderStatus;
use crate::metrics::Metrics;

/// What every handler and server function can reach: one shared
/// [`Services`], so that the clones axum makes for every extractor of every
/// request are a single reference count rather than a dozen.
#[derive(Clone)]
pub struct AppState(Arc<Services>);

impl AppState {
    pub fn new(services: Services) -> AppState {
        AppState(Arc::new(services))
    }
}

impl std::ops::Deref for AppState {
    type Target = Services;

    fn deref(&self) -> &Services {
        &self.0
    }
}

pub struct Services {
    /// Every change and every read goes through here: the store, the live
    /// hub, the engine inbox, the deliverer and the clock are reached through
    /// it. The REST handlers and the pages' server functions share it (the
    /// pages get it as their one context).
    pub core: telltale_core::Core,
    pub config: Arc<Config>,
    /// The login throttle (accounts and the clock are the core's).
    pub auth: AuthState,
    /// Whether this instance runs the background loops now.
    pub leader: LeaderStatus,
    /// This process's name among the instances (`/v1/health`, logs).
    pub instance: Arc<str>,
    /// This instance's Prometheus counters (`GET /metrics`).
    pub metrics: Metrics,
    pub leptos_options: LeptosOptions,
    /// Where `/pkg/…` and the favicon are read from.
    pub site: crate::site::Site,
    /// Faults tests arm; never armed otherwise.
    pub faults: crate::faults::Faults,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}
