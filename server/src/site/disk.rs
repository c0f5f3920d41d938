//! The site read from a directory (debug builds, `MONITOR_SITE_ROOT`).

use std::path::Path;

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use tower::ServiceExt;
use tower_http::services::ServeDir;

/// The file a request names under `root`, or `None` when there is none.
pub(super) async fn file(
    root: &Path,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
) -> Option<Response> {
    // ServeDir consumes its request; the page renderer may still need this one.
    let mut probe = Request::new(Body::empty());
    if matches!(*method, Method::GET | Method::HEAD) {
        *probe.method_mut() = method.clone();
    }
    *probe.uri_mut() = uri.clone();
    *probe.headers_mut() = headers.clone();
    let Ok(found) = ServeDir::new(root)
        .precompressed_br()
        .precompressed_gzip()
        .oneshot(probe)
        .await;
    (found.status() != StatusCode::NOT_FOUND).then(|| found.into_response())
}
