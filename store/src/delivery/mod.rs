//! Alert delivery in the database: where notifications go (settings,
//! webhooks), the queue of attempts, and what the pages show of it.
//!
//! Notifications are queued by [`enqueue`] inside the transaction that
//! changes the alert, so an alert that opened is never left without its
//! deliveries (and a rolled-back change never sends one).

mod groups;
mod queue;
mod route;
mod settings;

pub use queue::{DeliveryResult, NewAttempt};
pub use route::groups;
pub use settings::WebhookTarget;

use chrono::{DateTime, Utc};
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::{ConnectionTrait, EntityTrait};
use telltale_model::{AlertType, Channel, DeliveryStatus, Notification, RouteFacts};

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
/// recipient (not for closes: the RECOVERY alert tells people that), and
/// one per channel whose routing takes it (its alert types, severity, tags
/// and job patterns, or the job naming it; no RECOVERY to an incident
/// tool), due when its group window closes or its quiet hours end.
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
    let facts = if webhooks.is_empty() {
        Default::default()
    } else {
        let ids: Vec<i64> = notices.iter().map(|n| n.alert_id).collect();
        route::facts(db, &ids).await?
    };
    let mut due_times = route::DueTimes::default();
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
            route: Set(None),
            group_id: Set(None),
        }
    };
    let none = route::Facts::default();
    for n in notices {
        if n.notification != Notification::Closed
            && email.enabled_alert_types.contains(&n.alert_type)
        {
            for to in &email.recipients {
                rows.push(row(n, Channel::Email, to, None));
            }
        }
        let f = facts.get(&n.alert_id).unwrap_or(&none);
        let route_facts = RouteFacts {
            alert_type: n.alert_type,
            job: f.job.as_deref(),
            tags: &f.tags,
            named: &f.named,
        };
        for hook in &webhooks {
            // An incident tool resolves the FAILURE's incident when that
            // alert closes; a RECOVERY would be a second incident.
            if n.alert_type == AlertType::Recovery && hook.format.is_incident_tool() {
                continue;
            }
            // A RECOVERY said all there is to say when it opened; its
            // close (when it expires) would be noise in a chat.
            if n.alert_type == AlertType::Recovery
                && n.notification == Notification::Closed
                && route::groups(hook.format)
            {
                continue;
            }
            let Some(why) =
                hook.routing
                    .matches(&hook.name, &hook.enabled_alert_types, route_facts)
            else {
                continue;
            };
            let due = due_times.due(db, hook, n.notification, now).await?;
            let mut r = row(n, Channel::Webhook, &hook.shown_target(), Some(hook.id));
            r.route = Set(Some(why));
            r.due_at_us = Set(to_us(due));
            rows.push(r);
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
