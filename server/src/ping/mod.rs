//! `/ping/…`: healthchecks-compatible ping URLs, so crontab lines with
//! curl, runitor, borgmatic and scripts written for healthchecks.io report
//! to Telltale unchanged.
//!
//! - `/ping/<uuid>[/start|/fail|/log|/<exit-status>]`
//! - `/ping/<ping-key>/<job>[/start|/fail|/log|/<exit-status>]`, with
//!   `?create=1` to create the job on its first ping
//!
//! GET, HEAD and POST; `?rid=<uuid>` ties a start to its finish. Answers
//! are healthchecks' own, as text: 200 `OK`, 201 `created`, 404 `not
//! found`, 400 `invalid url format`. What a ping means lives in
//! `telltale_core::ping`; this is the HTTP edge.

mod body;
mod cronitor;
mod key;

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use telltale_core::change::{Ping, PingAnswer, PingTarget};
use telltale_core::ping::{PingError, PingFrom, PingKind, canonical_uuid};

use crate::auth::client::Client;
use crate::state::AppState;

/// The ping routes, to be merged at the root.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/ping/{a}", any(handle))
        .route("/ping/{a}/{b}", any(handle))
        .route("/ping/{a}/{b}/{c}", any(handle))
        .route("/p/{key}/{job}", any(cronitor::telemetry))
}

/// One handler for the three path shapes: the segments in order.
async fn handle(
    State(state): State<AppState>,
    Path(segments): Path<Vec<String>>,
    method: Method,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    client: Option<axum::Extension<Client>>,
    body: Body,
) -> Response {
    let request = Request {
        method,
        query,
        headers,
        client: client.map(|c| c.0),
        body,
    };
    answer(&state, request, segments).await
}

/// Who sent a ping, from its request.
fn from_of(method: &Method, headers: &HeaderMap, client: Option<&Client>) -> PingFrom {
    PingFrom {
        method: method.to_string(),
        remote_addr: client.map(|c| c.ip.to_string()),
        user_agent: headers
            .get(header::USER_AGENT)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned()),
    }
}

/// GET, HEAD and POST only; the 405 for anything else.
fn method_refused(method: &Method, limit: usize) -> Option<Response> {
    if matches!(*method, Method::GET | Method::HEAD | Method::POST) {
        return None;
    }
    let mut response = text(StatusCode::METHOD_NOT_ALLOWED, "method not allowed", limit);
    response
        .headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD, POST"));
    Some(response)
}

/// The request's parts a ping reads, whatever its path.
struct Request {
    method: Method,
    query: Option<String>,
    headers: HeaderMap,
    client: Option<Client>,
    body: Body,
}

/// What the path says: which job, and what happened to it.
struct Route {
    target: PingTarget,
    kind: PingKind,
    /// The ping key of a slug URL.
    key: Option<String>,
}

/// `/ping/<uuid>[/<suffix>]` when the first segment is a UUID, else
/// `/ping/<key>/<job>[/<suffix>]` (ping keys are never UUIDs).
fn route(segments: &[String], create: bool) -> Result<Route, PingError> {
    let by_uuid = canonical_uuid(&segments[0]).is_some();
    match (by_uuid, segments) {
        (true, [uuid]) | (true, [uuid, _]) => Ok(Route {
            target: PingTarget::Uuid(uuid.clone()),
            kind: PingKind::parse(segments.get(1).map(String::as_str))?,
            key: None,
        }),
        (false, [key, job]) | (false, [key, job, _]) => Ok(Route {
            target: PingTarget::Job {
                name: job.clone(),
                create,
            },
            kind: PingKind::parse(segments.get(2).map(String::as_str))?,
            key: Some(key.clone()),
        }),
        (false, [one]) => Err(PingError::InvalidUrl(format!("{one:?} is not a UUID"))),
        _ => Err(PingError::InvalidUrl(
            "a UUID takes at most one part after it".into(),
        )),
    }
}

/// `rid` and `create` of the query; other parameters are ignored, as
/// healthchecks does.
fn query_params(query: Option<&str>) -> (Option<String>, bool) {
    let mut rid = None;
    let mut create = false;
    for (k, v) in url::form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
        match k.as_ref() {
            "rid" => rid = Some(v.into_owned()),
            "create" => create = v == "1",
            _ => {}
        }
    }
    (rid, create)
}

