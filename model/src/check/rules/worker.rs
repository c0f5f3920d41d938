//! The one alert about a worker: WORKER_OFFLINE.

use chrono::{DateTime, Utc};

use super::Evaluation;
use crate::check::{Alert, AlertType, NewAlert};

/// WORKER_OFFLINE opens when a worker that reported a run stops sending
/// heartbeats past its offline threshold, and closes when heartbeats resume.
///
/// `acked_beat` is the heartbeat the worker had last sent when a
/// WORKER_OFFLINE about it was closed by hand: while that is still its
/// newest, it has not come back, and the closed alert stays closed.
pub fn evaluate_worker(
    worker: &crate::worker::Worker,
    open: Option<&Alert>,
    acked_beat: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Evaluation {
    use crate::worker::WorkerStatus;
    let offline = worker.status(now) == WorkerStatus::Offline;
    let mut eval = Evaluation::default();
    let acked = acked_beat.is_some() && acked_beat == worker.last_heartbeat_at;
    match (open, worker.last_heartbeat_at, &worker.current_run_id) {
        (None, Some(beat), Some(run)) if offline && !acked => eval.open.push(NewAlert {
            alert_type: AlertType::WorkerOffline,
            job_name: None,
            worker_id: Some(worker.worker_id.clone()),
            run_id: Some(run.clone()),
            reason: format!(
                "no heartbeat since {beat} (offline after {}s) while running {run}",
                worker.offline_after().num_seconds()
            ),
            suppressed: None,
        }),
        (Some(a), _, _) if !offline => eval.close.push((a.id, "heartbeats resumed".into())),
        _ => {}
    }
    eval
}
