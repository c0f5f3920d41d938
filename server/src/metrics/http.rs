//! Request latency by route: a middleware on the whole router
//! ([`track`]), and a helper layer on nested routers ([`note_route`]).
//!
//! The route label is axum's [`MatchedPath`] — the pattern, such as
//! `/v1/runs/{run_id}` — never the raw URI, so the label set stays small.
//! A middleware on the outer router does not see the pattern of a route in
//! a nested router (`/v1`); [`note_route`], layered inside it, hands the
//! full pattern out on the response instead.

use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::Response;

use super::RequestLabels;
use crate::state::AppState;

/// The route label of requests no route matched: static files of the
/// bundle, unknown paths.
const FALLBACK: &str = "fallback";

pub async fn track(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = method_label(request.method());
    let outer = request.extensions().get::<MatchedPath>().cloned();
    let response = next.run(request).await;
    let route = response
        .extensions()
        .get::<MatchedPath>()
        .or(outer.as_ref())
        .map_or(FALLBACK, MatchedPath::as_str)
        .to_owned();
    state.metrics.observe_request(
        RequestLabels {
            method,
            route,
            status: status_class(response.status()),
        },
        start.elapsed().as_secs_f64(),
    );
    response
}

/// For a nested router's `route_layer`: copies the matched pattern (which
/// there includes the nesting prefix) onto the response for [`track`].
pub async fn note_route(request: Request, next: Next) -> Response {
    let matched = request.extensions().get::<MatchedPath>().cloned();
    let mut response = next.run(request).await;
    if let Some(matched) = matched {
        response.extensions_mut().insert(matched);
    }
    response
}

/// Methods beyond the standard ones (anyone can invent one) count as one.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        Method::OPTIONS => "OPTIONS",
        _ => "OTHER",
    }
}

fn status_class(status: StatusCode) -> &'static str {
    match status.as_u16() {
        100..=199 => "1xx",
        200..=299 => "2xx",
        300..=399 => "3xx",
        400..=499 => "4xx",
        _ => "5xx",
    }
}
