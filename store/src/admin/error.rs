/// Why a backup, restore or migration stopped. Every message names the file,
/// table or value in doubt, for an operator to read.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    /// The data or the target is not what the command can safely use.
    #[error("{0}")]
    Refused(String),
    #[error("SQLite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("PostgreSQL: {0}")]
    Postgres(#[from] sea_orm::sqlx::Error),
    #[error("migrating the PostgreSQL schema: {0}")]
    Schema(#[from] sea_orm::DbErr),
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
}

impl AdminError {
    pub(crate) fn refused(message: impl Into<String>) -> Self {
        AdminError::Refused(message.into())
    }

    pub(crate) fn io(path: &std::path::Path, source: std::io::Error) -> Self {
        AdminError::Io {
            path: path.display().to_string(),
            source,
        }
    }
}
