//! Desktop notifications (Forge "Desktop Notifications"): opt-in, and only
//! informational — a run failed, an alert opened. They carry no actions.
//!
//! The live stream only names what changed, so on a `runs` or `alerts`
//! change the page re-reads the newest failed runs and open alerts and
//! notifies about the ones it has not seen. The first read after opting in
//! (or loading the page) is the baseline: what was already there when the
//! operator looked is not news.

use std::collections::HashSet;
use std::hash::Hash;

use leptos::prelude::*;

/// The items of `current` not in `seen`, which then holds all of them. With
/// no baseline yet (`seen` is `None`) nothing is new: it becomes the baseline.
pub fn fresh<K: Eq + Hash + Clone>(seen: &mut Option<HashSet<K>>, current: &[K]) -> Vec<K> {
    match seen {
        None => {
            *seen = Some(current.iter().cloned().collect());
            Vec::new()
        }
        Some(seen) => current
            .iter()
            .filter(|k| seen.insert((*k).clone()))
            .cloned()
            .collect(),
    }
}

/// The opt-in button. It appears only where the browser has the
/// Notification API (never in the server's HTML), and says in words whether
/// notifications are on.
#[component]
pub fn NotifyToggle() -> impl IntoView {
    let supported = RwSignal::new(false);
    let enabled = RwSignal::new(false);
    #[cfg(feature = "hydrate")]
    {
        let runs = crate::live::use_live(&[telltale_model::Change::Runs]);
        let alerts = crate::live::use_live(&[telltale_model::Change::Alerts]);
        // Effects run only in the browser, after hydration.
        Effect::new(move |_| browser::start(supported, enabled, runs, alerts));
    }
    let on_click = move |_| {
        #[cfg(feature = "hydrate")]
        browser::toggle(enabled);
    };
    move || {
        supported.get().then(|| {
            view! {
                <button
                    type="button"
                    class="notify-toggle"
                    aria-pressed=move || enabled.get().to_string()
                    title="Desktop notifications of failed runs and new alerts"
                    on:click=on_click
                >
                    {move || if enabled.get() { "Notifications on" } else { "Notifications off" }}
                </button>
            }
        })
    }
}

#[cfg(feature = "hydrate")]
mod browser {
    use std::collections::HashSet;

    use leptos::prelude::*;
    use wasm_bindgen::closure::Closure;
    use web_sys::js_sys::Reflect;
    use web_sys::{Notification, NotificationOptions, NotificationPermission};

    use super::fresh;
    use crate::server_fns::notices::{Notice, latest_news};

    /// localStorage key remembering the opt-in across reloads.
    const KEY: &str = "telltale-notify";

    fn storage() -> Option<web_sys::Storage> {
        web_sys::window()?.local_storage().ok()?
    }

    fn granted() -> bool {
        Notification::permission() == NotificationPermission::Granted
    }

    pub fn start(
        supported: RwSignal<bool>,
        enabled: RwSignal<bool>,
        runs_live: Signal<u64>,
        alerts_live: Signal<u64>,
    ) {
        let has_api = web_sys::window()
            .is_some_and(|w| Reflect::has(&w, &"Notification".into()).unwrap_or(false));
        if !has_api {
            return;
        }
        supported.set(true);
        let opted_in = storage()
            .and_then(|s| s.get_item(KEY).ok().flatten())
            .is_some_and(|v| v == "on");
        enabled.set(opted_in && granted());
        watch(enabled, runs_live, alerts_live);
    }

    pub fn toggle(enabled: RwSignal<bool>) {
        let turn_on = !enabled.get_untracked();
        let remember = move |on: bool| {
            if let Some(s) = storage() {
                let _ = s.set_item(KEY, if on { "on" } else { "off" });
            }
            enabled.set(on);
        };
        if !turn_on || granted() {
            remember(turn_on);
            return;
        }
        // Asking needs the click that got us here (a user gesture).
        let Ok(asked) = Notification::request_permission() else {
            return;
        };
        let answered = Closure::<dyn FnMut(wasm_bindgen::JsValue)>::new(move |_| {
            remember(granted());
        });
        let _ = asked.then(&answered);
        answered.forget();
    }

    /// Re-reads on every runs/alerts change while enabled, and notifies
    /// about what is new since the baseline.
    fn watch(enabled: RwSignal<bool>, runs_live: Signal<u64>, alerts_live: Signal<u64>) {
        // Runs and alerts apart: each has its own newest twenty.
        let seen_runs = StoredValue::new_local(None::<HashSet<String>>);
        let seen_alerts = StoredValue::new_local(None::<HashSet<String>>);
        Effect::new(move |_| {
            runs_live.track();
            alerts_live.track();
            if !enabled.get() {
                // Turned off: the next turn on starts from a new baseline.
                seen_runs.set_value(None);
                seen_alerts.set_value(None);
                return;
            }
            leptos::task::spawn_local(async move {
                let Ok(news) = latest_news().await else {
                    return;
                };
                for (seen, notices) in [
                    (seen_runs, news.failed_runs),
                    (seen_alerts, news.open_alerts),
                ] {
                    let tags: Vec<String> = notices.iter().map(|n| n.tag.clone()).collect();
                    let new = seen
                        .try_update_value(|s| fresh(s, &tags))
                        .unwrap_or_default();
                    for notice in notices.iter().filter(|n| new.contains(&n.tag)) {
                        show(notice);
                    }
                }
            });
        });
    }

    /// One notification; the tag keeps a repeat of the same item to one.
    fn show(notice: &Notice) {
        let options = NotificationOptions::new();
        options.set_body(&notice.body);
        options.set_tag(&notice.tag);
        // Informational only: no actions, no click handler.
        let _ = Notification::new_with_options(&notice.title, &options);
    }
}

#[cfg(test)]
mod tests {
    use super::fresh;

    #[test]
    fn the_first_read_is_the_baseline_and_only_later_arrivals_are_news() {
        let mut seen = None;
        assert!(fresh(&mut seen, &[3, 2, 1]).is_empty());
        assert_eq!(fresh(&mut seen, &[4, 3, 2]), vec![4]);
        assert!(fresh(&mut seen, &[4, 3, 2]).is_empty(), "told once");
        // An item scrolled out of the newest N and back is not news again.
        assert!(fresh(&mut seen, &[1]).is_empty());
    }
}
