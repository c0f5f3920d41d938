//! The site cargo-leptos built, inside the binary, so `telltale` serves its
//! dashboard from any directory. Each file comes with the brotli and gzip
//! copies `cargo leptos build --precompress` wrote beside it, when there are.

use std::borrow::Cow;

/// One file of the site, in the encoding asked for.
pub struct SiteFile {
    pub body: Cow<'static, [u8]>,
    /// `br` or `gzip` when `body` is a compressed copy.
    pub encoding: Option<&'static str>,
    pub content_type: String,
    /// A strong validator of the file's content, the same in every build that
    /// carries the same bytes (quoted, one per encoding).
    pub etag: String,
}

/// Which compressed copies the client takes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Accepts {
    pub br: bool,
    pub gzip: bool,
}

/// True when this binary carries a site.
pub fn embedded() -> bool {
    cfg!(telltale_embedded_site)
}

/// The file at `path` (no leading slash), preferring brotli, then gzip.
pub fn find(path: &str, accepts: Accepts) -> Option<SiteFile> {
    inner::find(path, accepts)
}

#[cfg(telltale_embedded_site)]
mod inner {
    use super::{Accepts, SiteFile};

    #[derive(rust_embed::Embed)]
    #[folder = "$TELLTALE_SITE_DIR"]
    struct Site;

    pub fn find(path: &str, accepts: Accepts) -> Option<SiteFile> {
        // The compressed copies are never served under their own names.
        if path.ends_with(".br") || path.ends_with(".gz") {
            return None;
        }
        let plain = Site::get(path)?;
        let content_type = plain.metadata.mimetype().to_owned();
        let hash = plain.metadata.sha256_hash();
        let tag: String = hash[..12].iter().map(|b| format!("{b:02x}")).collect();
        let copies = [(accepts.br, "br", "br"), (accepts.gzip, "gz", "gzip")];
        for (wanted, suffix, encoding) in copies {
            if let Some(copy) = wanted
                .then(|| Site::get(&format!("{path}.{suffix}")))
                .flatten()
            {
                return Some(SiteFile {
                    body: copy.data,
                    encoding: Some(encoding),
                    content_type,
                    etag: format!("\"{tag}-{suffix}\""),
                });
            }
        }
        Some(SiteFile {
            body: plain.data,
            encoding: None,
            content_type,
            etag: format!("\"{tag}\""),
        })
    }
}

#[cfg(not(telltale_embedded_site))]
mod inner {
    use super::{Accepts, SiteFile};

    pub fn find(_path: &str, _accepts: Accepts) -> Option<SiteFile> {
        None
    }
}
