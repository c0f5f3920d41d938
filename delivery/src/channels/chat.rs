//! Chat webhooks: Slack, Discord, Microsoft Teams, Mattermost, Rocket.Chat
//! and Google Chat. A close is a follow-up message linking the same alert
//! (in Google Chat, a reply in the alert's thread).

use serde_json::{Value, json};

use super::escape::{google_chat as gchat, markdown};
use super::{Message, Outgoing, Severity, clip};
use crate::compose::mrkdwn;

fn icon(m: &Message) -> &'static str {
    match m.severity {
        Severity::Critical => "🔴",
        Severity::Warning => "🟠",
        Severity::Resolved => "✅",
        Severity::Info => "ℹ️",
    }
}

fn colour(m: &Message) -> u32 {
    match m.severity {
        Severity::Critical => 0xD0_3B_3B,
        Severity::Warning => 0xE0_8A_00,
        Severity::Resolved => 0x2E_A0_43,
        Severity::Info => 0x3B_7D_D8,
    }
}

/// Block Kit, with `text` as the notification's fallback. Limits: a header
/// holds 150 characters, a section 3,000, a field 2,000, ten fields.
pub(super) fn slack(url: &str, m: &Message) -> Outgoing {
    let mut body = mrkdwn(&m.reason);
    if let Some(d) = &m.detail {
        body.push_str(&format!("\n```\n{}\n```", mrkdwn(&clip(d, 2_500))));
    }
    let mut blocks = vec![
        json!({"type": "header", "text": {"type": "plain_text", "text": clip(&format!("{} {} {}", icon(m), m.kind, m.title), 150), "emoji": true}}),
        json!({"type": "section", "text": {"type": "mrkdwn", "text": clip(&body, 3_000)}}),
    ];
    if !m.facts.is_empty() {
        let fields: Vec<Value> = m
            .facts
            .iter()
            .take(10)
            .map(|(k, v)| json!({"type": "mrkdwn", "text": clip(&format!("*{k}*\n{}", mrkdwn(v)), 2_000)}))
            .collect();
        blocks.push(json!({"type": "section", "fields": fields}));
    }
    if let Some(link) = &m.link {
        blocks.push(json!({"type": "actions", "elements": [{"type": "button", "text": {"type": "plain_text", "text": "Open in Telltale"}, "url": clip(link, 3_000)}]}));
    }
    let fallback = format!("{} {}: {}", m.kind, mrkdwn(&m.title), mrkdwn(&m.reason));
    Outgoing::json(
        url.to_owned(),
        &json!({"text": clip(&fallback, 3_000), "blocks": blocks}),
    )
}

/// One embed; no mention is parsed (`allowed_mentions`). Limits: title 256,
/// description 4,096, field value 1,024, 6,000 characters in all.
pub(super) fn discord(url: &str, m: &Message) -> Outgoing {
    let mut description = clip(&markdown(&m.reason), 1_500);
    if let Some(d) = &m.detail {
        description.push_str(&format!(
            "\n```\n{}\n```",
            clip(&d.replace("```", "`\u{200B}``"), 1_500)
        ));
    }
    let fields: Vec<Value> = m
        .facts
        .iter()
        .take(10)
        .map(|(k, v)| json!({"name": k, "value": clip(&markdown(v), 200), "inline": true}))
        .collect();
    let mut embed = json!({
        "title": clip(&format!("{} {} {}", icon(m), m.kind, markdown(&m.title)), 256),
        "description": description,
        "color": colour(m),
        "fields": fields,
        "timestamp": m.at.to_rfc3339(),
        "footer": {"text": "Telltale"},
    });
    if let Some(link) = &m.link {
        embed["url"] = json!(link);
    }
    Outgoing::json(
        url.to_owned(),
        &json!({"username": "Telltale", "allowed_mentions": {"parse": []}, "embeds": [embed]}),
    )
}

