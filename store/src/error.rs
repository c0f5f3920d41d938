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
