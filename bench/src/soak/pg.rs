//! The PostgreSQL variant's database: made fresh for the run, its
//! connections cut mid-run, dropped at the end.

use std::time::Duration;

use sea_orm::{ConnectionTrait, Database, DatabaseConnection, DbBackend, Statement};

use super::{Result, SoakError};

pub struct PgDatabase {
    admin: DatabaseConnection,
    pub name: String,
    pub url: String,
}

/// Whether a PostgreSQL answers at `admin_url` (within a few seconds).
pub async fn reachable(admin_url: &str) -> bool {
    let connect = async {
        let db = Database::connect(admin_url).await?;
        db.execute_unprepared("SELECT 1").await?;
        db.close().await
    };
    matches!(
        tokio::time::timeout(Duration::from_secs(5), connect).await,
        Ok(Ok(()))
    )
}

impl PgDatabase {
    pub async fn create(admin_url: &str) -> Result<PgDatabase> {
        let admin = Database::connect(admin_url).await?;
        let name = format!(
            "telltale_soak_{}_{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_millis())
                .unwrap_or_default()
        );
        admin
            .execute_unprepared(&format!("CREATE DATABASE {name}"))
            .await?;
        let (server, _) = admin_url
            .rsplit_once('/')
            .ok_or_else(|| SoakError::Setup("--database-url has no database path".into()))?;
        let url = format!("{server}/{name}");
        Ok(PgDatabase { admin, name, url })
    }

    /// Terminates every connection to the soak's database (the server's):
    /// what a failover or a restarted PostgreSQL does to a pool. Says how
    /// many were cut.
    pub async fn cut(&self) -> Result<i64> {
        let row = self
            .admin
            .query_one_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity \
                 WHERE datname = $1 AND pid <> pg_backend_pid()",
                [self.name.clone().into()],
            ))
            .await?
            .ok_or_else(|| SoakError::Setup("pg_terminate_backend returned no row".into()))?;
        Ok(row.try_get_by_index::<i64>(0)?)
    }

    /// Drops the database, whoever is still connected.
    pub async fn drop_database(&self) -> Result<()> {
        self.admin
            .execute_unprepared(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ))
            .await?;
        Ok(())
    }
}
