//! Triggers that make a table refuse changes, written once for both backends.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

/// Makes every `UPDATE` of `table` fail with `message` (an append-only log).
pub async fn forbid_updates(
    manager: &SchemaManager<'_>,
    table: &str,
    message: &str,
) -> Result<(), DbErr> {
    forbid_updates_when(manager, table, None, message).await
}

/// Makes an `UPDATE` of a row of `table` fail with `message` when the old row
/// matches `condition` (SQL over `OLD`), or always when there is none.
pub async fn forbid_updates_when(
    manager: &SchemaManager<'_>,
    table: &str,
    condition: Option<&str>,
    message: &str,
) -> Result<(), DbErr> {
    let name = format!("{table}_forbid_update");
    let db = manager.get_connection();
    match manager.get_database_backend() {
        DbBackend::Sqlite => {
            let when = condition.map(|c| format!("WHEN {c} ")).unwrap_or_default();
            db.execute_unprepared(&format!(
                "CREATE TRIGGER {name} BEFORE UPDATE ON {table} {when}\
                 BEGIN SELECT RAISE(ABORT, '{message}'); END"
            ))
            .await?;
        }
        DbBackend::Postgres => {
            let body = match condition {
                Some(c) => format!("IF {c} THEN RAISE EXCEPTION '{message}'; END IF; RETURN NEW;"),
                None => format!("RAISE EXCEPTION '{message}';"),
            };
            db.execute_unprepared(&format!(
                "CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN {body} END $$"
            ))
            .await?;
            db.execute_unprepared(&format!(
                "CREATE TRIGGER {name} BEFORE UPDATE ON {table} \
                 FOR EACH ROW EXECUTE FUNCTION {name}()"
            ))
            .await?;
        }
        _ => {}
    }
    Ok(())
}

/// Removes what [`forbid_updates_when`] created (PostgreSQL keeps the function).
pub async fn drop_forbid_updates(manager: &SchemaManager<'_>, table: &str) -> Result<(), DbErr> {
    if manager.get_database_backend() == DbBackend::Postgres {
        manager
            .get_connection()
            .execute_unprepared(&format!(
                "DROP FUNCTION IF EXISTS {table}_forbid_update() CASCADE"
            ))
            .await?;
    }
    Ok(())
}
