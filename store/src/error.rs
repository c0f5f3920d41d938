use sea_orm::DbErr;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Database(#[from] DbErr),
    #[error("could not build a query: {0}")]
    Query(String),
    #[error("cannot take the migration lock on PostgreSQL: {0}")]
    MigrationLock(#[source] sea_orm::sqlx::Error),
    #[error("SQLite error: {0}")]
    Sqlite(String),
    #[error("the SQLite writer connection is unusable after a panic")]
    WriterPoisoned,
    #[error("could not open the SQLite database at {path}: {source}")]
    OpenSqlite { path: String, source: DbErr },
    /// A full-text search that cannot be run, by what is wrong with it.
    #[error("the search {0}")]
    Search(#[from] telltale_model::SearchError),
    #[error("a user with this email already exists")]
    DuplicateEmail,
    #[error("the last admin cannot be removed or made a viewer")]
    LastAdmin,
    #[error("stored row {table} {id:?} is unreadable: {problem}")]
    Corrupt {
        table: &'static str,
        id: String,
        problem: String,
    },
}

impl StoreError {
    /// SQLite's "database is busy/locked": another connection held the
    /// write lock past the busy timeout. Nothing is wrong with the data or
    /// the statement; the same work succeeds once the writer lets go.
    pub fn is_busy(&self) -> bool {
        use sea_orm::{RuntimeErr, sqlx};
        let Self::Database(
            DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e)),
        ) = self
        else {
            return false;
        };
        let sqlx::Error::Database(db) = &**e else {
            return false;
        };
        if db.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_none() {
            return false;
        }
        // Extended result codes keep the primary code in the low byte:
        // SQLITE_BUSY (5), SQLITE_LOCKED (6) and their variants.
        db.code()
            .and_then(|c| c.parse::<i32>().ok())
            .is_some_and(|c| matches!(c & 0xff, 5 | 6))
    }
}

#[cfg(test)]
mod tests {
    use sea_orm::sqlx::sqlite::SqliteConnectOptions;
    use sea_orm::sqlx::{ConnectOptions, Connection};
    use sea_orm::{DbErr, RuntimeErr};
    use std::sync::Arc;
    use std::time::Duration;

    use super::StoreError;

    /// A write against a file another connection holds exclusively, with no
    /// busy wait, gives SQLite's real "database is locked".
    #[tokio::test]
    async fn a_write_lock_held_elsewhere_is_busy_and_nothing_else_is() {
        let dir = tempfile::tempdir().expect("temp dir");
        let options = SqliteConnectOptions::new()
            .filename(dir.path().join("busy.db"))
            .create_if_missing(true)
            .busy_timeout(Duration::ZERO);
        let mut holder = options.connect().await.expect("holder");
        sea_orm::sqlx::query("CREATE TABLE t (x INTEGER)")
            .execute(&mut holder)
            .await
            .expect("table");
        let mut other = options.connect().await.expect("other");
        sea_orm::sqlx::query("BEGIN EXCLUSIVE")
            .execute(&mut holder)
            .await
            .expect("lock");
        let refused = sea_orm::sqlx::query("INSERT INTO t VALUES (1)")
            .execute(&mut other)
            .await
            .expect_err("the lock is held");
        let busy = StoreError::Database(DbErr::Exec(RuntimeErr::SqlxError(Arc::new(refused))));
        assert!(busy.is_busy(), "{busy}");

        let constraint = sea_orm::sqlx::query("INSERT INTO missing VALUES (1)")
            .execute(&mut holder)
            .await
            .expect_err("no such table");
        let other_error =
            StoreError::Database(DbErr::Query(RuntimeErr::SqlxError(Arc::new(constraint))));
        assert!(!other_error.is_busy(), "{other_error}");
        assert!(!StoreError::Sqlite("database is locked".into()).is_busy());
        holder.close().await.expect("close");
        other.close().await.expect("close");
    }
}
