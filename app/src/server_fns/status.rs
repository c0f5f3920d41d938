use leptos::prelude::*;
use telltale_model::{CheckState, JobDetail, JobOverviewPage, Overview};

use crate::error::AppError;

/// The overview page in one call: counts, failed runs, open alerts, DOWN
/// and LATE jobs, throughput and the latest events, as of the server's
/// clock (the one the REST API and the engine use).
#[server(prefix = "/api", endpoint = "status/overview")]
pub async fn get_overview() -> Result<Overview, AppError> {
    use super::ssr::core;
    let core = core()?;
    Ok(core.store().overview(core.now()).await?)
}

/// The address the dashboard was asked at (`https://telltale.example`),
/// for the snippets a new install offers.
#[server(prefix = "/api", endpoint = "status/origin")]
pub async fn page_origin() -> Result<String, AppError> {
    Ok(super::ssr::request_origin())
}

/// A page of the jobs in `state` whose name contains `text` (after the
/// cursor `before`, the previous page's `nextCursor`) with their latest
/// runs, DOWN and LATE first, for the jobs page.
#[server(prefix = "/api", endpoint = "status/job-overviews")]
pub async fn list_job_overviews(
    state: Option<CheckState>,
    text: Option<String>,
    before: Option<String>,
) -> Result<JobOverviewPage, AppError> {
    use super::ssr::store;
    Ok(store()?
        .job_overviews(state, text.as_deref(), before.as_deref())
        .await?)
}

/// One job in full: what `GET /v1/status/jobs/{name}` returns, and its
/// typed not-found when there is no such job.
#[server(prefix = "/api", endpoint = "status/job")]
pub async fn get_job_detail(name: String) -> Result<JobDetail, AppError> {
    use super::ssr::store;
    store()?
        .job_detail(&name)
        .await?
        .ok_or_else(|| AppError::not_found(telltale_model::Resource::Job, name))
}
