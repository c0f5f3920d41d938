//! What the sender asks of the queue for grouped channels: the rest of a
//! group that is due, how a group ended, what an incident group still
//! holds open, and how many messages a channel was sent lately.

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, Condition, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
    TransactionTrait,
};
use telltale_model::{AlertDelivery, AlertStatus, DeliveryStatus, Notification};

use super::DeliveryResult;
use crate::convert::{delivery_from_row, readable};
use crate::entity::{alert, alert_delivery};
use crate::time::{from_us, to_us};
use crate::{BIND_CHUNK, Store, StoreError};

impl Store {
    /// Takes every delivery of `notification` to channel `webhook_id` due
    /// at `now` (up to [`BIND_CHUNK`]), as [`Store::claim_due_deliveries`]
    /// does: the rest of a group whose first rows were claimed.
    pub async fn claim_due_group(
        &self,
        webhook_id: i64,
        notification: Notification,
        now: DateTime<Utc>,
        lease: Duration,
    ) -> Result<Vec<AlertDelivery>, StoreError> {
        let until = now
            .checked_add_signed(lease)
            .unwrap_or(DateTime::<Utc>::MAX_UTC);
        let claimed = alert_delivery::Entity::update_many()
            .col_expr(
                alert_delivery::Column::ClaimedUntilUs,
                Expr::value(to_us(until)),
            )
            .filter(alert_delivery::Column::WebhookId.eq(webhook_id))
            .filter(alert_delivery::Column::Notification.eq(notification.as_str()))
            .filter(alert_delivery::Column::Status.eq(DeliveryStatus::Pending.as_str()))
            .filter(alert_delivery::Column::DueAtUs.lte(to_us(now)))
            .filter(
                Condition::any()
                    .add(alert_delivery::Column::ClaimedUntilUs.is_null())
                    .add(alert_delivery::Column::ClaimedUntilUs.lt(to_us(now))),
            )
            .exec_with_returning(&self.db)
            .await?;
        let mut group = readable(claimed, delivery_from_row);
        group.sort_by_key(|d| d.id);
        group.truncate(BIND_CHUNK);
        Ok(group)
    }

    /// Records one attempt that carried `deliveries` as one message: each
    /// ends as `result` says, and when there were several they share the
    /// first one's id as their group.
    pub async fn finish_group(
        &self,
        deliveries: &[AlertDelivery],
        result: &DeliveryResult,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let group = (deliveries.len() > 1)
            .then(|| deliveries.iter().map(|d| d.id).min())
            .flatten();
        for d in deliveries {
            self.finish_delivery(d, result, now).await?;
        }
        if let Some(group) = group {
            for chunk in deliveries.chunks(BIND_CHUNK) {
                alert_delivery::Entity::update_many()
                    .col_expr(alert_delivery::Column::GroupId, Expr::value(group))
                    .filter(alert_delivery::Column::Id.is_in(chunk.iter().map(|d| d.id)))
                    .exec(&self.db)
                    .await?;
            }
        }
        Ok(())
    }

    /// Ends a delivery unsent, by rule; `why` says which.
    pub async fn skip_delivery(
        &self,
        d: &AlertDelivery,
        why: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        alert_delivery::Entity::update_many()
            .col_expr(
                alert_delivery::Column::Status,
                Expr::value(DeliveryStatus::Skipped.as_str()),
            )
            .col_expr(alert_delivery::Column::Error, Expr::value(why))
            .col_expr(
                alert_delivery::Column::FinishedAtUs,
                Expr::value(to_us(now)),
            )
            .col_expr(
                alert_delivery::Column::ClaimedUntilUs,
                Expr::value(None::<i64>),
            )
            .filter(alert_delivery::Column::Id.eq(d.id))
            .filter(alert_delivery::Column::Status.eq(DeliveryStatus::Pending.as_str()))
            .exec(&self.db)
            .await?;
        Ok(())
    }

