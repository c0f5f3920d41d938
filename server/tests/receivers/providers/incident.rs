//! Incident tools (PagerDuty Events API v2, Opsgenie's Alert API) and the
//! templated webhook's receiver.

use axum::extract::{Path, State};
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::{OPSGENIE_KEY, PAGERDUTY_KEY, Req, Shared, TEMPLATE_AUTH, accept, chars, json, refuse};

fn pagerduty_problem(body: &Value) -> Option<String> {
    let key = body["routing_key"].as_str().unwrap_or_default();
    if key.len() != 32 {
        return Some("Length of 'routing_key' is incorrect (should be 32 characters)".into());
    }
    if key != PAGERDUTY_KEY {
        return Some("Invalid routing key".into());
    }
    let action = body["event_action"].as_str().unwrap_or_default();
    if !["trigger", "acknowledge", "resolve"].contains(&action) {
        return Some(
            "'event_action' is invalid (must be one of: 'trigger', 'acknowledge' or 'resolve')"
                .into(),
        );
    }
    if chars(&body["dedup_key"]) > 255 || (action != "trigger" && chars(&body["dedup_key"]) == 0) {
        return Some("'dedup_key' is missing or longer than 255 characters".into());
    }
    if action == "trigger" {
        let p = &body["payload"];
        if chars(&p["summary"]) == 0 || chars(&p["summary"]) > 1_024 {
            return Some("'payload.summary' is missing or longer than 1024 characters".into());
        }
        if chars(&p["source"]) == 0 {
            return Some("'payload.source' is missing or blank".into());
        }
        if !["critical", "error", "warning", "info"]
            .contains(&p["severity"].as_str().unwrap_or_default())
        {
            return Some("'payload.severity' is invalid (must be one of the following: 'critical', 'warning', 'error' or 'info')".into());
        }
        if let Some(t) = p["timestamp"].as_str()
            && chrono::DateTime::parse_from_rfc3339(t).is_err()
        {
            return Some("'payload.timestamp' is not an ISO 8601 timestamp".into());
        }
    }
    None
}

pub async fn pagerduty(State(s): State<Shared>, r: Req) -> Response {
    let invalid = |e: &str| {
        json(
            json!({"status": "invalid event", "message": "Event object is invalid", "errors": [e]}),
        )
    };
    let Some(body) = r.json().filter(|_| r.is_json()) else {
        return refuse(&s, &r, 400, "not json", invalid("Invalid JSON"));
    };
    if let Some(problem) = pagerduty_problem(&body) {
        return refuse(&s, &r, 400, &problem, invalid(&problem));
    }
    let answer =
        json!({"status": "success", "message": "Event processed", "dedup_key": body["dedup_key"]});
    let mut response = accept(&s, &r, body, json(answer));
    *response.status_mut() = StatusCode::ACCEPTED;
    response
}

fn opsgenie_answer(status: u16, message: &str) -> Response {
    let mut r = json(
        json!({"message": message, "took": 0.001, "requestId": "43a29c5c-3dbf-4fa4-9c26-f4f71023e120"}),
    );
    *r.status_mut() = StatusCode::from_u16(status).unwrap();
    r
}

fn opsgenie_auth(r: &Req) -> Option<(u16, &'static str)> {
    match r.header("authorization").strip_prefix("GenieKey ") {
        None => Some((401, "Could not authenticate")),
        Some(k) if uuid_like(k) && k != OPSGENIE_KEY => Some((401, "Could not authenticate")),
        Some(k) if !uuid_like(k) => Some((422, "Key format is not valid!")),
        Some(_) => None,
    }
}

fn uuid_like(k: &str) -> bool {
    k.len() == 36
        && k.chars().enumerate().all(|(i, c)| {
            if [8, 13, 18, 23].contains(&i) {
                c == '-'
            } else {
                c.is_ascii_hexdigit()
            }
        })
}

pub async fn opsgenie_create(State(s): State<Shared>, r: Req) -> Response {
    if let Some((status, message)) = opsgenie_auth(&r) {
        return refuse(&s, &r, status, message, opsgenie_answer(status, message));
    }
    let Some(body) = r.json().filter(|_| r.is_json()) else {
        return refuse(
            &s,
            &r,
            400,
            "not json",
            opsgenie_answer(400, "Could not parse request body"),
        );
    };
    let tags = body["tags"].as_array().cloned().unwrap_or_default();
    let details_ok = body["details"].is_null()
        || body["details"]
            .as_object()
            .is_some_and(|d| d.values().all(Value::is_string));
    let problem = match () {
        _ if chars(&body["message"]) == 0 => Some("Message can not be empty."),
        _ if chars(&body["message"]) > 130 => {
            Some("Message can not be longer than 130 characters.")
        }
        _ if chars(&body["alias"]) > 512 => Some("Alias can not be longer than 512 characters."),
        _ if chars(&body["description"]) > 15_000 => {
            Some("Description can not be longer than 15000 characters.")
        }
        _ if !body["priority"].is_null()
            && !["P1", "P2", "P3", "P4", "P5"]
                .contains(&body["priority"].as_str().unwrap_or_default()) =>
        {
            Some("Priority should be one of [P1, P2, P3, P4, P5]")
        }
        _ if tags.len() > 20 || tags.iter().any(|t| chars(t) == 0 || chars(t) > 50) => {
            Some("Tags can not exceed 20 items of 50 characters.")
        }
        _ if !details_ok => Some("Details values must be strings."),
        _ => None,
    };
    if let Some(problem) = problem {
        return refuse(
            &s,
            &r,
            422,
            problem,
            opsgenie_answer(
                422,
                "Request body is not processable. Please check the errors.",
            ),
        );
    }
    accept(
        &s,
        &r,
        body,
        opsgenie_answer(202, "Request will be processed"),
    )
}

pub async fn opsgenie_close(
    State(s): State<Shared>,
    Path(alias): Path<String>,
    r: Req,
) -> Response {
    if let Some((status, message)) = opsgenie_auth(&r) {
        return refuse(&s, &r, status, message, opsgenie_answer(status, message));
    }
    if r.query("identifierType").as_deref() != Some("alias") {
        // Without it the identifier is an alert id, which this is not.
        return refuse(
            &s,
            &r,
            404,
            "not an id",
            opsgenie_answer(404, "Alert with id [x] does not exist"),
        );
    }
    let body = if r.raw.is_empty() {
        json!({})
    } else {
        match r.json() {
            Some(b) => b,
            None => {
                return refuse(
                    &s,
                    &r,
                    400,
                    "not json",
                    opsgenie_answer(400, "Could not parse request body"),
                );
            }
        }
    };
    if chars(&body["note"]) > 25_000 {
        return refuse(
            &s,
            &r,
            422,
            "note",
            opsgenie_answer(422, "Note can not be longer than 25000 characters."),
        );
    }
    let mut body = body;
    body["closedAlias"] = json!(alias);
    accept(
        &s,
        &r,
        body,
        opsgenie_answer(202, "Request will be processed"),
    )
}

pub async fn template(State(s): State<Shared>, method: Method, r: Req) -> Response {
    if r.header("authorization") != TEMPLATE_AUTH {
        return refuse(
            &s,
            &r,
            401,
            "auth",
            StatusCode::UNAUTHORIZED.into_response(),
        );
    }
    let Some(mut body) = r.json().filter(|_| r.is_json()) else {
        return refuse(
            &s,
            &r,
            400,
            "not json",
            StatusCode::BAD_REQUEST.into_response(),
        );
    };
    body["_method"] = json!(method.as_str());
    accept(&s, &r, body, StatusCode::OK.into_response())
}
