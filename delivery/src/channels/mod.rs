//! The request each provider documents, for an alert's opening, reminder
//! and close alike: path, headers and body, built from one [`Message`].
//!
//! Producer text (job names, reasons, failure texts) is escaped for each
//! provider's markup ([`escape`]), and clipped to each provider's limits
//! ([`clip`]), so a hostile or huge value can neither ping, link, format
//! nor get the message refused.

mod chat;
mod escape;
mod incident;
mod push;
mod template;

use chrono::{DateTime, SecondsFormat, Utc};
use telltale_model::{AlertType, Notification, TEMPLATE_FIELDS, WebhookFormat};
use telltale_store::WebhookTarget;

use crate::compose::{self, Notice};
use crate::error::SendError;

/// How urgent a message is, in each provider's terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Severity {
    Critical,
    Warning,
    /// A recovery, or an alert closing.
    Resolved,
    /// A test.
    Info,
}

/// What every provider is told, before its own format.
pub(crate) struct Message {
    /// The same for an alert's opening, reminders and close: PagerDuty's
    /// `dedup_key`, Opsgenie's alias, Google Chat's thread key.
    pub key: String,
    /// The alert closed: incident tools resolve, chats get a follow-up.
    pub closing: bool,
    pub severity: Severity,
    /// `FAILURE`, … or `TEST`.
    pub kind: &'static str,
    /// `job nightly-etl failed`: plain text, the producer's words in it.
    pub title: String,
    pub reason: String,
    /// The run's failure reason, verbatim.
    pub detail: Option<String>,
    pub link: Option<String>,
    pub facts: Vec<(&'static str, String)>,
    pub at: DateTime<Utc>,
    /// The same on every attempt of one delivery: Matrix's transaction id,
    /// so a retry is not posted twice.
    pub txn: String,
    /// The templated webhook's fields ([`TEMPLATE_FIELDS`]), as text.
    pub fields: Vec<(&'static str, String)>,
}

impl Message {
    pub fn of(n: &Notice, delivery_id: i64, now: DateTime<Utc>) -> Self {
        let a = n.alert;
        let closing = n.notification == Notification::Closed;
        let severity = match a.alert_type {
            _ if closing => Severity::Resolved,
            AlertType::Recovery => Severity::Resolved,
            AlertType::WorkerOffline => Severity::Warning,
            AlertType::Failure | AlertType::Missed | AlertType::SchedulerOffline => {
                Severity::Critical
            }
        };
        let iso = |t: DateTime<Utc>| t.to_rfc3339_opts(SecondsFormat::Secs, true);
        let worker = a
            .worker_id
            .clone()
            .or_else(|| n.run.and_then(|r| r.worker_id.clone()));
        let detail = n.run.and_then(|r| r.failure_reason.clone());
        let title = compose::headline(n);
        let fields = vec![
            ("alertId", a.id.to_string()),
            ("type", a.alert_type.as_str().to_owned()),
            ("event", n.notification.event_name().to_owned()),
            ("summary", title.clone()),
            ("reason", a.reason.clone()),
            ("job", a.job_name.clone().unwrap_or_default()),
            ("run", a.run_id.clone().unwrap_or_default()),
            ("worker", worker.unwrap_or_default()),
            ("failureReason", detail.clone().unwrap_or_default()),
            ("url", n.link.clone().unwrap_or_default()),
            ("openedAt", iso(a.opened_at)),
            ("closedAt", a.closed_at.map(iso).unwrap_or_default()),
            ("closeReason", a.close_reason.clone().unwrap_or_default()),
            ("sentAt", iso(now)),
            ("deliveryId", delivery_id.to_string()),
        ];
        debug_assert!(
            fields
                .iter()
                .map(|f| f.0)
                .eq(TEMPLATE_FIELDS.iter().copied())
        );
        let mut reason = a.reason.clone();
        if closing && let Some(why) = &a.close_reason {
            reason = format!("Closed: {why}");
        }
        Self {
            key: format!("telltale-alert-{}", a.id),
            closing,
            severity,
            kind: a.alert_type.as_str(),
            title,
            reason,
            detail,
            link: n.link.clone(),
            facts: compose::facts(n),
            at: a.closed_at.filter(|_| closing).unwrap_or(a.opened_at),
            txn: format!("telltale-{delivery_id}-{}", n.notification.as_str()),
            fields,
        }
    }

    /// What "Send test" sends: a message of its own, never an alert's.
    pub fn test(public_url: Option<&str>, now: DateTime<Utc>) -> Self {
        let title = "Telltale test: alerts will arrive here".to_owned();
        let reason = "This is a test message from Telltale's channel settings.".to_owned();
        let link = public_url.map(|u| format!("{}/settings", u.trim_end_matches('/')));
        let stamp = now.timestamp_millis();
        let fields = TEMPLATE_FIELDS
            .iter()
            .map(|&f| {
                let v = match f {
                    "type" => "TEST".to_owned(),
                    "event" => "test".to_owned(),
                    "summary" => title.clone(),
                    "reason" => reason.clone(),
                    "url" => link.clone().unwrap_or_default(),
                    "sentAt" | "openedAt" => now.to_rfc3339_opts(SecondsFormat::Secs, true),
                    _ => String::new(),
                };
                (f, v)
            })
            .collect();
        Self {
            key: format!("telltale-test-{stamp}"),
            closing: false,
            severity: Severity::Info,
            kind: "TEST",
            title,
            reason,
            detail: None,
            link,
            facts: Vec::new(),
            at: now,
            txn: format!("telltale-test-{stamp}"),
            fields,
        }
    }
}

impl Message {
    /// One message for several alerts that went out together (a group):
    /// a count, each alert's line with its link, and the alerts page.
    /// `key` is the group's (an incident tool's one incident for them).
    pub fn group(members: &[Message], key: String, public_url: Option<&str>) -> Self {
        const SHOWN: usize = 25;
        let n = members.len();
        let closing = members.iter().all(|m| m.closing);
        let severity = members
            .iter()
            .map(|m| m.severity)
            .min_by_key(|s| match s {
                Severity::Critical => 0,
                Severity::Warning => 1,
                Severity::Resolved => 2,
                Severity::Info => 3,
            })
            .unwrap_or(Severity::Info);
        let first = members.first();
        let same_kind = members
            .iter()
            .all(|m| Some(m.kind) == first.map(|f| f.kind));
        let kind = if same_kind {
            first.map_or("ALERTS", |f| f.kind)
        } else {
            "ALERTS"
        };
        let what = if closing { "closed" } else { "open" };
        let mut reason = String::new();
        for m in members.iter().take(SHOWN) {
            reason.push_str(&format!(
                "• {} {}: {}",
                m.kind,
                m.title,
                clip(&m.reason, 200)
            ));
            if let Some(link) = &m.link {
                reason.push_str(&format!(" {link}"));
            }
            reason.push('\n');
        }
        if n > SHOWN {
            reason.push_str(&format!("… and {} more\n", n - SHOWN));
        }
        Self {
            txn: format!("{key}-{}", if closing { "closed" } else { "opened" }),
            key,
            closing,
            severity,
            kind,
            title: format!("{n} alerts {what}"),
            reason: reason.trim_end().to_owned(),
            detail: None,
            link: public_url.map(|u| format!("{}/alerts", u.trim_end_matches('/'))),
            facts: vec![("Alerts", n.to_string())],
            at: members.iter().map(|m| m.at).min().unwrap_or_default(),
            fields: first.map(|f| f.fields.clone()).unwrap_or_default(),
        }
    }
}

/// One HTTP request to a provider.
#[derive(Debug, Clone)]
pub(crate) struct Outgoing {
    pub method: reqwest::Method,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub content_type: String,
    pub body: Vec<u8>,
    /// Why a `204 No Content` answer means nothing was delivered, for a
    /// provider that answers so (the Apprise API, with no URL to tell).
    pub empty_fails: Option<&'static str>,
}

impl Outgoing {
    pub(crate) fn json(url: String, body: &serde_json::Value) -> Self {
        Self {
            method: reqwest::Method::POST,
            url,
            headers: Vec::new(),
            content_type: "application/json".to_owned(),
            body: serde_json::to_vec(body).unwrap_or_default(),
            empty_fails: None,
        }
    }

    fn header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_owned(), value.into()));
        self
    }
}

