use leptos::prelude::*;
use telltale_model::{Alert, AlertStatus, DeliveryTally};

use super::badge::AlertBadge;
use super::data_table::{DataTable, first_those};
use super::format::encode;
use super::time::Time;

/// Alerts, open ones first (each group in the order given, newest first).
/// With `close`, open alerts get a last column with what it renders for the
/// alert's id: the one action of the dashboard, on `/alerts` only. It comes
/// from that page so that the form machinery (the form-data decoder, 22 KB
/// of the gzipped bundle) loads with `/alerts`, not with every page that
/// lists alerts.
#[component]
pub fn AlertTable(
    alerts: Vec<Alert>,
    #[prop(optional_no_strip)] close: Option<Callback<i64, AnyView>>,
) -> impl IntoView {
    let alerts = first_those(alerts, |a| a.status == AlertStatus::Open);
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
        "Deliveries",
    ];
    if close.is_some() {
        headers.push("Close");
    }
    view! {
        <DataTable class="alerts" label="Alerts" headers=headers>
            {alerts.into_iter().map(|alert| view! { <AlertRow alert close /> }).collect_view()}
        </DataTable>
    }
    .into_any()
}

/// One alert's row; `close` renders the last column's form for an open one.
#[component]
fn AlertRow(alert: Alert, close: Option<Callback<i64, AnyView>>) -> impl IntoView {
    let a = alert;
    let open = a.status == AlertStatus::Open;
    let class = if open { "alert-row open" } else { "alert-row" };
    let closed = a.closed_at.map(|at| {
        view! {
            <Time at />
            {a.close_reason.clone().map(|r| view! { <br /><span class="muted">{r}</span> })}
        }
    });
    view! {
        <tr class=class data-alert-id=a.id>
            <td>
                <AlertBadge status=a.status />
            </td>
            <td class="mono">
                <a href=format!("/alerts/{}", a.id)>{a.alert_type.as_str()}</a>
            </td>
            <td>{subject(&a)}</td>
            <td class="nowrap">
                <Time at=a.opened_at />
            </td>
            <td class="nowrap">{closed}</td>
            <td class="message">{a.reason.clone()}</td>
            <td class="message">{a.suppressed.clone().unwrap_or_default()}</td>
            <td class="nowrap" data-testid="alert-deliveries">
                <Deliveries alert=a.clone() />
            </td>
            {close.map(|form| view! { <td>{open.then(|| form.run(a.id))}</td> })}
        </tr>
    }
}

/// The job (linked) or worker an alert is about.
fn subject(a: &Alert) -> AnyView {
    match (&a.job_name, &a.worker_id) {
        (Some(job), _) => {
            view! { <a href=format!("/jobs/{}", encode(job))>{job.clone()}</a> }.into_any()
        }
        (None, Some(w)) => view! { <span>"worker " {w.clone()}</span> }.into_any(),
        (None, None) => view! { <span class="muted">"—"</span> }.into_any(),
    }
}

/// The deliveries cell: the tally, linked to the alert, and when the last
/// notice went out.
#[component]
fn Deliveries(alert: Alert) -> impl IntoView {
    let told = alert.deliveries.is_some_and(|t| !t.is_empty());
    view! {
        <a href=format!("/alerts/{}", alert.id)>{deliveries_text(alert.deliveries)}</a>
        {alert
            .notified_at
            .filter(|_| told)
            .map(|at| {
                view! {
                    <br />
                    <span class="muted">"last notice " <Time at /></span>
                }
            })}
    }
}

/// An alert's deliveries in a few words, state in text as well as icon:
/// `✓ 2 sent · ✗ 1 failed · … 1 pending`, or `none` when no recipient or
/// webhook took it (nothing configured for its type, or suppressed).
fn deliveries_text(tally: Option<DeliveryTally>) -> String {
    let tally = tally.unwrap_or_default();
    if tally.is_empty() {
        return "none".to_owned();
    }
    let mut text = String::new();
    for (icon, n, word) in [
        ("✓", tally.sent, "sent"),
        ("✗", tally.failed, "failed"),
        ("…", tally.pending, "pending"),
    ] {
        if n > 0 {
            if !text.is_empty() {
                text.push_str(" · ");
            }
            text.push_str(&format!("{icon} {n} {word}"));
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deliveries_read_as_words_with_icons() {
        assert_eq!(deliveries_text(None), "none");
        assert_eq!(deliveries_text(Some(DeliveryTally::default())), "none");
        let tally = DeliveryTally {
            sent: 2,
            failed: 1,
            pending: 0,
        };
        assert_eq!(deliveries_text(Some(tally)), "✓ 2 sent · ✗ 1 failed");
        let waiting = DeliveryTally {
            pending: 1,
            ..DeliveryTally::default()
        };
        assert_eq!(deliveries_text(Some(waiting)), "… 1 pending");
    }
}
