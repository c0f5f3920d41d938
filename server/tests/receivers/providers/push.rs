//! Messaging and push: Telegram, ntfy, Gotify, Pushover, Matrix and the
//! Apprise API, each refusing as the provider does.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::{
    APPRISE_KEY, GOTIFY_TOKEN, MATRIX_ROOM, MATRIX_TOKEN, NTFY_TOKEN, PUSHOVER_TOKEN,
    PUSHOVER_USER, Req, Shared, TELEGRAM_CHAT, TELEGRAM_TOKEN, accept, chars, json, refuse, text,
};

/// Telegram's HTML parse mode: only its tags, only its entities. Returns
/// the visible length, or the error Telegram gives.
fn telegram_html(s: &str) -> Result<usize, String> {
    const TAGS: &[&str] = &[
        "b",
        "strong",
        "i",
        "em",
        "u",
        "ins",
        "s",
        "strike",
        "del",
        "a",
        "code",
        "pre",
        "span",
        "tg-spoiler",
        "blockquote",
    ];
    let mut visible = 0;
    let mut rest = s;
    while let Some(c) = rest.chars().next() {
        match c {
            '<' => {
                let end = rest
                    .find('>')
                    .ok_or("Bad Request: can't parse entities: Unclosed start tag")?;
                let tag = rest[1..end].trim_start_matches('/');
                let name = tag.split([' ', '=']).next().unwrap_or_default();
                if !TAGS.contains(&name) {
                    return Err(format!(
                        "Bad Request: can't parse entities: Unsupported start tag \"{name}\""
                    ));
                }
                rest = &rest[end + 1..];
            }
            '&' => {
                let end = rest
                    .find(';')
                    .ok_or("Bad Request: can't parse entities: Unclosed entity")?;
                let entity = &rest[1..end];
                if !["lt", "gt", "amp", "quot"].contains(&entity) && !entity.starts_with('#') {
                    return Err(format!(
                        "Bad Request: can't parse entities: Unsupported HTML entity \"&{entity};\""
                    ));
                }
                visible += 1;
                rest = &rest[end + 1..];
            }
            c => {
                visible += 1;
                rest = &rest[c.len_utf8()..];
            }
        }
    }
    Ok(visible)
}

pub async fn telegram(State(s): State<Shared>, Path(bot): Path<String>, r: Req) -> Response {
    let error =
        |code: u16, d: &str| json(json!({"ok": false, "error_code": code, "description": d}));
    if bot != format!("bot{TELEGRAM_TOKEN}") {
        return refuse(&s, &r, 401, "token", error(401, "Unauthorized"));
    }
    let Some(body) = r.json().filter(|_| r.is_json()) else {
        return refuse(
            &s,
            &r,
            400,
            "not json",
            error(400, "Bad Request: message text is empty"),
        );
    };
    let chat = body["chat_id"]
        .as_str()
        .map(str::to_owned)
        .or_else(|| body["chat_id"].as_i64().map(|i| i.to_string()));
    match chat {
        None => {
            return refuse(
                &s,
                &r,
                400,
                "chat_id",
                error(400, "Bad Request: chat_id is empty"),
            );
        }
        Some(c) if c != TELEGRAM_CHAT => {
            return refuse(
                &s,
                &r,
                400,
                "chat",
                error(400, "Bad Request: chat not found"),
            );
        }
        Some(_) => {}
    }
    let Some(message) = body["text"].as_str().filter(|t| !t.is_empty()) else {
        return refuse(
            &s,
            &r,
            400,
            "text",
            error(400, "Bad Request: message text is empty"),
        );
    };
    let visible = if body["parse_mode"] == "HTML" {
        telegram_html(message)
    } else {
        Ok(message.chars().count())
    };
    match visible {
        Err(e) => return refuse(&s, &r, 400, &e, error(400, &e)),
        Ok(n) if n > 4_096 => {
            return refuse(
                &s,
                &r,
                400,
                "too long",
                error(400, "Bad Request: message is too long"),
            );
        }
        Ok(_) => {}
    }
    let answer = json!({"ok": true, "result": {"message_id": 1, "chat": {"id": TELEGRAM_CHAT}, "text": message}});
    accept(&s, &r, body, json(answer))
}

