use leptos::prelude::*;
use telltale_model::{Alert, AlertStatus};

use super::badge::AlertBadge;
use super::data_table::DataTable;
use super::format::encode;
use super::time::Time;
use crate::server_fns::alerts::CloseAlert;

/// Alerts, open ones first (each group in the order given, newest first).
/// With `close`, open alerts get the one action of the dashboard: a form
/// that closes the alert with a reason. It is a plain HTML form posting to
/// the server function, so it works without JavaScript too.
#[component]
pub fn AlertTable(
    mut alerts: Vec<Alert>,
    #[prop(optional_no_strip)] close: Option<ServerAction<CloseAlert>>,
) -> impl IntoView {
    alerts.sort_by_key(|a| a.status != AlertStatus::Open);
    if alerts.is_empty() {
        return view! { <p class="muted">"No alert."</p> }.into_any();
    }
    let mut headers = vec![
        "Status",
        "Type",
        "Job / worker",
        "Opened",
        "Closed",
        "Reason",
        "Suppressed",
        "Notified",
    ];
    if close.is_some() {
        headers.push("Close");
    }
    view! {
        <DataTable class="alerts" headers=headers>
                    {alerts
                        .into_iter()
                        .map(|a| {
                            let open = a.status == AlertStatus::Open;
                            let class = if open { "alert-row open" } else { "alert-row" };
                            let subject = match (&a.job_name, &a.worker_id) {
                                (Some(job), _) => {
                                    view! { <a href=format!("/jobs/{}", encode(job))>{job.clone()}</a> }
                                        .into_any()
                                }
                                (None, Some(w)) => view! { <span>"worker " {w.clone()}</span> }.into_any(),
                                (None, None) => view! { <span class="muted">"—"</span> }.into_any(),
                            };
                            let closed = a
                                .closed_at
                                .map(|at| {
                                    view! {
                                        <Time at />
                                        {a.close_reason.clone().map(|r| view! { <br /><span class="muted">{r}</span> })}
                                    }
                                });
                            let notified = format!("{}×", a.notify_count);
                            view! {
                                <tr class=class data-alert-id=a.id>
                                    <td>
                                        <AlertBadge status=a.status />
                                    </td>
                                    <td class="mono">
                                        <a href=format!("/alerts/{}", a.id)>{a.alert_type.as_str()}</a>
                                    </td>
                                    <td>{subject}</td>
                                    <td class="nowrap">
                                        <Time at=a.opened_at />
                                    </td>
                                    <td class="nowrap">{closed}</td>
                                    <td class="message">{a.reason}</td>
                                    <td class="message">{a.suppressed.unwrap_or_default()}</td>
                                    <td class="nowrap">
                                        {notified} " "
                                        {a.notified_at.map(|at| view! { <Time at /> })}
                                    </td>
                                    {close
                                        .map(|action| {
                                            view! {
                                                <td>
                                                    {open.then(|| view! { <CloseForm id=a.id action /> })}
                                                </td>
                                            }
                                        })}
                                </tr>
                            }
                        })
                        .collect_view()}
        </DataTable>
    }
        .into_any()
}

/// Close one alert with a reason (required).
#[component]
fn CloseForm(id: i64, action: ServerAction<CloseAlert>) -> impl IntoView {
    let field = format!("close-reason-{id}");
    view! {
        <ActionForm action attr:class="close-alert">
            <input type="hidden" name="id" value=id />
            <label class="visually-hidden" for=field.clone()>
                {format!("Reason for closing alert {id}")}
            </label>
            <input id=field type="text" name="reason" required placeholder="reason" />
            <button type="submit">"Close"</button>
        </ActionForm>
    }
}
