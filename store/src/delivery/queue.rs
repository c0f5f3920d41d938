//! The delivery queue: pending rows are claimed with a lease by a
//! conditional update (so two senders never take the same row), and each
//! finished attempt either ends the chain or schedules the next attempt as
//! a new row, which keeps the chain's delivery id (its first attempt's).

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect, TransactionTrait,
};
use telltale_model::{AlertDelivery, Channel, DeliveryStatus, DeliveryTally, FailingChannel};

use crate::BIND_CHUNK;
use crate::convert::{delivery_from_row, readable};
use crate::entity::alert_delivery;
use crate::time::to_us;
use crate::{Store, StoreError};

/// How an attempt ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeliveryResult {
    Sent,
    Failed {
        /// What the receiver or the network said, verbatim.
        error: String,
        permanent: bool,
        /// The next attempt, when one is to be made.
        retry: Option<NewAttempt>,
    },
}

/// When the next attempt is due.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NewAttempt {
    pub due_at: DateTime<Utc>,
}

impl Store {
    /// Takes up to `limit` deliveries due at `now` for `lease` (at most
    /// [`BIND_CHUNK`] at a time: their ids are bound in one statement): no
    /// other sender takes them until the lease ends (a sender that dies
    /// mid-send leaves them to be sent again after it).
    pub async fn claim_due_deliveries(
        &self,
        now: DateTime<Utc>,
        lease: Duration,
        limit: u64,
    ) -> Result<Vec<AlertDelivery>, StoreError> {
        let limit = limit.min(BIND_CHUNK as u64);
        // A lease past the end of time lasts as long as time does.
        let until = now
            .checked_add_signed(lease)
            .unwrap_or(DateTime::<Utc>::MAX_UTC);
        let free = || {
            Condition::any()
                .add(alert_delivery::Column::ClaimedUntilUs.is_null())
                .add(alert_delivery::Column::ClaimedUntilUs.lt(to_us(now)))
        };
        let pending = || alert_delivery::Column::Status.eq(DeliveryStatus::Pending.as_str());
        let ids: Vec<i64> = alert_delivery::Entity::find()
            .select_only()
            .column(alert_delivery::Column::Id)
            .filter(pending())
            .filter(alert_delivery::Column::DueAtUs.lte(to_us(now)))
            .filter(free())
            .order_by_asc(alert_delivery::Column::DueAtUs)
            .limit(limit)
            .into_tuple()
            .all(&self.db)
            .await?;
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let claimed = alert_delivery::Entity::update_many()
            .col_expr(
                alert_delivery::Column::ClaimedUntilUs,
                Expr::value(to_us(until)),
            )
            .filter(alert_delivery::Column::Id.is_in(ids))
            .filter(pending())
            .filter(free())
            .exec_with_returning(&self.db)
            .await?;
        // The oldest due rows come first: one that cannot be read would
        // otherwise fail every claim, and no alert would leave again.
        Ok(readable(claimed, delivery_from_row))
    }

    /// Records how an attempt ended, and queues the next attempt when the
    /// result asks for one. An attempt that is no longer pending (its
    /// webhook was deleted meanwhile) is left as it is.
    pub async fn finish_delivery(
        &self,
        delivery: &AlertDelivery,
        result: &DeliveryResult,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let txn = self.db.begin().await?;
        let (status, error, permanent, retry) = match result {
            DeliveryResult::Sent => (DeliveryStatus::Sent, None, false, None),
            DeliveryResult::Failed {
                error,
                permanent,
                retry,
            } => (
                DeliveryStatus::Failed,
                Some(error.clone()),
                *permanent,
                *retry,
            ),
        };
        let updated = alert_delivery::Entity::update_many()
            .col_expr(alert_delivery::Column::Status, Expr::value(status.as_str()))
            .col_expr(alert_delivery::Column::Error, Expr::value(error))
            .col_expr(alert_delivery::Column::Permanent, Expr::value(permanent))
            .col_expr(
                alert_delivery::Column::FinishedAtUs,
                Expr::value(to_us(now)),
            )
            .col_expr(
                alert_delivery::Column::RetryAtUs,
                Expr::value(retry.map(|r| to_us(r.due_at))),
            )
            .col_expr(
                alert_delivery::Column::ClaimedUntilUs,
                Expr::value(None::<i64>),
            )
            .filter(alert_delivery::Column::Id.eq(delivery.id))
            .filter(alert_delivery::Column::Status.eq(DeliveryStatus::Pending.as_str()))
            .exec(&txn)
            .await?;
        if updated.rows_affected > 0
            && let Some(next) = retry
        {
            alert_delivery::Entity::insert(alert_delivery::ActiveModel {
                id: NotSet,
                alert_id: Set(delivery.alert_id),
                notification: Set(delivery.notification.as_str().to_owned()),
                channel: Set(delivery.channel.as_str().to_owned()),
                target: Set(delivery.target.clone()),
                webhook_id: Set(delivery.webhook_id),
                status: Set(DeliveryStatus::Pending.as_str().to_owned()),
                attempt: Set(i32::try_from(delivery.attempt + 1).unwrap_or(i32::MAX)),
                error: Set(None),
                permanent: Set(false),
                created_at_us: Set(to_us(now)),
                due_at_us: Set(to_us(next.due_at)),
                claimed_until_us: Set(None),
                finished_at_us: Set(None),
                retry_at_us: Set(None),
                first_attempt_id: Set(Some(delivery.delivery_id)),
                route: Set(delivery.route.clone()),
                group_id: Set(None),
            })
            .exec_without_returning(&txn)
            .await?;
        }
        txn.commit().await?;
        Ok(())
    }

