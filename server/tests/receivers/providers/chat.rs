//! Chat webhooks: Slack, Discord, Teams Workflows, Mattermost,
//! Rocket.Chat and Google Chat, each refusing as the provider does.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::{DISCORD_TOKEN, Req, Shared, accept, chars, json, refuse, text};

/// Block Kit as Slack checks it: known block types, text object types,
/// and the length limits of headers, sections, fields and buttons.
fn slack_blocks_problem(blocks: &Value) -> Option<String> {
    let blocks = blocks.as_array()?;
    if blocks.len() > 50 {
        return Some("more than 50 blocks".into());
    }
    for b in blocks {
        match b["type"].as_str() {
            Some("header") => {
                if b["text"]["type"] != "plain_text" || chars(&b["text"]["text"]) == 0 {
                    return Some("header text must be plain_text".into());
                }
                if chars(&b["text"]["text"]) > 150 {
                    return Some("header text over 150 characters".into());
                }
            }
            Some("section") => {
                let text_len = chars(&b["text"]["text"]);
                let fields = b["fields"].as_array().map_or(0, Vec::len);
                if text_len == 0 && fields == 0 {
                    return Some("a section needs text or fields".into());
                }
                if text_len > 3_000 {
                    return Some("section text over 3000 characters".into());
                }
                if fields > 10 {
                    return Some("more than 10 fields".into());
                }
                for f in b["fields"].as_array().into_iter().flatten() {
                    if chars(&f["text"]) > 2_000
                        || !["mrkdwn", "plain_text"].contains(&f["type"].as_str().unwrap_or(""))
                    {
                        return Some("a field over 2000 characters or of no text type".into());
                    }
                }
            }
            Some("actions") => {
                for e in b["elements"].as_array().into_iter().flatten() {
                    if e["type"] == "button"
                        && (chars(&e["text"]["text"]) > 75 || chars(&e["url"]) > 3_000)
                    {
                        return Some("a button's text or url is too long".into());
                    }
                }
            }
            Some("context") | Some("divider") => {}
            other => return Some(format!("unknown block type {other:?}")),
        }
    }
    None
}

pub async fn slack(State(s): State<Shared>, r: Req) -> Response {
    let slack_error = |code: &str| text(code);
    if r.uri
        .path()
        .trim_start_matches("/slack/services/")
        .split('/')
        .count()
        != 3
    {
        return refuse(&s, &r, 404, "no_service", slack_error("no_service"));
    }
    let Some(body) = r.json().filter(|_| r.is_json()) else {
        return refuse(
            &s,
            &r,
            400,
            "invalid_payload",
            slack_error("invalid_payload"),
        );
    };
    if chars(&body["text"]) == 0 && body["blocks"].as_array().is_none_or(Vec::is_empty) {
        return refuse(&s, &r, 400, "no_text", slack_error("no_text"));
    }
    if let Some(problem) = slack_blocks_problem(&body["blocks"]) {
        return refuse(&s, &r, 400, &problem, slack_error("invalid_blocks"));
    }
    accept(&s, &r, body, text("ok"))
}

fn discord_problem(body: &Value) -> Option<(u16, Value)> {
    let invalid = |why: &str| {
        Some((
            400,
            json!({"message": "Invalid Form Body", "code": 50035, "errors": {"_errors": [{"code": "BASE_TYPE_MAX_LENGTH", "message": why}]}}),
        ))
    };
    let embeds = body["embeds"].as_array().cloned().unwrap_or_default();
    if chars(&body["content"]) == 0 && embeds.is_empty() {
        return Some((
            400,
            json!({"message": "Cannot send an empty message", "code": 50006}),
        ));
    }
    if chars(&body["content"]) > 2_000 {
        return invalid("content: Must be 2000 or fewer in length.");
    }
    if embeds.len() > 10 {
        return invalid("embeds: Must be 10 or fewer in length.");
    }
    let mut total = 0;
    for e in &embeds {
        let fields = e["fields"].as_array().cloned().unwrap_or_default();
        if chars(&e["title"]) > 256 || chars(&e["description"]) > 4_096 || fields.len() > 25 {
            return invalid("embed title, description or fields too long");
        }
        if !e["color"].is_null() && !e["color"].is_u64() {
            return invalid("color: Value is not int.");
        }
        total += chars(&e["title"]) + chars(&e["description"]) + chars(&e["footer"]["text"]);
        for f in &fields {
            if chars(&f["name"]) == 0
                || chars(&f["name"]) > 256
                || chars(&f["value"]) == 0
                || chars(&f["value"]) > 1_024
            {
                return invalid("embed field name or value empty or too long");
            }
            total += chars(&f["name"]) + chars(&f["value"]);
        }
    }
    if total > 6_000 {
        return invalid("embeds: Embed size exceeds maximum size of 6000");
    }
    None
}

pub async fn discord(
    State(s): State<Shared>,
    Path((_id, token)): Path<(String, String)>,
    r: Req,
) -> Response {
    if token != DISCORD_TOKEN {
        return refuse(
            &s,
            &r,
            401,
            "token",
            json(json!({"message": "Invalid Webhook Token", "code": 50027})),
        );
    }
    let Some(body) = r.json().filter(|_| r.is_json()) else {
        return refuse(
            &s,
            &r,
            400,
            "not json",
            json(json!({"message": "Cannot send an empty message", "code": 50006})),
        );
    };
    if let Some((status, answer)) = discord_problem(&body) {
        let why = answer.to_string();
        return refuse(&s, &r, status, &why, json(answer));
    }
    accept(&s, &r, body, StatusCode::NO_CONTENT.into_response())
}

