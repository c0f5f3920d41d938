//! Opens a fresh store on each backend so one story test runs against both.

use telltale_store::{DatabaseTarget, Store};

/// A store on a new SQLite file; the directory is removed when dropped.
pub async fn sqlite() -> (Store, DatabaseTarget, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let target = DatabaseTarget::Sqlite {
        path: dir.path().join("telltale.sqlite"),
    };
    let store = Store::connect(&target).await.expect("open sqlite");
    (store, target, dir)
}

/// Runs SQL on a connection of its own, bypassing the store: what a person
/// with a SQL shell could do.
// Each test file compiles this module anew; not all of them use this.
#[allow(dead_code)]
pub async fn execute_outside_store(
    target: &DatabaseTarget,
    sql: &str,
) -> Result<(), sea_orm::DbErr> {
    use sea_orm::ConnectionTrait;
    let url = match target {
        DatabaseTarget::Sqlite { path } => format!("sqlite://{}", path.display()),
        DatabaseTarget::Postgres { url } => url.clone(),
    };
    let db = sea_orm::Database::connect(&url).await?;
    let result = db.execute_unprepared(sql).await.map(|_| ());
    db.close().await?;
    result
}

/// A store on a new, empty PostgreSQL database, or `None` (with a line saying
/// the test skipped) where no server answers. Under `CI=true` a missing server
/// fails the test instead: CI installs and starts one.
pub async fn postgres(test: &str) -> Option<(Store, DatabaseTarget)> {
    let url = empty_postgres_database(test).await?;
    let target = DatabaseTarget::Postgres { url };
    let store = Store::connect(&target).await.expect("open postgres");
    Some((store, target))
}

/// The URL of a new PostgreSQL database with nothing in it (not even the
/// schema), or `None` as [`postgres`] says.
pub async fn empty_postgres_database(test: &str) -> Option<String> {
    let admin_url = std::env::var("TELLTALE_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres:postgres@127.0.0.1:5432/postgres".to_owned());
    let admin = match sea_orm::Database::connect(&admin_url).await {
        Ok(db) => db,
        Err(e) => {
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                panic!("CI=true but PostgreSQL at {admin_url} is unreachable: {e}");
            }
            eprintln!("SKIPPED {test}: no PostgreSQL at {admin_url} ({e})");
            return None;
        }
    };
    // Tests of one process start together: the clock alone can give two of
    // them one name.
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let name = format!(
        "telltale_test_{}_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("clock after 1970")
            .as_nanos()
    );
    use sea_orm::ConnectionTrait;
    admin
        .execute_unprepared(&format!("CREATE DATABASE {name}"))
        .await
        .expect("create test database");
    admin.close().await.ok();
    match admin_url.rsplit_once('/') {
        Some((base, _)) => Some(format!("{base}/{name}")),
        None => panic!("TELLTALE_TEST_POSTGRES_URL has no database path: {admin_url}"),
    }
}
