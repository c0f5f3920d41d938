//! The rules of the road, in one table: which area a request falls in, and
//! which callers may enter it. The middleware applies them to every request
//! before routing, so no handler can forget a check. The access table of
//! docs/access-control.md is this table; the integration tests walk it too.

use axum::extract::{Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use telltale_model::{AuthContext, KeyScope, Role};

use super::caller::{self, Caller};
use super::client::Client;
use super::{csrf, host};
use crate::error::ApiError;
use crate::state::AppState;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Area {
    /// `/v1/health`, the login page and form, the bundle and icons.
    Open,
    /// `POST /v1/events`, `POST /v1/events/batch`.
    Ingest,
    /// Every other `GET` of `/v1`.
    Read,
    /// Changes through `/v1` (close alert) and all of `/v1/settings`.
    Admin,
    /// Leptos server functions under `/api` (the pages' data).
    ServerFn,
    /// `/metrics`: as `Read`, or `MONITOR_METRICS_TOKEN` as a bearer token.
    Metrics,
    /// Everything else: dashboard pages.
    Page,
    /// `/badge/{job}.svg|json`: [`Area::Open`] for a job an operator
    /// marked public, else [`Area::Read`] (see [`badge_area`]). Judged as
    /// Read if it ever reaches the table unresolved.
    Badge,
}

pub fn area(method: &Method, path: &str) -> Area {
    let reads = matches!(*method, Method::GET | Method::HEAD);
    if path == "/v1/health"
        || path == "/login"
        || path == "/auth/login"
        || path == "/auth/logout"
        || path.starts_with("/pkg/")
        || path == "/favicon.svg"
        || path == "/favicon.ico"
    {
        return Area::Open;
    }
    if let Some(rest) = path.strip_prefix("/v1/") {
        return if *method == Method::POST && (rest == "events" || rest == "events/batch") {
            Area::Ingest
        } else if rest == "settings" || rest.starts_with("settings/") || !reads {
            Area::Admin
        } else {
            Area::Read
        };
    }
    if path.starts_with("/api/") {
        return Area::ServerFn;
    }
    if path == "/metrics" {
        return Area::Metrics;
    }
    if path.starts_with("/badge/") {
        return Area::Badge;
    }
    Area::Page
}

/// Where a badge request falls: open when it reads the badge of a job
/// marked public, otherwise read like the API. An unknown name is not
/// public, so without access it gets the same 401 as a private job.
pub async fn badge_area(state: &AppState, method: &Method, path: &str) -> Area {
    let reads = matches!(*method, Method::GET | Method::HEAD);
    let Some(job) = crate::badge::job_of_path(path).filter(|_| reads) else {
        return Area::Read;
    };
    match state.store.badge_is_public(&job).await {
        Ok(true) => Area::Open,
        Ok(false) => Area::Read,
        Err(e) => {
            // Fail closed: a store that cannot answer cannot vouch for it.
            tracing::warn!(error = %e, "badge visibility unknown; reading it needs access");
            Area::Read
        }
    }
}

/// True when a segment of `path`, percent-decoded and split at `/` or `\\`
/// (which URL parsers treat alike), is `.` or `..`.
pub fn has_dot_segments(path: &str) -> bool {
    path.split('/').any(|raw| {
        let decoded = percent_encoding::percent_decode_str(raw).decode_utf8_lossy();
        decoded
            .split(['/', '\\'])
            .any(|part| part == "." || part == "..")
    })
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Allow,
    /// 401: credentials missing or wrong.
    Unauthorized,
    /// 403: known caller, not allowed here.
    Forbidden(&'static str),
    /// A page without a session: off to the login form.
    SignIn,
}

/// The access table. With auth off (local single-user use), only
/// `MONITOR_API_KEY`, when set, guards `/v1`, as in Chief.
pub fn verdict(area: Area, caller: &Caller, auth_enabled: bool, env_key_set: bool) -> Verdict {
    use Verdict::*;
    if area == Area::Open {
        return Allow;
    }
    // `/metrics` is read like the API; the metrics token opens it alone.
    let area = match (area, caller) {
        (Area::Metrics, Caller::MetricsToken) => return Allow,
        (Area::Metrics, _) => Area::Read,
        (area, _) => area,
    };
    if !auth_enabled {
        return match area {
            Area::Ingest | Area::Read | Area::Badge | Area::Admin if env_key_set => match caller {
                Caller::EnvKey => Allow,
                _ => Unauthorized,
            },
            _ => Allow,
        };
    }
    match (area, caller) {
        (_, Caller::BadKey) => Unauthorized,
        (_, Caller::MetricsToken) => Forbidden("the metrics token opens /metrics only"),
        (Area::Page, Caller::User(_)) => Allow,
        (Area::Page, _) => SignIn,
        (Area::ServerFn, Caller::User(_)) => Allow,
        (Area::ServerFn, _) => Unauthorized,
        (_, Caller::Nobody) => Unauthorized,
        (Area::Ingest, Caller::EnvKey) => Allow,
        (Area::Ingest, Caller::Key(k)) if k.scope == KeyScope::Ingest => Allow,
        (Area::Ingest, _) => Forbidden("ingest needs an ingest-scoped API key"),
        (Area::Read | Area::Badge, Caller::EnvKey | Caller::User(_)) => Allow,
        (Area::Read | Area::Badge, Caller::Key(k)) if k.scope == KeyScope::Read => Allow,
        (Area::Read | Area::Badge, _) => {
            Forbidden("reading needs a read-scoped API key or a session")
        }
        (Area::Admin, Caller::User(u)) if u.role == Role::Admin => Allow,
        (Area::Admin, _) => Forbidden("this needs an admin"),
        (Area::Open | Area::Metrics, _) => Allow,
    }
}

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

#[cfg(test)]
mod tests {
    use chrono::Utc;
    use telltale_model::{ApiKey, User};

    use super::*;

    #[test]
    fn areas() {
        let get = Method::GET;
        let post = Method::POST;
        assert_eq!(area(&get, "/v1/health"), Area::Open);
        assert_eq!(area(&post, "/auth/login"), Area::Open);
        assert_eq!(area(&get, "/pkg/telltale.wasm"), Area::Open);
        assert_eq!(area(&post, "/v1/events"), Area::Ingest);
        assert_eq!(area(&post, "/v1/events/batch"), Area::Ingest);
        assert_eq!(area(&get, "/v1/events"), Area::Read);
        assert_eq!(area(&post, "/v1/alerts/1/close"), Area::Admin);
        assert_eq!(area(&get, "/v1/settings/api-keys"), Area::Admin);
        assert_eq!(area(&post, "/api/runs/list"), Area::ServerFn);
        assert_eq!(area(&get, "/metrics"), Area::Metrics);
        assert_eq!(area(&get, "/metrics/x"), Area::Page);
        assert_eq!(area(&get, "/runs/abc"), Area::Page);
        assert_eq!(area(&get, "/badge/nightly.svg"), Area::Badge);
        assert_eq!(area(&get, "/v1/export/events.ndjson"), Area::Read);
        assert_eq!(area(&Method::PUT, "/v1/jobs/nightly/badge"), Area::Admin);
        // No prefix tricks: /v1health is a page path, not the health check.
        assert_eq!(area(&get, "/v1health"), Area::Page);
        assert_eq!(area(&get, "/auth/whatever"), Area::Page);
    }

    #[test]
    fn dot_segments_in_any_spelling() {
        for bad in [
            "/pkg/../events",
            "/pkg/./x",
            "/pkg/%2e%2e/events",
            "/pkg/%2E./events",
            "/pkg/..%2Fevents",
            "/pkg/..%5Cevents",
            "/pkg/..\\events",
            "/..",
        ] {
            assert!(has_dot_segments(bad), "{bad}");
        }
        for good in [
            "/",
            "/runs/run.0042",
            "/runs/a%2Fb",
            "/pkg/telltale.wasm",
            "/runs/...x",
        ] {
            assert!(!has_dot_segments(good), "{good}");
        }
    }

    #[test]
    fn the_table() {
        let user = |role| {
            Caller::User(User {
                id: 1,
                email: "a@example.com".into(),
                role,
                created_at: Utc::now(),
            })
        };
        let key = |scope| {
            Caller::Key(ApiKey {
                id: 1,
                name: "k".into(),
                scope,
                prefix: "tt_".into(),
                created_at: Utc::now(),
                last_used_at: None,
                revoked_at: None,
            })
        };
        use Verdict::*;
        let f = Forbidden("");
        let callers = [
            Caller::Nobody,
            user(Role::Viewer),
            user(Role::Admin),
            key(KeyScope::Ingest),
            key(KeyScope::Read),
            Caller::EnvKey,
            Caller::BadKey,
            Caller::MetricsToken,
        ];
        // Columns: nobody, viewer, admin, ingest key, read key, env key, bad
        // key (or wrong metrics token), metrics token.
        let table = [
            (
                Area::Open,
                [Allow, Allow, Allow, Allow, Allow, Allow, Allow, Allow],
            ),
            (
                Area::Ingest,
                [
                    Unauthorized,
                    f.clone(),
                    f.clone(),
                    Allow,
                    f.clone(),
                    Allow,
                    Unauthorized,
                    f.clone(),
                ],
            ),
            (
                Area::Read,
                [
                    Unauthorized,
                    Allow,
                    Allow,
                    f.clone(),
                    Allow,
                    Allow,
                    Unauthorized,
                    f.clone(),
                ],
            ),
            (
                Area::Metrics,
                [
                    Unauthorized,
                    Allow,
                    Allow,
                    f.clone(),
                    Allow,
                    Allow,
                    Unauthorized,
                    Allow,
                ],
            ),
            (
                Area::Admin,
                [
                    Unauthorized,
                    f.clone(),
                    Allow,
                    f.clone(),
                    f.clone(),
                    f.clone(),
                    Unauthorized,
                    f.clone(),
                ],
            ),
            (
                Area::ServerFn,
                [
                    Unauthorized,
                    Allow,
                    Allow,
                    Unauthorized,
                    Unauthorized,
                    Unauthorized,
                    Unauthorized,
                    f.clone(),
                ],
            ),
            (
                Area::Page,
                [
                    SignIn,
                    Allow,
                    Allow,
                    SignIn,
                    SignIn,
                    SignIn,
                    Unauthorized,
                    f.clone(),
                ],
            ),
        ];
        for (area, row) in table {
            for (caller, want) in callers.iter().zip(row) {
                let got = verdict(area, caller, true, true);
                let same = match (&got, &want) {
                    (Forbidden(_), Forbidden(_)) => true,
                    (a, b) => a == b,
                };
                assert!(
                    same,
                    "{area:?} × {}: got {got:?}, want {want:?}",
                    caller.describe()
                );
            }
        }
        // An unresolved badge is judged as a read.
        for caller in &callers {
            assert_eq!(
                verdict(Area::Badge, caller, true, true),
                verdict(Area::Read, caller, true, true)
            );
        }
        // Auth off: MONITOR_API_KEY alone guards /v1, pages are open.
        assert_eq!(
            verdict(Area::Read, &Caller::Nobody, false, true),
            Unauthorized
        );
        assert_eq!(verdict(Area::Read, &Caller::EnvKey, false, true), Allow);
        assert_eq!(verdict(Area::Admin, &Caller::Nobody, false, false), Allow);
        assert_eq!(verdict(Area::Page, &Caller::Nobody, false, true), Allow);
        // /metrics with auth off: like the read API, or the metrics token.
        assert_eq!(
            verdict(Area::Metrics, &Caller::Nobody, false, true),
            Unauthorized
        );
        assert_eq!(
            verdict(Area::Metrics, &Caller::MetricsToken, false, true),
            Allow
        );
        assert_eq!(
            verdict(Area::Metrics, &Caller::BadKey, false, true),
            Unauthorized
        );
        assert_eq!(verdict(Area::Metrics, &Caller::Nobody, false, false), Allow);
    }
}
