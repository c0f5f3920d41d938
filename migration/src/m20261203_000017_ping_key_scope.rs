//! API keys may have the scope `ping`: a key that only opens the slug ping
//! URLs (`/ping/<key>/<job>`). The scope's CHECK constraint grows by one.
//!
//! PostgreSQL swaps the constraint in place. SQLite cannot alter a CHECK,
//! so the table is rebuilt under the same name with the same columns and
//! rows (nothing references it).

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ApiKeys {
    Id,
    Name,
    Scope,
    KeyHash,
    Prefix,
    CreatedAtUs,
    LastUsedAtUs,
    RevokedAtUs,
}

const COLUMNS: &str = "\"id\", \"name\", \"scope\", \"key_hash\", \"prefix\", \"created_at_us\", \"last_used_at_us\", \"revoked_at_us\"";

/// The table as the auth migration made it, with `scopes` allowed.
fn table(name: &str, scopes: &[&str]) -> TableCreateStatement {
    Table::create()
        .table(Alias::new(name))
        .col(
            ColumnDef::new(ApiKeys::Id)
                .big_integer()
                .not_null()
                .auto_increment()
                .primary_key(),
        )
        .col(ColumnDef::new(ApiKeys::Name).string().not_null())
        .col(ColumnDef::new(ApiKeys::Scope).string().not_null())
        .col(
            ColumnDef::new(ApiKeys::KeyHash)
                .string()
                .not_null()
                .unique_key(),
        )
        .col(ColumnDef::new(ApiKeys::Prefix).string().not_null())
        .col(
            ColumnDef::new(ApiKeys::CreatedAtUs)
                .big_integer()
                .not_null(),
        )
        .col(ColumnDef::new(ApiKeys::LastUsedAtUs).big_integer().null())
        .col(ColumnDef::new(ApiKeys::RevokedAtUs).big_integer().null())
        .check(Expr::col(ApiKeys::Scope).is_in(scopes.iter().copied()))
        .to_owned()
}

async fn allow(manager: &SchemaManager<'_>, scopes: &[&str]) -> Result<(), DbErr> {
    let db = manager.get_connection();
    let list = scopes
        .iter()
        .map(|s| format!("'{s}'"))
        .collect::<Vec<_>>()
        .join(", ");
    match manager.get_database_backend() {
        DbBackend::Postgres => {
            // The constraint was made without a name: drop whichever CHECK
            // the table has on scope, then add the named one.
            db.execute_unprepared(
                "DO $$ DECLARE c record; BEGIN \
                 FOR c IN SELECT conname FROM pg_constraint \
                 WHERE conrelid = 'api_keys'::regclass AND contype = 'c' \
                 AND pg_get_constraintdef(oid) LIKE '%scope%' LOOP \
                 EXECUTE format('ALTER TABLE api_keys DROP CONSTRAINT %I', c.conname); \
                 END LOOP; END $$",
            )
            .await?;
            db.execute_unprepared(&format!(
                "ALTER TABLE api_keys ADD CONSTRAINT api_keys_scope_check CHECK (scope IN ({list}))"
            ))
            .await?;
        }
        _ => {
            // One call, so every statement runs on the same connection of
            // the pool, in order.
            let create = table("api_keys_next", scopes).to_string(SqliteQueryBuilder);
            db.execute_unprepared(&format!(
                "{create}; \
                 INSERT INTO api_keys_next ({COLUMNS}) SELECT {COLUMNS} FROM api_keys; \
                 DROP TABLE api_keys; \
                 ALTER TABLE api_keys_next RENAME TO api_keys;"
            ))
            .await?;
        }
    }
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        allow(manager, &["ingest", "read", "ping"]).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared("DELETE FROM api_keys WHERE scope = 'ping'")
            .await?;
        allow(manager, &["ingest", "read"]).await
    }
}
