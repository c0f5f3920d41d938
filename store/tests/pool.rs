//! What the metrics read without a query: the connection pool, on both
//! backends; and the worker counts they share with the status summary.

mod support;

use chrono::Utc;
use telltale_store::Store;

async fn story(store: &Store, max: u32) {
    // A query has run (the migrations): the pool holds a connection, idle
    // once nothing runs (sqlx takes a connection back on a task of its own,
    // a moment after the query).
    let mut at_rest = store.pool_use();
    for _ in 0..100 {
        if at_rest.in_use == 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        at_rest = store.pool_use();
    }
    assert_eq!(at_rest.max, max);
    assert_eq!(at_rest.in_use, 0, "{at_rest:?}");
    assert!((1..=max).contains(&at_rest.idle), "{at_rest:?}");

    let workers = store.worker_status_counts(Utc::now()).await.unwrap();
    let counts: Vec<(&str, u64)> = workers.iter().map(|(s, n)| (s.as_str(), *n)).collect();
    assert_eq!(counts, [("busy", 0), ("idle", 0), ("offline", 0)]);
}

#[tokio::test]
async fn pool_use_on_sqlite() {
    let (store, _target, _dir) = support::sqlite().await;
    story(&store, telltale_store::sqlite_pool_size()).await;
}

#[tokio::test]
async fn pool_use_on_postgres() {
    let Some((store, _target)) = support::postgres("pool_use_on_postgres").await else {
        return;
    };
    story(&store, 16).await;
}
