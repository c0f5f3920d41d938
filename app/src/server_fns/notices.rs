//! What desktop notifications compare: the newest failed runs and open
//! alerts, already worded as the notifications that show them. The browser
//! keeps only which of them it has seen.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// One desktop notification: its tag names the run or alert it is about
/// (so the browser shows a repeat once), its title and body are shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notice {
    pub tag: String,
    pub title: String,
    pub body: String,
}

/// The newest failed runs and open alerts, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct News {
    pub failed_runs: Vec<Notice>,
    pub open_alerts: Vec<Notice>,
}

/// How many of the newest failed runs and open alerts are compared.
pub const NEWEST: u64 = 20;

#[cfg(feature = "ssr")]
impl Notice {
    pub fn of_run(run: &telltale_model::Run) -> Self {
        let job = run.job_name.as_deref().unwrap_or("no job");
        Self {
            tag: run.run_id.clone(),
            title: format!("Run failed: {job}"),
            body: run
                .failure_reason
                .clone()
                .unwrap_or_else(|| "no reason given".to_owned()),
        }
    }

    pub fn of_alert(alert: &telltale_model::Alert) -> Self {
        let subject = alert
            .job_name
            .as_deref()
            .or(alert.worker_id.as_deref())
            .unwrap_or("");
        Self {
            tag: format!("alert-{}", alert.id),
            title: format!("{} alert: {subject}", alert.alert_type.as_str()),
            body: alert.reason.clone(),
        }
    }
}

/// The newest [`NEWEST`] failed runs and open alerts, as notices.
#[server(prefix = "/api", endpoint = "notices")]
pub async fn latest_news() -> Result<News, AppError> {
    use super::ssr::store;
    use telltale_model::{AlertFilter, AlertStatus, RunFilter, RunStatus};
    let store = store()?;
    let runs = store
        .list_runs(&RunFilter {
            status: vec![RunStatus::Failed],
            limit: Some(NEWEST),
            ..Default::default()
        })
        .await?;
    let alerts = store
        .list_alerts(&AlertFilter {
            status: Some(AlertStatus::Open),
            limit: Some(NEWEST),
            ..Default::default()
        })
        .await?;
    Ok(News {
        failed_runs: runs.runs.iter().map(Notice::of_run).collect(),
        open_alerts: alerts.iter().map(Notice::of_alert).collect(),
    })
}
