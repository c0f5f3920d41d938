//! What the check engine reads and writes: jobs due for evaluation with
//! their stored check state, alerts, and the check-transition log.

use chrono::{DateTime, Utc};
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, TransactionTrait};
use telltale_model::{
    Acks, Alert, AlertDetail, AlertFilter, AlertStatus, AlertType, CheckState, CheckTransition,
    Evaluation, Job, JobStatus, Notification,
};

use crate::convert::{
    alert_from_row, job_from_row, job_status_from_row, readable, transition_from_row,
};
use crate::delivery::{Notice, enqueue};
use crate::entity::{alert, check_transition, job, worker};
use crate::time::{from_us, to_us};
use crate::{Store, StoreError};

/// Values per `IN (…)` list and rows per multi-row insert: well under
/// SQLite's 32,766 and PostgreSQL's 65,535 bound parameters, however many
/// names a burst of ingest touched.
pub(crate) const BIND_CHUNK: usize = 1000;

/// One job's evaluation, to be recorded.
#[derive(Debug, Clone, PartialEq)]
pub struct JobUpdate {
    pub job_name: String,
    pub outcome: JobOutcome,
    pub eval: Evaluation,
}

/// What the engine decided about a job, besides alerts.
#[derive(Debug, Clone, PartialEq)]
pub struct JobOutcome {
    pub state: CheckState,
    /// When time alone could next change the outcome.
    pub deadline: Option<DateTime<Utc>>,
    /// The effective expected start, shown to people.
    pub expected: Option<DateTime<Utc>>,
}

/// Result of closing an alert by hand (Chief §11.4).
#[derive(Debug, Clone, PartialEq)]
pub struct CloseOutcome {
    pub found: bool,
    pub updated: bool,
    pub alert: Option<Alert>,
}

impl Store {
    /// Jobs to evaluate at `now`: those whose deadline has passed, plus
    /// `names` (touched by ingest), each with what the engine last stored
    /// and what people closed by hand. The names are looked up in chunks:
    /// a burst of new jobs can name tens of thousands.
    pub async fn jobs_to_evaluate(
        &self,
        now: DateTime<Utc>,
        names: &[String],
        all: bool,
    ) -> Result<Vec<(Job, JobOutcome, Acks)>, StoreError> {
        let mut rows = if all {
            job::Entity::find().all(&self.db).await?
        } else {
            job::Entity::find()
                .filter(job::Column::CheckDeadlineUs.lte(to_us(now)))
                .all(&self.db)
                .await?
        };
        if !all {
            let mut seen: std::collections::HashSet<String> =
                rows.iter().map(|r| r.name.clone()).collect();
            for chunk in names.chunks(BIND_CHUNK) {
                let more = job::Entity::find()
                    .filter(job::Column::Name.is_in(chunk.iter().cloned()))
                    .all(&self.db)
                    .await?;
                rows.extend(more.into_iter().filter(|r| seen.insert(r.name.clone())));
            }
        }
        Ok(readable(rows, |row| {
            let stored = JobOutcome {
                state: CheckState::parse(&row.check_state).unwrap_or(CheckState::New),
                deadline: row.check_deadline_us.and_then(from_us),
                expected: row.check_expected_at_us.and_then(from_us),
            };
            let acks = Acks {
                failures: u64::try_from(row.failure_ack).unwrap_or(0),
                missed: row.miss_ack,
            };
            Ok((job_from_row(row)?, stored, acks))
        }))
    }

    /// What was closed by hand of each of `names` (jobs that are gone are
    /// absent).
    pub async fn acks_of(
        &self,
        names: &[String],
    ) -> Result<std::collections::HashMap<String, Acks>, StoreError> {
        let mut out = std::collections::HashMap::new();
        for chunk in names.chunks(BIND_CHUNK) {
            let rows: Vec<(String, i64, bool)> = job::Entity::find()
                .select_only()
                .column(job::Column::Name)
                .column(job::Column::FailureAck)
                .column(job::Column::MissAck)
                .filter(job::Column::Name.is_in(chunk.iter().cloned()))
                .into_tuple()
                .all(&self.db)
                .await?;
            for (name, failures, missed) in rows {
                let failures = u64::try_from(failures).unwrap_or(0);
                out.insert(name, Acks { failures, missed });
            }
        }
        Ok(out)
    }