/// A Workflows webhook ("Post to a channel when a webhook request is
/// received") carrying one Adaptive Card 1.4; the card stays well under
/// the 28 KB a message may hold.
pub(super) fn teams(url: &str, m: &Message) -> Outgoing {
    let colour = match m.severity {
        Severity::Critical => "Attention",
        Severity::Warning => "Warning",
        Severity::Resolved => "Good",
        Severity::Info => "Accent",
    };
    let mut card_body = vec![
        json!({"type": "TextBlock", "text": clip(&markdown(&format!("{} {}", m.kind, m.title)), 500), "weight": "Bolder", "size": "Medium", "color": colour, "wrap": true}),
        json!({"type": "TextBlock", "text": clip(&markdown(&m.reason), 2_000), "wrap": true}),
    ];
    if !m.facts.is_empty() {
        let facts: Vec<Value> = m
            .facts
            .iter()
            .map(|(k, v)| json!({"title": k, "value": clip(&markdown(v), 500)}))
            .collect();
        card_body.push(json!({"type": "FactSet", "facts": facts}));
    }
    if let Some(d) = &m.detail {
        card_body.push(json!({"type": "TextBlock", "text": clip(&markdown(d), 3_000), "wrap": true, "fontType": "Monospace"}));
    }
    let mut card = json!({
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "msteams": {"width": "Full"},
        "body": card_body,
    });
    if let Some(link) = &m.link {
        card["actions"] =
            json!([{"type": "Action.OpenUrl", "title": "Open in Telltale", "url": link}]);
    }
    Outgoing::json(
        url.to_owned(),
        &json!({"type": "message", "attachments": [{"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": null, "content": card}]}),
    )
}

/// Markdown text for Mattermost and Rocket.Chat.
fn markdown_text(m: &Message, max: usize) -> String {
    let mut text = format!(
        "{} **{}** {}\n{}",
        icon(m),
        m.kind,
        markdown(&m.title),
        markdown(&m.reason)
    );
    for (k, v) in &m.facts {
        text.push_str(&format!("\n**{k}:** {}", markdown(v)));
    }
    if let Some(d) = &m.detail {
        text.push_str(&format!(
            "\n```\n{}\n```",
            clip(&d.replace("```", "`\u{200B}``"), max / 2)
        ));
    }
    if let Some(link) = &m.link {
        text.push_str(&format!("\n[Open in Telltale]({link})"));
    }
    clip(&text, max)
}

/// An incoming webhook; a post holds at most 16,383 characters.
pub(super) fn mattermost(url: &str, m: &Message) -> Outgoing {
    Outgoing::json(
        url.to_owned(),
        &json!({"username": "Telltale", "text": markdown_text(m, 16_000)}),
    )
}

/// An incoming integration; `alias` names the sender.
pub(super) fn rocketchat(url: &str, m: &Message) -> Outgoing {
    // The text says it all; the attachment adds the colour bar and the link.
    let mut attachment = json!({
        "title": clip(&format!("{} {}", m.kind, markdown(&m.title)), 500),
        "color": format!("#{:06x}", colour(m)),
    });
    if let Some(link) = &m.link {
        attachment["title_link"] = json!(link);
    }
    Outgoing::json(
        url.to_owned(),
        &json!({"alias": "Telltale", "text": markdown_text(m, 10_000), "attachments": [attachment]}),
    )
}

/// A space webhook; each alert is a thread (`threadKey`), so its close is
/// a reply under its opening. A message holds at most 32,000 bytes.
pub(super) fn google_chat(url: &str, m: &Message) -> Outgoing {
    let mut text = format!(
        "{} *{}* {}\n{}",
        icon(m),
        m.kind,
        gchat(&m.title),
        gchat(&m.reason)
    );
    for (k, v) in &m.facts {
        text.push_str(&format!("\n*{k}:* {}", gchat(v)));
    }
    if let Some(d) = &m.detail {
        text.push_str(&format!("\n{}", gchat(&clip(d, 8_000))));
    }
    if let Some(link) = &m.link {
        text.push_str(&format!(
            "\n<{}|Open in Telltale>",
            link.replace('|', "%7C").replace('>', "%3E")
        ));
    }
    let join = if url.contains('?') { '&' } else { '?' };
    Outgoing::json(
        format!("{url}{join}messageReplyOption=REPLY_MESSAGE_FALLBACK_TO_NEW_THREAD"),
        &json!({"text": super::clip_bytes(&text, 30_000), "thread": {"threadKey": m.key}}),
    )
}
