//! Sections that only show: rendered to HTML on the server, for the first
//! paint and for every live update, and put into the page as markup.
//!
//! A hydrated component carries its view code and its data type's decoder
//! in every first visit's WASM, though a read-only table never changes in
//! the browser but by a new read. These sections send the browser markup
//! instead, so their pages stay under the bundle budget; their links still
//! route in the browser (the router listens on the whole document), and
//! the one thing the browser adds, times in the viewer's zone with their
//! age, is `localise`, run over the markup after each swap and each tick.
//! A swap keeps what the reader had opened (`<details>`) and what they had
//! typed into a form and not sent ([`typed`]).

use std::cell::Cell;

#[cfg(feature = "hydrate")]
use chrono::{DateTime, Utc};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(not(feature = "ssr"))]
use crate::components::time::Now;

/// The class every such section carries.
pub const CLASS: &str = "server-html";

/// A section's markup, as a server function answers it. A page's resource
/// holding one is sent along with the page for hydration like any value,
/// but the markup is in the page already: in that copy it is left out
/// (empty), and [`ServerHtml`] keeps what the server rendered.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(transparent)]
pub struct Markup(pub String);

impl Serialize for Markup {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if LEAVE_OUT.with(Cell::get) {
            serializer.serialize_str("")
        } else {
            serializer.serialize_str(&self.0)
        }
    }
}

thread_local! {
    static LEAVE_OUT: Cell<bool> = const { Cell::new(false) };
}

/// Runs `encode` with every [`Markup`] in it written empty: for the values
/// a page carries for hydration.
pub fn without_markup<T>(encode: impl FnOnce() -> T) -> T {
    /// Puts the flag back however `encode` ends: left set, every later
    /// answer of this thread would lose its markup.
    struct Restore(bool);
    impl Drop for Restore {
        fn drop(&mut self) {
            LEAVE_OUT.with(|l| l.set(self.0));
        }
    }
    let _restore = Restore(LEAVE_OUT.with(|l| l.replace(true)));
    encode()
}

/// A section's markup as the server rendered it. The server writes it into
/// the page; in the browser a directive puts each new version in place,
/// keeping the `<details>` the reader had opened, and shows its times in
/// the viewer's zone.
///
/// Forms in the markup post as the browser would post them, unless
/// `on_submit` takes the submission (see `FormAction::post_inside`).
#[component]
pub fn ServerHtml(
    html: Markup,
    #[prop(optional)] on_submit: Option<Callback<leptos::ev::SubmitEvent>>,
) -> impl IntoView {
    #[cfg(feature = "ssr")]
    {
        let _ = on_submit;
        view! { <div class=CLASS inner_html=html.0></div> }
    }
    #[cfg(not(feature = "ssr"))]
    {
        let now = use_context::<Now>();
        // Ages move on with the clock: no component in the markup ticks.
        let el = NodeRef::<leptos::html::Div>::new();
        #[cfg(feature = "hydrate")]
        Effect::new(move |_| {
            if let (Some(now), Some(el)) = (now.and_then(|n| n.0.get()), el.get()) {
                localise(&el, now);
            }
        });
        let submit = move |ev| {
            if let Some(on_submit) = on_submit {
                on_submit.run(ev);
            }
        };
        view! { <div class=CLASS node_ref=el use:swap=(html.0, now) on:submit=submit></div> }
    }
}

/// A section of server markup, read by `read` whenever `source` changes
/// (an answer to one of its forms), its forms posted by `on_submit`.
pub fn markup_section<S, Fut>(
    source: impl Fn() -> S + Send + Sync + 'static,
    read: impl Fn(S) -> Fut + Send + Sync + 'static,
    on_submit: Callback<leptos::ev::SubmitEvent>,
) -> impl IntoView
where
    S: PartialEq + Clone + Send + Sync + 'static,
    Fut: std::future::Future<Output = Result<Markup, crate::error::AppError>> + Send + 'static,
{
    let data = crate::data::data(source, read);
    view! {
        <crate::components::loaded::Loaded data let:html>
            <ServerHtml html on_submit />
        </crate::components::loaded::Loaded>
    }
}

/// Renders `view` to HTML, as the page would have rendered it, for a
/// [`ServerHtml`]. No hydration markers: nothing in it hydrates.
#[cfg(feature = "ssr")]
pub fn render<V: IntoView + 'static>(view: impl FnOnce() -> V) -> Markup {
    Markup(Owner::new().with(|| view().into_view().to_html()))
}