    /// The heartbeat each worker had sent last when a WORKER_OFFLINE about
    /// it was closed by hand, by worker.
    pub async fn worker_acks(
        &self,
    ) -> Result<std::collections::HashMap<String, DateTime<Utc>>, StoreError> {
        let rows: Vec<(String, Option<i64>)> = worker::Entity::find()
            .select_only()
            .column(worker::Column::WorkerId)
            .column(worker::Column::OfflineAckBeatUs)
            .filter(worker::Column::OfflineAckBeatUs.is_not_null())
            .into_tuple()
            .all(&self.db)
            .await?;
        Ok(rows
            .into_iter()
            .filter_map(|(id, at)| Some((id, from_us(at?)?)))
            .collect())
    }

    /// The newest alert of `alert_type`, open or closed (one that cannot be
    /// read counts as none: see [`readable`]).
    pub async fn latest_alert_of_type(
        &self,
        alert_type: AlertType,
    ) -> Result<Option<Alert>, StoreError> {
        let row = alert::Entity::find()
            .filter(alert::Column::AlertType.eq(alert_type.as_str()))
            .order_by_desc(alert::Column::Id)
            .one(&self.db)
            .await?;
        Ok(readable(row, alert_from_row).pop())
    }

    /// Open alerts of the given jobs (those that can be read: [`readable`]).
    pub async fn open_alerts_for_jobs(&self, names: &[String]) -> Result<Vec<Alert>, StoreError> {
        let mut out = Vec::new();
        // Chunked: a start-up evaluation names every job, far past the
        // databases' limit on bound parameters.
        for chunk in names.chunks(BIND_CHUNK) {
            let rows = alert::Entity::find()
                .filter(alert::Column::Status.eq(AlertStatus::Open.as_str()))
                .filter(alert::Column::JobName.is_in(chunk.iter().cloned()))
                .all(&self.db)
                .await?;
            out.extend(readable(rows, alert_from_row));
        }
        Ok(out)
    }

    /// Records evaluations: each job's state, deadline and expected start,
    /// its transition (if any), alerts opened and closed, repeats. Jobs are
    /// written in transactions of a few hundred (a tick may touch thousands;
    /// one transaction each would spend the tick on commits). Opening relies
    /// on the unique index of open dedupe keys, so a racing evaluator that
    /// got there first makes this a no-op, never a second alert. Returns the
    /// alerts actually opened.
    pub async fn apply_evaluations(
        &self,
        updates: &[JobUpdate],
        now: DateTime<Utc>,
    ) -> Result<Vec<Alert>, StoreError> {
        let mut opened = Vec::new();
        for chunk in updates.chunks(500) {
            let txn = self.db.begin().await?;
            write_job_checks(&txn, chunk).await?;
            let evals: Vec<&Evaluation> = chunk.iter().map(|u| &u.eval).collect();
            opened.extend(open_and_close(&txn, &evals, now).await?);
            txn.commit().await?;
        }
        Ok(opened)
    }

    /// Records the alerts an evaluation opens and closes (for workers, which
    /// have no check state), atomically. Returns the alerts actually opened.
    pub async fn apply_alert_changes(
        &self,
        eval: &Evaluation,
        now: DateTime<Utc>,
    ) -> Result<Vec<Alert>, StoreError> {
        let txn = self.db.begin().await?;
        let opened = open_and_close(&txn, &[eval], now).await?;
        txn.commit().await?;
        Ok(opened)
    }

    /// Open alerts about workers (those that can be read: [`readable`]).
    pub async fn open_worker_alerts(&self) -> Result<Vec<Alert>, StoreError> {
        let rows = alert::Entity::find()
            .filter(alert::Column::Status.eq(AlertStatus::Open.as_str()))
            .filter(alert::Column::WorkerId.is_not_null())
            .all(&self.db)
            .await?;
        Ok(readable(rows, alert_from_row))
    }

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

    /// A job's check transitions, newest first.
    pub async fn check_transitions(
        &self,
        job_name: &str,
        limit: u64,
    ) -> Result<Vec<CheckTransition>, StoreError> {
        check_transition::Entity::find()
            .filter(check_transition::Column::JobName.eq(job_name))
            .order_by_desc(check_transition::Column::Id)
            .limit(limit)
            .all(&self.db)
            .await?
            .into_iter()
            .map(transition_from_row)
            .collect()
    }

    /// Jobs by stored check state, for the summary.
    pub async fn check_state_counts(&self) -> Result<Vec<(CheckState, u64)>, StoreError> {
        let rows: Vec<(String, i64)> = job::Entity::find()
            .select_only()
            .column(job::Column::CheckState)
            .column_as(job::Column::Name.count(), "n")
            .group_by(job::Column::CheckState)
            .into_tuple()
            .all(&self.db)
            .await?;
        Ok(rows
            .into_iter()
            .filter_map(|(s, n)| Some((CheckState::parse(&s)?, u64::try_from(n).unwrap_or(0))))
            .collect())
    }

