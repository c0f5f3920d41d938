use chrono::{DateTime, SecondsFormat, Utc};
use leptos::prelude::*;

use super::format::{local_time, relative_age, utc_time, zone_offset};

/// The browser's clock, ticking while the page is open; `None` on the
/// server and until hydration, so the first paint is the server's UTC.
#[derive(Clone, Copy)]
pub struct Now(pub RwSignal<Option<DateTime<Utc>>>);

/// How often relative ages ("4 min ago") are refreshed.
const TICK: std::time::Duration = std::time::Duration::from_secs(15);

/// Puts [`Now`] into the context; call once at the root of the app.
pub fn provide_clock() {
    let now = RwSignal::new(None);
    provide_context(Now(now));
    // Effects run only in the browser, after hydration.
    Effect::new(move |_| {
        now.set(browser_now());
        set_interval(move || now.set(browser_now()), TICK);
    });
}

/// A timestamp. The server renders it in UTC; once hydrated it shows the
/// viewer's local time and its age. The exact UTC is always on hover and
/// machine-readable in `datetime`.
#[component]
pub fn Time(at: DateTime<Utc>) -> impl IntoView {
    let iso = at.to_rfc3339_opts(SecondsFormat::Millis, true);
    let utc = format!("{} ({iso})", utc_time(at));
    let now = use_context::<Now>().map(|n| n.0);
    // The clock starts ticking as soon as the top of the page hydrates, but
    // a `<Time>` inside a `<Suspense>` hydrates later, once its data is
    // read: it must first render what the server rendered (no clock), or
    // the browser finds an age the server's HTML does not have and
    // hydration stops with a panic. Its own effect runs only after it has
    // hydrated.
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    let now = move || now.filter(|_| hydrated.get()).and_then(|n| n.get());
    let title = move || match now() {
        Some(_) => format!(
            "{utc}; shown in {}",
            zone_offset(browser_offset_minutes(at))
        ),
        None => utc.clone(),
    };
    view! {
        <time datetime=iso title=title>
            {move || match now() {
                Some(_) => local_time(at, browser_offset_minutes(at)),
                None => utc_time(at),
            }}
        </time>
        {move || {
            now().map(|n| view! { <span class="age">{format!(" · {}", relative_age(at, n))}</span> })
        }}
    }
}

#[cfg(feature = "hydrate")]
fn browser_now() -> Option<DateTime<Utc>> {
    DateTime::from_timestamp_millis(web_sys::js_sys::Date::now() as i64)
}

#[cfg(not(feature = "hydrate"))]
fn browser_now() -> Option<DateTime<Utc>> {
    None
}

/// Minutes east of UTC of the viewer's zone at `at` (daylight saving
/// included); JavaScript counts them west, hence the sign.
#[cfg(feature = "hydrate")]
pub(crate) fn browser_offset_minutes(at: DateTime<Utc>) -> i32 {
    let date = web_sys::js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(
        at.timestamp_millis() as f64
    ));
    -(date.get_timezone_offset() as i32)
}

#[cfg(not(feature = "hydrate"))]
fn browser_offset_minutes(_at: DateTime<Utc>) -> i32 {
    0
}
