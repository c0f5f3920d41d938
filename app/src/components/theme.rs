//! The light/dark toggle in the top bar. The stylesheet follows the system
//! (`prefers-color-scheme`) unless `<html data-theme>` pins a scheme. The
//! choice lives in a cookie so the server renders that attribute into the
//! first HTML: the first paint has the right colours, no flash, and no
//! inline script is needed (the page's CSP allows none without the nonce).

use leptos::prelude::*;

/// The cookie that carries the choice; readable by the page on purpose (it
/// is a preference, not a credential).
pub const COOKIE: &str = "telltale-theme";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Theme {
    /// Follow the system's light/dark setting.
    System,
    Light,
    Dark,
}

impl Theme {
    pub const ALL: [Theme; 3] = [Theme::System, Theme::Light, Theme::Dark];

    pub fn as_str(self) -> &'static str {
        match self {
            Theme::System => "system",
            Theme::Light => "light",
            Theme::Dark => "dark",
        }
    }

    pub fn parse(s: &str) -> Option<Theme> {
        Theme::ALL.into_iter().find(|t| t.as_str() == s)
    }

    /// The value of `<html data-theme>`: none when following the system.
    pub fn attribute(self) -> Option<&'static str> {
        match self {
            Theme::System => None,
            t => Some(t.as_str()),
        }
    }

    /// The choice in a `Cookie` header; the system's when absent or unknown.
    pub fn from_cookie_header(header: &str) -> Theme {
        header
            .split(';')
            .filter_map(|pair| pair.trim().split_once('='))
            .find(|(name, _)| *name == COOKIE)
            .and_then(|(_, value)| Theme::parse(value.trim()))
            .unwrap_or(Theme::System)
    }
}

/// The theme the current request asked for (its cookie).
#[cfg(feature = "ssr")]
pub fn requested() -> Theme {
    use_context::<http::request::Parts>()
        .and_then(|parts| {
            let header = parts.headers.get(http::header::COOKIE)?.to_str().ok()?;
            Some(Theme::from_cookie_header(header))
        })
        .unwrap_or(Theme::System)
}

/// The theme the page was rendered with: on the server the request's, in
/// the browser what the server put on `<html>`, so both render the same.
fn current() -> Theme {
    #[cfg(feature = "ssr")]
    return requested();
    #[cfg(not(feature = "ssr"))]
    return web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.document_element())
        .and_then(|html| html.get_attribute("data-theme"))
        .and_then(|t| Theme::parse(&t))
        .unwrap_or(Theme::System);
}

/// Pins (or unpins) the theme now and for later visits.
#[cfg(feature = "hydrate")]
fn apply(theme: Theme) {
    use wasm_bindgen::JsCast;
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    if let Some(html) = document.document_element() {
        let _ = match theme.attribute() {
            Some(value) => html.set_attribute("data-theme", value),
            None => html.remove_attribute("data-theme"),
        };
    }
    if let Ok(doc) = document.dyn_into::<web_sys::HtmlDocument>() {
        let _ = doc.set_cookie(&format!(
            "{COOKIE}={}; path=/; max-age=31536000; samesite=lax",
            theme.as_str()
        ));
    }
}

/// A select of system / light / dark. It needs JavaScript, so the server
/// renders it disabled and the browser enables it once hydrated.
#[component]
pub fn ThemeToggle() -> impl IntoView {
    let chosen = current();
    let ready = RwSignal::new(false);
    Effect::new(move |_| ready.set(true));
    let on_change = move |ev: leptos::ev::Event| {
        let _theme = Theme::parse(&event_target_value(&ev)).unwrap_or(Theme::System);
        #[cfg(feature = "hydrate")]
        apply(_theme);
    };
    view! {
        <label class="visually-hidden" for="theme">
            "Theme"
        </label>
        <select id="theme" class="theme-toggle" disabled=move || !ready.get() on:change=on_change>
            {Theme::ALL
                .into_iter()
                .map(|t| {
                    view! {
                        <option value=t.as_str() selected=t == chosen>
                            {t.as_str()}
                        </option>
                    }
                })
                .collect_view()}
        </select>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cookie_pins_a_theme_and_anything_else_follows_the_system() {
        for (header, theme) in [
            ("session=abc; telltale-theme=dark; x=1", Theme::Dark),
            ("telltale-theme=light", Theme::Light),
            ("", Theme::System),
            ("telltale-theme=purple", Theme::System),
            ("my-telltale-theme=dark", Theme::System),
        ] {
            assert_eq!(Theme::from_cookie_header(header), theme, "{header:?}");
        }
        assert_eq!(Theme::System.attribute(), None);
        assert_eq!(Theme::Dark.attribute(), Some("dark"));
    }
}
