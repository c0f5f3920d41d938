//! The site inside the binary: each file with its brotli or gzip copy as the
//! client accepts, a strong ETag and revalidation on every use (the bundle's
//! names do not change between builds, so nothing may be cached as
//! immutable).

use std::borrow::Cow;
use std::collections::HashMap;

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use leptos::WasmSplitManifest;
use leptos::prelude::ArcStoredValue;
use telltale_embedded_site::{Accepts, find};

/// Where the split bundle keeps its manifest and loader.
const MANIFEST: &str = "pkg/__wasm_split_manifest.json";
const SPLIT_LOADER: &str = "__wasm_split.______________________.js";

/// The file `uri` names, or `None` when the binary has none by that name.
pub(super) fn file(uri: &Uri, headers: &HeaderMap) -> Option<Response> {
    let path = uri.path().trim_start_matches('/');
    let file = find(path, accepts(headers))?;
    let etag = HeaderValue::from_str(&file.etag).ok()?;
    let mut answer = if matches_etag(headers, &file.etag) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        // Release builds embed the bytes: hand them out without a copy.
        let body = match file.body {
            Cow::Borrowed(bytes) => Body::from(Bytes::from_static(bytes)),
            Cow::Owned(bytes) => Body::from(bytes),
        };
        let mut answer = body.into_response();
        if let Ok(kind) = HeaderValue::from_str(&file.content_type) {
            answer.headers_mut().insert(header::CONTENT_TYPE, kind);
        }
        if let Some(encoding) = file.encoding {
            answer
                .headers_mut()
                .insert(header::CONTENT_ENCODING, HeaderValue::from_static(encoding));
        }
        answer
    };
    let headers = answer.headers_mut();
    headers.insert(header::ETAG, etag);
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    Some(answer)
}

/// The compressed copies `Accept-Encoding` allows (`q=0` refuses one).
fn accepts(headers: &HeaderMap) -> Accepts {
    let mut accepts = Accepts::default();
    for value in headers.get_all(header::ACCEPT_ENCODING) {
        let Ok(value) = value.to_str() else { continue };
        for item in value.split(',') {
            let mut parts = item.split(';').map(str::trim);
            let coding = parts.next().unwrap_or_default().to_ascii_lowercase();
            let refused = parts.any(|p| {
                p.strip_prefix("q=")
                    .and_then(|q| q.parse::<f32>().ok())
                    .is_some_and(|q| q <= 0.0)
            });
            match coding.as_str() {
                "br" => accepts.br = !refused,
                "gzip" | "x-gzip" => accepts.gzip = !refused,
                _ => {}
            }
        }
    }
    accepts
}

fn matches_etag(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|tag| tag.trim().trim_start_matches("W/"))
        .any(|tag| tag == etag || tag == "*")
}

/// The embedded split manifest, as leptos would have read it from disk.
pub(super) fn split_manifest() -> Option<WasmSplitManifest> {
    let file = find(MANIFEST, Accepts::default())?;
    let preloads: HashMap<String, Vec<String>> = match serde_json::from_slice(&file.body) {
        Ok(preloads) => preloads,
        Err(error) => {
            tracing::warn!(%error, "the embedded split manifest is unreadable: no preload links");
            return None;
        }
    };
    Some(WasmSplitManifest(ArcStoredValue::new((
        "/pkg".to_owned(),
        preloads,
        SPLIT_LOADER.to_owned(),
    ))))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(name: header::HeaderName, value: &'static str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(name, HeaderValue::from_static(value));
        headers
    }

    #[test]
    fn accept_encoding_is_read_with_its_weights() {
        let read = |v| accepts(&with(header::ACCEPT_ENCODING, v));
        assert_eq!(
            read("gzip, deflate, br, zstd"),
            Accepts {
                br: true,
                gzip: true
            }
        );
        assert_eq!(
            read("br;q=0, gzip;q=0.5"),
            Accepts {
                br: false,
                gzip: true
            }
        );
        assert_eq!(
            read("GZIP"),
            Accepts {
                br: false,
                gzip: true
            }
        );
        assert_eq!(read("identity"), Accepts::default());
        assert_eq!(accepts(&HeaderMap::new()), Accepts::default());
    }

    #[test]
    fn if_none_match_takes_lists_weak_tags_and_star() {
        let tag = "\"abc\"";
        assert!(matches_etag(
            &with(header::IF_NONE_MATCH, "\"x\", \"abc\""),
            tag
        ));
        assert!(matches_etag(&with(header::IF_NONE_MATCH, "W/\"abc\""), tag));
        assert!(matches_etag(&with(header::IF_NONE_MATCH, "*"), tag));
        assert!(!matches_etag(&with(header::IF_NONE_MATCH, "\"abd\""), tag));
        assert!(!matches_etag(&HeaderMap::new(), tag));
    }
}
