//! Alert delivery in the database: where notifications go (settings,
//! webhooks), the queue of attempts, and what the pages show of it.
//!
//! Notifications are queued by [`enqueue`] inside the transaction that
//! changes the alert, so an alert that opened is never left without its
//! deliveries (and a rolled-back change never sends one).

mod queue;
mod settings;

pub use queue::{DeliveryResult, NewAttempt};
pub use settings::WebhookTarget;

use chrono::{DateTime, Utc};
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::{ConnectionTrait, EntityTrait};
use telltale_model::{AlertType, Channel, DeliveryStatus, Notification};

use crate::StoreError;
use crate::entity::alert_delivery;
use crate::time::to_us;

/// An alert change people should hear about.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Notice {
    pub alert_id: i64,
    pub alert_type: AlertType,
    pub notification: Notification,
}

/// Queues one delivery per configured target for each notice: an email per
/// recipient (not for closes: the RECOVERY alert tells people that), a POST
/// per enabled webhook, each only for the alert types it asked for (and
/// no RECOVERY to an incident tool).
pub(crate) async fn enqueue<C: ConnectionTrait>(
    db: &C,
    notices: &[Notice],
    now: DateTime<Utc>,
) -> Result<usize, StoreError> {
    if notices.is_empty() {
        return Ok(0);
    }
    // Settings that cannot be read send no email, and say so; failing here
    // would fail the alert's own transaction, and every later one alike.
    let email = match settings::email_settings(db).await {
        Err(e @ StoreError::Corrupt { .. }) => {
            tracing::error!(error = %e, "alert email settings unreadable: no email is queued");
            telltale_model::EmailSettings::default()
        }
        other => other?,
    };
    let webhooks = settings::enabled_webhooks(db).await?;
    let mut rows = Vec::new();
    let row = |n: &Notice, channel: Channel, target: &str, webhook_id: Option<i64>| {
        alert_delivery::ActiveModel {
            id: NotSet,
            alert_id: Set(n.alert_id),
            notification: Set(n.notification.as_str().to_owned()),
            channel: Set(channel.as_str().to_owned()),
            target: Set(target.to_owned()),
            webhook_id: Set(webhook_id),
            status: Set(DeliveryStatus::Pending.as_str().to_owned()),
            attempt: Set(1),
            error: Set(None),
            permanent: Set(false),
            created_at_us: Set(to_us(now)),
            due_at_us: Set(to_us(now)),
            claimed_until_us: Set(None),
            finished_at_us: Set(None),
            retry_at_us: Set(None),
            first_attempt_id: Set(None),
        }
    };
    for n in notices {
        if n.notification != Notification::Closed
            && email.enabled_alert_types.contains(&n.alert_type)
        {
            for to in &email.recipients {
                rows.push(row(n, Channel::Email, to, None));
            }
        }
        for hook in &webhooks {
            // An incident tool resolves the FAILURE's incident when that
            // alert closes; a RECOVERY would be a second incident.
            let recovery_to_pager =
                n.alert_type == AlertType::Recovery && hook.format.is_incident_tool();
            if hook.enabled_alert_types.contains(&n.alert_type) && !recovery_to_pager {
                rows.push(row(
                    n,
                    Channel::Webhook,
                    &hook.shown_target(),
                    Some(hook.id),
                ));
            }
        }
    }
    let queued = rows.len();
    for chunk in rows.chunks(500) {
        alert_delivery::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(db)
            .await?;
    }
    Ok(queued)
}
