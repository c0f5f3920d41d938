use chrono::{DateTime, Duration, Utc};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter};
use telltale_model::User;

use super::TOUCH_EVERY_SECONDS;
use super::users::user_from_row;
use crate::entity::{session, user};
use crate::time::to_us;
use crate::{Store, StoreError};

impl Store {
    /// Records a new session (by the digest of its cookie value) that ends
    /// for good at `expires_at`.
    pub async fn create_session(
        &self,
        id_hash: &str,
        user_id: i64,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        session::ActiveModel {
            id_hash: Set(id_hash.to_owned()),
            user_id: Set(user_id),
            created_at_us: Set(to_us(now)),
            last_seen_at_us: Set(to_us(now)),
            expires_at_us: Set(to_us(expires_at)),
        }
        .insert(&self.db)
        .await?;
        Ok(())
    }

    /// The user of a live session. A session past its absolute expiry, or
    /// unused for `idle`, is deleted and counts as none.
    pub async fn session_user(
        &self,
        id_hash: &str,
        now: DateTime<Utc>,
        idle: Duration,
    ) -> Result<Option<User>, StoreError> {
        let Some(row) = session::Entity::find_by_id(id_hash.to_owned())
            .one(&self.db)
            .await?
        else {
            return Ok(None);
        };
        let now_us = to_us(now);
        let idle_us = idle.num_microseconds().unwrap_or(i64::MAX);
        if row.expires_at_us <= now_us || row.last_seen_at_us.saturating_add(idle_us) <= now_us {
            self.delete_session(id_hash).await?;
            return Ok(None);
        }
        if now_us.saturating_sub(row.last_seen_at_us) >= TOUCH_EVERY_SECONDS * 1_000_000 {
            session::Entity::update_many()
                .col_expr(session::Column::LastSeenAtUs, Expr::value(now_us))
                .filter(session::Column::IdHash.eq(id_hash))
                .exec(&self.db)
                .await?;
        }
        user::Entity::find_by_id(row.user_id)
            .one(&self.db)
            .await?
            .as_ref()
            .map(user_from_row)
            .transpose()
    }

    /// Ends a session (logout). Unknown ids are fine: the outcome is the same.
    pub async fn delete_session(&self, id_hash: &str) -> Result<(), StoreError> {
        session::Entity::delete_by_id(id_hash.to_owned())
            .exec(&self.db)
            .await?;
        Ok(())
    }

    /// Drops every session past its absolute or idle expiry.
    pub async fn prune_sessions(
        &self,
        now: DateTime<Utc>,
        idle: Duration,
    ) -> Result<u64, StoreError> {
        let now_us = to_us(now);
        let idle_us = idle.num_microseconds().unwrap_or(i64::MAX);
        let done = session::Entity::delete_many()
            .filter(
                sea_orm::Condition::any()
                    .add(session::Column::ExpiresAtUs.lte(now_us))
                    .add(session::Column::LastSeenAtUs.lte(now_us.saturating_sub(idle_us))),
            )
            .exec(&self.db)
            .await?;
        Ok(done.rows_affected)
    }
}
