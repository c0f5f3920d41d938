//! Where the data lives: PostgreSQL, or a SQLite file.

use telltale_store::DatabaseTarget;

use super::DEFAULT_DB_PATH;
use super::parse::{ConfigError, Vars};

/// `MONITOR_DATABASE_URL`, else SQLite at `MONITOR_DB_PATH`.
pub(super) fn database<F: Fn(&str) -> Option<String>>(
    vars: &Vars<F>,
) -> Result<DatabaseTarget, ConfigError> {
    Ok(match vars.string("MONITOR_DATABASE_URL") {
        Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
            DatabaseTarget::Postgres { url }
        }
        Some(url) => match url.strip_prefix("sqlite://") {
            // sqlx-style options (`?mode=rwc`) would silently become part of
            // the file's name: the file is created, WAL mode is ours.
            Some(path) if path.contains('?') => {
                return Err(ConfigError::new(
                    "MONITOR_DATABASE_URL",
                    "sqlite://PATH takes a file path only, no ?options \
                     (the file is created if missing)",
                ));
            }
            Some(path) if !path.is_empty() => DatabaseTarget::Sqlite { path: path.into() },
            _ => {
                return Err(ConfigError::new(
                    "MONITOR_DATABASE_URL",
                    "must be a postgres:// (or postgresql://) URL, or sqlite://PATH; \
                     leave it unset to use SQLite at MONITOR_DB_PATH",
                ));
            }
        },
        None => DatabaseTarget::Sqlite {
            path: vars
                .string("MONITOR_DB_PATH")
                .unwrap_or_else(|| DEFAULT_DB_PATH.to_owned())
                .into(),
        },
    })
}