pub async fn teams(State(s): State<Shared>, r: Req) -> Response {
    let error =
        |code: &str, message: &str| json(json!({"error": {"code": code, "message": message}}));
    if r.query("sig").is_none_or(|s| s.is_empty()) {
        return refuse(
            &s,
            &r,
            401,
            "no sig",
            error(
                "DirectApiAuthorizationRequired",
                "The request is not authorized",
            ),
        );
    }
    if r.raw.len() > 28 * 1024 {
        return refuse(
            &s,
            &r,
            413,
            "over 28 KB",
            error("MessageSizeTooBig", "Message size is over the limit"),
        );
    }
    let Some(body) = r.json().filter(|_| r.is_json()) else {
        return refuse(
            &s,
            &r,
            400,
            "not json",
            error(
                "InvalidRequestContent",
                "The input body for trigger 'manual' of type 'Request' must be of type JSON",
            ),
        );
    };
    let card = &body["attachments"][0];
    let ok = body["type"] == "message"
        && card["contentType"] == "application/vnd.microsoft.card.adaptive"
        && card["content"]["type"] == "AdaptiveCard"
        && card["content"]["version"].is_string()
        && card["content"]["body"]
            .as_array()
            .is_some_and(|b| b.iter().all(|e| e["type"].is_string()));
    if !ok {
        return refuse(
            &s,
            &r,
            400,
            "not an Adaptive Card message",
            error(
                "InvalidRequestContent",
                "Expected a message with an Adaptive Card attachment",
            ),
        );
    }
    accept(&s, &r, body, StatusCode::ACCEPTED.into_response())
}

pub async fn mattermost(State(s): State<Shared>, r: Req) -> Response {
    let error =
        |id: &str, message: &str| json(json!({"id": id, "message": message, "status_code": 400}));
    let Some(body) = r.json().filter(|_| r.is_json()) else {
        return refuse(
            &s,
            &r,
            400,
            "not json",
            error(
                "web.incoming_webhook.parse.app_error",
                "Unable to parse incoming data",
            ),
        );
    };
    if chars(&body["text"]) == 0 && body["attachments"].as_array().is_none_or(Vec::is_empty) {
        return refuse(
            &s,
            &r,
            400,
            "no text",
            error("web.incoming_webhook.text.app_error", "No text specified"),
        );
    }
    if chars(&body["text"]) > 16_383 {
        return refuse(
            &s,
            &r,
            400,
            "text too long",
            error(
                "web.incoming_webhook.text.length.app_error",
                "Text is too long",
            ),
        );
    }
    accept(&s, &r, body, text("ok"))
}

pub async fn rocketchat(State(s): State<Shared>, r: Req) -> Response {
    let error = |e: &str| json(json!({"success": false, "error": e}));
    let Some(body) = r.json().filter(|_| r.is_json()) else {
        return refuse(&s, &r, 400, "not json", error("Invalid JSON"));
    };
    if chars(&body["text"]) == 0 && body["attachments"].as_array().is_none_or(Vec::is_empty) {
        return refuse(
            &s,
            &r,
            400,
            "no text",
            error("text or attachments required"),
        );
    }
    for a in body["attachments"].as_array().into_iter().flatten() {
        if !a.is_object() || (!a["title_link"].is_null() && !a["title_link"].is_string()) {
            return refuse(
                &s,
                &r,
                400,
                "attachment",
                error("attachments must be objects"),
            );
        }
    }
    accept(&s, &r, body, json(json!({"success": true})))
}

pub async fn google_chat(State(s): State<Shared>, Path(space): Path<String>, r: Req) -> Response {
    let error = |code: u16, status: &str, message: &str| {
        json(json!({"error": {"code": code, "message": message, "status": status}}))
    };
    if r.query("key").is_none() || r.query("token").is_none() {
        return refuse(
            &s,
            &r,
            403,
            "no key or token",
            error(
                403,
                "PERMISSION_DENIED",
                "The caller does not have permission",
            ),
        );
    }
    if let Some(option) = r.query("messageReplyOption")
        && ![
            "REPLY_MESSAGE_FALLBACK_TO_NEW_THREAD",
            "REPLY_MESSAGE_OR_FAIL",
            "MESSAGE_REPLY_OPTION_UNSPECIFIED",
        ]
        .contains(&option.as_str())
    {
        return refuse(
            &s,
            &r,
            400,
            "messageReplyOption",
            error(
                400,
                "INVALID_ARGUMENT",
                "Invalid value at 'message_reply_option'",
            ),
        );
    }
    let Some(body) = r.json().filter(|_| r.is_json()) else {
        return refuse(
            &s,
            &r,
            400,
            "not json",
            error(400, "INVALID_ARGUMENT", "Invalid JSON payload received."),
        );
    };
    let text_bytes = body["text"].as_str().map_or(0, str::len);
    if text_bytes == 0 && body["cardsV2"].is_null() {
        return refuse(
            &s,
            &r,
            400,
            "no text",
            error(400, "INVALID_ARGUMENT", "Message cannot be empty."),
        );
    }
    if text_bytes > 32_000
        || (!body["thread"].is_null() && !body["thread"]["threadKey"].is_string())
    {
        return refuse(
            &s,
            &r,
            400,
            "too long or bad thread",
            error(400, "INVALID_ARGUMENT", "Invalid message"),
        );
    }
    let thread = body["thread"]["threadKey"]
        .as_str()
        .unwrap_or("new")
        .to_owned();
    accept(
        &s,
        &r,
        body,
        json(
            json!({"name": format!("spaces/{space}/messages/1"), "thread": {"name": format!("spaces/{space}/threads/{thread}")}}),
        ),
    )
}
