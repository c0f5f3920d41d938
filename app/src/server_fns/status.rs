use leptos::prelude::*;
use telltale_model::{
    CheckState, JobDetail, JobOverviewPage, JobStatus, StatusSummary, Throughput,
};

/// Counts and scheduler presence: what `GET /v1/status/summary` returns.
#[server(prefix = "/api", endpoint = "status/summary")]
pub async fn get_status_summary() -> Result<StatusSummary, ServerFnError> {
    use super::ssr::{store, to_server_error};
    store()?
        .status_summary(chrono::Utc::now())
        .await
        .map_err(to_server_error)
}

/// Jobs in `state` whose name contains `text`, DOWN and LATE first: what
/// `GET /v1/status/jobs` returns.
#[server(prefix = "/api", endpoint = "status/jobs")]
pub async fn list_job_statuses(
    state: Option<CheckState>,
    text: Option<String>,
) -> Result<Vec<JobStatus>, ServerFnError> {
    use super::ssr::{store, to_server_error};
    store()?
        .job_statuses(state, text.as_deref())
        .await
        .map_err(to_server_error)
}

/// A page of the same jobs (after the cursor `after`) with their latest
/// runs, for the jobs page.
#[server(prefix = "/api", endpoint = "status/job-overviews")]
pub async fn list_job_overviews(
    state: Option<CheckState>,
    text: Option<String>,
    after: Option<String>,
) -> Result<JobOverviewPage, ServerFnError> {
    use super::ssr::{store, to_server_error};
    store()?
        .job_overviews(state, text.as_deref(), after.as_deref())
        .await
        .map_err(to_server_error)
}

/// One job in full, or none: what `GET /v1/status/jobs/{name}` returns.
#[server(prefix = "/api", endpoint = "status/job")]
pub async fn get_job_detail(name: String) -> Result<Option<JobDetail>, ServerFnError> {
    use super::ssr::{store, to_server_error};
    store()?.job_detail(&name).await.map_err(to_server_error)
}

/// Events received per minute over the last hour, for the overview.
#[server(prefix = "/api", endpoint = "status/throughput")]
pub async fn get_throughput() -> Result<Throughput, ServerFnError> {
    use super::ssr::{store, to_server_error};
    store()?
        .throughput(chrono::Utc::now())
        .await
        .map_err(to_server_error)
}
