//! Builds the whole service from a [`Config`]: store, listener, router. Tests
//! build it with port 0 and a temporary database, exactly as `main` does.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use axum::Router;
use axum::http::StatusCode;
use axum::middleware;
use axum::response::Redirect;
use axum::routing::{get, post};
use leptos::config::{Env, LeptosOptions};
use leptos::prelude::provide_context;
use leptos_axum::{AxumRouteListing, LeptosRoutes, generate_route_list};
use telltale_app::{App, shell};
use telltale_delivery::Deliverer;
use telltale_store::{IngestQueue, Store, StoreError};
use tokio::net::TcpListener;
use tokio::sync::Notify;
use tokio::task::JoinHandle;
use tower::limit::GlobalConcurrencyLimitLayer;
use tower_http::compression::CompressionLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::auth::seed::{SeedError, seed_admin};
use crate::auth::{AuthState, access, headers, login};
use crate::engine::{self, Clock, Engine, EngineInbox, SystemClock};
use crate::leader::LeaderStatus;
use crate::state::AppState;
use crate::{Config, api, site};
use telltale_store::LiveHub;

/// The name cargo-leptos gives the bundle (`output-name` in Cargo.toml's
/// `[[workspace.metadata.leptos]]`): `/pkg/telltale.js`, `.wasm`, `.css`.
const OUTPUT_NAME: &str = "telltale";
/// A request that takes longer than this is answered 503 and dropped.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot listen on {addr}: {source} (set MONITOR_HOST / MONITOR_PORT)")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("server error: {0}")]
    Serve(#[from] std::io::Error),
    #[error("cannot create the first admin: {0}")]
    Seed(#[from] SeedError),
    #[error("alert delivery cannot start: {0}")]
    Delivery(#[from] telltale_delivery::ConfigError),
    #[error("{}", .0.at_startup())]
    DatabaseLocked(#[from] crate::admin::LockError),
}

pub struct Application {
    listener: TcpListener,
    router: Router,
    store: Store,
    writer: JoinHandle<()>,
    engine: JoinHandle<()>,
    retention: JoinHandle<()>,
    delivery: JoinHandle<()>,
    stop_engine: Arc<Notify>,
    stop_retention: Arc<Notify>,
    stop_delivery: Arc<Notify>,
    live: LiveHub,
    addr: SocketAddr,
    /// Released when the application is dropped, after the store closes.
    _db_lock: Option<crate::admin::DatabaseLock>,
}

impl Application {
    pub async fn build(config: Config) -> Result<Application, StartupError> {
        Self::build_with_clock(config, Arc::new(SystemClock)).await
    }

    /// As [`Application::build`], with sessions expiring by `clock` (tests
    /// move a manual clock to expire them).
    pub async fn build_with_clock(
        config: Config,
        clock: Arc<dyn Clock>,
    ) -> Result<Application, StartupError> {
        let _db_lock = crate::admin::DatabaseLock::for_server(&config.database)?;
        let store = Store::connect(&config.database).await?;
        let auth = AuthState::new(store.clone(), clock.clone());
        if config.auth.enabled
            && let Some(seed) = &config.auth.admin
        {
            seed_admin(&store, auth.accounts.hasher(), seed, clock.now()).await?;
        }
        if config.auth.enabled {
            let hasher = auth.accounts.hasher().clone();
            tokio::spawn(async move {
                if let Err(e) = hasher.prepare().await {
                    tracing::error!(error = %e, "cannot prepare the login timing guard");
                }
            });
        }
        let wanted = config.socket_addr();
        let listener = TcpListener::bind(wanted)
            .await
            .map_err(|source| StartupError::Bind {
                addr: wanted,
                source,
            })?;
        let addr = listener.local_addr()?;

        let site_root = site::resolve(config.site_root.as_deref());
        if !site::has_bundle(&site_root) {
            tracing::warn!(
                site_root = %site_root.display(),
                "no built site found: pages render but will not hydrate \
                 (build with `cargo leptos build --release` or set MONITOR_SITE_ROOT)"
            );
        }
        let leptos_options = LeptosOptions::builder()
            .output_name(OUTPUT_NAME)
            .site_root(site_root.display().to_string())
            .site_pkg_dir("pkg")
            .site_addr(addr)
            .env(Env::PROD)
            .build();

        let (ingest, writer) = IngestQueue::start(store.clone());
        let inbox = EngineInbox::default();
        let live = LiveHub::default();
        let stop_engine = Arc::new(Notify::new());
        let engine = engine::spawn(
            Engine::new(store.clone(), Arc::new(SystemClock)).with_blind_gap(
                chrono::Duration::from_std(config.evaluator_interval * 4)
                    .unwrap_or(chrono::Duration::MAX),
            ),
            inbox.clone(),
            live.clone(),
            config.evaluator_interval,
            stop_engine.clone(),
        );
        let stop_retention = Arc::new(Notify::new());
        let retention = engine::spawn_retention(
            store.clone(),
            Arc::new(SystemClock),
            config.retention_days,
            config.retention_interval,
            stop_retention.clone(),
        );
        let deliverer = Deliverer::new(
            store.clone(),
            Arc::new(SystemClock),
            config.delivery_config(),
        )?
        .with_live(live.clone());
        let stop_delivery = Arc::new(Notify::new());
        let delivery = telltale_delivery::spawn(deliverer.clone(), stop_delivery.clone());
        // One process on SQLite always leads; several on PostgreSQL elect one.
        let leader = LeaderStatus::default();
        leader.set(true);
        let state = AppState {
            leader,
            deliverer,
            store: store.clone(),
            ingest,
            engine: inbox,
            live: live.clone(),
            config: Arc::new(config),
            auth,
            leptos_options,
        };
        let router = build_router(state);
        Ok(Application {
            listener,
            router,
            store,
            writer,
            engine,
            retention,
            delivery,
            stop_engine,
            stop_retention,
            stop_delivery,
            live,
            addr,
            _db_lock,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Serves until `shutdown` resolves, then stops accepting, lets in-flight
    /// requests finish, lets the writer commit what it holds, and closes the
    /// database.
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), StartupError> {
        // Open live streams would hold graceful shutdown forever: end them
        // as soon as shutdown begins.
        let live = self.live.clone();
        let shutdown = async move {
            shutdown.await;
            live.close();
        };
        axum::serve(
            self.listener,
            self.router
                .into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown)
        .await?;
        // The router (and with it the last queue handle) is gone: the writer
        // drains and ends.
        if let Err(e) = self.writer.await {
            tracing::error!(error = %e, "ingest writer ended abnormally");
        }
        self.stop_engine.notify_one();
        self.stop_retention.notify_one();
        // Sends in flight are abandoned; their leases expire and the next
        // start sends them again.
        self.stop_delivery.notify_one();
        for (name, task) in [
            ("engine", self.engine),
            ("retention", self.retention),
            ("delivery", self.delivery),
        ] {
            if let Err(e) = task.await {
                tracing::error!(error = %e, task = name, "background task ended abnormally");
            }
        }
        self.store.close().await?;
        Ok(())
    }
}

/// The app's routes, generated once per process. Generating them sets a
/// process-global flag under which any resource first polled meanwhile waits
/// forever (leptos #4773): a second server started in the same process (the
/// tests start dozens) would hang a page another one is rendering. Once
/// generated, no later start-up renders the app again.
fn route_list() -> Vec<AxumRouteListing> {
    static ROUTES: OnceLock<Vec<AxumRouteListing>> = OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App)).clone()
}

/// The whole middleware stack and route table, top to bottom.
fn build_router(state: AppState) -> Router {
    let routes = route_list();
    let store = state.store.clone();
    let accounts = state.auth.accounts.clone();
    let live = state.live.clone();
    let deliverer = state.deliverer.clone();
    let options = state.leptos_options.clone();
    // Every route, the fallback included, sits behind the same stack. Read
    // bottom-up for the order a request meets it: trace, timeout (503),
    // concurrency limit (waits), body limit (413), security headers,
    // compression, then access control (CSRF + access table) and routing.
    let body_limit = state.config.ingest.max_body_bytes.saturating_add(64 * 1024);
    let concurrency = state.config.max_concurrent_requests;
    Router::new()
        .nest("/v1", api::router(&state))
        .route("/auth/login", post(login::login))
        .route("/auth/logout", post(login::logout))
        // Forge served its dashboard at /monitor; old bookmarks land on the overview.
        .route("/monitor", get(|| async { Redirect::permanent("/") }))
        .leptos_routes_with_context(
            &state,
            routes,
            move || {
                provide_context(store.clone());
                provide_context(accounts.clone());
                provide_context(live.clone());
                provide_context(deliverer.clone());
            },
            move || shell(options.clone()),
        )
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            access::enforce,
        ))
        .layer(CompressionLayer::new())
        .layer(middleware::from_fn_with_state(state.clone(), headers::add))
        .layer(RequestBodyLimitLayer::new(body_limit))
        .layer(GlobalConcurrencyLimitLayer::new(concurrency))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            REQUEST_TIMEOUT,
        ))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}
