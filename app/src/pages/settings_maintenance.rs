//! The settings page's maintenance windows: the list with what each holds
//! back now, a form to add one (once, or recurring by cron), and a button
//! that ends one. Plain forms, so they work without JavaScript.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
#[cfg(feature = "ssr")]
use telltale_model::MaintenanceWindowState;

use crate::components::loaded::action_error;
use crate::components::server_html::markup_section;
#[cfg(feature = "ssr")]
use crate::components::time::Time;
use crate::form_action::FormAction;
#[cfg(feature = "ssr")]
use crate::form_action::SubmitForm;
use crate::server_fns::maintenance::{
    AddMaintenanceWindow, EndMaintenanceWindow, maintenance_html,
};

/// Maintenance windows: while one covers a job, its alerts are recorded as
/// suppressed (the window named), not sent.
#[component]
pub fn MaintenanceSection() -> impl IntoView {
    let add = FormAction::<AddMaintenanceWindow>::new();
    let end = FormAction::<EndMaintenanceWindow>::new();
    let post = Callback::new(move |ev: SubmitEvent| {
        add.post_inside(ev.clone());
        end.post_inside(ev);
    });
    view! {
        <h2 id="maintenance">"Maintenance windows"</h2>
        <p class="muted small">
            "While a window covers a job, its alerts are recorded as suppressed, with the window named, and not sent."
        </p>
        {action_error(add)}
        {action_error(end)}
        {markup_section(
            move || (add.version().get(), end.version().get()),
            |_| maintenance_html(),
            post,
        )}
    }
}

/// The windows, and the form that adds one for an admin, rendered by
/// [`crate::server_fns::maintenance::maintenance_html`].
#[cfg(feature = "ssr")]
#[component]
pub fn Windows(windows: Vec<MaintenanceWindowState>, admin: bool) -> impl IntoView {
    view! {
        <WindowTable windows end=FormAction::new() admin />
        {admin.then(|| view! { <AddWindowForm add=FormAction::new() /> })}
    }
}

#[cfg(feature = "ssr")]
#[component]
fn WindowTable(
    windows: Vec<MaintenanceWindowState>,
    end: FormAction<EndMaintenanceWindow>,
    admin: bool,
) -> impl IntoView {
    if windows.is_empty() {
        return view! { <p class="muted" data-testid="no-windows">"No maintenance window."</p> }
            .into_any();
    }
    view! {
        <div class="table-wrap" role="region" aria-label="Maintenance windows" tabindex="0">
            <table class="maintenance" data-testid="maintenance-windows">
                <thead>
                    <tr>
                        <th>"Now"</th>
                        <th>"Covers"</th>
                        <th>"When"</th>
                        <th>"Reason"</th>
                        <th>"Added"</th>
                        <th></th>
                    </tr>
                </thead>
                <tbody>
                    {windows
                        .into_iter()
                        .map(|s| view! { <WindowRow s end admin /> })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}

#[cfg(feature = "ssr")]
#[component]
fn WindowRow(
    s: MaintenanceWindowState,
    end: FormAction<EndMaintenanceWindow>,
    admin: bool,
) -> impl IntoView {
    let w = s.window;
    let now = match (s.active_until, s.over) {
        (Some(until), _) => {
            view! { <span class="badge state-late">"▶ active until "<Time at=until /></span> }
                .into_any()
        }
        (None, true) => view! { <span class="badge state-new">"○ over"</span> }.into_any(),
        (None, false) => view! { <span class="badge state-new">"◌ waiting"</span> }.into_any(),
    };
    let when = match (w.starts_at, w.ends_at, w.schedule.clone()) {
        (Some(from), Some(to), _) => view! { <Time at=from />" → "<Time at=to /> }.into_any(),
        (_, _, Some(schedule)) => {
            let minutes = w.duration_seconds.unwrap_or(0) / 60;
            let zone = w.timezone.clone().unwrap_or_else(|| "UTC".into());
            view! { <span class="mono">{format!("{schedule} ({zone}), {minutes} min each")}</span> }
                .into_any()
        }
        _ => view! { "—" }.into_any(),
    };
    let covers = w.job_name.clone().unwrap_or_else(|| "every job".into());
    view! {
        <tr data-window=w.id>
            <td>{now}</td>
            <td>{covers}</td>
            <td>{when}</td>
            <td>{w.reason.clone()}</td>
            <td><Time at=w.created_at /></td>
            <td>
                {admin.then(|| view! {
                    <SubmitForm action=end>
                        <input type="hidden" name="id" value=w.id />
                        <button type="submit">"End and remove"</button>
                    </SubmitForm>
                })}
            </td>
        </tr>
    }
}

#[cfg(feature = "ssr")]
#[component]
fn AddWindowForm(add: FormAction<AddMaintenanceWindow>) -> impl IntoView {
    view! {
        <SubmitForm action=add attr:class="maintenance-form">
            <fieldset>
                <legend>"Add a window"</legend>
                <label>"Job " <input type="text" name="job" placeholder="blank: every job" /></label>
                <label>
                    "Reason " <input type="text" name="reason" required placeholder="shown on suppressed alerts" />
                </label>
                <p class="muted small">"Fill in one of the two: once, or recurring."</p>
                <fieldset class="inline-form">
                    <legend>"Once"</legend>
                    <label>"From (UTC) " <input type="datetime-local" name="starts_at" /></label>
                    <label>"To (UTC) " <input type="datetime-local" name="ends_at" /></label>
                </fieldset>
                <fieldset class="inline-form">
                    <legend>"Recurring"</legend>
                    <label>"Cron " <input type="text" name="schedule" placeholder="0 2 * * SUN" class="mono" /></label>
                    <label>"Time zone " <input type="text" name="timezone" placeholder="Europe/Berlin" /></label>
                    <label>"Minutes each " <input type="number" name="duration_minutes" min="1" /></label>
                </fieldset>
                <button type="submit">"Add window"</button>
            </fieldset>
        </SubmitForm>
    }
}
