use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;
use telltale_model::{AlertDelivery, Change, DeliveryStatus, Resource};

use crate::components::alert_table::AlertTable;
use crate::components::data_table::DataTable;
use crate::components::loaded::Loaded;
use crate::components::time::Time;
use crate::error::AppError;
use crate::live::use_live;
use crate::server_fns::delivery::get_alert_detail;

/// One alert and every attempt to tell people about it: channel, target,
/// attempt, outcome, the receiver's error verbatim, and the next retry.
#[component]
pub fn AlertDetailPage() -> impl IntoView {
    let live = use_live(&[Change::Alerts]);
    let params = use_params_map();
    let id = move || params.with(|p| p.get("id").unwrap_or_default());
    let detail = crate::data::data(
        move || (id(), live.get()),
        |(id, _)| async move {
            // An id that is not a number names no alert: the same answer
            // as one that is not stored.
            match id.parse::<i64>() {
                Ok(id) => get_alert_detail(id).await,
                Err(_) => Err(AppError::not_found(Resource::Alert, id)),
            }
        },
    );
    view! {
        <Title text="Alert" />
        <Loaded data=detail loading="Loading alert…" let:d>
            <h1>{format!("Alert {} · {}", d.alert.id, d.alert.alert_type.as_str())}</h1>
            <AlertTable alerts=vec![d.alert] />
            <h2>"Deliveries"</h2>
            <DeliveryTable deliveries=d.deliveries />
        </Loaded>
    }
}

#[component]
fn DeliveryTable(deliveries: Vec<AlertDelivery>) -> impl IntoView {
    if deliveries.is_empty() {
        return view! {
            <p class="muted">
                "No delivery: no recipient or webhook takes this alert type, or the alert was suppressed."
            </p>
        }
        .into_any();
    }
    let headers = vec![
        "Status",
        "Notification",
        "Channel",
        "Target",
        "Why",
        "Attempt",
        "Queued",
        "Finished",
        "Error",
        "Next",
    ];
    view! {
        <DataTable class="deliveries" label="Deliveries" headers=headers>
            {deliveries
                .into_iter()
                .map(|d| {
                    let (class, mark) = match d.status {
                        DeliveryStatus::Sent => ("delivery sent", "✓ SENT"),
                        DeliveryStatus::Failed => ("delivery failed", "✗ FAILED"),
                        DeliveryStatus::Skipped => ("delivery skipped", "– SKIPPED"),
                        DeliveryStatus::Pending => ("delivery pending", "… PENDING"),
                    };
                    let next = match (d.status, d.retry_at, d.permanent) {
                        (DeliveryStatus::Failed, Some(at), _) => {
                            view! { "retry " <Time at /> }.into_any()
                        }
                        (DeliveryStatus::Failed, None, true) => {
                            view! { "not retried (permanent)" }.into_any()
                        }
                        (DeliveryStatus::Failed, None, false) => {
                            view! { "gave up" }.into_any()
                        }
                        (DeliveryStatus::Pending, _, _) => {
                            view! { "due " <Time at=d.due_at /> }.into_any()
                        }
                        _ => view! { "" }.into_any(),
                    };
                    view! {
                        <tr class=class data-delivery-id=d.id>
                            <td class="nowrap">{mark}</td>
                            <td class="mono">{d.notification.as_str()}</td>
                            <td>{d.channel.as_str()}</td>
                            <td class="mono">{d.target}</td>
                            <td class="route">
                                {d.route.unwrap_or_default()}
                                {d.group_id.map(|g| format!(" (sent in group {g})"))}
                            </td>
                            <td>{d.attempt}</td>
                            <td class="nowrap"><Time at=d.created_at /></td>
                            <td class="nowrap">{d.finished_at.map(|at| view! { <Time at /> })}</td>
                            <td class="message mono">{d.error.unwrap_or_default()}</td>
                            <td class="nowrap">{next}</td>
                        </tr>
                    }
                })
                .collect_view()}
        </DataTable>
    }
    .into_any()
}
