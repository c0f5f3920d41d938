//! Decides whether this build embeds the site, and from where.
//!
//! Only release builds embed: debug builds (tests, `cargo leptos watch`) read
//! the site from disk, so a rebuilt bundle needs no relink. The site is the
//! one cargo-leptos just wrote (`LEPTOS_SITE_ROOT`, set for the server's
//! build; `target/site` otherwise). A release build without a site embeds
//! nothing and the server falls back to the disk.

use std::env;
use std::path::PathBuf;

fn main() {
    println!("cargo:rustc-check-cfg=cfg(telltale_embedded_site)");
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=LEPTOS_SITE_ROOT");
    if env::var("PROFILE").as_deref() != Ok("release") {
        return;
    }
    let manifest = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    let workspace = manifest.parent().map(PathBuf::from).unwrap_or(manifest);
    let site = match env::var_os("LEPTOS_SITE_ROOT") {
        Some(root) => workspace.join(root),
        None => workspace.join("target").join("site"),
    };
    // A directory: cargo looks at every file under it for a newer mtime.
    println!("cargo:rerun-if-changed={}", site.display());
    if site.join("pkg").is_dir() {
        println!("cargo:rustc-cfg=telltale_embedded_site");
        println!("cargo:rustc-env=TELLTALE_SITE_DIR={}", site.display());
    } else {
        println!(
            "cargo:warning=no built site at {}: this binary will read it from disk",
            site.display()
        );
    }
}
