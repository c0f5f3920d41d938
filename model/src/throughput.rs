//! How many events arrived per minute over the last hour: the overview's
//! throughput chart. Counted by arrival (`received_at`), so a batch of old
//! events replayed now shows as load now, which is what the server felt.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// Minutes in the window, one bucket each.
pub const THROUGHPUT_BUCKETS: usize = 60;
pub const THROUGHPUT_BUCKET_SECONDS: i64 = 60;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Throughput {
    /// Start of the first (oldest) bucket.
    pub since: DateTime<Utc>,
    /// End of the last bucket (exclusive): the moment it was counted.
    pub until: DateTime<Utc>,
    pub bucket_seconds: i64,
    /// Events per bucket, oldest first.
    pub counts: Vec<u64>,
}

impl Throughput {
    /// The window of [`THROUGHPUT_BUCKETS`] minutes that ends at `now`.
    pub fn window(now: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>) {
        let span = Duration::seconds(THROUGHPUT_BUCKET_SECONDS * THROUGHPUT_BUCKETS as i64);
        (now - span, now)
    }

    /// Counts `arrivals` into the last hour's minute buckets ending at
    /// `now`; arrivals outside `[now - 1 h, now)` are ignored.
    pub fn count(now: DateTime<Utc>, arrivals: impl IntoIterator<Item = DateTime<Utc>>) -> Self {
        let (since, until) = Self::window(now);
        let bucket_us = THROUGHPUT_BUCKET_SECONDS * 1_000_000;
        let mut counts = vec![0; THROUGHPUT_BUCKETS];
        for at in arrivals {
            if at < since || at >= until {
                continue;
            }
            let offset = (at - since).num_microseconds().unwrap_or(i64::MAX);
            let i = usize::try_from(offset / bucket_us).unwrap_or(usize::MAX);
            if let Some(c) = counts.get_mut(i) {
                *c += 1;
            }
        }
        Throughput {
            since,
            until,
            bucket_seconds: THROUGHPUT_BUCKET_SECONDS,
            counts,
        }
    }

    pub fn total(&self) -> u64 {
        self.counts.iter().sum()
    }

    /// The busiest minute's count.
    pub fn peak(&self) -> u64 {
        self.counts.iter().copied().max().unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 25, 12, 0, 30)
            .single()
            .expect("valid time")
    }

    #[test]
    fn sixty_minute_buckets_oldest_first_ending_now() {
        let t = Throughput::count(now(), []);
        assert_eq!(t.counts, vec![0; 60]);
        assert_eq!(t.until, now());
        assert_eq!(t.since, now() - Duration::hours(1));
        assert_eq!((t.total(), t.peak()), (0, 0));
    }

    #[test]
    fn each_arrival_falls_into_its_minute() {
        let n = now();
        let t = Throughput::count(
            n,
            [
                n - Duration::seconds(1),  // the last minute
                n - Duration::seconds(59), // still the last minute
                n - Duration::seconds(61), // the one before
                n - Duration::hours(1),    // the first instant: first bucket
                n - Duration::hours(1) + Duration::seconds(59),
            ],
        );
        assert_eq!(t.counts[59], 2);
        assert_eq!(t.counts[58], 1);
        assert_eq!(t.counts[0], 2);
        assert_eq!((t.total(), t.peak()), (5, 2));
    }

    #[test]
    fn arrivals_outside_the_hour_are_not_counted() {
        let n = now();
        let t = Throughput::count(
            n,
            [
                n,                                             // the window ends before now
                n + Duration::seconds(5),                      // a clock ahead
                n - Duration::hours(1) - Duration::seconds(1), // too old
            ],
        );
        assert_eq!(t.total(), 0);
    }
}
