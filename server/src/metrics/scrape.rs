//! `GET /metrics`: this instance's counters, then gauges read at scrape
//! time — leadership and the connection pool (this instance), and checks,
//! open alerts and workers (the database: global, the same on every
//! instance). Access is decided by the access table (`Area::Metrics`).

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::encoding::prometheus_text;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;
use std::sync::atomic::AtomicU64;
use telltale_core::Core;
use telltale_model::{AlertType, CheckState, LoopStatus};
use telltale_store::StoreError;

use super::PREFIX;
use crate::error::ApiError;
use crate::state::AppState;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StateLabels {
    state: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct TypeLabels {
    r#type: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StatusLabels {
    status: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct LoopLabels {
    r#loop: &'static str,
}

pub async fn serve(State(state): State<AppState>) -> Response {
    let mut now = Registry::with_prefix(PREFIX);
    instance_gauges(&state, &mut now);
    // A database that cannot answer still leaves the rest to scrape.
    let up = Gauge::<i64>::default();
    match global_gauges(&state.core, &mut now).await {
        Ok(()) => {
            up.set(1);
        }
        Err(e) => tracing::warn!(error = %e, "metrics: the database did not answer"),
    }
    now.register(
        "database_up",
        "1 when the database answered this scrape's queries, else 0",
        up,
    );

    let mut process = Registry::default();
    super::process::register(&mut process);

    let mut body = String::new();
    let encoded = prometheus_text::encode(&mut body, state.metrics.registry())
        .and_then(|()| prometheus_text::encode(&mut body, &now))
        .and_then(|()| prometheus_text::encode(&mut body, &process));
    if encoded.is_err() {
        return ApiError::Internal("the metrics could not be written".into()).into_response();
    }
    (
        [(header::CONTENT_TYPE, prometheus_text::CONTENT_TYPE)],
        body,
    )
        .into_response()
}

fn gauge(value: impl TryInto<i64>) -> Gauge {
    let g = Gauge::<i64>::default();
    g.set(value.try_into().unwrap_or(i64::MAX));
    g
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct BuildLabels {
    version: &'static str,
}

/// This instance's own state now.
fn instance_gauges(state: &AppState, registry: &mut Registry) {
    let build = Family::<BuildLabels, Gauge>::default();
    build
        .get_or_create(&BuildLabels {
            version: env!("CARGO_PKG_VERSION"),
        })
        .set(1);
    registry.register(
        "build_info",
        "1, labelled with the version of Telltale this instance runs",
        build,
    );
    registry.register(
        "leader",
        "1 when this instance runs the evaluator, retention and delivery loops, else 0",
        gauge(i64::from(state.leader.is_leader())),
    );
    let pool = state.core.store().pool_use();
    let connections = Family::<StateLabels, Gauge>::default();
    for (name, n) in [("in_use", pool.in_use), ("idle", pool.idle)] {
        connections
            .get_or_create(&StateLabels { state: name.into() })
            .set(i64::from(n));
    }
    registry.register(
        "db_pool_connections",
        "This instance's database pool connections, lent out (in_use) or waiting (idle)",
        connections,
    );
    registry.register(
        "db_pool_max_connections",
        "The most connections this instance's database pool opens",
        gauge(pool.max),
    );
    loop_gauges(state, registry);
}

/// The supervised loops of this instance: restarts, whether each is up,
/// and when the evaluator last completed a tick (an alert rule on its age
/// catches an evaluator that is stuck without dying).
fn loop_gauges(state: &AppState, registry: &mut Registry) {
    let restarts = Family::<LoopLabels, Counter>::default();
    let up = Family::<LoopLabels, Gauge>::default();
    let loops = state.core.store().loops();
    for (name, report) in loops.report() {
        let labels = LoopLabels { r#loop: name };
        restarts.get_or_create(&labels).inc_by(report.restarts);
        let running = report.status == LoopStatus::Running && !report.is_down();
        up.get_or_create(&labels).set(i64::from(running));
    }
    registry.register(
        "loop_restarts",
        "Times each background loop or thread was started again after a panic or errors in a row",
        restarts,
    );
    registry.register(
        "loop_up",
        "1 when a background loop runs here and is not stuck, else 0 (standby on an instance that does not lead)",
        up,
    );
    if let Some(at) = loops.last_tick("evaluator") {
        let g = Gauge::<f64, AtomicU64>::default();
        g.set(at.timestamp_micros() as f64 / 1e6);
        registry.register(
            "evaluator_last_tick_timestamp_seconds",
            "When this instance's evaluator last completed a tick (Unix time)",
            g,
        );
    }
}

/// Read from the database: the same on every instance. The queries are
/// the status summary's (counts by indexed column, the worker table).
async fn global_gauges(core: &Core, registry: &mut Registry) -> Result<(), StoreError> {
    let store = core.store();
    let checks = Family::<StateLabels, Gauge>::default();
    for s in CheckState::ALL {
        drop(checks.get_or_create(&StateLabels {
            state: s.as_str().into(),
        }));
    }
    for (s, n) in store.check_state_counts().await? {
        checks
            .get_or_create(&StateLabels {
                state: s.as_str().into(),
            })
            .set(n.try_into().unwrap_or(i64::MAX));
    }
    let health = Family::<StateLabels, Gauge>::default();
    for (h, n) in store.health_counts().await? {
        health
            .get_or_create(&StateLabels {
                state: h.as_str().into(),
            })
            .set(n.try_into().unwrap_or(i64::MAX));
    }
    let alerts = Family::<TypeLabels, Gauge>::default();
    for t in AlertType::ALL {
        drop(alerts.get_or_create(&TypeLabels { r#type: t.as_str() }));
    }
    for (t, n) in store.open_alert_counts().await? {
        alerts
            .get_or_create(&TypeLabels { r#type: t.as_str() })
            .set(n.try_into().unwrap_or(i64::MAX));
    }
    let workers = Family::<StatusLabels, Gauge>::default();
    for (s, n) in store.worker_status_counts(core.now()).await? {
        workers
            .get_or_create(&StatusLabels { status: s })
            .set(n.try_into().unwrap_or(i64::MAX));
    }
    registry.register(
        "checks",
        "Jobs by check state (global: read from the database)",
        checks,
    );
    registry.register(
        "job_health",
        "Jobs by health: the check state, or FAILING while the job's FAILURE alert is open (global)",
        health,
    );
    registry.register(
        "alerts_open",
        "Open alerts by type (global: read from the database)",
        alerts,
    );
    registry.register(
        "workers",
        "Workers by status (global: read from the database)",
        workers,
    );
    search_gauges(core, registry).await
}

/// How far full-text search trails the log (global).
async fn search_gauges(core: &Core, registry: &mut Registry) -> Result<(), StoreError> {
    let progress = core.store().search_progress().await?;
    registry.register(
        "search_index_lag_events",
        "Stored events the full-text search index has not reached yet (global)",
        gauge(progress.lag_events()),
    );
    let seconds = Gauge::<f64, AtomicU64>::default();
    seconds.set(progress.lag_seconds(core.now()));
    registry.register(
        "search_index_lag_seconds",
        "How long the oldest event not yet searchable has waited; 0 when search is caught up (global)",
        seconds,
    );
    Ok(())
}
