//! The PostgreSQL advisory lock that makes one instance the leader. It is a
//! session lock on a connection of its own: it lasts exactly as long as that
//! connection, so a leader that dies or loses the connection frees it for
//! another instance without anyone having to clean up.

use std::str::FromStr;
use std::time::Duration;

use sea_orm::sqlx::postgres::{PgConnectOptions, PgConnection};
use sea_orm::sqlx::{self, Connection};

/// The lock's key: "telltale" in ASCII. Advisory locks are per database,
/// so Telltale deployments on other databases of one server never meet.
pub const LOCK_KEY: i64 = 0x7465_6c6c_7461_6c65;
/// Prefix of the lock connection's `application_name`; the instance name
/// follows it, so `pg_stat_activity` shows which instance leads.
pub const LEADER_APPLICATION: &str = "telltale-leader";

#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error("cannot reach PostgreSQL for the leader lock: {0}")]
    Connect(sqlx::Error),
    #[error("PostgreSQL did not answer within {0:?}")]
    Timeout(Duration),
    #[error("the leader lock's connection failed: {0}")]
    Query(sqlx::Error),
}

#[derive(Debug, Clone)]
pub struct LockConfig {
    pub url: String,
    pub instance: String,
    /// Between two attempts of an instance that does not lead.
    pub retry: Duration,
}

/// A connection to try the lock on, and to hold it with.
pub struct LockConnection {
    conn: PgConnection,
}

impl LockConnection {
    pub async fn open(config: &LockConfig) -> Result<LockConnection, LockError> {
        let options = PgConnectOptions::from_str(&config.url)
            .map_err(LockError::Connect)?
            .application_name(&format!("{LEADER_APPLICATION} {}", config.instance));
        let within = config.retry.max(Duration::from_secs(2));
        let conn = tokio::time::timeout(within, PgConnection::connect_with(&options))
            .await
            .map_err(|_| LockError::Timeout(within))?
            .map_err(LockError::Connect)?;
        Ok(LockConnection { conn })
    }

    /// Takes the lock if nobody holds it; never waits for it.
    pub async fn try_lock(&mut self) -> Result<bool, LockError> {
        sqlx::query_scalar::<_, bool>("SELECT pg_try_advisory_lock($1)")
            .bind(LOCK_KEY)
            .fetch_one(&mut self.conn)
            .await
            .map_err(LockError::Query)
    }

    /// A round trip on the connection that holds the lock: an error (or no
    /// answer within `within`) means the lock may be gone.
    pub async fn check(&mut self, within: Duration) -> Result<(), LockError> {
        tokio::time::timeout(within, sqlx::query("SELECT 1").execute(&mut self.conn))
            .await
            .map_err(|_| LockError::Timeout(within))?
            .map_err(LockError::Query)?;
        Ok(())
    }

    /// Closing the connection releases the lock.
    pub async fn close(self) {
        if let Err(e) = self.conn.close().await {
            tracing::debug!(error = %e, "leader: closing the lock connection");
        }
    }
}
