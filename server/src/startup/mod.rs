//! Builds the whole service from a [`Config`]: store, listener, router. Tests
//! build it with port 0 and a temporary database, exactly as `main` does.

mod instances;
mod router;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use leptos::config::{Env, LeptosOptions};
use telltale_delivery::Deliverer;
use telltale_store::{DatabaseTarget, IngestQueue, LiveHub, Store, StoreError};
use tokio::net::TcpListener;
use tokio::sync::Notify;
use tokio::task::JoinHandle;

use crate::auth::AuthState;
use crate::auth::seed::{SeedError, seed_admin};
use crate::engine::{Clock, EngineInbox, SelfHeartbeat, SystemClock};
use crate::leader::{self, Election, LeaderStatus, LockConfig, Loops};
use crate::metrics::Metrics;
use crate::state::{AppState, Services};
use crate::{Config, site};
use instances::{default_instance_name, link_instances};
use router::build_router;
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
            ingest,
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
