//! Which jobs' status badges answer without login: an operator's choice,
//! kept in `jobs.public_badge`, which neither ingest nor the engine writes.

use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};

use crate::entity::job;
use crate::{Store, StoreError};

impl Store {
    /// Marks `name`'s badge public or private; `false` when there is no
    /// such job (nothing is created).
    pub async fn set_public_badge(&self, name: &str, public: bool) -> Result<bool, StoreError> {
        let result = job::Entity::update_many()
            .col_expr(job::Column::PublicBadge, Expr::value(public))
            .filter(job::Column::Name.eq(name))
            .exec(&self.db)
            .await?;
        Ok(result.rows_affected > 0)
    }

    /// Whether `name`'s badge may be read without login; `false` for a job
    /// that does not exist, so an unknown name looks like a private one.
    pub async fn badge_is_public(&self, name: &str) -> Result<bool, StoreError> {
        let public: Option<bool> = job::Entity::find()
            .select_only()
            .column(job::Column::PublicBadge)
            .filter(job::Column::Name.eq(name))
            .into_tuple()
            .one(&self.db)
            .await?;
        Ok(public.unwrap_or(false))
    }
}
