//! Ping URLs: each job's ping UUID, and what a ping needs to know about its
//! job (does it exist, which of its runs is still open).

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    Set, Statement,
};
use telltale_model::JobPing;

use crate::entity::{job, job_ping, run};
use crate::time::{from_us, to_us};
use crate::{Store, StoreError};

fn ping_from_row(row: job_ping::Model) -> Result<JobPing, StoreError> {
    Ok(JobPing {
        created_at: from_us(row.created_at_us).ok_or_else(|| StoreError::Corrupt {
            table: "job_pings",
            id: row.job_name.clone(),
            problem: format!("created_at_us {} is not a time", row.created_at_us),
        })?,
        job_name: row.job_name,
        uuid: row.ping_uuid,
    })
}

/// The condition of the partial index `ix_runs_open_by_job`, verbatim.
const OPEN_STATUSES: &str = "status IN ('running', 'queued')";

fn row(job_name: &str, uuid: &str, now: DateTime<Utc>) -> job_ping::ActiveModel {
    job_ping::ActiveModel {
        job_name: Set(job_name.to_owned()),
        ping_uuid: Set(uuid.to_owned()),
        created_at_us: Set(to_us(now)),
    }
}

impl Store {
    /// The job a ping UUID belongs to.
    pub async fn job_of_ping(&self, uuid: &str) -> Result<Option<String>, StoreError> {
        Ok(job_ping::Entity::find()
            .filter(job_ping::Column::PingUuid.eq(uuid))
            .one(&self.db)
            .await?
            .map(|row| row.job_name))
    }

    /// The job's ping UUID, `fresh` becoming it when the job has none yet.
    /// Two callers racing keep the first one's: both answer with it.
    pub async fn ensure_job_ping(
        &self,
        job_name: &str,
        fresh: &str,
        now: DateTime<Utc>,
    ) -> Result<JobPing, StoreError> {
        job_ping::Entity::insert(row(job_name, fresh, now))
            .on_conflict_do_nothing_on([job_ping::Column::JobName])
            .exec_without_returning(&self.db)
            .await?;
        let row = job_ping::Entity::find_by_id(job_name.to_owned())
            .one(&self.db)
            .await?
            .ok_or_else(|| StoreError::Corrupt {
                table: "job_pings",
                id: job_name.to_owned(),
                problem: "the row was removed while it was written".into(),
            })?;
        ping_from_row(row)
    }

    /// Replaces the job's ping UUID with `fresh`: the old URL answers 404
    /// from now on.
    pub async fn replace_job_ping(
        &self,
        job_name: &str,
        fresh: &str,
        now: DateTime<Utc>,
    ) -> Result<JobPing, StoreError> {
        job_ping::Entity::insert(row(job_name, fresh, now))
            .on_conflict(
                OnConflict::column(job_ping::Column::JobName)
                    .update_columns([job_ping::Column::PingUuid, job_ping::Column::CreatedAtUs])
                    .to_owned(),
            )
            .exec_without_returning(&self.db)
            .await?;
        self.ensure_job_ping(job_name, fresh, now).await
    }

    /// True when a job of that name has been seen.
    pub async fn job_exists(&self, name: &str) -> Result<bool, StoreError> {
        let found: Option<String> = job::Entity::find()
            .select_only()
            .column(job::Column::Name)
            .filter(job::Column::Name.eq(name))
            .into_tuple()
            .one(&self.db)
            .await?;
        Ok(found.is_some())
    }

    /// A ping's job and that job's open run, in one round trip: by the
    /// job's ping UUID (`by_uuid`) or by its name. `None`: no such job.
    /// (Two queries cost a ping about half its time on SQLite.)
    pub async fn ping_target(
        &self,
        key: &str,
        by_uuid: bool,
    ) -> Result<Option<(String, Option<String>)>, StoreError> {
        let backend = self.db.get_database_backend();
        let p = match backend {
            DbBackend::Postgres => "$1",
            _ => "?",
        };
        let (from, wher) = if by_uuid {
            ("job_pings j", format!("j.ping_uuid = {p}"))
        } else {
            ("jobs j", format!("j.name = {p}"))
        };
        let name = if by_uuid { "j.job_name" } else { "j.name" };
        let sql = format!(
            "SELECT {name}, (SELECT r.run_id FROM runs r WHERE r.job_name = {name} \
             AND r.{OPEN_STATUSES} ORDER BY r.seq DESC LIMIT 1) FROM {from} WHERE {wher}"
        );
        let row = self
            .db
            .query_one_raw(Statement::from_sql_and_values(backend, &sql, [key.into()]))
            .await?;
        let Some(row) = row else { return Ok(None) };
        let job: String = row.try_get_by_index(0)?;
        let open: Option<String> = row.try_get_by_index(1)?;
        Ok(Some((job, open)))
    }

    /// The job's newest run that has not ended (queued or running): the run
    /// a finishing ping without a run id ends.
    pub async fn open_run_of_job(&self, job_name: &str) -> Result<Option<String>, StoreError> {
        Ok(run::Entity::find()
            .select_only()
            .column(run::Column::RunId)
            .filter(run::Column::JobName.eq(job_name))
            // Literal, and written as the partial index `ix_runs_open_by_job`
            // is: with bound values SQLite cannot tell that the index applies.
            .filter(Expr::cust(OPEN_STATUSES))
            .order_by_desc(run::Column::Seq)
            .into_tuple()
            .one(&self.db)
            .await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use telltale_model::RunStatus;

    #[test]
    fn the_open_statuses_are_the_models() {
        let want = format!(
            "status IN ('{}', '{}')",
            RunStatus::Running.as_str(),
            RunStatus::Queued.as_str()
        );
        assert_eq!(OPEN_STATUSES, want);
    }
}
