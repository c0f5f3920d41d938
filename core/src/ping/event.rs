//! The event a ping becomes.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};
use telltale_model::{Level, NewEvent, SourceType};

use super::{PingBody, PingKind};

/// Who sent a ping, as its event records it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PingFrom {
    /// GET, HEAD or POST.
    pub method: String,
    pub remote_addr: Option<String>,
    pub user_agent: Option<String>,
}

/// The event of one ping: Chief's `job.started`, `job.completed` and
/// `job.failed` for the ones that start or end a run (so the fold, checks
/// and alerts treat them as any producer's), `ping.log` for a log line.
///
/// A failure's reason is the body when it has one (the output a crontab
/// line sends), else what the URL said.
pub fn ping_event(
    job: &str,
    run_id: Option<String>,
    kind: PingKind,
    from: &PingFrom,
    body: &PingBody,
    now: DateTime<Utc>,
) -> NewEvent {
    let (event_type, level, message) = match kind {
        PingKind::Start => ("job.started", Level::Info, "Started (ping)".to_owned()),
        PingKind::Success | PingKind::Exit(0) => {
            ("job.completed", Level::Info, "Succeeded (ping)".to_owned())
        }
        PingKind::Fail => ("job.failed", Level::Error, "Failed (ping)".to_owned()),
        PingKind::Exit(n) => (
            "job.failed",
            Level::Error,
            format!("Failed with exit status {n} (ping)"),
        ),
        PingKind::Log => ("ping.log", Level::Info, "Log (ping)".to_owned()),
    };
    let mut ping = Map::new();
    ping.insert("kind".into(), json!(kind.as_str()));
    ping.insert("method".into(), json!(from.method));
    if let PingKind::Exit(n) = kind {
        ping.insert("exitStatus".into(), json!(n));
    }
    if let Some(addr) = &from.remote_addr {
        ping.insert("remoteAddr".into(), json!(addr));
    }
    if let Some(agent) = &from.user_agent {
        ping.insert("userAgent".into(), json!(agent));
    }
    ping.insert("bodyBytes".into(), json!(body.bytes));
    if body.truncated {
        ping.insert("bodyTruncated".into(), json!(true));
    }
    if body.base64 {
        ping.insert("bodyEncoding".into(), json!("base64"));
    }
    let mut meta = Map::new();
    meta.insert("ping".into(), Value::Object(ping));
    if !body.is_empty() {
        meta.insert("body".into(), json!(body.text));
    }
    if let PingKind::Exit(n) = kind {
        meta.insert("exit_code".into(), json!(n));
    }
    if kind.failed() {
        let reason = if !body.is_empty() && !body.base64 && !body.text.trim().is_empty() {
            body.text.clone()
        } else {
            message.clone()
        };
        meta.insert("failure_reason".into(), json!(reason));
    }
    let mut event = NewEvent::new(SourceType::Worker, level, event_type, message, now);
    event.job_name = Some(job.to_owned());
    event.run_id = run_id;
    event.metadata = Value::Object(meta);
    event
}
