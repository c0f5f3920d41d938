//! The dashboard overview in one read: the same queries the REST listings
//! run, gathered here so the page makes one call and the edges cannot pick
//! different limits or filters for it.

use chrono::{DateTime, Utc};
use telltale_model::{
    AlertFilter, AlertStatus, BrokenJob, CheckState, EventFilter, Overview, RunFilter, RunStatus,
};
use tokio::try_join;

use crate::{Store, StoreError};

impl Store {
    /// Everything the overview shows, as of `now`. The reads are
    /// independent, so they run at once on the pool's connections: the
    /// page waits for the slowest (the run counts on a big store), not for
    /// their sum.
    pub async fn overview(&self, now: DateTime<Utc>) -> Result<Overview, StoreError> {
        let failed = RunFilter {
            status: vec![RunStatus::Failed],
            limit: Some(Overview::FAILED_RUNS),
            ..Default::default()
        };
        let open = AlertFilter {
            status: Some(AlertStatus::Open),
            limit: Some(Overview::OPEN_ALERTS),
            ..Default::default()
        };
        let latest = EventFilter {
            limit: Some(Overview::LATEST_EVENTS),
            ..Default::default()
        };
        let (summary, failed_runs, open_alerts, broken_jobs, throughput, latest_events) = try_join!(
            self.status_summary(now),
            async { Ok(self.list_runs(&failed).await?.runs) },
            self.list_alerts(&open),
            self.broken_jobs(),
            self.throughput(now),
            async { Ok(self.list_events(&latest).await?.events) },
        )?;
        Ok(Overview {
            summary,
            failed_runs,
            open_alerts,
            broken_jobs,
            throughput,
            latest_events,
        })
    }

    /// The first fifty broken jobs: the FAILING ones (whatever their check
    /// state), then the DOWN ones, then the LATE ones, each group in
    /// failures-first order. Each is found by an index (open alerts, the
    /// state column) and ordered by the three columns that decide it; only
    /// the fifty shown are read whole. A farm where thousands fail at once
    /// (a shared mount gone) is when the overview must still open quickly.
    async fn broken_jobs(&self) -> Result<Vec<BrokenJob>, StoreError> {
        let (failing, places) = try_join!(self.failing_jobs(), self.failing_places())?;
        let mut names: Vec<String> = places
            .into_iter()
            .take(Overview::BROKEN_JOBS)
            .map(|place| place.name().to_owned())
            .collect();
        for state in [CheckState::Down, CheckState::Late] {
            let room = Overview::BROKEN_JOBS.saturating_sub(names.len());
            if room == 0 {
                break;
            }
            let more: Vec<String> = self
                .job_places(Some(state), None)
                .await?
                .into_iter()
                .map(|(place, _)| place.name().to_owned())
                .filter(|name| !failing.contains(name))
                .take(room)
                .collect();
            names.extend(more);
        }
        Ok(self
            .job_rows_in_order(&names, &failing)
            .await?
            .into_iter()
            .map(BrokenJob::from)
            .collect())
    }
}