    /// Every delivery attempt for an alert, newest first.
    pub async fn deliveries_for_alert(
        &self,
        alert_id: i64,
    ) -> Result<Vec<AlertDelivery>, StoreError> {
        alert_delivery::Entity::find()
            .filter(alert_delivery::Column::AlertId.eq(alert_id))
            .order_by_desc(alert_delivery::Column::Id)
            .all(&self.db)
            .await?
            .into_iter()
            .map(delivery_from_row)
            .collect()
    }

    /// Where the deliveries of each of `alert_ids` stand: each delivery's
    /// latest attempt by status (a failed attempt that was retried is
    /// superseded by its retry). Alerts without deliveries are absent. The
    /// ids are looked up [`BIND_CHUNK`] at a time, however many are asked.
    pub async fn delivery_tallies(
        &self,
        alert_ids: &[i64],
    ) -> Result<HashMap<i64, DeliveryTally>, StoreError> {
        let mut tallies: HashMap<i64, DeliveryTally> = HashMap::new();
        for chunk in alert_ids.chunks(BIND_CHUNK) {
            let rows: Vec<(i64, String, i64)> = alert_delivery::Entity::find()
                .select_only()
                .column(alert_delivery::Column::AlertId)
                .column(alert_delivery::Column::Status)
                .column_as(alert_delivery::Column::Id.count(), "n")
                .filter(alert_delivery::Column::AlertId.is_in(chunk.iter().copied()))
                .filter(
                    Condition::any()
                        .add(alert_delivery::Column::Status.ne(DeliveryStatus::Failed.as_str()))
                        .add(alert_delivery::Column::RetryAtUs.is_null()),
                )
                .group_by(alert_delivery::Column::AlertId)
                .group_by(alert_delivery::Column::Status)
                .into_tuple()
                .all(&self.db)
                .await?;
            for (alert_id, status, n) in rows {
                let tally = tallies.entry(alert_id).or_default();
                let n = u32::try_from(n).unwrap_or(u32::MAX);
                match DeliveryStatus::parse(&status) {
                    Some(DeliveryStatus::Sent) => tally.sent = tally.sent.saturating_add(n),
                    Some(DeliveryStatus::Failed) => tally.failed = tally.failed.saturating_add(n),
                    Some(DeliveryStatus::Pending) => {
                        tally.pending = tally.pending.saturating_add(n);
                    }
                    Some(DeliveryStatus::Skipped) => {}
                    None => tracing::warn!(alert_id, status, "alert_deliveries: unknown status"),
                }
            }
        }
        Ok(tallies)
    }

    /// Targets whose last finished attempt (in the last week, among the
    /// newest thousand) failed, with how many of their last five did.
    pub async fn failing_channels(
        &self,
        now: DateTime<Utc>,
    ) -> Result<Vec<FailingChannel>, StoreError> {
        let week_ago = now
            .checked_sub_signed(Duration::days(7))
            .unwrap_or(DateTime::<Utc>::MIN_UTC);
        let rows = alert_delivery::Entity::find()
            .filter(alert_delivery::Column::FinishedAtUs.gte(to_us(week_ago)))
            .order_by_desc(alert_delivery::Column::FinishedAtUs)
            .limit(1000)
            .all(&self.db)
            .await?;
        let mut recent: HashMap<(String, String), Vec<AlertDelivery>> = HashMap::new();
        let mut order = Vec::new();
        // The summary and the overview show this: a damaged row is logged
        // and left out rather than failing both.
        for d in readable(rows, delivery_from_row) {
            let key = (d.channel.as_str().to_owned(), d.target.clone());
            let list = recent.entry(key.clone()).or_default();
            if list.is_empty() {
                order.push(key);
            }
            if list.len() < 5 {
                list.push(d);
            }
        }
        let mut out = Vec::new();
        for key in order {
            let list = &recent[&key];
            let Some(last) = list.first() else { continue };
            if last.status != DeliveryStatus::Failed {
                continue;
            }
            out.push(FailingChannel {
                channel: Channel::parse(&key.0).unwrap_or(Channel::Webhook),
                target: key.1.clone(),
                error: last.error.clone().unwrap_or_default(),
                failed_at: last.finished_at.unwrap_or(now),
                recent_failures: u32::try_from(
                    list.iter()
                        .filter(|d| d.status == DeliveryStatus::Failed)
                        .count(),
                )
                .unwrap_or(0),
            });
        }
        Ok(out)
    }
}
