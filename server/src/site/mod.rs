//! Where the built site (the WASM bundle, JS, CSS, favicon) comes from.
//!
//! A release binary built by `cargo leptos build --release --precompress`
//! carries its site ([`telltale_embedded_site`]) and serves it from any
//! directory. Otherwise (debug builds, or `MONITOR_SITE_ROOT` set to serve
//! another copy) the site is read from disk: a `site/` directory next to the
//! binary, then `../site` (the layout of `target/release/telltale` and
//! `target/site`).

mod disk;
mod embedded;

use std::path::{Path, PathBuf};

use axum::extract::{Request, State};
use axum::http::{Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use leptos::WasmSplitManifest;
use telltale_app::shell;

use crate::state::AppState;

/// Where this server's site comes from, decided once at start-up.
#[derive(Clone, Debug)]
pub enum Site {
    /// The copy inside the binary.
    Embedded,
    /// A directory holding `pkg/` (or not: then pages render, unhydrated).
    Disk(PathBuf),
}

impl Site {
    /// `MONITOR_SITE_ROOT` first, then the embedded copy, then the disk.
    pub fn choose(configured: Option<&Path>) -> Site {
        match configured {
            Some(dir) => Site::Disk(dir.to_path_buf()),
            None if telltale_embedded_site::embedded() => Site::Embedded,
            None => Site::Disk(resolve()),
        }
    }

    /// False when the pages would render with nothing to hydrate them.
    pub fn has_bundle(&self) -> bool {
        match self {
            Site::Embedded => true,
            Site::Disk(root) => root.join("pkg").is_dir(),
        }
    }

    /// What leptos takes as its site root. leptos reads the split bundle's
    /// manifest from there; for the embedded site that is a directory that
    /// cannot exist, so a stale `target/site` beside the binary is never
    /// read, and [`Site::split_manifest`] supplies the manifest instead.
    pub fn leptos_root(&self) -> String {
        match self {
            Site::Embedded => "/nonexistent/telltale-embedded-site".to_owned(),
            Site::Disk(root) => root.display().to_string(),
        }
    }

    /// The embedded bundle's split manifest, for the pages' preload links.
    pub fn split_manifest(&self) -> Option<WasmSplitManifest> {
        match self {
            Site::Embedded => embedded::split_manifest(),
            Site::Disk(_) => None,
        }
    }
}

fn resolve() -> PathBuf {
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

/// The router's fallback: a file of the built site (`/pkg/…`, the favicon),
/// otherwise a page the app does not know, which leptos renders as its 404.
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
    let found = match &state.site {
        Site::Embedded => embedded::file(&uri, request.headers()),
        Site::Disk(root) => disk::file(root, request.method(), &uri, request.headers()).await,
    };
    if let Some(found) = found {
        if !matches!(*request.method(), Method::GET | Method::HEAD) {
            // A file is only ever read; the 404 renderer would serve it anyway.
            return (
                StatusCode::METHOD_NOT_ALLOWED,
                [(header::ALLOW, "GET, HEAD")],
            )
                .into_response();
        }
        return found;
    }
    leptos_axum::file_and_error_handler::<AppState, _>(shell)(uri, State(state), request).await
}
