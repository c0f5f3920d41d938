//! Prometheus metrics at `GET /metrics`, in the text exposition format.
//!
//! Built on `prometheus-client`, the Prometheus project's own Rust client,
//! rather than `metrics` + `metrics-exporter-prometheus`: its registry is a
//! plain value held by the [`AppState`](crate::state::AppState), where the
//! `metrics` facade records into one process-global recorder. One registry
//! per server keeps each instance's counts its own — and the tests, which
//! run dozens of servers in one process, can assert exact numbers.
//!
//! Two kinds of figures, on purpose:
//! - counters and histograms kept here, **per instance** (ingest outcomes,
//!   request latency, evaluator ticks, delivery attempts): sum them over
//!   instances in PromQL;
//! - gauges read at scrape time ([`scrape`]): leadership and the pool are
//!   this instance's, while checks, open alerts and workers come from the
//!   database and are **global** — every instance reports the same numbers,
//!   so take `max` over instances, not `sum`.
//!
//! Labels are small fixed sets (a field name, a route pattern, a status
//! class), never a job name or run id: each label value is a time series.

pub mod http;
mod process;
mod scrape;

use std::sync::Arc;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::{Registry, Unit};
use telltale_delivery::DeliveryMetrics;

pub use scrape::serve;

/// Every metric name starts with this (and `_`).
pub const PREFIX: &str = "telltale";

/// Seconds, from a millisecond to half a minute (the request timeout).
const LATENCY_BUCKETS: [f64; 14] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

fn latency_histogram() -> Histogram {
    Histogram::new(LATENCY_BUCKETS)
}

/// The fields an ingest item can be dropped for (`NewEvent::from_json`);
/// anything in `metadata.*` (the check-policy keys) counts as `metadata`,
/// any other name as `other`, so the label stays a small fixed set.
const DROP_FIELDS: [&str; 11] = [
    "event",
    "sourceType",
    "level",
    "eventType",
    "message",
    "eventAt",
    "eventId",
    "jobName",
    "runId",
    "workerId",
    "scriptPath",
];

