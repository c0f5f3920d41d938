//! Check state as people read it: a job's check transitions, jobs by
//! state, one job with its state.

use std::collections::HashMap;

use sea_orm::sea_query::Query;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use telltale_model::{AlertStatus, AlertType, CheckState, CheckTransition, JobHealth, JobStatus};

use crate::convert::{job_status_from_row, transition_from_row};
use crate::entity::{alert, check_transition, job};
use crate::{Store, StoreError};

impl Store {
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

    /// Jobs by health, each job in one bucket: the check-state counts with
    /// the jobs whose FAILURE alert is open moved to FAILING.
    pub async fn health_counts(&self) -> Result<Vec<(JobHealth, u64)>, StoreError> {
        let open_failures = open_failure_jobs();
        let failing: Vec<(String, i64)> = job::Entity::find()
            .select_only()
            .column(job::Column::CheckState)
            .column_as(job::Column::Name.count(), "n")
            .filter(job::Column::Name.in_subquery(open_failures))
            .group_by(job::Column::CheckState)
            .into_tuple()
            .all(&self.db)
            .await?;
        let failing: HashMap<String, u64> = failing
            .into_iter()
            .map(|(s, n)| (s, u64::try_from(n).unwrap_or(0)))
            .collect();
        let mut counts = vec![(JobHealth::Failing, failing.values().sum())];
        for (state, n) in self.check_state_counts().await? {
            // Two reads, two moments: an alert opened between them must not
            // make a count negative.
            let moved = failing.get(state.as_str()).copied().unwrap_or(0);
            counts.push((JobHealth::of(state, false), n.saturating_sub(moved)));
        }
        Ok(counts)
    }

    /// A job with its stored check state.
    pub async fn job_with_state(&self, name: &str) -> Result<Option<JobStatus>, StoreError> {
        let Some(row) = job::Entity::find()
            .filter(job::Column::Name.eq(name))
            .one(&self.db)
            .await?
        else {
            return Ok(None);
        };
        let failing = self.is_failing(name).await?;
        job_status_from_row(row, failing).map(Some)
    }
}

/// The names of the jobs with an open FAILURE alert (the FAILING ones), as
/// a subquery.
pub(crate) fn open_failure_jobs() -> sea_orm::sea_query::SelectStatement {
    Query::select()
        .column(alert::Column::JobName)
        .from(alert::Entity)
        .and_where(alert::Column::Status.eq(AlertStatus::Open.as_str()))
        .and_where(alert::Column::AlertType.eq(AlertType::Failure.as_str()))
        .to_owned()
}
