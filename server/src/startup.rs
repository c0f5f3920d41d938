//! Builds the whole service from a [`Config`]: store, listener, router. Tests
//! build it with port 0 and a temporary database, exactly as `main` does.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};

use axum::Router;
use axum::middleware;
use axum::response::Redirect;
use axum::routing::{get, post};
use leptos::config::{Env, LeptosOptions};
use leptos::prelude::provide_context;
use leptos_axum::{AxumRouteListing, LeptosRoutes, generate_route_list};
use telltale_app::{App, shell};
use telltale_delivery::Deliverer;
use telltale_store::live::{self, ListenerConfig};
use telltale_store::{DatabaseTarget, IngestQueue, LiveHub, Outbox, Store, StoreError};
use tokio::net::TcpListener;
use tokio::sync::Notify;
use tokio::task::JoinHandle;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::compression::predicate::{NotForContentType, Predicate, SizeAbove};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::trace::TraceLayer;

use crate::auth::seed::{SeedError, seed_admin};
use crate::auth::{AuthState, access, headers, login};
use crate::engine::{Clock, EngineInbox, SelfHeartbeat, SystemClock};
use crate::leader::{self, Election, LeaderStatus, LockConfig, Loops};
use crate::metrics::{self, Metrics};
use crate::state::{AppState, Services};
use crate::{Config, api, edge, site};
use telltale_core::{Core, CoreParts};

/// The name cargo-leptos gives the bundle (`output-name` in Cargo.toml's
/// `[[workspace.metadata.leptos]]`): `/pkg/telltale.js`, `.wasm`, `.css`.
const OUTPUT_NAME: &str = "telltale";

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
    #[error("{0}")]
    Heartbeat(String),
}

