//! Which area of the access table a request falls in, judged by its
//! method and path alone (a badge also by its job's visibility).

use axum::http::Method;

use crate::state::AppState;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Area {
    /// `/v1/health`, the login page and form, the bundle and icons.
    Open,
    /// `POST /v1/events`, `POST /v1/events/batch`.
    Ingest,
    /// `/ping/…` and Cronitor's `/p/…`: open to the table, as healthchecks' are. The UUID in the
    /// URL is the credential, or the ping key of a slug URL, which the
    /// handler checks (it is in the path, not a header).
    Ping,
    /// Every other `GET` of `/v1`, and `/docs/api` (the API reference).
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
    // The OpenAPI document as a page: read as the document is.
    if path == "/docs/api" {
        return if reads { Area::Read } else { Area::Admin };
    }
    if path.starts_with("/ping/") || path.starts_with("/p/") {
        return Area::Ping;
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
    match state.core.store().badge_is_public(&job).await {
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

#[cfg(test)]
mod tests {
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
        assert_eq!(area(&get, "/docs/api"), Area::Read);
        assert_eq!(area(&post, "/docs/api"), Area::Admin);
        assert_eq!(area(&get, "/metrics/x"), Area::Page);
        assert_eq!(area(&get, "/runs/abc"), Area::Page);
        assert_eq!(area(&get, "/badge/nightly.svg"), Area::Badge);
        assert_eq!(
            area(&post, "/ping/5bf66975-d4c7-4bf5-bcc8-b8d8a82ea278/fail"),
            Area::Ping
        );
        assert_eq!(area(&get, "/pingx"), Area::Page);
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
}