/// The `reason` label of a dropped event: the field that was missing or
/// invalid.
pub fn drop_reason(field: &str) -> &'static str {
    if let Some(known) = DROP_FIELDS.iter().find(|f| **f == field) {
        known
    } else if field.starts_with("metadata.") {
        "metadata"
    } else {
        "other"
    }
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct TableLabels {
    table: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PingLabels {
    kind: &'static str,
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ReasonLabels {
    reason: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: &'static str,
    /// The route's pattern (`/v1/runs/{run_id}`), never the raw path.
    route: String,
    /// `2xx`, `4xx`, …
    status: &'static str,
}

type Latency = Family<RequestLabels, Histogram, fn() -> Histogram>;

/// This instance's counters and histograms, and the registry that
/// exports them. Cheap to clone (shared).
#[derive(Clone)]
pub struct Metrics {
    inner: Arc<Inner>,
}

struct Inner {
    registry: Registry,
    ingest_events: Family<OutcomeLabels, Counter>,
    ingest_dropped: Family<ReasonLabels, Counter>,
    ingest_ignored: Family<ReasonLabels, Counter>,
    pings: Family<PingLabels, Counter>,
    pruned: Family<TableLabels, Counter>,
    requests: Latency,
    panics: Counter,
    evaluator_tick: Histogram,
    delivery: DeliveryMetrics,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix(PREFIX);
        let ingest_events = Family::<OutcomeLabels, Counter>::default();
        for outcome in ["inserted", "duplicate"] {
            drop(ingest_events.get_or_create(&OutcomeLabels { outcome }));
        }
        registry.register(
            "ingest_events",
            "Ingested events stored (inserted) or recognised as a repeat of a stored eventId (duplicate)",
            ingest_events.clone(),
        );
        let ingest_dropped = Family::<ReasonLabels, Counter>::default();
        registry.register(
            "ingest_events_dropped",
            "Ingested events refused, by the field that was missing or invalid",
            ingest_dropped.clone(),
        );
        let ingest_ignored = Family::<ReasonLabels, Counter>::default();
        registry.register(
            "ingest_values_ignored",
            "Metadata values of stored events that were ignored (listed in the answer's warnings)",
            ingest_ignored.clone(),
        );
        let pings = Family::<PingLabels, Counter>::default();
        registry.register(
            "pings",
            "Pings received at /ping, by what they said (start, success, fail, log) and whether they were stored",
            pings.clone(),
        );
        let pruned = Family::<TableLabels, Counter>::default();
        for (table, _) in telltale_store::Pruned::default().by_table() {
            drop(pruned.get_or_create(&TableLabels { table }));
        }
        registry.register(
            "retention_pruned_rows",
            "Rows retention deleted for being older than MONITOR_RETENTION_DAYS, by table",
            pruned.clone(),
        );
        let requests: Latency = Family::new_with_constructor(latency_histogram);
        registry.register_with_unit(
            "http_request_duration",
            "Time to answer an HTTP request (to the response's head), by route pattern, method and status class",
            Unit::Seconds,
            requests.clone(),
        );
        let panics = Counter::default();
        registry.register(
            "http_panics",
            "Requests whose handler panicked, answered 500",
            panics.clone(),
        );
        let evaluator_tick = latency_histogram();
        registry.register_with_unit(
            "evaluator_tick_duration",
            "Time one check-evaluator tick took",
            Unit::Seconds,
            evaluator_tick.clone(),
        );
        let delivery = DeliveryMetrics::register(&mut registry);
        Self {
            inner: Arc::new(Inner {
                registry,
                ingest_events,
                ingest_dropped,
                ingest_ignored,
                pings,
                pruned,
                requests,
                panics,
                evaluator_tick,
                delivery,
            }),
        }
    }

    /// Counts what the store did with submitted events.
    pub fn ingested(&self, inserted: usize, duplicates: usize) {
        for (outcome, n) in [("inserted", inserted), ("duplicate", duplicates)] {
            if n > 0 {
                self.inner
                    .ingest_events
                    .get_or_create(&OutcomeLabels { outcome })
                    .inc_by(n as u64);
            }
        }
    }

    /// Counts one metadata value stored but ignored.
    pub fn ignored(&self, field: &str) {
        self.inner
            .ingest_ignored
            .get_or_create(&ReasonLabels {
                reason: drop_reason(field),
            })
            .inc();
    }

    /// Counts one ping: `kind` as the URL said, `outcome` stored or why not.
    pub fn ping(&self, kind: &'static str, outcome: &'static str) {
        self.inner
            .pings
            .get_or_create(&PingLabels { kind, outcome })
            .inc();
    }

    /// Counts what one retention pass deleted.
    pub fn pruned(&self, pruned: &telltale_store::Pruned) {
        for (table, n) in pruned.by_table() {
            if n > 0 {
                self.inner
                    .pruned
                    .get_or_create(&TableLabels { table })
                    .inc_by(n);
            }
        }
    }

    /// Counts one event refused for `field`.
    pub fn dropped(&self, field: &str) {
        self.inner
            .ingest_dropped
            .get_or_create(&ReasonLabels {
                reason: drop_reason(field),
            })
            .inc();
    }

    /// Counts a request whose handler panicked.
    pub fn panicked(&self) {
        self.inner.panics.inc();
    }

    /// The histogram the evaluator records each tick's duration in.
    pub fn evaluator_tick(&self) -> Histogram {
        self.inner.evaluator_tick.clone()
    }

    /// The delivery sender's attempt counter.
    pub fn delivery(&self) -> DeliveryMetrics {
        self.inner.delivery.clone()
    }

    fn observe_request(&self, labels: RequestLabels, seconds: f64) {
        self.inner.requests.get_or_create(&labels).observe(seconds);
    }

    fn registry(&self) -> &Registry {
        &self.inner.registry
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drop_reasons_are_a_small_fixed_set() {
        assert_eq!(drop_reason("level"), "level");
        assert_eq!(drop_reason("message"), "message");
        assert_eq!(drop_reason("metadata.schedule"), "metadata");
        assert_eq!(drop_reason("metadata.failure_threshold"), "metadata");
        assert_eq!(drop_reason("anything a client might invent"), "other");
    }
}
