//! The rules of the road, in one table: which area a request falls in, and
//! which callers may enter it. The middleware applies them to every request
//! before routing, so no handler can forget a check. The access table of
//! docs/access-control.md is this table; the integration tests walk it too.

mod area;
mod verdict;

use axum::extract::{Request, State};
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use telltale_model::AuthContext;

use super::caller::{self, Caller};
use super::client::Client;
use super::{csrf, host};
use crate::error::ApiError;
use crate::state::AppState;

pub use area::{Area, area, badge_area, has_dot_segments};
pub use verdict::{Verdict, verdict};

/// The middleware: CSRF check for unsafe methods, then the access table.
/// It leaves the caller in the request for handlers and server functions.
pub async fn enforce(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let (mut parts, body) = request.into_parts();
    let (client, caller) = match admit(&state, &parts).await {
        Ok(admitted) => admitted,
        Err(refusal) => return refusal,
    };
    let user = match &caller {
        Caller::User(u) => Some(u.clone()),
        _ => None,
    };
    parts.extensions.insert(AuthContext {
        enabled: state.config.auth.enabled,
        user,
    });
    parts.extensions.insert(client);
    parts.extensions.insert(caller);
    next.run(Request::from_parts(parts, body)).await
}

/// Who is calling and from where, once the request passed every check; the
/// answer that refuses it otherwise.
async fn admit(state: &AppState, parts: &Parts) -> Result<(Client, Caller), Response> {
    let path = parts.uri.path();
    // The table judges the path as sent; the page router resolves `..`.
    // Were both allowed, `/pkg/../events` would be judged "open" and then
    // rendered as /events. No page or API path has dot segments: refuse them.
    if has_dot_segments(path) {
        tracing::warn!(path, "path with dot segments refused");
        return Err(ApiError::DotSegments.into_response());
    }
    let mut area = area(&parts.method, path);
    if area == Area::Badge {
        area = badge_area(state, &parts.method, path).await;
    }
    if !state.config.auth.enabled && !host::allowed(&state.config, &parts.headers) {
        tracing::warn!(
            path,
            "request for an unknown host name refused (auth is off)"
        );
        return Err(ApiError::UnknownHost.into_response());
    }
    let client = Client::of(parts, &state.config);
    if let Some(refusal) = cross_origin_refusal(state, parts, area) {
        return Err(refusal);
    }
    let bearer = (area == Area::Metrics)
        .then(|| caller::metrics_bearer(state, &parts.headers))
        .flatten();
    let caller = match bearer {
        Some(c) => c,
        None => caller::resolve(state, &parts.headers, &client)
            .await
            .map_err(|e| ApiError::Store(e).into_response())?,
    };
    if let Some(refusal) = verdict_refusal(state, parts, area, &caller) {
        return Err(refusal);
    }
    Ok((client, caller))
}

/// Unsafe methods bound to a browser must come from Telltale's own origin:
/// the answer that refuses one that does not.
fn cross_origin_refusal(state: &AppState, parts: &Parts, area: Area) -> Option<Response> {
    // A ping carries no ambient credential (its secret is in the URL), and
    // healthchecks lets any origin send one.
    if !csrf::is_unsafe(&parts.method) || area == Area::Ping {
        return None;
    }
    let path = parts.uri.path();
    // A proxy's user header rides along on every request like a cookie.
    let proxy_header = state
        .config
        .auth
        .proxy_auth
        .as_ref()
        .is_some_and(|p| parts.headers.contains_key(p.header.as_str()));
    let browser_bound = matches!(area, Area::ServerFn)
        || path.starts_with("/auth/")
        || proxy_header
        || parts.headers.contains_key(axum::http::header::COOKIE);
    if let Err(refusal) = csrf::check(&state.config, &parts.headers, browser_bound) {
        tracing::warn!(path, ?refusal, "cross-origin request refused");
        return Some(ApiError::CrossOrigin.into_response());
    }
    None
}

/// The access table's verdict for this caller in this area, as the answer
/// that refuses the request when it is not "allow".
fn verdict_refusal(
    state: &AppState,
    parts: &Parts,
    area: Area,
    caller: &Caller,
) -> Option<Response> {
    let verdict = verdict(
        area,
        caller,
        state.config.auth.enabled,
        state.config.api_key.is_some(),
    );
    match verdict {
        Verdict::Allow => None,
        Verdict::Unauthorized => Some(ApiError::Unauthorized.into_response()),
        Verdict::Forbidden(why) => {
            let path = parts.uri.path();
            tracing::info!(path, caller = caller.describe(), "forbidden");
            Some(ApiError::Forbidden(why).into_response())
        }
        Verdict::SignIn => {
            let target = parts
                .uri
                .path_and_query()
                .map_or("/", |pq| pq.as_str())
                .to_owned();
            let next: String = url::form_urlencoded::byte_serialize(target.as_bytes()).collect();
            Some(Redirect::to(&format!("/login?next={next}")).into_response())
        }
    }
}
