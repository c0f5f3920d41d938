//! Status badges: `GET /badge/{job}.svg`, a small flat image like
//! shields.io's, and `GET /badge/{job}.json`, a shields.io endpoint
//! answer. Both say the job's check state in words.
//!
//! Who may read one is decided before routing, by the access table
//! ([`crate::auth::access`]): the badge of a job an operator marked public
//! is open to anyone; any other — a private job's, or an unknown name's —
//! is read like the API, so a visitor without access cannot tell a private
//! job from one that does not exist (both are 401).

mod svg;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::json;
use telltale_model::BadgeLook;

use crate::error::ApiError;
use crate::state::AppState;

/// The badge routes, to be merged at the root.
pub fn router() -> Router<AppState> {
    Router::new().route("/badge/{file}", get(badge))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Svg,
    Json,
}

/// The job and format a badge's file name asks for (`nightly.svg`), after
/// percent-decoding; `None` for another extension.
pub fn parse_file(file: &str) -> Option<(&str, Format)> {
    if let Some(job) = file.strip_suffix(".svg") {
        Some((job, Format::Svg))
    } else {
        file.strip_suffix(".json").map(|job| (job, Format::Json))
    }
}

/// The job a request path names, for the access table: `/badge/<name>.svg`
/// with `<name>` percent-decoded as the router will decode it.
pub fn job_of_path(path: &str) -> Option<String> {
    let file = path.strip_prefix("/badge/")?;
    if file.contains('/') {
        return None;
    }
    let file = percent_encoding::percent_decode_str(file)
        .decode_utf8()
        .ok()?;
    parse_file(&file).map(|(job, _)| job.to_owned())
}

async fn badge(State(state): State<AppState>, Path(file): Path<String>) -> Response {
    let Some((job, format)) = parse_file(&file) else {
        return ApiError::NotFound(format!("/badge/{file} (a badge is .svg or .json)"))
            .into_response();
    };
    let (status, look) = match state.core.store().job_with_state(job).await {
        Ok(Some(j)) => (StatusCode::OK, BadgeLook::of(j.health)),
        Ok(None) => (StatusCode::NOT_FOUND, BadgeLook::UNKNOWN),
        Err(e) => return ApiError::Store(e).into_response(),
    };
    // Shown from other sites' pages (GitHub caches images): always ask again.
    let cache = (header::CACHE_CONTROL, "no-cache, max-age=0");
    match format {
        Format::Svg => (
            status,
            [
                (header::CONTENT_TYPE, "image/svg+xml; charset=utf-8"),
                cache,
            ],
            svg::render(job, look),
        )
            .into_response(),
        Format::Json => {
            let mut body = json!({
                "schemaVersion": 1,
                "label": job,
                "message": look.message,
                "color": look.color,
            });
            if status == StatusCode::NOT_FOUND {
                body["isError"] = json!(true);
            }
            (status, [cache], axum::Json(body)).into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_come_from_the_file_as_the_router_decodes_it() {
        assert_eq!(parse_file("a.b.svg"), Some(("a.b", Format::Svg)));
        assert_eq!(parse_file("a.json"), Some(("a", Format::Json)));
        assert_eq!(parse_file("a.png"), None);
        assert_eq!(
            job_of_path("/badge/nightly%20render%2Feu.svg").as_deref(),
            Some("nightly render/eu")
        );
        assert_eq!(job_of_path("/badge/a/b.svg"), None);
        assert_eq!(job_of_path("/badges/a.svg"), None);
    }
}
