//! The keyboard: `/` focuses the page's search, as on most tools operators
//! use. Typed into a field, it stays a character.

/// Listens for `/` on the whole window, for as long as the app runs.
pub fn search_key() {
    #[cfg(feature = "hydrate")]
    {
        use leptos::prelude::{document, window_event_listener};
        use wasm_bindgen::JsCast;

        let _ = window_event_listener(leptos::ev::keydown, |ev| {
            if ev.key() != "/" || ev.ctrl_key() || ev.meta_key() || ev.alt_key() {
                return;
            }
            let typing = ev
                .target()
                .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
                .is_some_and(|el| {
                    matches!(el.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT")
                        || el.has_attribute("contenteditable")
                });
            if typing {
                return;
            }
            // The field a page marks as its search, else its first one.
            let field = document()
                .query_selector("main [data-page-search]")
                .ok()
                .flatten()
                .or_else(|| {
                    document()
                        .query_selector("main input[type=search]")
                        .ok()
                        .flatten()
                });
            if let Some(field) = field.and_then(|f| f.dyn_into::<web_sys::HtmlElement>().ok()) {
                ev.prevent_default();
                let _ = field.focus();
            }
        });
    }
}
