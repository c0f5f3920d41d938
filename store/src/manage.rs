//! Jobs and workers as operators manage them: declared before their first
//! run, edited, retired, deleted with their history; workers forgotten;
//! and the audit log those changes leave.

use chrono::{DateTime, Utc};
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait,
    TransactionTrait,
};
use telltale_model::{AuditEntry, CheckState, Job, NewAuditEntry};

use crate::convert::{job_to_row, readable};
use crate::entity::{
    alert, alert_delivery, audit_entry, check_transition, event, job, job_ping,
    rejected_transition, run, worker,
};
use crate::time::{from_us, to_us};
use crate::{Store, StoreError};

/// What deleting a job took with it, by table.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Deleted {
    pub events: u64,
    pub runs: u64,
    pub alerts: u64,
    pub check_transitions: u64,
}

/// Why a job cannot be deleted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeleteOutcome {
    Deleted(Deleted),
    NotFound,
    /// This run has not ended.
    RunInProgress(String),
}

fn operator_columns(job: &Job, row: &mut job::ActiveModel) {
    row.operator_keys = Set(job.managed.operator_keys.join(","));
    row.description = Set(job.managed.description.clone());
    row.tags = Set(job.managed.tags.join(","));
    row.channels = Set(job.managed.channels.join(","));
}

fn audit_from_row(row: audit_entry::Model) -> Result<AuditEntry, StoreError> {
    let json = |text: &str| serde_json::from_str(text).unwrap_or(serde_json::Value::Null);
    Ok(AuditEntry {
        at: from_us(row.at_us).ok_or_else(|| StoreError::Corrupt {
            table: "audit_log",
            id: row.id.to_string(),
            problem: format!("at_us {} is not a time", row.at_us),
        })?,
        id: row.id,
        actor: row.actor,
        action: row.action,
        job_name: row.job_name,
        worker_id: row.worker_id,
        before: json(&row.before),
        after: json(&row.after),
    })
}

impl Store {
    /// Stores a job an operator declared; `false` when one of that name
    /// exists already.
    pub async fn create_job(&self, job: &Job) -> Result<bool, StoreError> {
        let mut row = job_to_row(job);
        operator_columns(job, &mut row);
        row.check_state = Set(CheckState::New.as_str().to_owned());
        match job::Entity::insert(row)
            .on_conflict_do_nothing_on([job::Column::Name])
            .exec_without_returning(&self.db)
            .await?
        {
            sea_orm::TryInsertResult::Inserted(n) => Ok(n > 0),
            _ => Ok(false),
        }
    }

    /// Writes `job`'s policy and what operators set on it; `false` when
    /// there is no such job. Its next check comes at once.
    pub async fn set_job_settings(&self, job: &Job) -> Result<bool, StoreError> {
        let p = &job.policy;
        let secs = crate::convert::to_secs;
        let result = job::Entity::update_many()
            .col_expr(job::Column::CheckEnabled, Expr::value(p.check_enabled))
            .col_expr(
                job::Column::GraceSeconds,
                Expr::value(secs(Some(p.grace_seconds))),
            )
            .col_expr(job::Column::AlertOnFailure, Expr::value(p.alert_on_failure))
            .col_expr(job::Column::AlertOnMiss, Expr::value(p.alert_on_miss))
            .col_expr(job::Column::Schedule, Expr::value(p.schedule.clone()))
            .col_expr(job::Column::Timezone, Expr::value(p.timezone.clone()))
            .col_expr(
                job::Column::StartGraceSeconds,
                Expr::value(secs(p.start_grace_seconds)),
            )
            .col_expr(
                job::Column::MaxRuntimeSeconds,
                Expr::value(secs(p.max_runtime_seconds)),
            )
            .col_expr(
                job::Column::MinRuntimeSeconds,
                Expr::value(secs(p.min_runtime_seconds)),
            )
            .col_expr(
                job::Column::FailureThreshold,
                Expr::value(secs(Some(p.failure_threshold))),
            )
            .col_expr(
                job::Column::RepeatIntervalSeconds,
                Expr::value(secs(p.repeat_interval_seconds)),
            )
            .col_expr(job::Column::DependsOn, Expr::value(p.depends_on.clone()))
            .col_expr(
                job::Column::OperatorKeys,
                Expr::value(job.managed.operator_keys.join(",")),
            )
            .col_expr(
                job::Column::Description,
                Expr::value(job.managed.description.clone()),
            )
            .col_expr(job::Column::Tags, Expr::value(job.managed.tags.join(",")))
            .col_expr(
                job::Column::Channels,
                Expr::value(job.managed.channels.join(",")),
            )
            .col_expr(job::Column::CheckDeadlineUs, Expr::value(Some(0i64)))
            .filter(job::Column::Name.eq(&job.name))
            .exec(&self.db)
            .await?;
        Ok(result.rows_affected > 0)
    }

