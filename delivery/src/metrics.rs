//! What the sender counts for Prometheus: every attempt, by channel and by
//! how it ended. The server owns the registry; this crate only registers
//! its counter in it, so the names live next to the code that counts.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::registry::Registry;
use telltale_model::Channel;
use telltale_store::DeliveryResult;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct AttemptLabels {
    channel: &'static str,
    outcome: &'static str,
}

/// How an attempt ended: `sent`; `retry` (failed, another attempt is
/// scheduled); `failed` (failed for good: permanent, or out of attempts).
const OUTCOMES: [&str; 3] = ["sent", "retry", "failed"];

#[derive(Clone, Debug, Default)]
pub struct DeliveryMetrics {
    attempts: Family<AttemptLabels, Counter>,
}

impl DeliveryMetrics {
    /// Registers `delivery_attempts` (exported as
    /// `<prefix>_delivery_attempts_total{channel, outcome}`), every series
    /// at zero so that rates and alert rules see them from the start.
    pub fn register(registry: &mut Registry) -> Self {
        let metrics = Self::default();
        for channel in [Channel::Email, Channel::Webhook] {
            for outcome in OUTCOMES {
                drop(metrics.attempts.get_or_create(&AttemptLabels {
                    channel: channel.as_str(),
                    outcome,
                }));
            }
        }
        registry.register(
            "delivery_attempts",
            "Alert delivery attempts by channel and outcome (sent, retry, failed)",
            metrics.attempts.clone(),
        );
        metrics
    }

    pub(crate) fn record(&self, channel: Channel, result: &DeliveryResult) {
        let outcome = match result {
            DeliveryResult::Sent => "sent",
            DeliveryResult::Failed { retry: Some(_), .. } => "retry",
            DeliveryResult::Failed { retry: None, .. } => "failed",
        };
        self.attempts
            .get_or_create(&AttemptLabels {
                channel: channel.as_str(),
                outcome,
            })
            .inc();
    }
}
