//! The verdict on each canary and what the JSON file holds.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::Ordering;

use serde::Serialize;
use serde_json::Value;

use super::canary::Canary;
use super::chaos::{Done, Watch};
use super::ingest::Tallies;
use super::logscan::LogScan;
use super::ms;
use super::receiver::{Reception, Totals};
use super::traffic::Kind;

#[derive(Debug, Clone, Serialize)]
pub struct CanaryResult {
    pub n: u32,
    pub job: String,
    pub at_s: f64,
    pub attempts: u32,
    pub stored: bool,
    /// FAILURE alerts of the canary's job; `None` when they could not be read.
    pub alerts: Option<usize>,
    /// Distinct deliveryIds of its FAILURE alert that reached the receiver
    /// (a retry with the same id counts once).
    pub deliveries: usize,
    /// Every request about it, refused ones included.
    pub receptions: usize,
    pub latency_ms: Option<f64>,
    pub problems: Vec<String>,
}

impl CanaryResult {
    pub fn passed(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Judges one canary from what the API and the receiver say. An alert
/// later than `limit` fails it too: a server whose evaluator is dead would
/// otherwise pass, its canaries alerted by the soak's next restart.
pub fn judge(
    c: &Canary,
    alerts: Result<Vec<Value>, String>,
    got: &[Reception],
    limit: std::time::Duration,
) -> CanaryResult {
    let mut problems = Vec::new();
    if c.answered.is_none() {
        problems.push(format!(
            "never stored: {}",
            c.error.as_deref().unwrap_or("?")
        ));
    }
    let alert_ids = check_alerts(c, &alerts, &mut problems);
    let failure: Vec<&Reception> = got.iter().filter(|r| r.alert_type == "FAILURE").collect();
    let ids = check_deliveries(
        &failure,
        alerts.is_ok().then_some(&alert_ids[..]),
        &mut problems,
    );
    let others = got.len() - failure.len();
    if others > 0 {
        let kinds: BTreeSet<String> = got
            .iter()
            .filter(|r| r.alert_type != "FAILURE")
            .map(|r| format!("{} {}", r.event, r.alert_type))
            .collect();
        problems.push(format!("{others} other deliveries about it: {kinds:?}"));
    }
    let first = failure.iter().filter(|r| r.accepted).map(|r| r.at).min();
    let latency_ms = match (c.origin(), first) {
        (Some(from), Some(at)) => Some(ms(at.saturating_duration_since(from))),
        _ => None,
    };
    if let Some(late) = latency_ms.filter(|l| *l > ms(limit)) {
        problems.push(format!(
            "delivered {:.1} s after it failed (limit {} s)",
            late / 1000.0,
            limit.as_secs()
        ));
    }
    CanaryResult {
        n: c.n,
        job: c.job.clone(),
        at_s: c.at_s,
        attempts: c.attempts,
        stored: c.answered.is_some(),
        alerts: alerts.as_ref().ok().map(Vec::len),
        deliveries: ids.len(),
        receptions: failure.len(),
        latency_ms,
        problems,
    }
}

/// The job's FAILURE alerts: exactly one, naming the canary's run. Returns
/// their ids.
fn check_alerts(
    c: &Canary,
    alerts: &Result<Vec<Value>, String>,
    problems: &mut Vec<String>,
) -> Vec<i64> {
    let list = match alerts {
        Ok(list) => list,
        Err(e) => {
            problems.push(format!("alerts unreadable: {e}"));
            return Vec::new();
        }
    };
    if list.len() != 1 {
        problems.push(format!("{} FAILURE alerts", list.len()));
    }
    for a in list {
        let reason = a["reason"].as_str().unwrap_or_default();
        if !reason.contains(&c.run) {
            problems.push(format!(
                "alert {} reason does not name {}: {reason:?}",
                a["id"], c.run
            ));
        }
    }
    list.iter().filter_map(|a| a["id"].as_i64()).collect()
}

/// The FAILURE deliveries received: one delivery id, accepted, about one
/// of the job's alerts (when they could be read). Returns the distinct ids.
fn check_deliveries(
    failure: &[&Reception],
    alert_ids: Option<&[i64]>,
    problems: &mut Vec<String>,
) -> BTreeSet<String> {
    let ids: BTreeSet<String> = failure
        .iter()
        .map(|r| {
            r.delivery_id
                .map_or_else(|| format!("none-{:?}", r.at), |id| id.to_string())
        })
        .collect();
    if ids.len() != 1 {
        problems.push(format!("{} deliveries (distinct deliveryIds)", ids.len()));
    }
    if !failure.is_empty() && !failure.iter().any(|r| r.accepted) {
        problems.push("no delivery accepted (only refused ones)".into());
    }
    if let Some(alert_ids) = alert_ids
        && let Some(stray) = failure.iter().find(|r| !alert_ids.contains(&r.alert_id))
    {
        problems.push(format!(
            "a delivery names alert {}, not the job's",
            stray.alert_id
        ));
    }
    ids
}

#[derive(Debug, Serialize, Default)]
pub struct KindRow {
    pub kind: &'static str,
    pub sent: u64,
    pub ok: u64,
    pub rejected: u64,
    pub server_errors: u64,
    pub dropped: u64,
    pub other: u64,
    pub in_window: u64,
}

#[derive(Debug, Serialize)]
pub struct Report {
    pub backend: String,
    pub seed: u64,
    pub minutes: f64,
    pub connections: usize,
    pub rate: u32,
    pub skipped: Vec<&'static str>,
    pub wall_seconds: f64,
    pub requests: Vec<KindRow>,
    pub events_inserted: u64,
    pub events_duplicate: u64,
    pub events_dropped_in_batch: u64,
    pub warnings: u64,
    pub unexpected_samples: BTreeMap<String, u64>,
    pub canaries: Vec<CanaryResult>,
    pub canaries_passed: usize,
    pub latency_p50_ms: Option<f64>,
    pub latency_p99_ms: Option<f64>,
    pub latency_max_ms: Option<f64>,
    pub receiver: Totals,
    pub chaos: Vec<Done>,
    pub watch: Watch,
    pub server_log: LogScan,
    pub server_log_file: String,
    pub passed: bool,
}

pub fn rows(t: &Tallies) -> Vec<KindRow> {
    Kind::ALL
        .iter()
        .map(|k| {
            let c = t.get(*k);
            let g = |a: &std::sync::atomic::AtomicU64| a.load(Ordering::Relaxed);
            KindRow {
                kind: k.name(),
                sent: g(&c.sent),
                ok: g(&c.ok),
                rejected: g(&c.rejected),
                server_errors: g(&c.server_errors),
                dropped: g(&c.dropped),
                other: g(&c.other),
                in_window: g(&c.in_window),
            }
        })
        .collect()
}

/// The nearest-rank percentile of sorted values.
pub fn percentile(sorted: &[f64], q: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (q * sorted.len() as f64).ceil() as usize;
    Some(sorted[rank.clamp(1, sorted.len()) - 1])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank() {
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&v, 0.5), Some(50.0));
        assert_eq!(percentile(&v, 0.99), Some(99.0));
        assert_eq!(percentile(&[3.0], 0.99), Some(3.0));
        assert_eq!(percentile(&[], 0.5), None);
    }
}