    /// A job with its stored check state.
    pub async fn job_with_state(&self, name: &str) -> Result<Option<JobStatus>, StoreError> {
        job::Entity::find()
            .filter(job::Column::Name.eq(name))
            .one(&self.db)
            .await?
            .map(job_status_from_row)
            .transpose()
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

/// Writes a chunk of jobs' check columns in one statement (a CTE of
/// values joined to `jobs`; SQLite ≥ 3.33 and PostgreSQL both take
/// `UPDATE … FROM`), and their transitions in one multi-row insert.
async fn write_job_checks(
    txn: &sea_orm::DatabaseTransaction,
    updates: &[JobUpdate],
) -> Result<(), StoreError> {
    use sea_orm::{ConnectionTrait, DbBackend, Statement, Value};
    if updates.is_empty() {
        return Ok(());
    }
    let backend = txn.get_database_backend();
    let mut values: Vec<Value> = Vec::with_capacity(updates.len() * 5);
    let mut rows = Vec::with_capacity(updates.len());
    for u in updates {
        let n = values.len();
        let p = |i: usize| match backend {
            DbBackend::Postgres => format!("${}", n + i),
            _ => "?".to_owned(),
        };
        rows.push(format!(
            "({}, {}, CAST({} AS BIGINT), CAST({} AS BIGINT), CAST({} AS BIGINT))",
            p(1),
            p(2),
            p(3),
            p(4),
            p(5)
        ));
        values.push(u.job_name.clone().into());
        values.push(u.outcome.state.as_str().into());
        values.push(u.outcome.deadline.map(to_us).into());
        values.push(u.outcome.expected.map(to_us).into());
        values.push(u.eval.transition.as_ref().map(|t| to_us(t.at)).into());
    }
    // A MISSED closed by hand holds until the job is UP again, or another
    // run is expected than the one it was about (the right-hand side reads
    // the row as it was before this update, on both backends).
    let sql = format!(
        "WITH v(name, state, deadline, expected, since) AS (VALUES {}) \
         UPDATE jobs SET check_state = v.state, check_deadline_us = v.deadline, \
         check_expected_at_us = v.expected, \
         check_state_since_us = COALESCE(v.since, jobs.check_state_since_us), \
         miss_ack = CASE WHEN v.state = 'UP' \
           OR COALESCE(v.expected, -1) <> COALESCE(jobs.check_expected_at_us, -1) \
           THEN FALSE ELSE jobs.miss_ack END \
         FROM v WHERE jobs.name = v.name",
        rows.join(", ")
    );
    txn.execute_raw(Statement::from_sql_and_values(backend, sql, values))
        .await?;

    let transitions: Vec<check_transition::ActiveModel> = updates
        .iter()
        .filter_map(|u| u.eval.transition.as_ref())
        .map(|t| check_transition::ActiveModel {
            id: NotSet,
            job_name: Set(t.job_name.clone()),
            from_state: Set(t.from.as_str().to_owned()),
            to_state: Set(t.to.as_str().to_owned()),
            reason: Set(t.reason.clone()),
            at_us: Set(to_us(t.at)),
        })
        .collect();
    if !transitions.is_empty() {
        check_transition::Entity::insert_many(transitions)
            .exec_without_returning(txn)
            .await?;
    }
    Ok(())
}

/// Closes, re-notifies and opens the alerts of `evals` inside `txn`.
/// Opening is one multi-row insert that relies on the unique index of open
/// dedupe keys: if another evaluator opened the same alert first, its row
/// is skipped and not returned.
async fn open_and_close(
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
    for (ids, clear, notification) in [
        (unsuppress, true, Notification::Unsuppressed),
        (repeat, false, Notification::Repeated),
    ] {
        if ids.is_empty() {
            continue;
        }
        let mut update = alert::Entity::update_many()
            .col_expr(alert::Column::NotifiedAtUs, Expr::value(to_us(now)))
            .col_expr(
                alert::Column::NotifyCount,
                Expr::col(alert::Column::NotifyCount).add(1),
            );
        if clear {
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
    }
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
    notices.extend(
        opened
            .iter()
            .filter(|row| row.suppressed.is_none())
            .filter_map(|row| notice(row, Notification::Opened)),
    );
    enqueue(txn, &notices, now).await?;
    opened.into_iter().map(alert_from_row).collect()
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
