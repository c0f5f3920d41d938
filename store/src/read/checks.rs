//! Check state as people read it: a job's check transitions, jobs by
//! state, one job with its state.

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use telltale_model::{CheckState, CheckTransition, JobStatus};

use crate::convert::{job_status_from_row, transition_from_row};
use crate::entity::{check_transition, job};
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

    /// A job with its stored check state.
    pub async fn job_with_state(&self, name: &str) -> Result<Option<JobStatus>, StoreError> {
        job::Entity::find()
            .filter(job::Column::Name.eq(name))
            .one(&self.db)
            .await?
            .map(job_status_from_row)
            .transpose()
    }
}
