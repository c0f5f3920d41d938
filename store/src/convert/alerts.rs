//! Rows ⇄ model types for alerts, their deliveries, check transitions and
//! webhooks.

use crate::StoreError;

use super::Row;

pub fn alert_from_row(
    row: crate::entity::alert::Model,
) -> Result<telltale_model::Alert, StoreError> {
    use telltale_model::{AlertStatus, AlertType};
    let r = Row {
        table: "alerts",
        id: row.id.to_string(),
    };
    Ok(telltale_model::Alert {
        id: row.id,
        alert_type: AlertType::parse(&row.alert_type)
            .ok_or_else(|| r.corrupt(format!("unknown alert_type {:?}", row.alert_type)))?,
        status: AlertStatus::parse(&row.status)
            .ok_or_else(|| r.corrupt(format!("unknown status {:?}", row.status)))?,
        opened_at: r.time("opened_at_us", row.opened_at_us)?,
        closed_at: r.opt_time("closed_at_us", row.closed_at_us)?,
        job_name: row.job_name,
        worker_id: row.worker_id,
        run_id: row.run_id,
        dedupe_key: row.dedupe_key,
        reason: row.reason,
        close_reason: row.close_reason,
        suppressed: row.suppressed,
        notified_at: r.opt_time("notified_at_us", row.notified_at_us)?,
        notify_count: u32::try_from(row.notify_count).unwrap_or(0),
        deliveries: None,
    })
}

pub fn transition_from_row(
    row: crate::entity::check_transition::Model,
) -> Result<telltale_model::CheckTransition, StoreError> {
    use telltale_model::CheckState;
    let r = Row {
        table: "check_transitions",
        id: row.id.to_string(),
    };
    let state = |s: &str| {
        CheckState::parse(s).ok_or_else(|| r.corrupt(format!("unknown check state {s:?}")))
    };
    Ok(telltale_model::CheckTransition {
        from: state(&row.from_state)?,
        to: state(&row.to_state)?,
        at: r.time("at_us", row.at_us)?,
        job_name: row.job_name,
        reason: row.reason,
    })
}

pub fn delivery_from_row(
    row: crate::entity::alert_delivery::Model,
) -> Result<telltale_model::AlertDelivery, StoreError> {
    use telltale_model::{Channel, DeliveryStatus, Notification};
    let r = Row {
        table: "alert_deliveries",
        id: row.id.to_string(),
    };
    Ok(telltale_model::AlertDelivery {
        id: row.id,
        delivery_id: row.first_attempt_id.unwrap_or(row.id),
        alert_id: row.alert_id,
        notification: Notification::parse(&row.notification)
            .ok_or_else(|| r.corrupt(format!("unknown notification {:?}", row.notification)))?,
        channel: Channel::parse(&row.channel)
            .ok_or_else(|| r.corrupt(format!("unknown channel {:?}", row.channel)))?,
        status: DeliveryStatus::parse(&row.status)
            .ok_or_else(|| r.corrupt(format!("unknown status {:?}", row.status)))?,
        target: row.target,
        webhook_id: row.webhook_id,
        attempt: u32::try_from(row.attempt).unwrap_or(0),
        error: row.error,
        permanent: row.permanent,
        created_at: r.time("created_at_us", row.created_at_us)?,
        due_at: r.time("due_at_us", row.due_at_us)?,
        finished_at: r.opt_time("finished_at_us", row.finished_at_us)?,
        retry_at: r.opt_time("retry_at_us", row.retry_at_us)?,
        route: row.route,
        group_id: row.group_id,
    })
}

pub fn webhook_from_row(
    row: &crate::entity::webhook::Model,
) -> Result<telltale_model::Webhook, StoreError> {
    use telltale_model::{AlertType, WebhookFormat};
    let r = Row {
        table: "webhooks",
        id: row.id.to_string(),
    };
    Ok(telltale_model::Webhook {
        id: row.id,
        name: row.name.clone(),
        url: row.url.clone(),
        format: WebhookFormat::parse(&row.format)
            .ok_or_else(|| r.corrupt(format!("unknown format {:?}", row.format)))?,
        options: serde_json::from_str(&row.options)
            .map_err(|e| r.corrupt(format!("options: {e}")))?,
        routing: serde_json::from_str(&row.routing)
            .map_err(|e| r.corrupt(format!("routing: {e}")))?,
        enabled_alert_types: row
            .alert_types
            .split(',')
            .filter(|t| !t.is_empty())
            .map(|t| {
                AlertType::parse(t).ok_or_else(|| r.corrupt(format!("unknown alert type {t:?}")))
            })
            .collect::<Result<_, _>>()?,
        enabled: row.enabled,
        created_at: r.time("created_at_us", row.created_at_us)?,
    })
}
