//! The job page's upkeep sections (ping URL, badge, management) in one
//! read: the job as stored, the caller's role, the ping URL and the badge.
//! One call instead of six (the job's detail a second time, the ping URL,
//! the badge, the caller's role three times).

use leptos::prelude::*;

use crate::components::server_html::Markup;
use crate::error::AppError;

/// What the upkeep sections of a job's page show.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct JobUpkeep {
    /// The job's name as stored.
    pub name: String,
    /// The ping section as server markup
    /// ([`crate::pages::job_ping::PingView`]).
    pub ping: Markup,
    /// The badge section as server markup
    /// ([`crate::pages::job_badge::BadgeView`]).
    pub badge: Markup,
    /// The management forms as server markup, only for those who may change
    /// things (everyone when auth is off; each server function still
    /// checks) ([`crate::pages::job_manage::ManageForms`]).
    pub manage: Option<Markup>,
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
    use crate::components::server_html::render;
    use crate::pages::{job_badge::BadgeView, job_manage::ManageForms, job_ping::PingView};
    let links = super::pings::links(ping, &origin, status.job.policy.schedule.as_deref());
    let ping = render(move || view! { <PingView links admin /> });
    let links = super::badges::links(BadgeSetting::new(&job, status.public_badge), &origin);
    let badge = render(move || view! { <BadgeView links admin /> });
    let name = status.job.name.clone();
    let manage = admin.then(|| render(move || view! { <ManageForms status /> }));
    Ok(Some(JobUpkeep {
        name,
        ping,
        badge,
        manage,
    }))
}
