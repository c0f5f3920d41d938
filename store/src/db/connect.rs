use std::path::PathBuf;
use std::time::Duration;

use sea_orm::sqlx::postgres::PgConnection;
use sea_orm::sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sea_orm::sqlx::{self, Connection};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, Statement,
};
use telltale_migration::{Migrator, MigratorTrait};

use crate::ingest::sqlite::SqliteWriter;
use crate::{Store, StoreError};

/// Where the data lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseTarget {
    /// One file, WAL mode: the embedded default.
    Sqlite { path: PathBuf },
    /// A `postgres://` URL: the scale-out store.
    Postgres { url: String },
}

/// SQLite serializes writers anyway (ingest has its own connection); pooled
/// connections let page renders and API reads proceed while a write commits
/// (WAL readers never block). Reads are CPU work on pages the OS already
/// caches, so two per core keep the cores busy; each connection beyond that
/// only adds its own page cache, statement cache and (on its own thread) a
/// malloc arena, and the pool hands connections out in turn, so every one
/// of them fills up: more connections than this raised the server's peak
/// memory by a third with the same read and page latencies.
pub fn sqlite_pool_size() -> u32 {
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    u32::try_from(cores.saturating_mul(2))
        .unwrap_or(u32::MAX)
        .clamp(4, 16)
}
const POSTGRES_POOL_SIZE: u32 = 16;
/// How long a writer waits for SQLite's write lock before giving up.
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(5);

impl Store {
    /// Opens the database (creating a SQLite file if missing) and runs every
    /// pending migration.
    pub async fn connect(target: &DatabaseTarget) -> Result<Store, StoreError> {
        let db = match target {
            DatabaseTarget::Sqlite { path } => {
                let mut opts = ConnectOptions::new("sqlite::memory:");
                let path_for_opts = path.clone();
                opts.max_connections(sqlite_pool_size())
                    .min_connections(1)
                    .sqlx_logging(false)
                    .map_sqlx_sqlite_opts(move |_| sqlite_options(&path_for_opts));
                Database::connect(opts)
                    .await
                    .map_err(|source| StoreError::OpenSqlite {
                        path: path.display().to_string(),
                        source,
                    })?
            }
            DatabaseTarget::Postgres { url } => {
                let mut opts = ConnectOptions::new(url.clone());
                opts.max_connections(POSTGRES_POOL_SIZE)
                    .acquire_timeout(Duration::from_secs(10))
                    .sqlx_logging(false);
                Database::connect(opts).await?
            }
        };
        match target {
            DatabaseTarget::Sqlite { .. } => Migrator::up(&db, None).await?,
            DatabaseTarget::Postgres { url } => migrate_one_at_a_time(&db, url).await?,
        }
        let loops = telltale_supervise::Loops::default();
        let clock_skew_ms = std::sync::Arc::new(std::sync::atomic::AtomicI64::new(
            telltale_model::event::DEFAULT_CLOCK_SKEW.num_milliseconds(),
        ));
        let sqlite_writer = match target {
            DatabaseTarget::Sqlite { path } => {
                Some(SqliteWriter::open(path, &loops, clock_skew_ms.clone())?)
            }
            DatabaseTarget::Postgres { .. } => None,
        };
        Ok(Store {
            db,
            sqlite_writer,
            minute_starts: Default::default(),
            loops,
            clock_skew_ms,
        })
    }

    /// A round trip to the database, for health checks.
    pub async fn ping(&self) -> Result<(), StoreError> {
        Ok(self.db.ping().await?)
    }

    pub fn backend(&self) -> DbBackend {
        self.db.get_database_backend()
    }

    /// The linked SQLite library's version (`None` on PostgreSQL).
    pub async fn sqlite_version(&self) -> Result<Option<String>, StoreError> {
        if self.backend() != DbBackend::Sqlite {
            return Ok(None);
        }
        let row = self
            .db
            .query_one_raw(Statement::from_string(
                DbBackend::Sqlite,
                "select sqlite_version() as v",
            ))
            .await?;
        Ok(match row {
            Some(row) => Some(row.try_get::<String>("", "v")?),
            None => None,
        })
    }

    /// Closes the pool, after in-flight statements finish.
    pub async fn close(self) -> Result<(), StoreError> {
        Ok(self.db.close().await?)
    }
}

/// The advisory lock instances take around their migrations: "migrate" in
/// ASCII, beside the leader's "telltale".
const MIGRATION_LOCK_KEY: i64 = 0x006d_6967_7261_7465;

/// Several instances started together on one PostgreSQL would each create
/// the same tables; the first migrates while the others wait, then finds
/// nothing left to do. The lock is held on a connection of its own and ends
/// with it.
async fn migrate_one_at_a_time(db: &DatabaseConnection, url: &str) -> Result<(), StoreError> {
    let mut guard = PgConnection::connect(url)
        .await
        .map_err(StoreError::MigrationLock)?;
    sqlx::query("SELECT pg_advisory_lock($1)")
        .bind(MIGRATION_LOCK_KEY)
        .execute(&mut guard)
        .await
        .map_err(StoreError::MigrationLock)?;
    let migrated = Migrator::up(db, None).await;
    if let Err(e) = guard.close().await {
        tracing::debug!(error = %e, "closing the migration lock connection");
    }
    Ok(migrated?)
}

/// Every pooled connection gets the same pragmas: WAL so readers never block
/// the writer; `synchronous=NORMAL`, which in WAL mode loses nothing on a
/// crash of the process (a committed transaction is in the WAL file, handed to
/// the OS) and only the last commits on a power loss; foreign keys on; and a
/// busy timeout so concurrent writers queue instead of failing.
///
/// Pages stay SQLite's 4 KiB: 16 KiB pages left batches of 1,000 where they
/// were and cost single events a quarter of their rate, each small commit
/// writing whole bigger pages to the WAL.
fn sqlite_options(path: &std::path::Path) -> SqliteConnectOptions {
    SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true)
        .busy_timeout(SQLITE_BUSY_TIMEOUT)
}
