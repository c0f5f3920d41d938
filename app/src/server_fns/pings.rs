use leptos::prelude::*;
use telltale_model::{JobPing, Snippet};

use crate::components::server_html::Markup;
use crate::error::AppError;

/// A job's ping URL and the lines that use it, written for the address the
/// page was asked at.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PingLinks {
    pub ping: JobPing,
    pub url: String,
    pub snippets: Vec<Snippet>,
}

/// A new ping UUID for `job`, like `POST /v1/jobs/{name}/ping/regenerate`:
/// the old URL answers 404 from now on. Admins only; a plain HTML form.
/// Answers the job page's ping section as it is now, as server markup
/// ([`crate::pages::job_ping::PingView`]).
#[server(prefix = "/api", endpoint = "pings/regenerate")]
pub async fn regenerate_ping(job: String) -> Result<Markup, AppError> {
    use super::ssr::{core, request_origin, require_admin};
    require_admin()?;
    let origin = request_origin();
    let core = core()?;
    let ping = core.regenerate_job_ping(&job).await?;
    let schedule = core
        .store()
        .job_with_state(&job)
        .await?
        .and_then(|s| s.job.policy.schedule);
    let links = links(ping, &origin, schedule.as_deref());
    Ok(crate::components::server_html::render(move || {
        view! { <crate::pages::job_ping::PingView links admin=true /> }
    }))
}

#[cfg(feature = "ssr")]
pub(super) fn links(ping: JobPing, origin: &str, cron: Option<&str>) -> PingLinks {
    PingLinks {
        url: ping.url(origin),
        snippets: ping.snippets(origin, cron),
        ping,
    }
}