    /// How an alert's opening (its OPENED, or UNSUPPRESSED after
    /// maintenance) reached channel `webhook_id`: `None` when it was not
    /// sent there, `Some(group)` when it was (`group` set when it went out
    /// in a grouped message).
    pub async fn opening_sent(
        &self,
        alert_id: i64,
        webhook_id: i64,
    ) -> Result<Option<Option<i64>>, StoreError> {
        let row: Option<Option<i64>> = alert_delivery::Entity::find()
            .select_only()
            .column(alert_delivery::Column::GroupId)
            .filter(alert_delivery::Column::AlertId.eq(alert_id))
            .filter(alert_delivery::Column::WebhookId.eq(webhook_id))
            .filter(alert_delivery::Column::Status.eq(DeliveryStatus::Sent.as_str()))
            .filter(alert_delivery::Column::Notification.is_in([
                Notification::Opened.as_str(),
                Notification::Unsuppressed.as_str(),
            ]))
            .order_by_asc(alert_delivery::Column::Id)
            .into_tuple()
            .one(&self.db)
            .await?;
        Ok(row)
    }

    /// How many alerts sent in group `group`, other than `except`, are
    /// still open.
    pub async fn open_in_group(&self, group: i64, except: &[i64]) -> Result<u64, StoreError> {
        let ids: Vec<i64> = alert_delivery::Entity::find()
            .select_only()
            .column(alert_delivery::Column::AlertId)
            .filter(alert_delivery::Column::GroupId.eq(group))
            .into_tuple()
            .all(&self.db)
            .await?;
        let others: Vec<i64> = ids.into_iter().filter(|id| !except.contains(id)).collect();
        let mut open = 0;
        for chunk in others.chunks(BIND_CHUNK) {
            open += alert::Entity::find()
                .filter(alert::Column::Id.is_in(chunk.iter().copied()))
                .filter(alert::Column::Status.eq(AlertStatus::Open.as_str()))
                .count(&self.db)
                .await?;
        }
        Ok(open)
    }

    /// When each message sent to channel `webhook_id` after `since` was
    /// sent (a grouped message once), oldest first.
    pub async fn messages_sent_since(
        &self,
        webhook_id: i64,
        since: DateTime<Utc>,
    ) -> Result<Vec<DateTime<Utc>>, StoreError> {
        let rows: Vec<(i64, Option<i64>, Option<i64>)> = alert_delivery::Entity::find()
            .select_only()
            .columns([
                alert_delivery::Column::Id,
                alert_delivery::Column::GroupId,
                alert_delivery::Column::FinishedAtUs,
            ])
            .filter(alert_delivery::Column::WebhookId.eq(webhook_id))
            .filter(alert_delivery::Column::Status.eq(DeliveryStatus::Sent.as_str()))
            .filter(alert_delivery::Column::FinishedAtUs.gt(to_us(since)))
            .into_tuple()
            .all(&self.db)
            .await?;
        let mut seen = std::collections::HashSet::new();
        let mut times: Vec<DateTime<Utc>> = rows
            .into_iter()
            .filter(|(id, group, _)| seen.insert(group.unwrap_or(*id)))
            .filter_map(|(_, _, at)| at.and_then(from_us))
            .collect();
        times.sort();
        Ok(times)
    }

    /// Moves claimed deliveries to a later time, unattempted (a rate limit
    /// holds them).
    pub async fn postpone_deliveries(
        &self,
        deliveries: &[AlertDelivery],
        due_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let txn = self.db.begin().await?;
        for chunk in deliveries.chunks(BIND_CHUNK) {
            alert_delivery::Entity::update_many()
                .col_expr(alert_delivery::Column::DueAtUs, Expr::value(to_us(due_at)))
                .col_expr(
                    alert_delivery::Column::ClaimedUntilUs,
                    Expr::value(None::<i64>),
                )
                .filter(alert_delivery::Column::Id.is_in(chunk.iter().map(|d| d.id)))
                .filter(alert_delivery::Column::Status.eq(DeliveryStatus::Pending.as_str()))
                .exec(&txn)
                .await?;
        }
        txn.commit().await?;
        Ok(())
    }
}
