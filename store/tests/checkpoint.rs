//! The WAL is copied into the database file beside the ingest writer, not
//! only when the WAL grows past the writer's bound: committed events reach
//! the file itself within moments.

// Only the SQLite half of the support module: checkpoints are SQLite's.
#[allow(dead_code)]
mod support;

use std::time::{Duration, Instant};

use chrono::Utc;
use rusqlite::{Connection, OpenFlags};
use telltale_model::{Level, NewEvent, SourceType};
use telltale_store::DatabaseTarget;

/// Events in the database file alone: `immutable=1` makes SQLite read the
/// file as it is, ignoring the WAL beside it.
fn events_in_the_file(path: &std::path::Path) -> i64 {
    let uri = format!("file:{}?immutable=1", path.display());
    let conn = Connection::open_with_flags(
        uri,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_URI,
    )
    .expect("open the file read-only");
    conn.query_row("SELECT count(*) FROM events", [], |r| r.get(0))
        .unwrap_or(0)
}

#[tokio::test]
async fn committed_events_reach_the_database_file_without_waiting_for_the_wal_to_fill() {
    let (store, target, _dir) = support::sqlite().await;
    let DatabaseTarget::Sqlite { path } = &target else {
        unreachable!("support::sqlite opens a file")
    };
    // A few hundred WAL pages at most: far below the writer's own bound.
    let events: Vec<NewEvent> = (0..2_000)
        .map(|i| {
            NewEvent::new(
                SourceType::Worker,
                Level::Info,
                "progress_update",
                format!("step {i}"),
                Utc::now(),
            )
        })
        .collect();
    for chunk in events.chunks(100) {
        store.ingest(chunk, Utc::now()).await.expect("ingest");
    }

    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let n = events_in_the_file(path);
        if n == 2_000 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "after 5 s the database file holds {n} of 2,000 committed events: \
             the WAL is not being checkpointed"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
