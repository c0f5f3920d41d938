use std::sync::Arc;

use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use telltale_delivery::Deliverer;
use telltale_store::Store;

use crate::Config;
use crate::auth::AuthState;
use crate::engine::EngineInbox;
use crate::leader::LeaderStatus;
use crate::metrics::Metrics;
use telltale_store::LiveHub;

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
    /// Every change goes through here: the REST handlers and the pages'
    /// server functions share it (the pages get it as their one context).
    pub core: telltale_core::Core,
    pub store: Store,
    /// Tells the check engine which jobs ingest touched.
    pub engine: EngineInbox,
    /// What changed, for `/v1/stream`.
    pub live: LiveHub,
    pub config: Arc<Config>,
    /// Password hasher, login throttle and the clock sessions expire by.
    pub auth: AuthState,
    /// Sends alert deliveries; the settings' test buttons use it directly.
    pub deliverer: Deliverer,
    /// Whether this instance runs the background loops now.
    pub leader: LeaderStatus,
    /// This process's name among the instances (`/v1/health`, logs).
    pub instance: Arc<str>,
    /// This instance's Prometheus counters (`GET /metrics`).
    pub metrics: Metrics,
    pub leptos_options: LeptosOptions,
    /// Faults tests arm; never armed otherwise.
    pub faults: crate::faults::Faults,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}
