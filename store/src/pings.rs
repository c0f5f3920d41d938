//! Ping URLs: each job's ping UUID, and what the job page and a delete
//! need to know about a job (does it exist, which of its runs is open).
//! A ping itself finds its job in the writer (`ingest::ping`).

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};
use telltale_model::JobPing;

use crate::entity::{job, job_ping, run};
use crate::ingest::ping::OPEN_STATUSES;
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

fn row(job_name: &str, uuid: &str, now: DateTime<Utc>) -> job_ping::ActiveModel {
    job_ping::ActiveModel {
        job_name: Set(job_name.to_owned()),
        ping_uuid: Set(uuid.to_owned()),
        created_at_us: Set(to_us(now)),
    }
}

impl Store {
    /// The job's ping UUID, `fresh` becoming it when the job has none yet.
    /// Two callers racing keep the first one's: both answer with it.
    pub async fn ensure_job_ping(
        &self,
        job_name: &str,
        fresh: &str,
        now: DateTime<Utc>,
    ) -> Result<JobPing, StoreError> {
        // Read first: the job page asks on every view, and only its first
        // view needs to write.
        if let Some(row) = job_ping::Entity::find_by_id(job_name.to_owned())
            .one(&self.db)
            .await?
        {
            return ping_from_row(row);
        }
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

    /// The job's newest run that has not ended (queued or running): a
    /// delete is refused while there is one. It walks the job's runs,
    /// newest first: rare, and no index over open runs for every run's
    /// start and end to keep.
    pub async fn open_run_of_job(&self, job_name: &str) -> Result<Option<String>, StoreError> {
        Ok(run::Entity::find()
            .select_only()
            .column(run::Column::RunId)
            .filter(run::Column::JobName.eq(job_name))
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
