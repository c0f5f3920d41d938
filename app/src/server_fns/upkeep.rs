//! The job page's upkeep sections (ping URL, badge, management) in one
//! read: the job as stored, the caller's role, the ping URL and the badge.
//! One call instead of six (the job's detail a second time, the ping URL,
//! the badge, the caller's role three times).

use leptos::prelude::*;
use telltale_model::JobStatus;

use super::badges::BadgeLinks;
use super::pings::PingLinks;
use crate::error::AppError;

/// What the upkeep sections of a job's page show.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct JobUpkeep {
    pub status: JobStatus,
    /// Whether the caller may change things (everyone when auth is off):
    /// the forms show only then; each server function still checks.
    pub admin: bool,
    pub ping: PingLinks,
    pub badge: BadgeLinks,
}

/// The upkeep of `job`, its ping URL made the first time it is asked for
/// (`None` for an unknown job: the job page already says it is missing).
#[server(prefix = "/api", endpoint = "jobs/upkeep")]
pub async fn get_job_upkeep(job: String) -> Result<Option<JobUpkeep>, AppError> {
    use super::ssr::{core, is_admin, request_origin};
    use telltale_model::BadgeSetting;
    let origin = request_origin();
    let admin = is_admin();
    let core = core()?;
    let Some(status) = core.store().job_with_state(&job).await? else {
        return Ok(None);
    };
    let ping = core.job_ping(&job).await?;
    Ok(Some(JobUpkeep {
        admin,
        ping: super::pings::links(ping, &origin, status.job.policy.schedule.as_deref()),
        badge: super::badges::links(BadgeSetting::new(&job, status.public_badge), &origin),
        status,
    }))
}
