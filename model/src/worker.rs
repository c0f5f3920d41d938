use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// Heartbeat interval assumed until a worker states its own.
pub const DEFAULT_HEARTBEAT_INTERVAL_SECONDS: u32 = 15;

/// A process that executes runs and sends heartbeats.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Worker {
    pub worker_id: String,
    pub hostname: Option<String>,
    pub first_seen_at: DateTime<Utc>,
    /// Newest event of any kind that named the worker.
    pub last_event_at: DateTime<Utc>,
    /// Newest `worker.heartbeat`: liveness is judged on this alone.
    pub last_heartbeat_at: Option<DateTime<Utc>>,
    /// The run the worker reported in its newest heartbeat.
    pub current_run_id: Option<String>,
    pub interval_seconds: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum WorkerStatus {
    Busy,
    Idle,
    Offline,
}

impl WorkerStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Busy => "busy",
            Self::Idle => "idle",
            Self::Offline => "offline",
        }
    }
}

impl Worker {
    /// A heartbeat older than this means the worker is offline:
    /// `max(5 s, 2 × interval)` (SPEC §5).
    pub fn offline_after(&self) -> Duration {
        Duration::seconds(i64::from(self.interval_seconds.saturating_mul(2)).max(5))
    }

    /// Offline when the heartbeat is stale (or never came), else busy when it
    /// reports a run, else idle.
    pub fn status(&self, now: DateTime<Utc>) -> WorkerStatus {
        match self.last_heartbeat_at {
            Some(beat) if now - beat <= self.offline_after() => {
                if self.current_run_id.is_some() {
                    WorkerStatus::Busy
                } else {
                    WorkerStatus::Idle
                }
            }
            _ => WorkerStatus::Offline,
        }
    }
}

/// A worker with its status at the moment it was read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct WorkerState {
    #[serde(flatten)]
    pub worker: Worker,
    pub status: WorkerStatus,
}

impl WorkerState {
    pub fn at(worker: Worker, now: DateTime<Utc>) -> Self {
        let status = worker.status(now);
        Self { worker, status }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn worker(
        beat_secs_ago: Option<i64>,
        run: Option<&str>,
        interval: u32,
    ) -> (Worker, DateTime<Utc>) {
        let now = DateTime::from_timestamp(1_764_000_000, 0).unwrap();
        let w = Worker {
            worker_id: "w".into(),
            hostname: None,
            first_seen_at: now,
            last_event_at: now,
            last_heartbeat_at: beat_secs_ago.map(|s| now - Duration::seconds(s)),
            current_run_id: run.map(str::to_owned),
            interval_seconds: interval,
        };
        (w, now)
    }

    #[test]
    fn status_follows_heartbeat_age_and_current_run() {
        let cases = [
            (Some(0), Some("r1"), 15, WorkerStatus::Busy),
            (Some(30), None, 15, WorkerStatus::Idle),
            (Some(31), Some("r1"), 15, WorkerStatus::Offline),
            (None, None, 15, WorkerStatus::Offline),
            // A 1 s interval still allows 5 s before offline.
            (Some(5), None, 1, WorkerStatus::Idle),
            (Some(6), None, 1, WorkerStatus::Offline),
        ];
        for (ago, run, interval, expected) in cases {
            let (w, now) = worker(ago, run, interval);
            assert_eq!(w.status(now), expected, "{ago:?} {run:?} {interval}");
        }
    }
}

/// Every worker, by id (`GET /v1/workers`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WorkerList {
    pub workers: Vec<WorkerState>,
}
