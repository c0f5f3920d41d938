//! Reading workers and jobs.

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use telltale_model::{Job, Worker};

use crate::convert::{job_from_row, readable, worker_from_row};
use crate::entity::{job, worker};
use crate::{Store, StoreError};

impl Store {
    /// Every worker ever seen that can be read ([`readable`]), by id: the
    /// engine judges each one's liveness from this list.
    pub async fn list_workers(&self) -> Result<Vec<Worker>, StoreError> {
        let rows = worker::Entity::find()
            .order_by_asc(worker::Column::WorkerId)
            .all(&self.db)
            .await?;
        Ok(readable(rows, worker_from_row))
    }

    pub async fn get_worker(&self, worker_id: &str) -> Result<Option<Worker>, StoreError> {
        worker::Entity::find()
            .filter(worker::Column::WorkerId.eq(worker_id))
            .one(&self.db)
            .await?
            .map(worker_from_row)
            .transpose()
    }

    pub async fn get_job(&self, name: &str) -> Result<Option<Job>, StoreError> {
        job::Entity::find()
            .filter(job::Column::Name.eq(name))
            .one(&self.db)
            .await?
            .map(job_from_row)
            .transpose()
    }
}
