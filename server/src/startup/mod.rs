//! Builds the whole service from a [`Config`]: store, listener, router. Tests
//! build it with port 0 and a temporary database, exactly as `main` does.

mod instances;
mod parts;
mod router;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use telltale_store::{IngestQueue, LiveHub, Store, StoreError};
use tokio::net::TcpListener;
use tokio::sync::Notify;
use tokio::task::JoinHandle;

use crate::Config;
use crate::auth::AuthState;
use crate::auth::seed::SeedError;
use crate::engine::{Clock, EngineInbox, SystemClock};
use crate::leader::{self, LeaderStatus};
use crate::metrics::Metrics;
use crate::state::{AppState, Services};
use instances::default_instance_name;
use parts::{
    bind, choose_site, elect, leader_loops, leptos_options, open_store, prepare_accounts,
    self_heartbeat, start_deliverer,
};
use router::build_router;
use telltale_core::{Core, CoreParts};

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
    bus: parts::Bus,
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
        let store = open_store(&config).await?;
        let accounts = crate::auth::accounts(store.clone(), &config.trust);
        prepare_accounts(&config, &store, &accounts, clock.now()).await?;
        let listener = bind(&config).await?;
        let addr = listener.local_addr()?;
        let site = choose_site(&config);
        let leptos_options = leptos_options(&site, addr);

        let (ingest, writer) = IngestQueue::start(store.clone());
        let metrics = Metrics::new();
        let live = LiveHub::default();
        let core = Core::new(CoreParts {
            store: store.clone(),
            ingest,
            engine: EngineInbox::default(),
            live: live.clone(),
            clock,
            deliverer: start_deliverer(&config, &store, &live, &metrics)?,
            accounts,
        });
        let instance = config
            .instance_name
            .clone()
            .unwrap_or_else(|| default_instance_name(addr));
        let leader = LeaderStatus::default();
        let (election, bus) = elect(&config, &core, &instance, &leader);
        let stop_leader = Arc::new(Notify::new());
        let faults = crate::faults::Faults::default();
        let heartbeat = self_heartbeat(&config, &instance)?;
        let loops = leader_loops(&config, &core, &metrics, heartbeat, faults.clone());
        let leader_task = leader::spawn(election, loops, leader.clone(), stop_leader.clone());
        tracing::info!(%instance, "instance started");
        let router = build_router(AppState::new(Services {
            core,
            instance: instance.into(),
            leader,
            metrics,
            config: Arc::new(config),
            auth: AuthState::default(),
            leptos_options,
            site,
            faults: faults.clone(),
        }));
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
