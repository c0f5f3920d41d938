//! The overview's throughput: events received per minute over the last
//! hour, counted by arrival, on both backends.

mod support;

use chrono::{DateTime, Duration, Utc};
use telltale_model::{Level, NewEvent, SourceType};
use telltale_store::Store;

fn now() -> DateTime<Utc> {
    DateTime::from_timestamp(1_764_000_000, 0).unwrap()
}

fn events(n: usize, tag: &str) -> Vec<NewEvent> {
    (0..n)
        .map(|i| {
            // The event's own time is old on purpose: arrival is what counts.
            let at = now() - Duration::days(3);
            NewEvent::new(
                SourceType::Worker,
                Level::Info,
                "progress_update",
                format!("{tag} {i}"),
                at,
            )
        })
        .collect()
}

async fn story(store: &Store) {
    let empty = store.throughput(now()).await.unwrap();
    assert_eq!(empty.counts, vec![0; 60]);

    // Two hours ago: outside the window.
    store
        .ingest(&events(5, "old"), now() - Duration::hours(2))
        .await
        .unwrap();
    // 45 minutes ago, and in the last minute; more than one read's worth
    // (10,000 rows) in all, so the walk back over the log takes several.
    store
        .ingest(&events(7, "mid"), now() - Duration::minutes(45))
        .await
        .unwrap();
    for _ in 0..3 {
        store
            .ingest(&events(4_000, "busy"), now() - Duration::seconds(20))
            .await
            .unwrap();
    }

    // `now()` is a whole minute, so the current bucket (the last) has just
    // begun and the busy events fell into the one before it.
    let t = store.throughput(now()).await.unwrap();
    assert_eq!(t.counts.len(), 60);
    assert_eq!(t.counts[59], 0, "the current minute, just begun");
    assert_eq!(t.counts[58], 12_000, "the last whole minute");
    assert_eq!(t.counts[14], 7, "45 minutes ago: 14 minutes into the hour");
    assert_eq!(
        t.total(),
        12_007,
        "the events of two hours ago are not counted"
    );

    // Settled minute starts are remembered from the first reading; the
    // next reading, after more arrivals, must still count every event.
    store
        .ingest(&events(3, "late"), now() - Duration::seconds(10))
        .await
        .unwrap();
    store
        .ingest(&events(2, "current"), now() + Duration::seconds(30))
        .await
        .unwrap();
    let again = store
        .throughput(now() + Duration::seconds(40))
        .await
        .unwrap();
    assert_eq!(again.counts[58], 12_003);
    assert_eq!(again.counts[59], 2, "the current minute so far");
    assert_eq!(again.counts[14], 7);
    assert_eq!(again.total(), 12_012);

    // An hour later all of it has left the window.
    let later = store.throughput(now() + Duration::hours(1)).await.unwrap();
    assert_eq!(later.total(), 0);
}

#[tokio::test]
async fn throughput_on_sqlite() {
    let (store, _target, _dir) = support::sqlite().await;
    story(&store).await;
}

#[tokio::test]
async fn throughput_on_postgres() {
    let Some((store, _target)) = support::postgres("throughput_on_postgres").await else {
        return;
    };
    story(&store).await;
}
