//! The steps [`Application::build_with_clock`](super::Application) takes, one
//! function each, in the order it takes them.

use std::net::SocketAddr;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use leptos::config::{Env, LeptosOptions};
use telltale_core::Core;
use telltale_core::accounts::Accounts;
use telltale_delivery::Deliverer;
use telltale_store::{DatabaseTarget, LiveHub, Store};
use tokio::net::TcpListener;
use tokio::sync::Notify;
use tokio::task::JoinHandle;

use super::StartupError;
use super::instances::link_instances;
use crate::Config;
use crate::auth::seed::seed_admin;
use crate::engine::{SelfHeartbeat, SystemClock};
use crate::leader::{Election, LeaderStatus, LockConfig, Loops};
use crate::metrics::Metrics;
use crate::site::Site;

/// The name cargo-leptos gives the bundle (`output-name` in Cargo.toml's
/// `[[workspace.metadata.leptos]]`): `/pkg/telltale.js`, `.wasm`, `.css`.
const OUTPUT_NAME: &str = "telltale";

/// The instances' links to each other: a name, the task, and what stops it.
pub(super) type Bus = Vec<(&'static str, JoinHandle<()>, Arc<Notify>)>;

/// Connects to the database, trusting event clocks as far as configured.
pub(super) async fn open_store(config: &Config) -> Result<Store, StartupError> {
    let store = Store::connect(&config.database).await?;
    store.set_clock_skew(
        chrono::Duration::from_std(config.trust.clock_skew)
            .unwrap_or(telltale_model::event::DEFAULT_CLOCK_SKEW),
    );
    Ok(store)
}

/// With sign-in on: seeds the first admin if one is configured, and warms
/// the login timing guard in the background.
pub(super) async fn prepare_accounts(
    config: &Config,
    store: &Store,
    accounts: &Accounts,
    now: DateTime<Utc>,
) -> Result<(), StartupError> {
    if config.auth.enabled
        && let Some(seed) = &config.auth.admin
    {
        seed_admin(store, accounts.hasher(), seed, now).await?;
    }
    if config.auth.enabled {
        let hasher = accounts.hasher().clone();
        tokio::spawn(async move {
            if let Err(e) = hasher.prepare().await {
                tracing::error!(error = %e, "cannot prepare the login timing guard");
            }
        });
    }
    Ok(())
}

/// Listens on the configured address (port 0 picks a free one).
pub(super) async fn bind(config: &Config) -> Result<TcpListener, StartupError> {
    let wanted = config.socket_addr();
    TcpListener::bind(wanted)
        .await
        .map_err(|source| StartupError::Bind {
            addr: wanted,
            source,
        })
}

/// Where the built site comes from, warning when there is none to hydrate
/// the pages.
pub(super) fn choose_site(config: &Config) -> Site {
    let site = Site::choose(config.site_root.as_deref());
    match &site {
        Site::Embedded => tracing::info!("site served from the binary"),
        Site::Disk(root) if site.has_bundle() => {
            tracing::info!(site_root = %root.display(), "site served from disk")
        }
        Site::Disk(root) => tracing::warn!(
            site_root = %root.display(),
            "no built site found: pages render but will not hydrate \
             (build with `cargo leptos build --release` or set MONITOR_SITE_ROOT)"
        ),
    }
    site
}

pub(super) fn leptos_options(site: &Site, addr: SocketAddr) -> LeptosOptions {
    LeptosOptions::builder()
        .output_name(OUTPUT_NAME)
        .site_root(site.leptos_root())
        .site_pkg_dir("pkg")
        .site_addr(addr)
        .env(Env::PROD)
        .build()
}

/// The alert sender, announcing its changes live and counting in metrics.
/// Leases and retries follow the wall clock, whatever clock the rest keeps.
pub(super) fn start_deliverer(
    config: &Config,
    store: &Store,
    live: &LiveHub,
    metrics: &Metrics,
) -> Result<Deliverer, StartupError> {
    Ok(Deliverer::new(
        store.clone(),
        Arc::new(SystemClock),
        config.delivery_config(),
    )?
    .with_live(live.clone())
    .with_metrics(metrics.delivery()))
}

/// How this instance comes to lead: alone on SQLite; on PostgreSQL by an
/// advisory lock, linked to the other instances.
pub(super) fn elect(
    config: &Config,
    core: &Core,
    instance: &str,
    leader: &LeaderStatus,
) -> (Election, Bus) {
    match &config.database {
        DatabaseTarget::Sqlite { .. } => (Election::Sole, Vec::new()),
        DatabaseTarget::Postgres { url } => (
            Election::Postgres(LockConfig {
                url: url.clone(),
                instance: instance.to_owned(),
                retry: config.leader_retry,
            }),
            link_instances(
                core.store(),
                url,
                instance,
                core.live(),
                core.engine(),
                leader,
            ),
        ),
    }
}

/// The heartbeat this instance sends about itself, if one is configured.
pub(super) fn self_heartbeat(
    config: &Config,
    instance: &str,
) -> Result<Option<SelfHeartbeat>, StartupError> {
    let Some(url) = &config.trust.heartbeat_url else {
        return Ok(None);
    };
    SelfHeartbeat::new(url, config.trust.heartbeat_api_key.as_deref(), instance)
        .map(Some)
        .map_err(|e| StartupError::Heartbeat(format!("MONITOR_HEARTBEAT_URL cannot be used: {e}")))
}

/// What the leader runs (evaluator, retention, delivery), on the core's
/// handles.
pub(super) fn leader_loops(
    config: &Config,
    core: &Core,
    metrics: &Metrics,
    heartbeat: Option<SelfHeartbeat>,
    faults: crate::faults::Faults,
) -> Loops {
    Loops {
        store: core.store().clone(),
        clock: core.clock().clone(),
        inbox: core.engine().clone(),
        live: core.live().clone(),
        deliverer: core.deliverer().clone(),
        evaluator_interval: config.evaluator_interval,
        retention: telltale_core::engine::Retention {
            days: config.retention_days,
            interval: config.retention_interval,
            counted: {
                let metrics = metrics.clone();
                std::sync::Arc::new(move |pruned| metrics.pruned(pruned))
            },
        },
        tick_seconds: metrics.evaluator_tick(),
        scheduler_hold: chrono::Duration::from_std(config.trust.scheduler_hold)
            .unwrap_or(chrono::Duration::minutes(15)),
        heartbeat,
        faults,
    }
}