    /// Retires a job: no more checks; `false` when there is no such job or
    /// it was retired already.
    pub async fn retire_job(&self, name: &str, now: DateTime<Utc>) -> Result<bool, StoreError> {
        let result = job::Entity::update_many()
            .col_expr(job::Column::RetiredAtUs, Expr::value(Some(to_us(now))))
            .col_expr(
                job::Column::CheckState,
                Expr::value(CheckState::Paused.as_str()),
            )
            .col_expr(
                job::Column::CheckDeadlineUs,
                Expr::value(Option::<i64>::None),
            )
            .filter(job::Column::Name.eq(name))
            .filter(job::Column::RetiredAtUs.is_null())
            .exec(&self.db)
            .await?;
        Ok(result.rows_affected > 0)
    }

    /// Deletes a job and its whole history, unless one of its runs has not
    /// ended: events, runs and their refused transitions, check
    /// transitions, alerts and their deliveries, its ping URL. One
    /// transaction: all of it or none.
    pub async fn delete_job(&self, name: &str) -> Result<DeleteOutcome, StoreError> {
        if !self.job_exists(name).await? {
            return Ok(DeleteOutcome::NotFound);
        }
        if let Some(run) = self.open_run_of_job(name).await? {
            return Ok(DeleteOutcome::RunInProgress(run));
        }
        let txn = self.db.begin().await?;
        let run_ids = run::Entity::find()
            .select_only()
            .column(run::Column::RunId)
            .filter(run::Column::JobName.eq(name));
        rejected_transition::Entity::delete_many()
            .filter(rejected_transition::Column::RunId.in_subquery(run_ids.into_query()))
            .exec(&txn)
            .await?;
        let alert_ids = alert::Entity::find()
            .select_only()
            .column(alert::Column::Id)
            .filter(alert::Column::JobName.eq(name));
        alert_delivery::Entity::delete_many()
            .filter(alert_delivery::Column::AlertId.in_subquery(alert_ids.into_query()))
            .exec(&txn)
            .await?;
        let deleted = Deleted {
            events: event::Entity::delete_many()
                .filter(event::Column::JobName.eq(name))
                .exec(&txn)
                .await?
                .rows_affected,
            runs: run::Entity::delete_many()
                .filter(run::Column::JobName.eq(name))
                .exec(&txn)
                .await?
                .rows_affected,
            alerts: alert::Entity::delete_many()
                .filter(alert::Column::JobName.eq(name))
                .exec(&txn)
                .await?
                .rows_affected,
            check_transitions: check_transition::Entity::delete_many()
                .filter(check_transition::Column::JobName.eq(name))
                .exec(&txn)
                .await?
                .rows_affected,
        };
        job_ping::Entity::delete_by_id(name.to_owned())
            .exec(&txn)
            .await?;
        job::Entity::delete_by_id(name.to_owned())
            .exec(&txn)
            .await?;
        txn.commit().await?;
        Ok(DeleteOutcome::Deleted(deleted))
    }

    /// Removes a worker from the list; `false` when there is none.
    pub async fn forget_worker(&self, worker_id: &str) -> Result<bool, StoreError> {
        let result = worker::Entity::delete_by_id(worker_id.to_owned())
            .exec(&self.db)
            .await?;
        Ok(result.rows_affected > 0)
    }

    /// Appends one entry to the audit log.
    pub async fn append_audit(
        &self,
        entry: &NewAuditEntry,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        audit_entry::ActiveModel {
            id: NotSet,
            at_us: Set(to_us(now)),
            actor: Set(entry.actor.clone()),
            action: Set(entry.action.to_owned()),
            job_name: Set(entry.job_name.clone()),
            worker_id: Set(entry.worker_id.clone()),
            before: Set(entry.before.to_string()),
            after: Set(entry.after.to_string()),
        }
        .insert(&self.db)
        .await?;
        Ok(())
    }

    /// The newest `limit` audit entries, of `job` alone when given.
    pub async fn list_audit(
        &self,
        job: Option<&str>,
        limit: u64,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        let mut query = audit_entry::Entity::find().order_by_desc(audit_entry::Column::Id);
        if let Some(job) = job {
            query = query.filter(audit_entry::Column::JobName.eq(job));
        }
        let rows = query.limit(limit).all(&self.db).await?;
        Ok(readable(rows, audit_from_row))
    }

    /// Which policy keys operators set on each of `jobs` (jobs without any
    /// are left out).
    pub async fn operator_keys_of(
        &self,
        jobs: &[String],
    ) -> Result<Vec<(String, Vec<String>)>, StoreError> {
        let mut out = Vec::new();
        for chunk in jobs.chunks(crate::BIND_CHUNK) {
            let rows: Vec<(String, String)> = job::Entity::find()
                .select_only()
                .column(job::Column::Name)
                .column(job::Column::OperatorKeys)
                .filter(job::Column::Name.is_in(chunk.iter().cloned()))
                .filter(job::Column::OperatorKeys.ne(""))
                .into_tuple()
                .all(&self.db)
                .await?;
            out.extend(
                rows.into_iter()
                    .map(|(name, keys)| (name, crate::convert::split_list(&keys))),
            );
        }
        Ok(out)
    }
}
