//! The Content-Security-Policy of pages, set while the page renders because
//! it names the nonce leptos puts on its inline hydration script (a fresh
//! one per response). Scripts load from this origin or carry the nonce;
//! `'wasm-unsafe-eval'` lets the browser compile our WASM bundle and nothing
//! else; styles come from `/pkg/telltale.css`; forms post only here; no site
//! may frame the dashboard.

use leptos::prelude::*;

pub fn page_csp(nonce: &str) -> String {
    format!(
        "default-src 'none'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; \
         manifest-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    )
}

/// Puts the policy on the current page's response.
pub fn set_page_csp() {
    let (Some(nonce), Some(response)) = (
        leptos::nonce::use_nonce(),
        use_context::<leptos_axum::ResponseOptions>(),
    ) else {
        return;
    };
    if let Ok(value) = http::HeaderValue::from_str(&page_csp(&nonce)) {
        response.insert_header(http::header::CONTENT_SECURITY_POLICY, value);
    }
}
