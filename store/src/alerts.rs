//! Alerts: listing and reading them, closing one by hand, and the writes
//! the engine shares (open, close, re-notify) with what they tell people.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, TransactionTrait};
use telltale_model::{
    Alert, AlertDetail, AlertFilter, AlertStatus, AlertType, Evaluation, Notification,
};

use crate::BIND_CHUNK;
use crate::convert::alert_from_row;
use crate::delivery::{Notice, enqueue};
use crate::entity::{alert, job, worker};
use crate::time::to_us;
use crate::{Store, StoreError};

/// Result of closing an alert by hand (Chief §11.4).
#[derive(Debug, Clone, PartialEq)]
pub struct CloseOutcome {
    pub found: bool,
    pub updated: bool,
    pub alert: Option<Alert>,
}

impl Store {
    /// Alerts newest first; open ones first when no status is asked for.
    pub async fn list_alerts(&self, filter: &AlertFilter) -> Result<Vec<Alert>, StoreError> {
        let mut q = alert::Entity::find();
        if let Some(status) = filter.status {
            q = q.filter(alert::Column::Status.eq(status.as_str()));
        }
        if let Some(t) = filter.alert_type {
            q = q.filter(alert::Column::AlertType.eq(t.as_str()));
        }
        if let Some(job) = &filter.job {
            q = q.filter(alert::Column::JobName.eq(job.as_str()));
        }
        if let Some(before) = filter.before {
            q = q.filter(alert::Column::Id.lt(before));
        }
        let mut alerts = q
            .order_by_desc(alert::Column::Id)
            .limit(filter.limit.unwrap_or(100).clamp(1, 1000))
            .all(&self.db)
            .await?
            .into_iter()
            .map(alert_from_row)
            .collect::<Result<Vec<Alert>, StoreError>>()?;
        let ids: Vec<i64> = alerts.iter().map(|a| a.id).collect();
        let mut tallies = self.delivery_tallies(&ids).await?;
        for a in &mut alerts {
            a.deliveries = Some(tallies.remove(&a.id).unwrap_or_default());
        }
        Ok(alerts)
    }

    pub async fn get_alert(&self, id: i64) -> Result<Option<Alert>, StoreError> {
        alert::Entity::find_by_id(id)
            .one(&self.db)
            .await?
            .map(alert_from_row)
            .transpose()
    }

    /// One alert with every attempt to deliver it, newest first.
    pub async fn alert_detail(&self, id: i64) -> Result<Option<AlertDetail>, StoreError> {
        let Some(alert) = self.get_alert(id).await? else {
            return Ok(None);
        };
        Ok(Some(AlertDetail {
            alert,
            deliveries: self.deliveries_for_alert(id).await?,
        }))
    }

    /// Closes one alert by hand; closing a closed alert changes nothing.
    /// The close holds for the alert's incident: what it was about is noted
    /// on its job or worker, so the engine does not open it again until
    /// something new happens (a later failed run; the job UP and DOWN
    /// again; the worker back and gone again).
    pub async fn close_alert(
        &self,
        id: i64,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<CloseOutcome, StoreError> {
        let txn = self.db.begin().await?;
        let closed = close(&txn, id, reason, now).await?;
        let updated = !closed.is_empty();
        for row in &closed {
            acknowledge(&txn, row, now).await?;
        }
        enqueue(&txn, &closed_notices(&closed), now).await?;
        txn.commit().await?;
        let alert = alert::Entity::find_by_id(id)
            .one(&self.db)
            .await?
            .map(alert_from_row)
            .transpose()?;
        Ok(CloseOutcome {
            found: alert.is_some(),
            updated,
            alert,
        })
    }

    /// Open alerts by type, for the summary.
    pub async fn open_alert_counts(&self) -> Result<Vec<(AlertType, u64)>, StoreError> {
        let rows: Vec<(String, i64)> = alert::Entity::find()
            .select_only()
            .column(alert::Column::AlertType)
            .column_as(alert::Column::Id.count(), "n")
            .filter(alert::Column::Status.eq(AlertStatus::Open.as_str()))
            .group_by(alert::Column::AlertType)
            .into_tuple()
            .all(&self.db)
            .await?;
        Ok(rows
            .into_iter()
            .filter_map(|(t, n)| Some((AlertType::parse(&t)?, u64::try_from(n).unwrap_or(0))))
            .collect())
    }
}

impl Store {
    /// The jobs whose FAILURE alert is open: what makes a job FAILING.
    /// Read from the open alerts (an indexed status), which are few next to
    /// the jobs, so a page of jobs asks once rather than once per row.
    pub async fn failing_jobs(&self) -> Result<HashSet<String>, StoreError> {
        let rows: Vec<Option<String>> = alert::Entity::find()
            .select_only()
            .column(alert::Column::JobName)
            .filter(alert::Column::Status.eq(AlertStatus::Open.as_str()))
            .filter(alert::Column::AlertType.eq(AlertType::Failure.as_str()))
            .into_tuple()
            .all(&self.db)
            .await?;
        Ok(rows.into_iter().flatten().collect())
    }

