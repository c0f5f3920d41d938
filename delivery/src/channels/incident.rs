//! Incident tools: an alert is an incident that opens once (reminders
//! fold into it by its key) and resolves when the alert closes.

use serde_json::{Value, json};

use super::{Message, Outgoing, Severity, clip};

fn details(m: &Message) -> Value {
    let mut d = serde_json::Map::new();
    d.insert("reason".to_owned(), json!(clip(&m.reason, 2_000)));
    for (k, v) in &m.facts {
        d.insert(
            k.to_ascii_lowercase().replace(' ', "_"),
            json!(clip(v, 500)),
        );
    }
    if let Some(f) = &m.detail {
        d.insert("failure_reason".to_owned(), json!(clip(f, 4_000)));
    }
    Value::Object(d)
}

/// Events API v2 (`POST /v2/enqueue`): `trigger`, then `resolve` with
/// the same `dedup_key`. A summary holds 1,024 characters.
pub(super) fn pagerduty(base: &str, routing_key: &str, m: &Message) -> Outgoing {
    let url = format!("{base}/v2/enqueue");
    if m.closing {
        return Outgoing::json(
            url,
            &json!({"routing_key": routing_key, "event_action": "resolve", "dedup_key": m.key}),
        );
    }
    let severity = match m.severity {
        Severity::Critical => "critical",
        Severity::Warning => "warning",
        Severity::Resolved | Severity::Info => "info",
    };
    let source = m
        .facts
        .iter()
        .find(|(k, _)| *k == "Job" || *k == "Worker")
        .map_or("telltale", |(_, v)| v.as_str());
    let mut event = json!({
        "routing_key": routing_key,
        "event_action": "trigger",
        "dedup_key": m.key,
        "payload": {
            "summary": clip(&format!("{} {}: {}", m.kind, m.title, m.reason), 1_024),
            "source": clip(source, 255),
            "severity": severity,
            "timestamp": m.at.to_rfc3339(),
            "class": m.kind,
            "custom_details": details(m),
        },
        "client": "Telltale",
    });
    if let Some(link) = &m.link {
        event["client_url"] = json!(link);
        event["links"] = json!([{"href": link, "text": "Open in Telltale"}]);
    }
    Outgoing::json(url, &event)
}

/// The Alert API with a `GenieKey`: create with the alert's alias (a
/// reminder with the same alias only counts up), close by that alias.
/// A message holds 130 characters, a description 15,000.
pub(super) fn opsgenie(base: &str, key: &str, m: &Message) -> Outgoing {
    let auth = format!("GenieKey {key}");
    if m.closing {
        return Outgoing::json(
            format!("{base}/v2/alerts/{}/close?identifierType=alias", m.key),
            &json!({"source": "Telltale", "note": clip(&m.reason, 25_000)}),
        )
        .header("authorization", auth);
    }
    let priority = match m.severity {
        Severity::Critical => "P1",
        Severity::Warning => "P3",
        Severity::Resolved | Severity::Info => "P5",
    };
    let mut description = m.reason.clone();
    if let Some(f) = &m.detail {
        description.push_str(&format!("\n\n{f}"));
    }
    if let Some(link) = &m.link {
        description.push_str(&format!("\n\n{link}"));
    }
    let entity = m.facts.iter().find(|(k, _)| *k == "Job" || *k == "Worker");
    let mut alert = json!({
        "message": clip(&format!("{} {}", m.kind, m.title), 130),
        "alias": m.key,
        "description": clip(&description, 15_000),
        "source": "Telltale",
        "priority": priority,
        "tags": ["telltale", m.kind.to_ascii_lowercase()],
        "details": details(m),
    });
    if let Some((_, e)) = entity {
        alert["entity"] = json!(clip(e, 512));
    }
    Outgoing::json(format!("{base}/v2/alerts"), &alert).header("authorization", auth)
}
