//! What a notification says: email subject and bodies, webhook payloads.
//!
//! Job names, run and worker ids, reasons and failure texts come from
//! producers, so each is text wherever it lands: verbatim in the plain-text
//! body and in JSON, HTML-escaped in the HTML body, on one line without
//! control characters in the subject (a header), and with Slack's markup
//! characters escaped in chat messages (so text cannot ping or link).

mod email;
mod webhook;

use chrono::{DateTime, Utc};
use telltale_model::{Alert, AlertType, Notification, Run};

pub use email::{EmailContent, email, test_email};
pub(crate) use email::{escape as html, facts};
pub(crate) use webhook::mrkdwn;
pub use webhook::{webhook_payload, webhook_test_payload};

/// The link to an alert's page, when the public address is known.
pub fn alert_link(public_url: Option<&str>, alert_id: i64) -> Option<String> {
    public_url.map(|base| format!("{}/alerts/{alert_id}", base.trim_end_matches('/')))
}

/// What one notification is about.
pub struct Notice<'a> {
    pub alert: &'a Alert,
    pub notification: Notification,
    pub run: Option<&'a Run>,
    pub link: Option<String>,
}

fn when(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

/// `job nightly-etl`, `worker render-07`.
fn subject_of(alert: &Alert) -> String {
    match (&alert.job_name, &alert.worker_id) {
        (Some(job), _) => format!("job {job}"),
        (None, Some(worker)) => format!("worker {worker}"),
        (None, None) if alert.alert_type == AlertType::SchedulerOffline => {
            "the scheduler".to_owned()
        }
        (None, None) => "Telltale".to_owned(),
    }
}

pub(crate) fn headline(n: &Notice) -> String {
    let what = match n.alert.alert_type {
        AlertType::Failure => "failed",
        AlertType::Missed => "missed its schedule",
        AlertType::Recovery => "recovered",
        AlertType::WorkerOffline => "went offline",
        AlertType::SchedulerOffline => "went silent (no heartbeat)",
    };
    let tail = match n.notification {
        Notification::Opened => String::new(),
        Notification::Repeated => format!(" — still open (reminder {})", n.alert.notify_count),
        Notification::Unsuppressed => " — still open after its suppression ended".to_owned(),
        Notification::Closed => " — closed".to_owned(),
    };
    format!("{} {what}{tail}", subject_of(n.alert))
}

#[cfg(test)]
pub(crate) mod tests;