    /// Whether `job`'s FAILURE alert is open.
    pub async fn is_failing(&self, job: &str) -> Result<bool, StoreError> {
        let open: Option<i64> = alert::Entity::find()
            .select_only()
            .column(alert::Column::Id)
            .filter(alert::Column::JobName.eq(job))
            .filter(alert::Column::Status.eq(AlertStatus::Open.as_str()))
            .filter(alert::Column::AlertType.eq(AlertType::Failure.as_str()))
            .into_tuple()
            .one(&self.db)
            .await?;
        Ok(open.is_some())
    }
}

/// Closes, re-notifies and opens the alerts of `evals` inside `txn`.
/// Opening is one multi-row insert that relies on the unique index of open
/// dedupe keys: if another evaluator opened the same alert first, its row
/// is skipped and not returned.
pub(crate) async fn open_and_close(
    txn: &sea_orm::DatabaseTransaction,
    evals: &[&Evaluation],
    now: DateTime<Utc>,
) -> Result<Vec<Alert>, StoreError> {
    let mut notices = Vec::new();
    for (id, reason) in evals.iter().flat_map(|e| &e.close) {
        notices.extend(closed_notices(&close(txn, *id, reason, now).await?));
    }
    // Telling people again: after a suppression ends, or on a repeat.
    let unsuppress: Vec<i64> = evals
        .iter()
        .flat_map(|e| e.unsuppress.iter().copied())
        .collect();
    let repeat: Vec<i64> = evals
        .iter()
        .flat_map(|e| e.repeat.iter().copied())
        .collect();
    notices.extend(notify_again(txn, &unsuppress, Notification::Unsuppressed, now).await?);
    notices.extend(notify_again(txn, &repeat, Notification::Repeated, now).await?);
    let opened = open(txn, evals, now).await?;
    notices.extend(
        opened
            .iter()
            .filter(|row| row.suppressed.is_none())
            .filter_map(|row| notice(row, Notification::Opened)),
    );
    enqueue(txn, &notices, now).await?;
    opened.into_iter().map(alert_from_row).collect()
}

/// Marks the open alerts `ids` as told again now (an unsuppressed one is no
/// longer suppressed); the notices to send.
async fn notify_again(
    txn: &sea_orm::DatabaseTransaction,
    ids: &[i64],
    notification: Notification,
    now: DateTime<Utc>,
) -> Result<Vec<Notice>, StoreError> {
    let mut notices = Vec::new();
    if ids.is_empty() {
        return Ok(notices);
    }
    let mut update = alert::Entity::update_many()
        .col_expr(alert::Column::NotifiedAtUs, Expr::value(to_us(now)))
        .col_expr(
            alert::Column::NotifyCount,
            Expr::col(alert::Column::NotifyCount).add(1),
        );
    if notification == Notification::Unsuppressed {
        update = update.col_expr(alert::Column::Suppressed, Expr::value(None::<String>));
    }
    for chunk in ids.chunks(BIND_CHUNK) {
        let told = update
            .clone()
            .filter(alert::Column::Id.is_in(chunk.iter().copied()))
            .filter(alert::Column::Status.eq(AlertStatus::Open.as_str()))
            .exec_with_returning(txn)
            .await?;
        notices.extend(told.iter().filter_map(|row| notice(row, notification)));
    }
    Ok(notices)
}

/// Inserts the alerts `evals` open; the rows actually inserted (one whose
/// dedupe key is already open, by a racing evaluator, is skipped).
async fn open(
    txn: &sea_orm::DatabaseTransaction,
    evals: &[&Evaluation],
    now: DateTime<Utc>,
) -> Result<Vec<alert::Model>, StoreError> {
    let rows: Vec<alert::ActiveModel> = evals
        .iter()
        .flat_map(|e| &e.open)
        .map(|new| alert::ActiveModel {
            id: NotSet,
            alert_type: Set(new.alert_type.as_str().to_owned()),
            status: Set(AlertStatus::Open.as_str().to_owned()),
            job_name: Set(new.job_name.clone()),
            worker_id: Set(new.worker_id.clone()),
            run_id: Set(new.run_id.clone()),
            dedupe_key: Set(new.dedupe_key()),
            reason: Set(new.reason.clone()),
            opened_at_us: Set(to_us(now)),
            closed_at_us: Set(None),
            close_reason: Set(None),
            suppressed: Set(new.suppressed.clone()),
            notified_at_us: Set(new.suppressed.is_none().then(|| to_us(now))),
            notify_count: Set(i32::from(new.suppressed.is_none())),
        })
        .collect();
    let mut opened = Vec::new();
    // 14 values a row.
    for chunk in rows.chunks(BIND_CHUNK / 16) {
        match alert::Entity::insert_many(chunk.to_vec())
            .on_conflict(OnConflict::new().do_nothing().to_owned())
            .exec_with_returning(txn)
            .await
        {
            Ok(rows) => opened.extend(rows),
            Err(sea_orm::DbErr::RecordNotInserted) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(opened)
}

fn notice(row: &alert::Model, notification: Notification) -> Option<Notice> {
    Some(Notice {
        alert_id: row.id,
        alert_type: AlertType::parse(&row.alert_type)?,
        notification,
    })
}

/// Closes an open alert; returns it when it was open.
async fn close<C: sea_orm::ConnectionTrait>(
    db: &C,
    id: i64,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<Vec<alert::Model>, StoreError> {
    let closed = alert::Entity::update_many()
        .col_expr(
            alert::Column::Status,
            Expr::value(AlertStatus::Closed.as_str()),
        )
        .col_expr(alert::Column::ClosedAtUs, Expr::value(to_us(now)))
        .col_expr(alert::Column::CloseReason, Expr::value(reason))
        .filter(alert::Column::Id.eq(id))
        .filter(alert::Column::Status.eq(AlertStatus::Open.as_str()))
        .exec_with_returning(db)
        .await?;
    Ok(closed)
}

/// Notes on an alert's job or worker that it was closed by hand, and in
/// which incident (see [`Store::close_alert`]).
async fn acknowledge<C: sea_orm::ConnectionTrait>(
    db: &C,
    closed: &alert::Model,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    match (
        AlertType::parse(&closed.alert_type),
        &closed.job_name,
        &closed.worker_id,
    ) {
        (Some(AlertType::Failure), Some(name), _) => {
            job::Entity::update_many()
                .col_expr(
                    job::Column::FailureAck,
                    Expr::col(job::Column::FailuresTotal),
                )
                .filter(job::Column::Name.eq(name.as_str()))
                .exec(db)
                .await?;
        }
        (Some(AlertType::Missed), Some(name), _) => {
            job::Entity::update_many()
                .col_expr(job::Column::MissAck, Expr::value(true))
                .filter(job::Column::Name.eq(name.as_str()))
                .exec(db)
                .await?;
        }
        (Some(AlertType::WorkerOffline), _, Some(id)) => {
            // The close holds for the absence the alert was about: only
            // while the worker is still offline with no heartbeat since the
            // alert opened. One that came back before the engine noticed
            // (the alert still open) has ended that absence; holding its
            // newest heartbeat would silence the next one.
            let Some(row) = worker::Entity::find()
                .filter(worker::Column::WorkerId.eq(id.as_str()))
                .one(db)
                .await?
            else {
                return Ok(());
            };
            let beat = row.last_heartbeat_at_us;
            let absent = crate::convert::worker_from_row(row)?.status(now)
                == telltale_model::WorkerStatus::Offline;
            let held = beat.filter(|b| absent && *b <= closed.opened_at_us);
            worker::Entity::update_many()
                .col_expr(worker::Column::OfflineAckBeatUs, Expr::value(held))
                .filter(worker::Column::WorkerId.eq(id.as_str()))
                .exec(db)
                .await?;
        }
        _ => {}
    }
    Ok(())
}

/// Closes people hear of: those of alerts they had been told about (an
/// alert suppressed throughout closes silently).
fn closed_notices(closed: &[alert::Model]) -> Vec<Notice> {
    closed
        .iter()
        .filter(|row| row.notify_count > 0)
        .filter_map(|row| notice(row, Notification::Closed))
        .collect()
}