/// The request `target`'s provider documents for `m`. `None` for the
/// generic format, whose payload is Telltale's own ([`compose::webhook_payload`]).
pub(crate) fn request(target: &WebhookTarget, m: &Message) -> Result<Option<Outgoing>, SendError> {
    let w = &target.webhook;
    let url = w.url.trim().trim_end_matches('/');
    let token = w.options.token.as_deref().unwrap_or_default();
    let to = w.options.to.as_deref().unwrap_or_default();
    let out = match w.format {
        WebhookFormat::Generic => return Ok(None),
        WebhookFormat::Slack => chat::slack(url, m),
        WebhookFormat::Discord => chat::discord(url, m),
        WebhookFormat::Teams => chat::teams(url, m),
        WebhookFormat::Mattermost => chat::mattermost(url, m),
        WebhookFormat::Rocketchat => chat::rocketchat(url, m),
        WebhookFormat::Googlechat => chat::google_chat(url, m),
        WebhookFormat::Telegram => push::telegram(url, token, to, m),
        WebhookFormat::Ntfy => push::ntfy(url, token, m)?,
        WebhookFormat::Gotify => push::gotify(url, token, m),
        WebhookFormat::Pushover => push::pushover(url, token, to, m),
        WebhookFormat::Matrix => push::matrix(url, token, to, m),
        WebhookFormat::Apprise => push::apprise(url, to, m),
        WebhookFormat::Pagerduty => incident::pagerduty(url, token, m),
        WebhookFormat::Opsgenie => incident::opsgenie(url, token, m),
        WebhookFormat::Template => template::request(w.url.trim(), &w.options, m),
    };
    Ok(Some(out))
}

/// At most `max` characters of `s`, ending in `…` when cut.
pub(crate) fn clip(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_owned();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// At most `max` bytes of `s`, cut at a character boundary, ending in `…`
/// when cut (for providers that count bytes).
pub(crate) fn clip_bytes(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_owned();
    }
    let mut end = max.saturating_sub('…'.len_utf8());
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}

#[cfg(test)]
mod tests;
