use leptos::prelude::*;
use telltale_model::{CheckState, JobDetail, JobOverviewPage, Overview};

use crate::components::server_html::Markup;
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

/// The overview's sections as HTML ([`crate::components::server_html`]):
/// what [`get_overview`] reads, rendered on the server.
#[server(prefix = "/api", endpoint = "status/overview-html")]
pub async fn overview_html() -> Result<Markup, AppError> {
    use crate::components::server_html::render;
    use crate::pages::overview::OverviewSections;
    let overview = get_overview().await?;
    let origin = super::ssr::request_origin();
    Ok(render(
        move || view! { <OverviewSections o=overview origin /> },
    ))
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

/// The job page's read-only part as HTML: what [`get_job_detail`] reads,
/// rendered on the server.
#[server(prefix = "/api", endpoint = "status/job-html")]
pub async fn job_html(name: String) -> Result<Markup, AppError> {
    use crate::components::server_html::render;
    use crate::pages::job_detail::JobView;
    let d = get_job_detail(name).await?;
    Ok(render(move || view! { <JobView d /> }))
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
