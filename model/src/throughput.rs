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
    /// Start of the first (oldest) bucket: a whole minute.
    pub since: DateTime<Utc>,
    /// End of the last bucket (exclusive): the moment it was counted, so
    /// the last bucket is the current minute so far.
    pub until: DateTime<Utc>,
    pub bucket_seconds: i64,
    /// Events per bucket, oldest first.
    pub counts: Vec<u64>,
}

impl Throughput {
    /// The window of [`THROUGHPUT_BUCKETS`] whole minutes, the last of them
    /// the one `now` is in. Buckets are clock minutes rather than minutes
    /// counted back from `now` so that their starts stay put from one
    /// reading to the next: the store looks each start up once.
    pub fn window(now: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>) {
        let bucket = THROUGHPUT_BUCKET_SECONDS * 1_000_000;
        let current = now.timestamp_micros().div_euclid(bucket) * bucket;
        let first = current - bucket * (THROUGHPUT_BUCKETS as i64 - 1);
        let since = DateTime::from_timestamp_micros(first).unwrap_or(now);
        (since, now)
    }

    /// The start of bucket `i` (`i` = [`THROUGHPUT_BUCKETS`] is the end of
    /// the last whole bucket, a minute after the current one started).
    pub fn bucket_start(&self, i: usize) -> DateTime<Utc> {
        self.since + Duration::seconds(self.bucket_seconds * i as i64)
    }

    /// Counts `arrivals` into the minute buckets of the window at `now`;
    /// arrivals outside `[since, now)` are ignored.
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

    /// Every count, saturating: they come from differences of stored ids,
    /// which a damaged table can set anywhere.
    pub fn total(&self) -> u64 {
        self.counts
            .iter()
            .fold(0u64, |total, &c| total.saturating_add(c))
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

    fn at(h: u32, m: u32, s: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 25, h, m, s)
            .single()
            .expect("valid time")
    }

    #[test]
    fn sixty_clock_minutes_oldest_first_the_last_one_current() {
        let t = Throughput::count(now(), []);
        assert_eq!(t.counts, vec![0; 60]);
        assert_eq!(t.until, now());
        assert_eq!(t.since, at(11, 1, 0), "59 whole minutes before 12:00");
        assert_eq!(t.bucket_start(59), at(12, 0, 0));
        assert_eq!(t.bucket_start(60), at(12, 1, 0));
        assert_eq!((t.total(), t.peak()), (0, 0));
        // On a whole minute the current bucket has just begun.
        assert_eq!(Throughput::window(at(12, 0, 0)).0, at(11, 1, 0));
    }

    #[test]
    fn each_arrival_falls_into_its_minute() {
        let t = Throughput::count(
            now(),
            [
                at(12, 0, 29), // the current minute
                at(12, 0, 0),  // its first instant
                at(11, 59, 59),
                at(11, 1, 0), // the first instant of the window
                at(11, 1, 59),
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
                n,                        // the window ends before now
                n + Duration::seconds(5), // a clock ahead
                at(11, 0, 59),            // too old
            ],
        );
        assert_eq!(t.total(), 0);
    }

    #[test]
    fn counts_past_an_integer_total_saturate() {
        let mut t = Throughput::count(now(), []);
        t.counts[0] = u64::MAX;
        t.counts[1] = 5;
        assert_eq!(t.total(), u64::MAX);
        assert_eq!(t.peak(), u64::MAX);
    }
}
