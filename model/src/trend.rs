//! Runs over time, a day (UTC) at a time: how many ended, how many failed,
//! and how long they took. The statistics page draws it.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::run::{RunStats, RunStatus, percentile};

/// The runs that ended on one day (UTC).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RunDay {
    pub day: NaiveDate,
    pub completed: u64,
    pub failed: u64,
    /// Over that day's ended runs with a known start.
    pub duration_p50_seconds: Option<f64>,
    pub duration_p95_seconds: Option<f64>,
}

impl RunDay {
    /// failed / (failed + completed); `None` on a day without ended runs.
    pub fn failure_rate(&self) -> Option<f64> {
        let ended = self.completed + self.failed;
        (ended > 0).then(|| self.failed as f64 / ended as f64)
    }
}

/// One ended run, as the day buckets need it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EndedRun {
    pub status: RunStatus,
    pub ended_at: DateTime<Utc>,
    pub duration_seconds: Option<f64>,
}

/// The last `days` days up to `now`'s, oldest first, every day present
/// (empty ones too, so a quiet day shows as quiet rather than missing).
/// Runs outside the window, and runs neither completed nor failed, are
/// left out.
pub fn run_days(runs: &[EndedRun], now: DateTime<Utc>, days: u32) -> Vec<RunDay> {
    let today = now.date_naive();
    let first = today - Duration::days(i64::from(days.max(1)) - 1);
    let mut out: Vec<(RunDay, Vec<f64>)> = first
        .iter_days()
        .take_while(|d| *d <= today)
        .map(|day| {
            let empty = RunDay {
                day,
                completed: 0,
                failed: 0,
                duration_p50_seconds: None,
                duration_p95_seconds: None,
            };
            (empty, Vec::new())
        })
        .collect();
    for run in runs {
        let day = run.ended_at.date_naive();
        let Some(i) = usize::try_from((day - first).num_days()).ok() else {
            continue;
        };
        let Some((bucket, durations)) = out.get_mut(i) else {
            continue;
        };
        match run.status {
            RunStatus::Completed => bucket.completed += 1,
            RunStatus::Failed => bucket.failed += 1,
            _ => continue,
        }
        durations.extend(run.duration_seconds);
    }
    out.into_iter()
        .map(|(mut day, mut durations)| {
            durations.sort_by(f64::total_cmp);
            day.duration_p50_seconds = percentile(&durations, 50.0);
            day.duration_p95_seconds = percentile(&durations, 95.0);
            day
        })
        .collect()
}

/// The statistics page: totals by status, engine and worker, and the days.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RunStatistics {
    pub stats: RunStats,
    pub days: Vec<RunDay>,
}

impl RunStatistics {
    /// Days the page offers; more would read every run of a busy year.
    pub const MAX_DAYS: u32 = 90;
    pub const DEFAULT_DAYS: u32 = 14;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_fall_on_the_day_they_ended_and_every_day_is_there() {
        let now = DateTime::parse_from_rfc3339("2026-12-03T10:00:00Z")
            .unwrap()
            .to_utc();
        let at = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().to_utc();
        let run = |status, ended: &str, d| EndedRun {
            status,
            ended_at: at(ended),
            duration_seconds: d,
        };
        let runs = [
            run(RunStatus::Completed, "2026-12-03T09:00:00Z", Some(10.0)),
            run(RunStatus::Failed, "2026-12-03T08:00:00Z", Some(30.0)),
            run(RunStatus::Completed, "2026-12-01T23:59:59Z", None),
            // Outside the window, or not ended: left out.
            run(RunStatus::Failed, "2026-11-20T00:00:00Z", Some(1.0)),
            run(RunStatus::Running, "2026-12-03T09:30:00Z", Some(1.0)),
        ];
        let days = run_days(&runs, now, 3);
        let names: Vec<String> = days.iter().map(|d| d.day.to_string()).collect();
        assert_eq!(names, ["2026-12-01", "2026-12-02", "2026-12-03"]);
        assert_eq!((days[0].completed, days[0].failed), (1, 0));
        assert_eq!(days[0].duration_p50_seconds, None, "no known duration");
        assert_eq!(days[1].failure_rate(), None, "a quiet day");
        assert_eq!((days[2].completed, days[2].failed), (1, 1));
        assert_eq!(days[2].failure_rate(), Some(0.5));
        assert_eq!(days[2].duration_p50_seconds, Some(10.0));
        assert_eq!(days[2].duration_p95_seconds, Some(30.0));
    }
}
