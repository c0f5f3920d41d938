//! The overview's throughput: events received per minute over the last hour.
//!
//! There is no index on `received_at_us` (each index taxes every ingested
//! event), but ids are handed out in arrival order, so each minute of the
//! last hour is a range of the primary key. We find where each minute
//! starts by binary search on the key (a few dozen point reads) and count a
//! minute as the ids between two starts: the cost does not grow with the
//! events of the hour (a busy hour of 1.3M events took 1.3 s to walk).
//!
//! Buckets are clock minutes, so a minute's start, once settled, is the
//! same at every reading: it is searched for once and remembered. A
//! reading then searches only the current minute's start (the 61 searches
//! of a cold reading took 130 ms at 1.5M events, over the overview's
//! 100 ms budget).
//!
//! On SQLite ids have no gaps, so the counts are exact; on PostgreSQL a
//! sequence value spent on a duplicate or a rolled back insert is counted
//! too — a chart, not an audit.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use telltale_model::{THROUGHPUT_BUCKETS, Throughput};

use crate::entity::event;
use crate::time::to_us;
use crate::{Store, StoreError};

/// A minute start this far in the past is settled: every event received
/// before it has been committed (PostgreSQL may commit a group a little
/// after handing out its ids).
const SETTLED_AFTER_US: i64 = 60 * 1_000_000;

/// Settled minute starts (µs) and the first id received at or after each.
#[derive(Debug, Clone, Default)]
pub(crate) struct MinuteStarts(Arc<Mutex<BTreeMap<i64, i64>>>);

impl MinuteStarts {
    fn get(&self, at_us: i64) -> Option<i64> {
        self.0.lock().ok()?.get(&at_us).copied()
    }

    /// Remembers a settled start; forgets those that left every window.
    fn remember(&self, at_us: i64, id: i64, oldest_needed_us: i64) {
        if let Ok(mut starts) = self.0.lock() {
            starts.insert(at_us, id);
            starts.retain(|&at, _| at >= oldest_needed_us);
        }
    }
}

impl Store {
    pub async fn throughput(&self, now: DateTime<Utc>) -> Result<Throughput, StoreError> {
        let mut t = Throughput::count(now, []);
        let Some((newest, newest_received)) = self.newest_event().await? else {
            return Ok(t);
        };
        let end = newest.saturating_add(1);
        let settled_before = to_us(now) - SETTLED_AFTER_US;
        let mut starts = Vec::with_capacity(THROUGHPUT_BUCKETS + 1);
        let mut lo: Option<i64> = None;
        for i in 0..=THROUGHPUT_BUCKETS {
            // The last boundary is `until`, the moment of the reading.
            let boundary = if i == THROUGHPUT_BUCKETS {
                to_us(t.until)
            } else {
                to_us(t.bucket_start(i))
            };
            let start = if let Some(id) = self.minute_starts.get(boundary) {
                id
            } else if newest_received < boundary {
                // Nothing received since: every later start is the end.
                end
            } else {
                let from = match lo {
                    Some(lo) => lo,
                    None => match self.event_at_or_after(i64::MIN).await? {
                        Some((first, _)) => first,
                        None => return Ok(t),
                    },
                };
                let id = self
                    .first_id_received_at_or_after(boundary, from, end)
                    .await?;
                // Only a start that an event already marks is final.
                if boundary <= settled_before && id < end {
                    self.minute_starts.remember(boundary, id, to_us(t.since));
                }
                id
            };
            starts.push(start);
            lo = Some(start);
        }
        // Ids are whatever the table holds: two far apart need more than
        // an i64 to subtract.
        for (count, pair) in t.counts.iter_mut().zip(starts.windows(2)) {
            *count = u64::try_from(i128::from(pair[1]) - i128::from(pair[0])).unwrap_or(0);
        }
        Ok(t)
    }

    /// The smallest id in `[lo, end)` of an event received at or after
    /// `at_us`, or `end` when there is none: a binary search over the key,
    /// which arrival order keeps sorted by arrival.
    async fn first_id_received_at_or_after(
        &self,
        at_us: i64,
        mut lo: i64,
        mut end: i64,
    ) -> Result<i64, StoreError> {
        while lo < end {
            // In [lo, end), without overflowing between ids far apart.
            let mid = i64::try_from(i128::from(lo) + (i128::from(end) - i128::from(lo)) / 2)
                .unwrap_or(lo);
            match self.event_at_or_after(mid).await? {
                // The first event at or after `mid` exists below `end`.
                Some((id, received)) if id < end => {
                    if received >= at_us {
                        end = id;
                    } else {
                        lo = id + 1;
                    }
                }
                _ => end = mid,
            }
        }
        Ok(lo)
    }

    /// `(id, received_at_us)` of the first event with an id ≥ `id`.
    async fn event_at_or_after(&self, id: i64) -> Result<Option<(i64, i64)>, StoreError> {
        Ok(event::Entity::find()
            .select_only()
            .column(event::Column::Id)
            .column(event::Column::ReceivedAtUs)
            .filter(event::Column::Id.gte(id))
            .order_by_asc(event::Column::Id)
            .limit(1)
            .into_tuple()
            .one(&self.db)
            .await?)
    }

    async fn newest_event(&self) -> Result<Option<(i64, i64)>, StoreError> {
        Ok(event::Entity::find()
            .select_only()
            .column(event::Column::Id)
            .column(event::Column::ReceivedAtUs)
            .order_by_desc(event::Column::Id)
            .limit(1)
            .into_tuple()
            .one(&self.db)
            .await?)
    }
}
