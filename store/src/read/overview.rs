//! The dashboard overview in one read: the same queries the REST listings
//! run, gathered here so the page makes one call and the edges cannot pick
//! different limits or filters for it.

use chrono::{DateTime, Utc};
use telltale_model::{
    AlertFilter, AlertStatus, CheckState, EventFilter, Overview, RunFilter, RunStatus,
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
        // Two indexed reads, not one over every job: the state is a column.
        let mut broken_jobs = self.job_statuses(Some(CheckState::Down), None).await?;
        broken_jobs.extend(self.job_statuses(Some(CheckState::Late), None).await?);
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
}
