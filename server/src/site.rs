//! Where the built site (the WASM bundle, CSS, favicon) is found.
//!
//! The assets are not embedded in the binary: cargo-leptos builds the bundle
//! and the server side by side, so the binary looks for a `site/` directory
//! next to itself (an installed copy), then for `../site` (the layout of
//! `target/release/telltale` and `target/site` after `cargo leptos build`).
//! `MONITOR_SITE_ROOT` overrides both.

use std::path::{Path, PathBuf};

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
