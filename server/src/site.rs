//! Where the built site (the WASM bundle, CSS, favicon) is found.
//!
//! The assets are not embedded in the binary: cargo-leptos builds the bundle
//! and the server side by side, so the binary looks for a `site/` directory
//! next to itself (an installed copy), then for `../site` (the layout of
//! `target/release/telltale` and `target/site` after `cargo leptos build`).
//! `MONITOR_SITE_ROOT` overrides both.

use std::path::{Path, PathBuf};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use telltale_app::shell;
use tower::ServiceExt;
use tower_http::services::ServeDir;

use crate::state::AppState;

pub fn resolve(configured: Option<&Path>) -> PathBuf {
    if let Some(dir) = configured {
        return dir.to_path_buf();
    }
    let exe_dir = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(Path::to_path_buf));
    let candidates: Vec<PathBuf> = exe_dir
        .iter()
        .flat_map(|dir| [dir.join("site"), dir.join("../site")])
        .collect();
    candidates
        .iter()
        .find(|dir| dir.join("pkg").is_dir())
        .or(candidates.first())
        .cloned()
        .unwrap_or_else(|| PathBuf::from("site"))
}

/// True when the directory holds a built bundle the pages can load.
pub fn has_bundle(root: &Path) -> bool {
    root.join("pkg").is_dir()
}

/// The router's fallback: a file of the built site (`/pkg/…`, the favicon)
/// from disk, otherwise a page the app does not know, which leptos renders
/// as its 404.
///
/// leptos_axum's `file_and_error_handler` does both, but answers a file
/// inside `Owner::new()`: a child of whichever reactive owner the worker
/// thread last had current. While pages render on the same thread that can
/// be another request's page, and the file's answer then takes that page's
/// `ResponseOptions` (its headers and status). Seen with the split bundle,
/// whose chunks are fetched alongside the next page: pages lost their
/// Content-Security-Policy, and the browser refused their stylesheet and
/// scripts. So files never go through it; only the 404 does.
pub async fn file_or_not_found(
    State(state): State<AppState>,
    uri: Uri,
    request: Request,
) -> Response {
    let readable = matches!(*request.method(), Method::GET | Method::HEAD);
    // ServeDir consumes its request; the page renderer may still need this one.
    let mut probe = Request::new(Body::empty());
    if readable {
        *probe.method_mut() = request.method().clone();
    }
    *probe.uri_mut() = uri.clone();
    *probe.headers_mut() = request.headers().clone();
    let root = state.leptos_options.site_root.as_ref();
    let Ok(found) = ServeDir::new(root)
        .precompressed_br()
        .precompressed_gzip()
        .oneshot(probe)
        .await;
    if found.status() != StatusCode::NOT_FOUND {
        if !readable {
            // A file is only ever read; the 404 renderer would serve it anyway.
            return (
                StatusCode::METHOD_NOT_ALLOWED,
                [(header::ALLOW, "GET, HEAD")],
            )
                .into_response();
        }
        return found.into_response();
    }
    leptos_axum::file_and_error_handler::<AppState, _>(shell)(uri, State(state), request).await
}
