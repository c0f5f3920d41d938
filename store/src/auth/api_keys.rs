use chrono::{DateTime, Utc};
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use telltale_model::{ApiKey, KeyScope};

use super::{TOUCH_EVERY_SECONDS, corrupt, time};
use crate::entity::api_key;
use crate::time::to_us;
use crate::{Store, StoreError};

fn key_from_row(row: &api_key::Model) -> Result<ApiKey, StoreError> {
    let id = row.id.to_string();
    Ok(ApiKey {
        id: row.id,
        name: row.name.clone(),
        scope: KeyScope::parse(&row.scope)
            .ok_or_else(|| corrupt("api_keys", &id, format!("unknown scope {:?}", row.scope)))?,
        prefix: row.prefix.clone(),
        created_at: time("api_keys", &id, row.created_at_us)?,
        last_used_at: row
            .last_used_at_us
            .map(|us| time("api_keys", &id, us))
            .transpose()?,
        revoked_at: row
            .revoked_at_us
            .map(|us| time("api_keys", &id, us))
            .transpose()?,
    })
}

impl Store {
    pub async fn create_api_key(
        &self,
        name: &str,
        scope: KeyScope,
        key_hash: &str,
        prefix: &str,
        now: DateTime<Utc>,
    ) -> Result<ApiKey, StoreError> {
        let row = api_key::ActiveModel {
            id: NotSet,
            name: Set(name.to_owned()),
            scope: Set(scope.as_str().to_owned()),
            key_hash: Set(key_hash.to_owned()),
            prefix: Set(prefix.to_owned()),
            created_at_us: Set(to_us(now)),
            last_used_at_us: Set(None),
            revoked_at_us: Set(None),
        }
        .insert(&self.db)
        .await?;
        key_from_row(&row)
    }

    /// Every key, revoked ones included, newest first.
    pub async fn list_api_keys(&self) -> Result<Vec<ApiKey>, StoreError> {
        api_key::Entity::find()
            .order_by_desc(api_key::Column::Id)
            .all(&self.db)
            .await?
            .iter()
            .map(key_from_row)
            .collect()
    }

    /// Revokes a key; `None` when there is no such key. Revoking twice keeps
    /// the first time.
    pub async fn revoke_api_key(
        &self,
        id: i64,
        now: DateTime<Utc>,
    ) -> Result<Option<ApiKey>, StoreError> {
        api_key::Entity::update_many()
            .col_expr(api_key::Column::RevokedAtUs, Expr::value(to_us(now)))
            .filter(api_key::Column::Id.eq(id))
            .filter(api_key::Column::RevokedAtUs.is_null())
            .exec(&self.db)
            .await?;
        api_key::Entity::find_by_id(id)
            .one(&self.db)
            .await?
            .as_ref()
            .map(key_from_row)
            .transpose()
    }

    /// Whether live key `id` has this digest, without stamping a use: for
    /// checking a secret shown back, not for admitting a caller.
    pub async fn api_key_has_digest(&self, id: i64, key_hash: &str) -> Result<bool, StoreError> {
        Ok(api_key::Entity::find_by_id(id)
            .filter(api_key::Column::KeyHash.eq(key_hash))
            .filter(api_key::Column::RevokedAtUs.is_null())
            .one(&self.db)
            .await?
            .is_some())
    }

    /// The live (not revoked) key with this digest, stamping its last use.
    pub async fn use_api_key(
        &self,
        key_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<ApiKey>, StoreError> {
        let Some(row) = api_key::Entity::find()
            .filter(api_key::Column::KeyHash.eq(key_hash))
            .filter(api_key::Column::RevokedAtUs.is_null())
            .one(&self.db)
            .await?
        else {
            return Ok(None);
        };
        let now_us = to_us(now);
        let stale = row
            .last_used_at_us
            .is_none_or(|us| now_us.saturating_sub(us) >= TOUCH_EVERY_SECONDS * 1_000_000);
        if stale {
            api_key::Entity::update_many()
                .col_expr(api_key::Column::LastUsedAtUs, Expr::value(now_us))
                .filter(api_key::Column::Id.eq(row.id))
                .exec(&self.db)
                .await?;
        }
        let mut key = key_from_row(&row)?;
        if stale {
            key.last_used_at = Some(now);
        }
        Ok(Some(key))
    }
}
