//! The rules of the road, in one table: which area a request falls in, and
//! which callers may enter it. The middleware applies them to every request
//! before routing, so no handler can forget a check. The access table of
//! docs/access-control.md is this table; the integration tests walk it too.

mod area;
mod verdict;

use axum::extract::{Request, State};
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
    let path = parts.uri.path().to_owned();
    // The table judges the path as sent; the page router resolves `..`.
    // Were both allowed, `/pkg/../events` would be judged "open" and then
    // rendered as /events. No page or API path has dot segments: refuse them.
    if has_dot_segments(&path) {
        tracing::warn!(path, "path with dot segments refused");
        return ApiError::DotSegments.into_response();
    }
    let mut area = area(&parts.method, &path);
    if area == Area::Badge {
        area = badge_area(&state, &parts.method, &path).await;
    }

    if !state.config.auth.enabled && !host::allowed(&state.config, &parts.headers) {
        tracing::warn!(
            path,
            "request for an unknown host name refused (auth is off)"
        );
        return ApiError::UnknownHost.into_response();
    }
    let client = Client::of(&parts, &state.config);
    if csrf::is_unsafe(&parts.method) {
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
            return ApiError::CrossOrigin.into_response();
        }
    }

    let bearer = (area == Area::Metrics)
        .then(|| caller::metrics_bearer(&state, &parts.headers))
        .flatten();
    let caller = match bearer {
        Some(c) => c,
        None => match caller::resolve(&state, &parts.headers, &client).await {
            Ok(c) => c,
            Err(e) => return ApiError::Store(e).into_response(),
        },
    };
    match verdict(
        area,
        &caller,
        state.config.auth.enabled,
        state.config.api_key.is_some(),
    ) {
        Verdict::Allow => {}
        Verdict::Unauthorized => return ApiError::Unauthorized.into_response(),
        Verdict::Forbidden(why) => {
            tracing::info!(path, caller = caller.describe(), "forbidden");
            return ApiError::Forbidden(why).into_response();
        }
        Verdict::SignIn => {
            let target = parts
                .uri
                .path_and_query()
                .map_or("/", |pq| pq.as_str())
                .to_owned();
            let next: String = url::form_urlencoded::byte_serialize(target.as_bytes()).collect();
            return Redirect::to(&format!("/login?next={next}")).into_response();
        }
    }
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
