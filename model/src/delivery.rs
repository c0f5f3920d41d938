//! Alert delivery: where notifications go (email recipients, webhooks), and
//! the record of every attempt to send one. A notification is queued in the
//! same transaction that opens, repeats, un-suppresses or closes an alert;
//! each attempt is a row (`alert_deliveries`), so a retry is a new row.

mod channel;
mod email;
mod provider;
#[cfg(feature = "schedule")]
mod quiet;
mod routing;
mod webhook;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::check::Alert;

pub use channel::{ChannelHeader, ChannelOptions, TEMPLATE_FIELDS, mask, mask_url, placeholders};
pub use email::{EmailChannel, EmailSettings};
pub use provider::WebhookFormat;
pub use routing::{
    ChannelRouting, DEFAULT_GROUP_SECONDS, QuietHours, RouteFacts, Severity, clock_minutes,
    glob_match,
};
pub use webhook::{CreatedWebhook, Webhook, WebhookList, WebhookSettings};

/// What happened to the alert that people are told about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Notification {
    /// It opened (and is not suppressed).
    Opened,
    /// Still open: a reminder (`repeat_interval_seconds`).
    Repeated,
    /// It opened during maintenance or behind a DOWN dependency, and is
    /// still open now that the excuse has ended.
    Unsuppressed,
    /// It closed (webhooks only: people learn of a recovery from the
    /// RECOVERY alert, so email would say it twice).
    Closed,
}

impl Notification {
    pub const ALL: [Self; 4] = [
        Self::Opened,
        Self::Repeated,
        Self::Unsuppressed,
        Self::Closed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Opened => "OPENED",
            Self::Repeated => "REPEATED",
            Self::Unsuppressed => "UNSUPPRESSED",
            Self::Closed => "CLOSED",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }

    /// The webhook payload's `event` (`alert.opened`, …).
    pub fn event_name(self) -> &'static str {
        match self {
            Self::Opened => "alert.opened",
            Self::Repeated => "alert.repeated",
            Self::Unsuppressed => "alert.unsuppressed",
            Self::Closed => "alert.closed",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    Email,
    Webhook,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Email => "email",
            Self::Webhook => "webhook",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Email, Self::Webhook]
            .into_iter()
            .find(|v| v.as_str() == s)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "UPPERCASE")]
pub enum DeliveryStatus {
    Pending,
    Sent,
    Failed,
    /// Not sent, by rule: the alert closed before its held or grouped
    /// opening was due (and then its close is not sent either), or its
    /// group's incident stays open for others. `error` says which.
    Skipped,
}

impl DeliveryStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "PENDING",
            Self::Sent => "SENT",
            Self::Failed => "FAILED",
            Self::Skipped => "SKIPPED",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Pending, Self::Sent, Self::Failed, Self::Skipped]
            .into_iter()
            .find(|v| v.as_str() == s)
    }
}

/// One attempt to tell one target about one alert.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct AlertDelivery {
    pub id: i64,
    /// Shared by every attempt of one delivery (the first attempt's id):
    /// the webhook's `deliveryId` and `X-Telltale-Delivery`, so a receiver
    /// can tell a retry from a new notification.
    pub delivery_id: i64,
    pub alert_id: i64,
    pub notification: Notification,
    pub channel: Channel,
    /// An email address, or the webhook's URL.
    pub target: String,
    pub webhook_id: Option<i64>,
    pub status: DeliveryStatus,
    /// 1 for the first attempt; a retry is a new delivery with the next number.
    pub attempt: u32,
    /// What the receiver or the network said, verbatim.
    pub error: Option<String>,
    /// The error will not go away by retrying (a 4xx, an SMTP 5xx): no retry.
    pub permanent: bool,
    pub created_at: DateTime<Utc>,
    /// When it is (or was) due to be sent.
    pub due_at: DateTime<Utc>,
    /// When the attempt finished.
    pub finished_at: Option<DateTime<Utc>>,
    /// When the next attempt is due, if one was scheduled after this failure.
    pub retry_at: Option<DateTime<Utc>>,
    /// The routing rule that sent it to its channel, in words
    /// (`type FAILURE, tag db`); absent for email and older deliveries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub route: Option<String>,
    /// Deliveries sent as one grouped message share it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_id: Option<i64>,
}

/// `GET /v1/alerts/{id}`: the alert and every delivery attempt, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct AlertDetail {
    pub alert: Alert,
    pub deliveries: Vec<AlertDelivery>,
}

/// Chief §7.4: the answer to a test send.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TestOutcome {
    pub attempted: u32,
    pub sent: u32,
    pub failed: u32,
    /// What happened, with the receivers' errors verbatim.
    pub message: String,
}

/// A delivery target whose last attempts failed: the overview warns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct FailingChannel {
    pub channel: Channel,
    pub target: String,
    /// The last finished attempt's error, verbatim.
    pub error: String,
    pub failed_at: DateTime<Utc>,
    /// How many of the recent finished attempts failed (of at most 5).
    pub recent_failures: u32,
}

/// An alert's deliveries by where each stands now: a delivery retried and
/// then sent counts once, as sent.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeliveryTally {
    pub sent: u32,
    /// Given up: a permanent error or the last attempt failed.
    pub failed: u32,
    /// Waiting for their first attempt or a retry.
    pub pending: u32,
}

impl DeliveryTally {
    /// No recipient or webhook took the alert (or it was suppressed).
    pub fn is_empty(&self) -> bool {
        // Not a sum: each count saturates at u32::MAX when read, and three
        // of those would overflow one.
        self.sent == 0 && self.failed == 0 && self.pending == 0
    }
}

#[cfg(test)]
mod tally_tests {
    use super::DeliveryTally;

    #[test]
    fn a_tally_of_saturated_counts_is_not_empty() {
        let full = DeliveryTally {
            sent: u32::MAX,
            failed: u32::MAX,
            pending: 1,
        };
        assert!(!full.is_empty());
        assert!(DeliveryTally::default().is_empty());
    }
}
