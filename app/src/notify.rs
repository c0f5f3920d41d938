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
    use telltale_model::{AlertFilter, AlertStatus, RunFilter, RunStatus};
    use wasm_bindgen::closure::Closure;
    use web_sys::js_sys::Reflect;
    use web_sys::{Notification, NotificationOptions, NotificationPermission};

    use super::fresh;
    use crate::server_fns::{alerts::list_alerts, runs::list_runs};

    /// localStorage key remembering the opt-in across reloads.
    const KEY: &str = "telltale-notify";
    /// How many of the newest failed runs and open alerts are compared.
    const NEWEST: u64 = 20;

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
        let seen_runs = StoredValue::new_local(None::<HashSet<String>>);
        let seen_alerts = StoredValue::new_local(None::<HashSet<i64>>);
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
                if let Ok(page) = list_runs(RunFilter {
                    status: vec![RunStatus::Failed],
                    limit: Some(NEWEST),
                    ..Default::default()
                })
                .await
                {
                    let ids: Vec<String> = page.runs.iter().map(|r| r.run_id.clone()).collect();
                    let new = seen_runs
                        .try_update_value(|s| fresh(s, &ids))
                        .unwrap_or_default();
                    for run in page.runs.iter().filter(|r| new.contains(&r.run_id)) {
                        let job = run.job_name.as_deref().unwrap_or("no job");
                        let body = run.failure_reason.as_deref().unwrap_or("no reason given");
                        show(&format!("Run failed: {job}"), body, &run.run_id);
                    }
                }
                if let Ok(alerts) = list_alerts(AlertFilter {
                    status: Some(AlertStatus::Open),
                    limit: Some(NEWEST),
                    ..Default::default()
                })
                .await
                {
                    let ids: Vec<i64> = alerts.iter().map(|a| a.id).collect();
                    let new = seen_alerts
                        .try_update_value(|s| fresh(s, &ids))
                        .unwrap_or_default();
                    for alert in alerts.iter().filter(|a| new.contains(&a.id)) {
                        let subject = alert
                            .job_name
                            .as_deref()
                            .or(alert.worker_id.as_deref())
                            .unwrap_or("");
                        show(
                            &format!("{} alert: {subject}", alert.alert_type.as_str()),
                            &alert.reason,
                            &format!("alert-{}", alert.id),
                        );
                    }
                }
            });
        });
    }

    /// One notification; the tag keeps a repeat of the same item to one.
    fn show(title: &str, body: &str, tag: &str) {
        let options = NotificationOptions::new();
        options.set_body(body);
        options.set_tag(tag);
        // Informational only: no actions, no click handler.
        let _ = Notification::new_with_options(title, &options);
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
