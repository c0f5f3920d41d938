use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Where a run is in its life. `Failed` and `Completed` are terminal: a run
/// in either never changes again (SPEC §2, invariant 2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum RunStatus {
    Queued,
    Running,
    Failed,
    Completed,
}

impl RunStatus {
    pub const ALL: [RunStatus; 4] = [Self::Queued, Self::Running, Self::Failed, Self::Completed];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Running => "running",
            Self::Failed => "failed",
            Self::Completed => "completed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }

    pub fn is_terminal(self) -> bool {
        matches!(self, Self::Failed | Self::Completed)
    }
}

/// One execution of a job (Forge's "job record"), derived from its events.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Run {
    /// Store-assigned, increasing with first sight; the cursor of listings.
    /// Zero for a run the store has not written yet.
    pub seq: i64,
    pub run_id: String,
    pub job_name: Option<String>,
    pub job_type: Option<String>,
    pub engine: Option<String>,
    pub status: RunStatus,
    /// Time of the first event seen for the run.
    pub created_at: DateTime<Utc>,
    pub start_time: Option<DateTime<Utc>>,
    pub end_time: Option<DateTime<Utc>>,
    /// Verbatim, as the producer sent it.
    pub failure_reason: Option<String>,
    pub burnin_preset_id: Option<String>,
    pub lut_id: Option<String>,
    pub worker_id: Option<String>,
    pub verification_run_id: Option<String>,
    pub source_path: Option<String>,
    pub output_path: Option<String>,
    /// Coarse progress, 0–100.
    pub progress: Option<u8>,
    /// Time of the newest event that changed the run.
    pub updated_at: DateTime<Utc>,
    /// Producer metadata of the run's events, merged (later keys win).
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub metadata: Value,
}

impl Run {
    /// A run first heard of at `at`: queued, nothing else known yet.
    pub fn first_seen(run_id: &str, at: DateTime<Utc>) -> Run {
        Run {
            seq: 0,
            run_id: run_id.to_owned(),
            job_name: None,
            job_type: None,
            engine: None,
            status: RunStatus::Queued,
            created_at: at,
            start_time: None,
            end_time: None,
            failure_reason: None,
            burnin_preset_id: None,
            lut_id: None,
            worker_id: None,
            verification_run_id: None,
            source_path: None,
            output_path: None,
            progress: None,
            updated_at: at,
            metadata: Value::Object(serde_json::Map::new()),
        }
    }

    /// Seconds from start to end, when both are known.
    pub fn duration_seconds(&self) -> Option<f64> {
        match (self.start_time, self.end_time) {
            (Some(s), Some(e)) if e >= s => Some((e - s).num_microseconds()? as f64 / 1e6),
            _ => None,
        }
    }
}

/// An event that tried to change a run after it ended. The event itself is
/// stored; this records that its transition was refused, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct RejectedTransition {
    /// The stored event's `id`.
    pub event: i64,
    pub run_id: String,
    pub event_type: String,
    pub run_status: RunStatus,
    pub reason: String,
    pub at: DateTime<Utc>,
}

/// Which runs a listing returns, newest first (highest `seq`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", default)]
pub struct RunFilter {
    /// Any of these statuses; empty means all.
    pub status: Vec<RunStatus>,
    pub job: Option<String>,
    pub worker: Option<String>,
    pub engine: Option<String>,
    /// Runs first seen at or after this time.
    pub since: Option<DateTime<Utc>>,
    /// Runs first seen before this time.
    pub until: Option<DateTime<Utc>>,
    /// Case-insensitive substring of the run id, job, failure reason or paths.
    pub text: Option<String>,
    /// The cursor of the previous page: only runs with a `seq` below this.
    /// In [`RunOrder::FailuresFirst`], a negative cursor (`-seq`) means the
    /// page ended among the failed runs.
    pub before: Option<i64>,
    pub limit: Option<u64>,
    pub order: RunOrder,
}

/// The order of a run listing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RunOrder {
    /// Newest first (highest `seq`).
    #[default]
    Newest,
    /// Every failed run (newest first), then the others newest first:
    /// what the dashboard shows, so an old failure is never on page five
    /// behind a hundred good runs.
    FailuresFirst,
}

impl RunOrder {
    pub fn parse(s: &str) -> Option<RunOrder> {
        match s {
            "newest" => Some(Self::Newest),
            "failures_first" => Some(Self::FailuresFirst),
            _ => None,
        }
    }
}

impl RunFilter {
    pub const DEFAULT_LIMIT: u64 = 100;
    pub const MAX_LIMIT: u64 = 1000;

    pub fn effective_limit(&self) -> u64 {
        self.limit
            .unwrap_or(Self::DEFAULT_LIMIT)
            .clamp(1, Self::MAX_LIMIT)
    }
}

/// One page of runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct RunPage {
    pub runs: Vec<Run>,
    /// Pass as `before` for the next (older) page; absent on the last page.
    pub next_cursor: Option<i64>,
}

/// A run with everything that happened to it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct RunDetail {
    pub run: Run,
    /// Every stored event of the run, oldest first.
    pub timeline: Vec<crate::Event>,
    /// Transitions refused because the run had already ended.
    pub rejected: Vec<RejectedTransition>,
}

/// Aggregates over runs (`GET /v1/runs/stats`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct RunStats {
    pub total: u64,
    pub by_status: std::collections::BTreeMap<String, u64>,
    /// Keyed by engine; runs without one under `"unknown"`.
    pub by_engine: std::collections::BTreeMap<String, u64>,
    /// Keyed by worker id; runs without one under `"unknown"`.
    pub by_worker: std::collections::BTreeMap<String, u64>,
    /// failed / (failed + completed); absent before any run ended.
    pub failure_rate: Option<f64>,
    /// Over ended runs with a known start and end.
    pub duration_p50_seconds: Option<f64>,
    pub duration_p95_seconds: Option<f64>,
}

/// The nearest-rank percentile `p` (0–100) of `sorted` values.
pub fn percentile(sorted: &[f64], p: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    Some(sorted[rank.clamp(1, sorted.len()) - 1])
}

#[cfg(test)]
mod tests {
    use super::percentile;

    #[test]
    fn nearest_rank_percentiles() {
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&v, 50.0), Some(50.0));
        assert_eq!(percentile(&v, 95.0), Some(95.0));
        assert_eq!(percentile(&[7.0], 95.0), Some(7.0));
        assert_eq!(percentile(&[], 50.0), None);
        assert_eq!(percentile(&[1.0, 2.0, 3.0], 50.0), Some(2.0));
    }
}