pub async fn ntfy(State(s): State<Shared>, r: Req) -> Response {
    let error =
        |code: u32, http: u16, e: &str| json(json!({"code": code, "http": http, "error": e}));
    let Some(body) = r.json() else {
        return refuse(
            &s,
            &r,
            400,
            "not json",
            error(40024, 400, "invalid request: body must be message JSON"),
        );
    };
    let topic = body["topic"].as_str().unwrap_or_default();
    if topic.is_empty()
        || topic.len() > 64
        || !topic
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return refuse(
            &s,
            &r,
            400,
            "topic",
            error(40009, 400, "invalid request: topic invalid"),
        );
    }
    if topic == "backups" && r.header("authorization") != format!("Bearer {NTFY_TOKEN}") {
        return refuse(&s, &r, 403, "forbidden", error(40301, 403, "forbidden"));
    }
    if !body["priority"].is_null()
        && !body["priority"]
            .as_i64()
            .is_some_and(|p| (1..=5).contains(&p))
    {
        return refuse(
            &s,
            &r,
            400,
            "priority",
            error(40007, 400, "invalid request: priority invalid"),
        );
    }
    if !body["tags"].is_null()
        && !body["tags"]
            .as_array()
            .is_some_and(|t| t.iter().all(Value::is_string))
    {
        return refuse(
            &s,
            &r,
            400,
            "tags",
            error(40024, 400, "invalid request: tags must be strings"),
        );
    }
    if body["message"].as_str().map_or(0, str::len) > 4_096 {
        return refuse(
            &s,
            &r,
            413,
            "message",
            error(41301, 413, "message too large"),
        );
    }
    let answer = json!({"id": "x1", "time": 1, "event": "message", "topic": topic, "message": body["message"]});
    accept(&s, &r, body, json(answer))
}

pub async fn gotify(State(s): State<Shared>, r: Req) -> Response {
    let error = |code: u16, e: &str, d: &str| {
        json(json!({"error": e, "errorCode": code, "errorDescription": d}))
    };
    let token = Some(r.header("x-gotify-key").to_owned())
        .filter(|t| !t.is_empty())
        .or_else(|| r.query("token"));
    if token.as_deref() != Some(GOTIFY_TOKEN) {
        return refuse(
            &s,
            &r,
            401,
            "token",
            error(
                401,
                "Unauthorized",
                "you need to provide a valid access token or user credentials to access this api",
            ),
        );
    }
    let Some(body) = r.json().filter(|_| r.is_json()) else {
        return refuse(
            &s,
            &r,
            400,
            "not json",
            error(400, "Bad Request", "invalid JSON"),
        );
    };
    if chars(&body["message"]) == 0 {
        return refuse(
            &s,
            &r,
            400,
            "message",
            error(400, "Bad Request", "Field 'message' is required"),
        );
    }
    if !body["priority"].is_null() && !body["priority"].is_i64() {
        return refuse(
            &s,
            &r,
            400,
            "priority",
            error(400, "Bad Request", "Field 'priority' must be an integer"),
        );
    }
    let answer = json!({"id": 1, "appid": 1, "message": body["message"], "title": body["title"], "priority": body["priority"]});
    accept(&s, &r, body, json(answer))
}

