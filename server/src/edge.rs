//! What stands between the network and the routes, besides access control:
//! the request slots, the timeout, panics, and the JSON shape of error
//! answers that tower layers and axum's extractors write in plain text.
//! [`crate::startup`] stacks these; every answer they make is an
//! [`ApiError`], under the security headers like any other.

use std::any::Any;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tokio::sync::Semaphore;

use crate::error::ApiError;
use crate::metrics::Metrics;
use crate::state::AppState;

/// The request slots (`MONITOR_MAX_CONCURRENT_REQUESTS`): requests beyond
/// them wait for one, within the request timeout.
#[derive(Clone)]
pub struct Slots(Arc<Semaphore>);

impl Slots {
    pub fn new(slots: usize) -> Self {
        Self(Arc::new(Semaphore::new(slots.max(1))))
    }
}

/// Sign-ins stay out of the slots: each waits for its password check in
/// the hasher's own bounded line (`MONITOR_LOGIN_QUEUE`), which refuses the
/// excess at once. In the slots, a flood of sign-ins waiting on the hasher
/// would hold every slot while ingest and `/v1/health` queued behind it.
fn outside_slots(request: &Request) -> bool {
    request.method() == Method::POST && request.uri().path() == "/auth/login"
}

pub async fn slots(State(slots): State<Slots>, request: Request, next: Next) -> Response {
    if outside_slots(&request) {
        return next.run(request).await;
    }
    // The semaphore is never closed, so this waits; the timeout outside
    // ends the wait.
    let Ok(_slot) = slots.0.acquire().await else {
        return ApiError::Unavailable.into_response();
    };
    next.run(request).await
}

/// Answers 503 when the answer's head is not ready within `limit`.
pub async fn timeout(State(limit): State<Duration>, request: Request, next: Next) -> Response {
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => ApiError::Timeout {
            secs: limit.as_secs(),
        }
        .into_response(),
    }
}

/// The answer to a panic in a handler, a server function or a middleware
/// inside [`tower_http::catch_panic`]: logged with its message, counted
/// (`telltale_http_panics_total`), answered 500 in JSON. The connection
/// and the server live on.
pub fn panic_answer(
    metrics: Metrics,
) -> impl Fn(Box<dyn Any + Send + 'static>) -> Response + Clone {
    move |panic| {
        metrics.panicked();
        let what = panic
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| panic.downcast_ref::<&str>().copied())
            .unwrap_or("a panic without a message");
        ApiError::Panicked(what.to_owned()).into_response()
    }
}

/// Gives answers that tower layers and axum's extractors write as plain
/// text (or with no body) the API's JSON error shape: 413 from the body
/// limit, 503, 408 and 500. Pages (HTML) keep their own shape, and a server
/// function's error (its `serverfnerror` header) is left for the page that
/// called it to read.
pub async fn json_errors(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    let status = response.status();
    let error = match status {
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::BodyTooLarge {
            limit: state.config.ingest.max_body_bytes,
        },
        StatusCode::SERVICE_UNAVAILABLE => ApiError::Unavailable,
        StatusCode::REQUEST_TIMEOUT => ApiError::Timeout {
            secs: state.config.request_timeout.as_secs(),
        },
        StatusCode::INTERNAL_SERVER_ERROR => {
            ApiError::Internal("an answer of 500 without an error body".to_owned())
        }
        _ => return response,
    };
    if has_own_shape(&response) {
        return response;
    }
    let retry_after = response.headers().get(header::RETRY_AFTER).cloned();
    let mut answer = error.into_response();
    // The JSON keeps the status it replaces (a 408 stays a 408).
    *answer.status_mut() = status;
    if let Some(retry_after) = retry_after {
        answer
            .headers_mut()
            .insert(header::RETRY_AFTER, retry_after);
    }
    answer
}

fn has_own_shape(response: &Response) -> bool {
    let headers = response.headers();
    if headers.contains_key(leptos::server_fn::error::SERVER_FN_ERROR_HEADER) {
        return true;
    }
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v: &HeaderValue| v.to_str().ok())
        .unwrap_or("");
    let mime = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    mime == "application/json" || mime.ends_with("+json") || mime == "text/html"
}

/// The innermost middleware: panics when a test armed the fault, so that a
/// test sees what a panicking handler gets from the whole stack.
pub async fn fault(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if state.faults.request_should_panic() {
        panic!("fault injected by a test: this request's handler panics");
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;

    #[test]
    fn only_sign_ins_skip_the_slots() {
        let req = |method: Method, path: &str| {
            Request::builder()
                .method(method)
                .uri(path)
                .body(Body::empty())
                .unwrap()
        };
        assert!(outside_slots(&req(Method::POST, "/auth/login")));
        assert!(!outside_slots(&req(Method::GET, "/auth/login")));
        assert!(!outside_slots(&req(Method::POST, "/auth/logout")));
        assert!(!outside_slots(&req(Method::POST, "/v1/events")));
        assert!(!outside_slots(&req(Method::POST, "/auth/login/x")));
    }
}
