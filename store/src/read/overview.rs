//! The dashboard overview in one read: the same queries the REST listings
//! run, gathered here so the page makes one call and the edges cannot pick
//! different limits or filters for it.

use chrono::{DateTime, Utc};
use telltale_model::{
    AlertFilter, AlertStatus, CheckState, EventFilter, JobStatus, Overview, RunFilter, RunStatus,
};

use crate::{Store, StoreError};

impl Store {
    /// Everything the overview shows, as of `now`.
    pub async fn overview(&self, now: DateTime<Utc>) -> Result<Overview, StoreError> {
        let summary = self.status_summary(now).await?;
        let failed_runs = self
            .list_runs(&RunFilter {
                status: vec![RunStatus::Failed],
                limit: Some(Overview::FAILED_RUNS),
                ..Default::default()
            })
            .await?
            .runs;
        let open_alerts = self
            .list_alerts(&AlertFilter {
                status: Some(AlertStatus::Open),
                limit: Some(Overview::OPEN_ALERTS),
                ..Default::default()
            })
            .await?;
        let broken_jobs = self.broken_jobs().await?;
        let throughput = self.throughput(now).await?;
        let latest_events = self
            .list_events(&EventFilter {
                limit: Some(Overview::LATEST_EVENTS),
                ..Default::default()
            })
            .await?
            .events;
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
    async fn broken_jobs(&self) -> Result<Vec<JobStatus>, StoreError> {
        let failing = self.failing_jobs().await?;
        let mut names: Vec<String> = self
            .failing_places()
            .await?
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
        self.job_rows_in_order(&names, &failing).await
    }
}
