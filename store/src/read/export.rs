//! Exports: everything a read-API filter matches, read as keyset pages one
//! after another (`id < last` / `seq < last`, newest first), so a caller
//! can stream a million rows while holding one page. The keys only grow,
//! so rows written during an export come after its start and are left out;
//! each row is read exactly once.

use telltale_model::{Event, EventFilter, Run, RunFilter};

use crate::{Store, StoreError};

/// Rows per keyset page of an export.
pub const EXPORT_PAGE_ROWS: u64 = 1000;

/// Where an export is: the next page's cursor and how much is left.
#[derive(Debug, Clone)]
struct Progress {
    before: Option<i64>,
    remaining: Option<u64>,
    page_rows: u64,
    finished: bool,
}

impl Progress {
    fn new(before: Option<i64>, max_rows: Option<u64>, page_rows: u64) -> Self {
        Progress {
            before,
            remaining: max_rows,
            page_rows: page_rows.clamp(1, EXPORT_PAGE_ROWS),
            finished: max_rows == Some(0),
        }
    }

    /// The next page's size, or `None` when the export is done.
    fn next_limit(&self) -> Option<u64> {
        (!self.finished).then(|| {
            self.remaining
                .map_or(self.page_rows, |r| r.min(self.page_rows))
        })
    }

    /// After a page of `got` rows (asked `limit`) whose last key is `last`.
    fn advance(&mut self, limit: u64, got: usize, last: Option<i64>) {
        let got = got as u64;
        if let Some(r) = &mut self.remaining {
            *r = r.saturating_sub(got);
        }
        self.before = last.or(self.before);
        // A short page is the last: nothing older matched.
        self.finished = got < limit || self.remaining == Some(0);
    }
}

/// Every event a filter matches, newest first, page by page.
#[derive(Debug, Clone)]
pub struct EventExport {
    store: Store,
    filter: EventFilter,
    progress: Progress,
}

impl EventExport {
    /// The next page, or `None` after the last.
    pub async fn next_page(&mut self) -> Result<Option<Vec<Event>>, StoreError> {
        let Some(limit) = self.progress.next_limit() else {
            return Ok(None);
        };
        let filter = EventFilter {
            before: self.progress.before,
            limit: Some(limit),
            ..self.filter.clone()
        };
        let events = self.store.list_events(&filter).await?.events;
        self.progress
            .advance(limit, events.len(), events.last().map(|e| e.id));
        Ok((!events.is_empty()).then_some(events))
    }
}

/// Every run a filter matches, newest (highest `seq`) first, page by page.
#[derive(Debug, Clone)]
pub struct RunExport {
    store: Store,
    filter: RunFilter,
    progress: Progress,
}

impl RunExport {
    /// The next page, or `None` after the last.
    pub async fn next_page(&mut self) -> Result<Option<Vec<Run>>, StoreError> {
        let Some(limit) = self.progress.next_limit() else {
            return Ok(None);
        };
        let filter = RunFilter {
            before: self.progress.before,
            limit: Some(limit),
            ..self.filter.clone()
        };
        let runs = self.store.list_runs(&filter).await?.runs;
        self.progress
            .advance(limit, runs.len(), runs.last().map(|r| r.seq));
        Ok((!runs.is_empty()).then_some(runs))
    }
}

impl Store {
    /// Events matching `filter` (its `before` is where the export starts;
    /// its `limit` is ignored), at most `max_rows` of them, read
    /// `page_rows` (at most [`EXPORT_PAGE_ROWS`]) at a time.
    pub fn export_events(
        &self,
        filter: EventFilter,
        max_rows: Option<u64>,
        page_rows: u64,
    ) -> EventExport {
        EventExport {
            progress: Progress::new(filter.before, max_rows, page_rows),
            store: self.clone(),
            filter,
        }
    }

    /// Runs matching `filter`, as [`Store::export_events`] reads events.
    pub fn export_runs(
        &self,
        filter: RunFilter,
        max_rows: Option<u64>,
        page_rows: u64,
    ) -> RunExport {
        RunExport {
            progress: Progress::new(filter.before, max_rows, page_rows),
            store: self.clone(),
            filter,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Progress;

    #[test]
    fn pages_stop_at_a_short_page_or_the_row_cap() {
        let mut p = Progress::new(None, None, 3);
        assert_eq!(p.next_limit(), Some(3));
        p.advance(3, 3, Some(10));
        assert_eq!((p.before, p.next_limit()), (Some(10), Some(3)));
        p.advance(3, 2, Some(8));
        assert_eq!(p.next_limit(), None, "a short page ends it");

        let mut capped = Progress::new(Some(100), Some(4), 3);
        assert_eq!(capped.next_limit(), Some(3));
        capped.advance(3, 3, Some(97));
        assert_eq!(capped.next_limit(), Some(1), "only what the cap leaves");
        capped.advance(1, 1, Some(96));
        assert_eq!(capped.next_limit(), None);

        assert_eq!(Progress::new(None, Some(0), 3).next_limit(), None);
        assert_eq!(Progress::new(None, None, 5000).next_limit(), Some(1000));
    }
}
