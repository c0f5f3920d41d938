//! What a generic webhook receives: Telltale's JSON payload; and Slack's
//! escaping of producer text.

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Value, json};

use super::{Notice, headline};

/// Telltale's generic webhook payload, version 1 (docs/alerts.md, "Webhook payload").
/// `delivery_id` is the same on every attempt of one delivery.
pub fn webhook_payload(n: &Notice, delivery_id: i64, sent_at: DateTime<Utc>) -> Value {
    json!({
        "version": 1,
        "event": n.notification.event_name(),
        "deliveryId": delivery_id,
        "sentAt": sent_at.to_rfc3339_opts(SecondsFormat::Millis, true),
        "summary": headline(n),
        "alert": n.alert,
        "run": n.run,
        "url": n.link,
    })
}

/// Producer text for a Slack message:
/// - `&`, `<` and `>` escaped as Slack documents, so `<!channel>`,
///   `<@U123>` and `<http://x|label>` are shown, not acted on;
/// - a zero-width space after each `@`: Slack-compatible receivers
///   (Mattermost, Discord's /slack endpoint) turn a bare `@channel`,
///   `@here` or `@everyone` into a ping;
/// - a zero-width space between two backticks, so no run of three can
///   open or close a code block (ours around the failure reason, or one
///   of its own that would swallow the rest of the message).
///
/// The text reads the same; only invisible characters are added.
pub(crate) fn mrkdwn(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut after_backtick = false;
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '@' => out.push_str("@\u{200B}"),
            // Bold, italics and strike-through need a mark at each end.
            '*' | '_' | '~' => {
                out.push(c);
                out.push('\u{200B}');
            }
            '`' if after_backtick => out.push_str("\u{200B}`"),
            c => out.push(c),
        }
        after_backtick = c == '`';
    }
    out
}

/// The body of a generic webhook's test.
pub fn webhook_test_payload(sent_at: DateTime<Utc>) -> Value {
    json!({
        "version": 1,
        "event": "test",
        "deliveryId": null,
        "sentAt": sent_at.to_rfc3339_opts(SecondsFormat::Millis, true),
        "summary": "Telltale webhook test: alerts will arrive here.",
        "alert": null,
        "run": null,
        "url": null,
    })
}