pub struct Application {
    listener: TcpListener,
    router: Router,
    store: Store,
    /// The ingest queue's grouping task (PostgreSQL; SQLite's writer
    /// thread groups requests itself).
    writer: Option<JoinHandle<()>>,
    /// Runs the evaluator, retention and delivery while this instance leads.
    leader: JoinHandle<()>,
    stop_leader: Arc<Notify>,
    /// The link to the other instances on PostgreSQL (sender, listener).
    bus: Vec<(&'static str, JoinHandle<()>, Arc<Notify>)>,
    live: LiveHub,
    addr: SocketAddr,
    faults: crate::faults::Faults,
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
        store.set_clock_skew(
            chrono::Duration::from_std(config.trust.clock_skew)
                .unwrap_or(telltale_model::event::DEFAULT_CLOCK_SKEW),
        );
        let auth = AuthState::new(store.clone(), clock.clone(), &config.trust);
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
        let metrics = Metrics::new();
        let inbox = EngineInbox::default();
        let live = LiveHub::default();
        let deliverer = Deliverer::new(
            store.clone(),
            Arc::new(SystemClock),
            config.delivery_config(),
        )?
        .with_live(live.clone())
        .with_metrics(metrics.delivery());
        let instance = config
            .instance_name
            .clone()
            .unwrap_or_else(|| default_instance_name(addr));
        let leader = LeaderStatus::default();
        let (election, bus) = match &config.database {
            DatabaseTarget::Sqlite { .. } => (Election::Sole, Vec::new()),
            DatabaseTarget::Postgres { url } => (
                Election::Postgres(LockConfig {
                    url: url.clone(),
                    instance: instance.clone(),
                    retry: config.leader_retry,
                }),
                link_instances(&store, url, &instance, &live, &inbox, &leader),
            ),
        };
        let stop_leader = Arc::new(Notify::new());
        let faults = crate::faults::Faults::default();
        let heartbeat = match &config.trust.heartbeat_url {
            Some(url) => Some(
                SelfHeartbeat::new(url, config.trust.heartbeat_api_key.as_deref(), &instance)
                    .map_err(|e| {
                        StartupError::Heartbeat(format!(
                            "MONITOR_HEARTBEAT_URL cannot be used: {e}"
                        ))
                    })?,
            ),
            None => None,
        };
        let loops = Loops {
            store: store.clone(),
            clock: clock.clone(),
            inbox: inbox.clone(),
            live: live.clone(),
            deliverer: deliverer.clone(),
            evaluator_interval: config.evaluator_interval,
            retention_days: config.retention_days,
            retention_interval: config.retention_interval,
            tick_seconds: metrics.evaluator_tick(),
            scheduler_hold: chrono::Duration::from_std(config.trust.scheduler_hold)
                .unwrap_or(chrono::Duration::minutes(15)),
            heartbeat,
            faults: faults.clone(),
        };
        let leader_task = leader::spawn(election, loops, leader.clone(), stop_leader.clone());
        tracing::info!(%instance, "instance started");
        let core = Core::new(CoreParts {
            store: store.clone(),
            engine: inbox.clone(),
            live: live.clone(),
            clock: clock.clone(),
            deliverer: deliverer.clone(),
            accounts: auth.accounts.clone(),
        });
        let state = AppState::new(Services {
            core,
            instance: instance.into(),
            leader,
            metrics,
            deliverer,
            store: store.clone(),
            ingest,
            engine: inbox,
            live: live.clone(),
            config: Arc::new(config),
            auth,
            leptos_options,
            faults: faults.clone(),
        });
        let router = build_router(state);
        Ok(Application {
            listener,
            router,
            store,
            writer,
            leader: leader_task,
            stop_leader,
            bus,
            live,
            addr,
            faults,
            _db_lock,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The faults a test may arm in this server.
    pub fn faults(&self) -> crate::faults::Faults {
        self.faults.clone()
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
        // drains and ends. (SQLite's writer thread has answered every
        // request by now: each handler waited for its own commit.)
        if let Some(writer) = self.writer
            && let Err(e) = writer.await
        {
            tracing::error!(error = %e, "ingest writer ended abnormally");
        }
        // Sends in flight are abandoned; their leases expire and the leader
        // sends them again.
        self.stop_leader.notify_one();
        if let Err(e) = self.leader.await {
            tracing::error!(error = %e, "leadership task ended abnormally");
        }
        // Last, so what the loops changed still reaches the other instances.
        for (name, task, stop) in self.bus {
            stop.notify_one();
            if let Err(e) = task.await {
                tracing::error!(error = %e, task = name, "background task ended abnormally");
            }
        }
        self.store.close().await?;
        Ok(())
    }
}

/// `host:port`, or `telltale:port` when the host has no name.
fn default_instance_name(addr: SocketAddr) -> String {
    let host = hostname::get()
        .ok()
        .and_then(|h| h.into_string().ok())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "telltale".to_owned());
    format!("{host}:{}", addr.port())
}

/// Several instances on one PostgreSQL: what changes here is announced to
/// the others (`NOTIFY`), and what changes there reaches this instance's
/// live streams and, while it leads, its evaluator.
fn link_instances(
    store: &Store,
    url: &str,
    instance: &str,
    live: &LiveHub,
    inbox: &EngineInbox,
    leader: &LeaderStatus,
) -> Vec<(&'static str, JoinHandle<()>, Arc<Notify>)> {
    // The process id makes two processes given one name still tell their
    // bulletins apart.
    let from = format!("{instance}#{}", std::process::id());
    let outbox = Outbox::new(from.clone());
    live.attach(outbox.clone());
    inbox.attach(outbox.clone());
    let stop_sender = Arc::new(Notify::new());
    let loops = store.loops();
    let sender = {
        let store = store.clone();
        supervised(
            loops.register("live_outbox", None, true),
            stop_sender.clone(),
            move |stop| live::spawn_sender(store.clone(), outbox.clone(), stop),
        )
    };
    let stop_listener = Arc::new(Notify::new());
    let (inbox, leader) = (inbox.clone(), leader.clone());
    let on_bulletin = Arc::new(move |bulletin: &telltale_store::Bulletin| {
        if !leader.is_leader() {
            return;
        }
        if bulletin.all_jobs {
            inbox.touch_all_here();
        } else {
            inbox.touch_here(bulletin.jobs.iter().map(String::as_str));
        }
    });
    let config = ListenerConfig {
        url: url.to_owned(),
        application_name: format!("telltale-live {instance}"),
        from,
    };
    let listener = {
        let live = live.clone();
        supervised(
            loops.register("live_listener", None, true),
            stop_listener.clone(),
            move |stop| {
                let on_bulletin = on_bulletin.clone();
                live::listener::spawn(config.clone(), live.clone(), move |b| on_bulletin(b), stop)
            },
        )
    };
    vec![
        ("live sender", sender, stop_sender),
        ("live listener", listener, stop_listener),
    ]
}

/// Runs a loop that handles its own errors (reconnecting, retrying) under
/// a supervisor, which starts it again should it panic.
fn supervised(
    beat: telltale_supervise::Beat,
    stop: Arc<Notify>,
    start: impl Fn(Arc<Notify>) -> JoinHandle<()> + Send + 'static,
) -> JoinHandle<()> {
    telltale_supervise::spawn(beat, stop, move |_, stop| {
        telltale_supervise::join(start(stop))
    })
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

/// tower-http's default compresses anything over 32 bytes: every ingest
/// answer (`{"inserted":1,…}`, 43 bytes) to a client that accepts gzip, as
/// Python's `requests` does, for a body no smaller and a compressor set up
/// per response. Pages, lists and exports are still compressed; the live
/// stream and images never.
fn worth_compressing() -> impl Predicate {
    SizeAbove::new(1024)
        .and(NotForContentType::GRPC)
        .and(NotForContentType::IMAGES)
        .and(NotForContentType::SSE)
}

/// The whole middleware stack and route table, top to bottom.
fn build_router(state: AppState) -> Router {
    let routes = route_list();
    let core = state.core.clone();
    let options = state.leptos_options.clone();
    // Every route, the fallback included, sits behind the same stack. Read
    // bottom-up for the order a request meets it:
    // - metrics (latency and status of every answer, these layers' own too),
    //   then trace;
    // - security headers, outside everything that can answer on its own, so
    //   no answer goes without them;
    // - JSON errors: the plain-text 413, 408, 500 or 503 of a layer or an
    //   extractor below gets the API's error shape;
    // - panics: a handler, server function or layer below that panics gets
    //   a 500 JSON answer, and the connection lives on;
    // - the timeout (503), then the request slots (a request waits for one;
    //   sign-ins skip them, see `edge::slots`), the body limit (413),
    //   compression, access control (CSRF + access table), the test-only
    //   fault hook, and routing.
    let body_limit = state.config.ingest.max_body_bytes.saturating_add(64 * 1024);
    let slots = edge::Slots::new(state.config.max_concurrent_requests);
    let timeout = state.config.request_timeout;
    Router::new()
        .nest("/v1", api::router(&state))
        .merge(crate::badge::router())
        .route("/auth/login", post(login::login))
        .route("/auth/logout", post(login::logout))
        .route("/metrics", get(metrics::serve))
        // Forge served its dashboard at /monitor; old bookmarks land on the overview.
        .route("/monitor", get(|| async { Redirect::permanent("/") }))
        .leptos_routes_with_context(
            &state,
            routes,
            move || provide_context(core.clone()),
            move || shell(options.clone()),
        )
        .fallback(site::file_or_not_found)
        .layer(middleware::from_fn_with_state(state.clone(), edge::fault))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            access::enforce,
        ))
        .layer(CompressionLayer::new().compress_when(worth_compressing()))
        .layer(RequestBodyLimitLayer::new(body_limit))
        .layer(middleware::from_fn_with_state(slots, edge::slots))
        .layer(middleware::from_fn_with_state(timeout, edge::timeout))
        .layer(CatchPanicLayer::custom(edge::panic_answer(
            state.metrics.clone(),
        )))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            edge::json_errors,
        ))
        .layer(middleware::from_fn_with_state(state.clone(), headers::add))
        .layer(TraceLayer::new_for_http())
        .layer(middleware::from_fn_with_state(
            state.clone(),
            metrics::http::track,
        ))
        .with_state(state)
}
