//! Messaging and push: Telegram, ntfy, Gotify, Pushover, Matrix, and the
//! Apprise API (which reaches every service Apprise knows).

use serde_json::json;

use super::escape::html;
use super::{Message, Outgoing, Severity, clip, clip_bytes};
use crate::error::SendError;

/// The message as plain text: title, reason, facts, failure, link.
fn plain(m: &Message, detail_max: usize) -> String {
    let mut text = clip(&m.reason, 4_000);
    for (k, v) in &m.facts {
        text.push_str(&format!("\n{k}: {}", clip(v, 500)));
    }
    if let Some(d) = &m.detail {
        text.push_str(&format!("\n\n{}", clip(d, detail_max)));
    }
    text
}

/// The message as HTML (Telegram's subset, Matrix's `formatted_body`).
fn html_text(m: &Message, detail_max: usize) -> String {
    let mut text = format!(
        "<b>{} {}</b>\n{}",
        m.kind,
        html(&clip(&m.title, 300)),
        html(&clip(&m.reason, 1_000))
    );
    for (k, v) in &m.facts {
        text.push_str(&format!("\n<b>{k}:</b> {}", html(&clip(v, 200))));
    }
    if let Some(d) = &m.detail {
        text.push_str(&format!("\n<pre>{}</pre>", html(&clip(d, detail_max))));
    }
    if let Some(link) = &m.link {
        text.push_str(&format!(
            "\n<a href=\"{}\">Open in Telltale</a>",
            html(link)
        ));
    }
    text
}

/// Bot API `sendMessage`. A message holds 4,096 characters once its
/// entities are parsed: each part is cut to its share before markup.
pub(super) fn telegram(base: &str, token: &str, chat: &str, m: &Message) -> Outgoing {
    Outgoing::json(
        format!("{base}/bot{token}/sendMessage"),
        &json!({"chat_id": chat, "text": html_text(m, 1_500), "parse_mode": "HTML", "link_preview_options": {"is_disabled": true}}),
    )
}

/// A JSON publish to the server's root with the topic in the body, so the
/// title needs no header encoding. Priority 5 is "urgent", 3 "default".
pub(super) fn ntfy(topic_url: &str, token: &str, m: &Message) -> Result<Outgoing, SendError> {
    let (base, topic) = topic_url
        .rsplit_once('/')
        .filter(|(base, topic)| base.contains("://") && !base.ends_with('/') && !topic.is_empty())
        .ok_or_else(|| {
            SendError::permanent(format!(
                "{topic_url:?} names no topic: use https://ntfy.example/<topic>"
            ))
        })?;
    let (priority, tag) = match m.severity {
        Severity::Critical => (5, "rotating_light"),
        Severity::Warning => (4, "warning"),
        Severity::Resolved => (3, "white_check_mark"),
        Severity::Info => (2, "information_source"),
    };
    let mut body = json!({
        "topic": topic,
        "title": clip(&format!("{} {}", m.kind, m.title), 250),
        // ntfy counts bytes: a longer message becomes an attachment.
        "message": clip_bytes(&plain(m, 1_000), 4_000),
        "priority": priority,
        "tags": [tag, m.kind.to_ascii_lowercase()],
    });
    if let Some(link) = &m.link {
        body["click"] = json!(link);
    }
    let out = Outgoing::json(format!("{base}/"), &body);
    Ok(if token.is_empty() {
        out
    } else {
        out.header("authorization", format!("Bearer {token}"))
    })
}

/// `POST /message` with the application token in `X-Gotify-Key`;
/// priority 8 and above rings on Android.
pub(super) fn gotify(base: &str, token: &str, m: &Message) -> Outgoing {
    let priority = match m.severity {
        Severity::Critical => 8,
        Severity::Warning => 6,
        Severity::Resolved => 4,
        Severity::Info => 2,
    };
    let mut body = json!({
        "title": clip(&format!("{} {}", m.kind, m.title), 250),
        "message": clip(&plain(m, 4_000), 8_000),
        "priority": priority,
        "extras": {"client::display": {"contentType": "text/plain"}},
    });
    if let Some(link) = &m.link {
        body["extras"]["client::notification"] = json!({"click": {"url": link}});
    }
    Outgoing::json(format!("{base}/message"), &body).header("x-gotify-key", token)
}

/// `POST /1/messages.json`. Limits: title 250, message 1,024, URL 512.
pub(super) fn pushover(base: &str, token: &str, user: &str, m: &Message) -> Outgoing {
    let priority = match m.severity {
        Severity::Critical => 1,
        Severity::Warning => 0,
        Severity::Resolved | Severity::Info => -1,
    };
    let mut body = json!({
        "token": token,
        "user": user,
        "title": clip(&format!("{} {}", m.kind, m.title), 250),
        "message": clip(&plain(m, 500), 1_024),
        "priority": priority,
        "timestamp": m.at.timestamp(),
    });
    if let Some(link) = m.link.as_ref().filter(|l| l.len() <= 512) {
        body["url"] = json!(link);
        body["url_title"] = json!("Open in Telltale");
    }
    Outgoing::json(format!("{base}/1/messages.json"), &body)
}

/// A room message (`m.notice`, as bots send) with an HTML body. The
/// transaction id is the delivery's, so a retry is not posted twice.
pub(super) fn matrix(base: &str, token: &str, room: &str, m: &Message) -> Outgoing {
    let mut text = format!("{} {}\n{}", m.kind, m.title, plain(m, 8_000));
    if let Some(link) = &m.link {
        text.push_str(&format!("\n{link}"));
    }
    let mut out = Outgoing::json(
        format!(
            "{base}/_matrix/client/v3/rooms/{}/send/m.room.message/{}",
            url_path(room),
            url_path(&m.txn)
        ),
        &json!({
            "msgtype": "m.notice",
            "body": text,
            "format": "org.matrix.custom.html",
            "formatted_body": html_text(m, 8_000).replace('\n', "<br>"),
        }),
    )
    .header("authorization", format!("Bearer {token}"));
    out.method = reqwest::Method::PUT;
    out
}

/// The Apprise API's stateful `/notify/{key}`; `tag` picks which of the
/// key's URLs are told.
pub(super) fn apprise(url: &str, tag: &str, m: &Message) -> Outgoing {
    let kind = match m.severity {
        Severity::Critical => "failure",
        Severity::Warning => "warning",
        Severity::Resolved => "success",
        Severity::Info => "info",
    };
    let mut body = plain(m, 4_000);
    if let Some(link) = &m.link {
        body.push_str(&format!("\n{link}"));
    }
    let mut payload = json!({
        "title": clip(&format!("{} {}", m.kind, m.title), 250),
        "body": body,
        "type": kind,
        "format": "text",
    });
    if !tag.is_empty() {
        payload["tag"] = json!(tag);
    }
    Outgoing {
        empty_fails: Some("the Apprise API has no URL for this key (or tag): nothing was notified"),
        ..Outgoing::json(url.to_owned(), &payload)
    }
}

/// A path segment, percent-encoded (Matrix room ids hold `!` and `:`).
fn url_path(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}
