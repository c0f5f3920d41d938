//! How busy the database connection pool is, for the metrics. Read from
//! the pool sea-orm keeps (sqlx's), without a query.

use sea_orm::DbBackend;

use crate::Store;

/// Connections of this process's pool, at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolUse {
    /// Lent out to a query or a transaction now.
    pub in_use: u32,
    /// Open and waiting to be lent.
    pub idle: u32,
    /// The most the pool will open.
    pub max: u32,
}

impl Store {
    /// The pool's connections now. On SQLite the ingest writer's own
    /// connection is not in the pool and not counted.
    pub fn pool_use(&self) -> PoolUse {
        // Each getter panics on the other backend: ask the right one.
        let (size, idle, max) = match self.backend() {
            DbBackend::Postgres => {
                let pool = self.db.get_postgres_connection_pool();
                (
                    pool.size(),
                    pool.num_idle(),
                    pool.options().get_max_connections(),
                )
            }
            DbBackend::Sqlite => {
                let pool = self.db.get_sqlite_connection_pool();
                (
                    pool.size(),
                    pool.num_idle(),
                    pool.options().get_max_connections(),
                )
            }
            // Not compiled in: a store is never opened on anything else.
            _ => (0, 0, 0),
        };
        let idle = u32::try_from(idle).unwrap_or(u32::MAX).min(size);
        PoolUse {
            in_use: size - idle,
            idle,
            max,
        }
    }
}