/// The directive behind [`ServerHtml`] in the browser: on hydration the
/// server's markup is already there (and `html` empty, see [`Markup`]), on
/// a live update it is replaced.
#[cfg(not(feature = "ssr"))]
fn swap(el: leptos::tachys::renderer::types::Element, (html, now): (String, Option<Now>)) {
    #[cfg(feature = "hydrate")]
    {
        // Unchanged markup is left alone: focus and selection stay.
        if !html.is_empty() && el.inner_html() != html {
            let open = open_details(&el);
            let typed = typed::Typed::read(&el);
            el.set_inner_html(&html);
            reopen_details(&el, &open);
            typed.put_back(&el);
        }
        if let Some(now) = now.and_then(|n| n.0.get_untracked()) {
            localise(&el, now);
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (el, html, now);
}

#[cfg(feature = "hydrate")]
mod typed;

/// The keys of the open `<details>` in `root`: a `data-key` where the
/// markup gives one (a row's id), else its position.
#[cfg(feature = "hydrate")]
fn open_details(root: &web_sys::Element) -> Vec<String> {
    elements(root, "details")
        .into_iter()
        .enumerate()
        .filter(|(_, d)| d.has_attribute("open"))
        .map(|(i, d)| details_key(&d, i))
        .collect()
}

#[cfg(feature = "hydrate")]
fn reopen_details(root: &web_sys::Element, open: &[String]) {
    if open.is_empty() {
        return;
    }
    for (i, d) in elements(root, "details").into_iter().enumerate() {
        if open.contains(&details_key(&d, i)) {
            let _ = d.set_attribute("open", "");
        }
    }
}

#[cfg(feature = "hydrate")]
fn details_key(d: &web_sys::Element, position: usize) -> String {
    d.get_attribute("data-key")
        .unwrap_or_else(|| format!("#{position}"))
}

/// Every element under `root` that `selector` matches.
#[cfg(feature = "hydrate")]
fn elements(root: &web_sys::Element, selector: &str) -> Vec<web_sys::Element> {
    use wasm_bindgen::JsCast;
    let Ok(list) = root.query_selector_all(selector) else {
        return Vec::new();
    };
    (0..list.length())
        .filter_map(|i| list.item(i)?.dyn_into::<web_sys::Element>().ok())
        .collect()
}

/// What [`crate::components::time::Time`] does once hydrated, for the
/// `<time>` elements of server markup under `root`: the viewer's local
/// time, its zone in the tooltip, and the age after it.
#[cfg(feature = "hydrate")]
fn localise(root: &web_sys::Element, now: DateTime<Utc>) {
    use crate::components::format::{local_time, relative_age, utc_time, zone_offset};
    use crate::components::time::browser_offset_minutes;
    for time in elements(root, "time[datetime]") {
        let Some(at) = time
            .get_attribute("datetime")
            .and_then(|iso| DateTime::parse_from_rfc3339(&iso).ok())
            .map(|at| at.with_timezone(&Utc))
        else {
            continue;
        };
        let offset = browser_offset_minutes(at);
        let iso = at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        time.set_text_content(Some(&local_time(at, offset)));
        let _ = time.set_attribute(
            "title",
            &format!("{} ({iso}); shown in {}", utc_time(at), zone_offset(offset)),
        );
        let age = match time.next_element_sibling() {
            Some(next) if next.class_name() == "age" => next,
            _ => {
                if time
                    .insert_adjacent_html("afterend", "<span class=\"age\"></span>")
                    .is_err()
                {
                    continue;
                }
                match time.next_element_sibling() {
                    Some(next) => next,
                    None => continue,
                }
            }
        };
        age.set_text_content(Some(&format!(" · {}", relative_age(at, now))));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_is_left_out_only_of_the_values_a_page_carries() {
        let value = (Markup("<p>hi</p>".into()), 7);
        let answer = serde_json::to_string(&value).expect("JSON");
        assert_eq!(answer, r#"["<p>hi</p>",7]"#);
        let carried = without_markup(|| serde_json::to_string(&value)).expect("JSON");
        assert_eq!(carried, r#"["",7]"#);
        // A panic inside does not leave later answers without markup.
        let _ = std::panic::catch_unwind(|| without_markup(|| panic!("mid-encode")));
        assert_eq!(serde_json::to_string(&value).expect("JSON"), answer);
    }
}