async fn answer(state: &AppState, request: Request, segments: Vec<String>) -> Response {
    let limit = state.config.ingest.ping_body_bytes;
    if let Some(refused) = method_refused(&request.method, limit) {
        return refused;
    }
    let (rid, create) = query_params(request.query.as_deref());
    let route = match route(&segments, create) {
        Ok(route) => route,
        Err(e) => return refused(state, "unknown", &e, limit),
    };
    let kind = route.kind.as_str();
    if let Some(given) = &route.key
        && let Err(e) = key::accept(state, given).await
    {
        return refused(state, kind, &e, limit);
    }
    let body = match body::read(request.body, limit).await {
        Ok(body) => body,
        Err(e) => return refused(state, kind, &e, limit),
    };
    let from = from_of(&request.method, &request.headers, request.client.as_ref());
    let ping = Ping {
        target: route.target,
        kind: route.kind,
        rid,
        series: None,
        from,
        body,
    };
    store(state, ping, limit).await
}

/// Stores a ping that passed every check of its URL; the answer.
async fn store(state: &AppState, ping: Ping, limit: usize) -> Response {
    let kind = ping.kind.as_str();
    match state.core.ping(ping).await {
        Ok(outcome) => {
            state.metrics.ping(kind, "stored");
            state.metrics.ingested(1, 0);
            match outcome {
                PingAnswer::Stored => text(StatusCode::OK, "OK", limit),
                PingAnswer::Created => text(StatusCode::CREATED, "created", limit),
            }
        }
        Err(e) => refused(state, kind, &e, limit),
    }
}

fn refused(state: &AppState, kind: &'static str, error: &PingError, limit: usize) -> Response {
    let (status, outcome) = match error {
        PingError::InvalidUrl(_) | PingError::InvalidRunId | PingError::InvalidJobName(_) => {
            (StatusCode::BAD_REQUEST, "invalid")
        }
        PingError::NotFound => (StatusCode::NOT_FOUND, "not_found"),
        PingError::BadKey => (StatusCode::UNAUTHORIZED, "bad_key"),
        PingError::WrongScope => (StatusCode::FORBIDDEN, "bad_key"),
        PingError::BodyTooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "invalid"),
        PingError::Unavailable(reason) => {
            tracing::warn!(reason, "ping not stored");
            (StatusCode::SERVICE_UNAVAILABLE, "unavailable")
        }
    };
    state.metrics.ping(kind, outcome);
    let mut response = text(status, &error.to_string(), limit);
    if status == StatusCode::SERVICE_UNAVAILABLE {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    }
    response
}

/// A healthchecks answer: short text, open to any origin, naming how much
/// of a body is kept.
fn text(status: StatusCode, body: &str, limit: usize) -> Response {
    let mut response = (status, body.to_owned()).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    headers.insert("ping-body-limit", HeaderValue::from(limit));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    const UUID: &str = "5bf66975-d4c7-4bf5-bcc8-b8d8a82ea278";

    fn parts(path: &[&str]) -> Vec<String> {
        path.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn paths_name_a_uuid_or_a_key_and_job() {
        let r = route(&parts(&[UUID, "7"]), false).unwrap();
        assert_eq!(r.target, PingTarget::Uuid(UUID.into()));
        assert_eq!(r.kind, PingKind::Exit(7));
        assert!(r.key.is_none());
        let r = route(&parts(&["tt_key", "backup", "start"]), true).unwrap();
        assert_eq!(
            r.target,
            PingTarget::Job {
                name: "backup".into(),
                create: true
            }
        );
        assert_eq!(r.kind, PingKind::Start);
        assert_eq!(r.key.as_deref(), Some("tt_key"));
        assert!(route(&parts(&["not-a-uuid"]), false).is_err());
        assert!(route(&parts(&[UUID, "fail", "x"]), false).is_err());
        assert!(route(&parts(&[UUID, "256"]), false).is_err());
    }

    #[test]
    fn query_reads_rid_and_create_only() {
        assert_eq!(
            query_params(Some("rid=abc&create=1&x=y")),
            (Some("abc".into()), true)
        );
        assert_eq!(query_params(Some("create=true")), (None, false));
        assert_eq!(query_params(None), (None, false));
    }
}