pub async fn pushover(State(s): State<Shared>, r: Req) -> Response {
    let error = |field: &str, value: &str, e: &str| {
        json(
            json!({field: value, "errors": [e], "status": 0, "request": "5042853c-402d-4a18-abcb-168734a801de"}),
        )
    };
    let Some(body) = r.json().filter(|_| r.is_json()) else {
        return refuse(
            &s,
            &r,
            400,
            "not json",
            error("message", "cannot be blank", "message cannot be blank"),
        );
    };
    if body["token"] != PUSHOVER_TOKEN {
        return refuse(
            &s,
            &r,
            400,
            "token",
            error("token", "invalid", "application token is invalid"),
        );
    }
    if body["user"] != PUSHOVER_USER {
        return refuse(
            &s,
            &r,
            400,
            "user",
            error(
                "user",
                "invalid",
                "user identifier is not a valid user, group, or subscribed user key",
            ),
        );
    }
    let problem = match () {
        _ if chars(&body["message"]) == 0 => {
            Some(("message", "cannot be blank", "message cannot be blank"))
        }
        _ if chars(&body["message"]) > 1_024 => {
            Some(("message", "is too long", "message is too long"))
        }
        _ if chars(&body["title"]) > 250 => Some(("title", "is too long", "title is too long")),
        _ if chars(&body["url"]) > 512 || chars(&body["url_title"]) > 100 => {
            Some(("url", "is too long", "url is too long"))
        }
        _ if !body["priority"].is_null()
            && !body["priority"]
                .as_i64()
                .is_some_and(|p| (-2..=1).contains(&p)) =>
        {
            Some((
                "priority",
                "is invalid",
                "priority is invalid (2 needs retry and expire)",
            ))
        }
        _ => None,
    };
    if let Some((field, value, e)) = problem {
        return refuse(&s, &r, 400, e, error(field, value, e));
    }
    accept(
        &s,
        &r,
        body,
        json(json!({"status": 1, "request": "647d2300-702c-4b38-8b2f-d56326ae460b"})),
    )
}

pub async fn matrix(
    State(s): State<Shared>,
    Path((room, txn)): Path<(String, String)>,
    r: Req,
) -> Response {
    let error = |code: &str, e: &str| json(json!({"errcode": code, "error": e}));
    match r.header("authorization").strip_prefix("Bearer ") {
        None => {
            return refuse(
                &s,
                &r,
                401,
                "no token",
                error("M_MISSING_TOKEN", "Missing access token."),
            );
        }
        Some(t) if t != MATRIX_TOKEN => {
            return refuse(
                &s,
                &r,
                401,
                "token",
                error("M_UNKNOWN_TOKEN", "Invalid access token passed."),
            );
        }
        Some(_) => {}
    }
    if room != MATRIX_ROOM {
        return refuse(
            &s,
            &r,
            403,
            "room",
            error(
                "M_FORBIDDEN",
                &format!("User @telltale:example.org not in room {room}"),
            ),
        );
    }
    let Some(body) = r.json().filter(|_| r.is_json()) else {
        return refuse(
            &s,
            &r,
            400,
            "not json",
            error("M_NOT_JSON", "Content not JSON."),
        );
    };
    let formatted_ok = body["format"].is_null()
        || (body["format"] == "org.matrix.custom.html" && body["formatted_body"].is_string());
    if !body["msgtype"].is_string() || !body["body"].is_string() || !formatted_ok {
        return refuse(
            &s,
            &r,
            400,
            "event",
            error(
                "M_BAD_JSON",
                "msgtype and body are required; format needs formatted_body",
            ),
        );
    }
    let answer = json(json!({"event_id": format!("${txn}")}));
    if !s.lock().unwrap().matrix_txns.insert(txn.clone()) {
        // The same transaction again: answered, not posted twice.
        return answer;
    }
    accept(&s, &r, body, answer)
}

pub async fn apprise(State(s): State<Shared>, Path(key): Path<String>, r: Req) -> Response {
    if key != APPRISE_KEY {
        // No configuration for this key: nothing was notified.
        return refuse(
            &s,
            &r,
            204,
            "no configuration",
            StatusCode::NO_CONTENT.into_response(),
        );
    }
    let Some(body) = r.json().filter(|_| r.is_json()) else {
        return refuse(
            &s,
            &r,
            400,
            "not json",
            text("Payload lacks minimum requirements."),
        );
    };
    let known = |v: &Value, options: &[&str]| {
        v.is_null() || v.as_str().is_some_and(|t| options.contains(&t))
    };
    if chars(&body["body"]) == 0
        || !known(&body["type"], &["info", "success", "warning", "failure"])
        || !known(&body["format"], &["text", "markdown", "html"])
    {
        return refuse(
            &s,
            &r,
            400,
            "payload",
            text("Payload lacks minimum requirements."),
        );
    }
    accept(&s, &r, body, text("Notification(s) sent."))
}
