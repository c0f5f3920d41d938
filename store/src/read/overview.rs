//! The dashboard overview in one read: the same queries the REST listings
//! run, gathered here so the page makes one call and the edges cannot pick
//! different limits or filters for it.

use chrono::{DateTime, Utc};
use telltale_model::{
    AlertFilter, AlertStatus, CheckState, EventFilter, JobHealth, JobStatus, Overview, RunFilter,
    RunStatus, sort_failures_first,
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

    /// The FAILING jobs (whatever their check state), then the DOWN ones,
    /// then the LATE ones: each read by an index (open alerts, the state
    /// column), not one pass over every job.
    async fn broken_jobs(&self) -> Result<Vec<JobStatus>, StoreError> {
        let failing = self.failing_jobs().await?;
        let mut names: Vec<String> = failing.iter().cloned().collect();
        names.sort();
        let mut broken = self.job_rows_in_order(&names, &failing).await?;
        sort_failures_first(&mut broken);
        for state in [CheckState::Down, CheckState::Late] {
            let jobs = self
                .job_statuses_marking(Some(state), None, &failing)
                .await?;
            broken.extend(jobs.into_iter().filter(|j| j.health != JobHealth::Failing));
            if broken.len() >= Overview::BROKEN_JOBS {
                break;
            }
        }
        broken.truncate(Overview::BROKEN_JOBS);
        Ok(broken)
    }
}
