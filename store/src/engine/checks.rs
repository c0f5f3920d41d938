//! What the check engine reads and writes: jobs due for evaluation with
//! their stored check state and hand-closes, and the evaluations it records
//! (check columns, the check-transition log, alerts opened and closed).

use chrono::{DateTime, Utc};
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, TransactionTrait};
use telltale_model::{Acks, Alert, AlertStatus, AlertType, CheckState, Evaluation, Job};

use crate::BIND_CHUNK;
use crate::alerts::open_and_close;
use crate::convert::{alert_from_row, job_from_row, readable};
use crate::entity::{alert, check_transition, job, worker};
use crate::time::{from_us, to_us};
use crate::{Store, StoreError};

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
        // A retired job is not checked any more.
        let live = || job::Entity::find().filter(job::Column::RetiredAtUs.is_null());
        let mut rows = if all {
            live().all(&self.db).await?
        } else {
            live()
                .filter(job::Column::CheckDeadlineUs.lte(to_us(now)))
                .all(&self.db)
                .await?
        };
        if !all {
            let mut seen: std::collections::HashSet<String> =
                rows.iter().map(|r| r.name.clone()).collect();
            for chunk in names.chunks(BIND_CHUNK) {
                let more = live()
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
