//! Alert delivery: where notifications go (email recipients, webhooks), and
//! the record of every attempt to send one. A notification is queued in the
//! same transaction that opens, repeats, un-suppresses or closes an alert;
//! each attempt is a row (`alert_deliveries`), so a retry is a new row.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::check::{Alert, AlertType};
use crate::{FieldError, looks_like_email};

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
}

impl DeliveryStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "PENDING",
            Self::Sent => "SENT",
            Self::Failed => "FAILED",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Pending, Self::Sent, Self::Failed]
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
}

/// `GET /v1/alerts/{id}`: the alert and every delivery attempt, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct AlertDetail {
    pub alert: Alert,
    pub deliveries: Vec<AlertDelivery>,
}

/// Chief §7.4: who gets email, about which alert types.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EmailSettings {
    pub recipients: Vec<String>,
    pub enabled_alert_types: Vec<AlertType>,
}

impl EmailSettings {
    /// Checks the settings; the error names the field (`recipients[2]`).
    pub fn validate(&self) -> Result<(), FieldError> {
        if self.recipients.len() > 100 {
            return Err(FieldError::new("recipients", "at most 100 recipients"));
        }
        for (i, r) in self.recipients.iter().enumerate() {
            if !looks_like_email(r.trim()) {
                return Err(FieldError::new(
                    format!("recipients[{i}]"),
                    format!("{r:?} is not an email address"),
                ));
            }
        }
        Ok(())
    }

    /// Trimmed, without repeats, in the order given.
    pub fn normalized(mut self) -> Self {
        let mut seen = std::collections::HashSet::new();
        self.recipients = self
            .recipients
            .iter()
            .map(|r| r.trim().to_owned())
            .filter(|r| seen.insert(r.to_lowercase()))
            .collect();
        let mut types = Vec::new();
        for t in self.enabled_alert_types {
            if !types.contains(&t) {
                types.push(t);
            }
        }
        self.enabled_alert_types = types;
        self
    }
}

/// `GET /v1/settings/alerts/email`: the settings and how mail leaves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct EmailChannel {
    pub recipients: Vec<String>,
    pub enabled_alert_types: Vec<AlertType>,
    /// `smtp://host:port`, `resend` or `None` when no transport is set up
    /// (`MONITOR_SMTP_URL`, or `MONITOR_RESEND_API_KEY` with
    /// `MONITOR_RESEND_FROM_EMAIL`): email is then recorded as failed.
    pub transport: Option<String>,
}

impl EmailChannel {
    /// The stored settings as the API and the settings page show them,
    /// with the transport mail would leave by.
    pub fn new(settings: EmailSettings, transport: Option<String>) -> Self {
        Self {
            recipients: settings.recipients,
            enabled_alert_types: settings.enabled_alert_types,
            transport,
        }
    }
}

/// The body a webhook receives.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum WebhookFormat {
    /// Telltale's versioned JSON payload (docs/alerts.md, "Webhook payload").
    #[default]
    Generic,
    /// Slack's incoming-webhook `{"text": …}`.
    Slack,
}

impl WebhookFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Generic => "generic",
            Self::Slack => "slack",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Generic, Self::Slack]
            .into_iter()
            .find(|v| v.as_str() == s)
    }
}

/// A configured webhook. Its secret is never listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Webhook {
    pub id: i64,
    pub name: String,
    pub url: String,
    pub format: WebhookFormat,
    pub enabled_alert_types: Vec<AlertType>,
    pub enabled: bool,
    pub created_at: DateTime<Utc>,
}

/// `POST /v1/settings/alerts/webhooks`, `PUT …/{id}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WebhookSettings {
    pub name: String,
    /// `http://` or `https://`.
    pub url: String,
    #[serde(default)]
    pub format: WebhookFormat,
    pub enabled_alert_types: Vec<AlertType>,
    #[serde(default = "yes")]
    pub enabled: bool,
    /// The HMAC key for `X-Telltale-Signature`. On create, one is made when
    /// absent; on update, the old one is kept when absent.
    #[serde(default)]
    pub secret: Option<String>,
}

fn yes() -> bool {
    true
}

impl WebhookSettings {
    /// Checks the request; the error names the field.
    pub fn validate(&self) -> Result<(), FieldError> {
        if self.name.trim().is_empty() || self.name.len() > 100 {
            return Err(FieldError::new("name", "1 to 100 characters"));
        }
        let url = self.url.trim();
        let rest = url
            .strip_prefix("https://")
            .or_else(|| url.strip_prefix("http://"));
        match rest {
            None => {
                return Err(FieldError::new(
                    "url",
                    format!("{url:?} is not an http:// or https:// URL"),
                ));
            }
            Some(rest) => {
                let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
                if host.is_empty() || host.chars().any(char::is_whitespace) {
                    return Err(FieldError::new("url", format!("{url:?} has no host")));
                }
            }
        }
        if url.len() > 2000 {
            return Err(FieldError::new("url", "at most 2000 characters"));
        }
        if let Some(secret) = &self.secret
            && (secret.len() < 16 || secret.len() > 200)
        {
            return Err(FieldError::new("secret", "16 to 200 characters"));
        }
        Ok(())
    }
}

/// A webhook just created: the only time its secret is shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct CreatedWebhook {
    pub webhook: Webhook,
    pub secret: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WebhookList {
    pub webhooks: Vec<Webhook>,
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

#[cfg(test)]
mod tests {
    use super::*;

    fn hook(url: &str) -> WebhookSettings {
        WebhookSettings {
            name: "ops".into(),
            url: url.into(),
            format: WebhookFormat::Generic,
            enabled_alert_types: vec![AlertType::Failure],
            enabled: true,
            secret: None,
        }
    }

    #[test]
    fn webhook_urls_must_be_http() {
        assert!(hook("https://hooks.example.com/x").validate().is_ok());
        assert!(hook("http://127.0.0.1:9000/").validate().is_ok());
        for bad in ["ftp://x", "hooks.example.com", "https://", "http:// x", ""] {
            let e = hook(bad).validate().unwrap_err();
            assert_eq!(e.field, "url", "{bad}");
        }
    }

    #[test]
    fn short_secrets_are_refused() {
        let mut h = hook("https://x.example");
        h.secret = Some("short".into());
        assert_eq!(h.validate().unwrap_err().field, "secret");
    }

    #[test]
    fn email_settings_name_the_bad_recipient() {
        let s = EmailSettings {
            recipients: vec!["ops@example.com".into(), "not an address".into()],
            enabled_alert_types: vec![AlertType::Failure],
        };
        assert_eq!(s.validate().unwrap_err().field, "recipients[1]");
    }

    #[test]
    fn email_settings_drop_repeats() {
        let s = EmailSettings {
            recipients: vec![" a@x.io".into(), "A@x.io".into(), "b@x.io".into()],
            enabled_alert_types: vec![AlertType::Failure, AlertType::Failure],
        }
        .normalized();
        assert_eq!(s.recipients, vec!["a@x.io", "b@x.io"]);
        assert_eq!(s.enabled_alert_types, vec![AlertType::Failure]);
    }

    #[test]
    fn unknown_alert_types_are_refused_by_the_parser() {
        let e = serde_json::from_str::<EmailSettings>(
            r#"{"recipients":[],"enabledAlertTypes":["FAILURE","SOMETIMES"]}"#,
        )
        .unwrap_err();
        assert!(e.to_string().contains("SOMETIMES"), "{e}");
    }
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
