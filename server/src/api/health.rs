use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use telltale_model::{Health, HealthStatus, LoopReport, LoopStatus};

use crate::state::AppState;

/// Whether this instance can be trusted to alert; needs no key. 503 with
/// `degraded` when the database does not answer, or when alerting is not
/// running: a loop it needs is dead, restarting or silent for three of its
/// intervals — here, or (on an instance that does not lead) on every
/// instance, as the evaluator's last recorded tick shows. `problems` says
/// what is down and since when.
#[utoipa::path(get, path = "/health", tag = "health", responses(
    (status = 200, description = "Serving, and alerting runs", body = Health),
    (status = 503, description = "The database does not answer, or alerting is not running", body = Health),
))]
pub async fn health(State(state): State<AppState>) -> (StatusCode, Json<Health>) {
    let mut problems = Vec::new();
    let database = match state.core.store().ping().await {
        Ok(()) => "ok".to_owned(),
        // The details (which can name the database file) go to the log:
        // this endpoint answers anyone.
        Err(e) => {
            tracing::error!(error = %e, "health check: the database does not answer");
            problems.push("database: does not answer".to_owned());
            "unavailable".to_owned()
        }
    };
    let mut loops: std::collections::BTreeMap<String, LoopReport> = state
        .core
        .store()
        .loops()
        .report()
        .into_iter()
        .map(|(name, r)| (name.to_owned(), r))
        .collect();
    let leader = state.leader.is_leader();
    if !leader && database == "ok" {
        evaluator_elsewhere(&state, &mut loops).await;
    }
    for (name, r) in loops.iter().filter(|(_, r)| r.critical && r.is_down()) {
        problems.push(describe(name, r));
    }
    let healthy = problems.is_empty();
    let body = Health {
        status: if healthy {
            HealthStatus::Ok
        } else {
            HealthStatus::Degraded
        },
        version: env!("CARGO_PKG_VERSION").to_owned(),
        database,
        instance: state.instance.to_string(),
        leader,
        loops,
        problems,
    };
    let code = if healthy {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (code, Json(body))
}

/// On an instance that does not lead, the evaluator runs elsewhere: its
/// last tick recorded in the database says whether it runs at all (no
/// instance may hold the lock, or the leader's evaluator may be stuck).
async fn evaluator_elsewhere(
    state: &AppState,
    loops: &mut std::collections::BTreeMap<String, LoopReport>,
) {
    let Ok(Some(last)) = state.core.store().last_tick().await else {
        return;
    };
    let config = &state.config;
    // The leader records a tick at most every 5 s; a new leader takes a
    // few retries to be elected.
    let allowed = (config.evaluator_interval * 3).max(std::time::Duration::from_secs(15))
        + config.leader_retry * 3;
    let silent = (state.core.now() - last).to_std().unwrap_or_default();
    if silent > allowed
        && let Some(r) = loops.get_mut("evaluator")
    {
        r.stale = true;
        r.critical = true;
        r.last_tick = Some(last);
        r.status = LoopStatus::Standby;
    }
}

fn describe(name: &str, r: &LoopReport) -> String {
    let error = r
        .last_error
        .as_deref()
        .map(|e| format!(" ({e})"))
        .unwrap_or_default();
    match (r.status, r.stale, r.last_tick) {
        (LoopStatus::Restarting, ..) => format!("{name}: restarting since {}{error}", r.since),
        (_, true, Some(at)) => format!("{name}: no round completed since {at}{error}"),
        (_, true, None) => format!("{name}: no round completed since {}{error}", r.since),
        _ => format!("{name}: {:?} since {}", r.status, r.since),
    }
}
