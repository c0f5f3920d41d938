use chrono::{DateTime, Utc};
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, SqlErr, TransactionTrait,
};
use telltale_model::{Role, User};

use super::{corrupt, time};
use crate::entity::{session, user};
use crate::time::to_us;
use crate::{Store, StoreError};

pub(super) fn user_from_row(row: &user::Model) -> Result<User, StoreError> {
    let id = row.id.to_string();
    Ok(User {
        id: row.id,
        email: row.email.clone(),
        role: Role::parse(&row.role)
            .ok_or_else(|| corrupt("users", &id, format!("unknown role {:?}", row.role)))?,
        created_at: time("users", &id, row.created_at_us)?,
    })
}

/// Emails compare case-insensitively: they are stored lower-cased.
fn normalize(email: &str) -> String {
    email.trim().to_lowercase()
}

impl Store {
    pub async fn count_users(&self) -> Result<u64, StoreError> {
        Ok(user::Entity::find().count(&self.db).await?)
    }

    /// Adds an account; `DuplicateEmail` when the address is taken.
    pub async fn create_user(
        &self,
        email: &str,
        password_hash: &str,
        role: Role,
        now: DateTime<Utc>,
    ) -> Result<User, StoreError> {
        let row = user::ActiveModel {
            id: NotSet,
            email: Set(normalize(email)),
            password_hash: Set(password_hash.to_owned()),
            role: Set(role.as_str().to_owned()),
            created_at_us: Set(to_us(now)),
        }
        .insert(&self.db)
        .await
        .map_err(|e| match e.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(_)) => StoreError::DuplicateEmail,
            _ => StoreError::Database(e),
        })?;
        user_from_row(&row)
    }

    /// The account and its password hash, for checking a login.
    pub async fn user_credentials(
        &self,
        email: &str,
    ) -> Result<Option<(User, String)>, StoreError> {
        let Some(row) = user::Entity::find()
            .filter(user::Column::Email.eq(normalize(email)))
            .one(&self.db)
            .await?
        else {
            return Ok(None);
        };
        Ok(Some((user_from_row(&row)?, row.password_hash)))
    }

    pub async fn user(&self, id: i64) -> Result<Option<User>, StoreError> {
        user::Entity::find_by_id(id)
            .one(&self.db)
            .await?
            .as_ref()
            .map(user_from_row)
            .transpose()
    }

    pub async fn list_users(&self) -> Result<Vec<User>, StoreError> {
        user::Entity::find()
            .order_by_asc(user::Column::Email)
            .all(&self.db)
            .await?
            .iter()
            .map(user_from_row)
            .collect()
    }

    /// Removes an account and its sessions. Refuses (`LastAdmin`) when it is
    /// the only admin left: the deletion and the count happen in one
    /// transaction, so the check and the change cannot drift apart. On
    /// PostgreSQL the admin rows are locked before the count, so two admins
    /// removing each other at once cannot both succeed (SQLite serializes
    /// writers).
    pub async fn delete_user(&self, id: i64) -> Result<bool, StoreError> {
        let txn = self.db.begin().await?;
        // A write first: SQLite takes its write lock here, so a second
        // remover waits instead of deadlocking on a lock upgrade.
        session::Entity::delete_many()
            .filter(session::Column::UserId.eq(id))
            .exec(&txn)
            .await?;
        user::Entity::find()
            .filter(user::Column::Role.eq(Role::Admin.as_str()))
            .lock_exclusive()
            .all(&txn)
            .await?;
        let deleted = user::Entity::delete_by_id(id)
            .exec(&txn)
            .await?
            .rows_affected;
        let admins = user::Entity::find()
            .filter(user::Column::Role.eq(Role::Admin.as_str()))
            .count(&txn)
            .await?;
        if admins == 0 {
            txn.rollback().await?;
            return Err(StoreError::LastAdmin);
        }
        txn.commit().await?;
        Ok(deleted > 0)
    }

    /// Makes a user an admin or a viewer; `None` when there is no such user.
    /// Demoting the last admin is refused (`LastAdmin`), under the same
    /// lock-and-count as [`Store::delete_user`].
    pub async fn set_role(&self, id: i64, role: Role) -> Result<Option<User>, StoreError> {
        let txn = self.db.begin().await?;
        let updated = user::Entity::update_many()
            .col_expr(
                user::Column::Role,
                sea_orm::sea_query::Expr::value(role.as_str()),
            )
            .filter(user::Column::Id.eq(id))
            .exec(&txn)
            .await?
            .rows_affected;
        let admins = user::Entity::find()
            .filter(user::Column::Role.eq(Role::Admin.as_str()))
            .lock_exclusive()
            .all(&txn)
            .await?
            .len();
        if admins == 0 {
            txn.rollback().await?;
            return Err(StoreError::LastAdmin);
        }
        let user = match updated {
            0 => None,
            _ => user::Entity::find_by_id(id)
                .one(&txn)
                .await?
                .as_ref()
                .map(user_from_row)
                .transpose()?,
        };
        txn.commit().await?;
        Ok(user)
    }

    /// Replaces a password hash and ends every session of that account, so
    /// a reset locks out whoever knew the old password.
    pub async fn set_password(&self, id: i64, password_hash: &str) -> Result<bool, StoreError> {
        let txn = self.db.begin().await?;
        let updated = user::Entity::update_many()
            .col_expr(
                user::Column::PasswordHash,
                sea_orm::sea_query::Expr::value(password_hash.to_owned()),
            )
            .filter(user::Column::Id.eq(id))
            .exec(&txn)
            .await?
            .rows_affected;
        session::Entity::delete_many()
            .filter(session::Column::UserId.eq(id))
            .exec(&txn)
            .await?;
        txn.commit().await?;
        Ok(updated > 0)
    }
}
