use leptos::prelude::*;
use telltale_model::{RunDetail, RunFilter, RunPage};

/// Runs matching `filter`, newest first: what `GET /v1/runs` returns.
#[server(prefix = "/api", endpoint = "runs/list")]
pub async fn list_runs(#[server(default)] filter: RunFilter) -> Result<RunPage, ServerFnError> {
    use super::ssr::{store, to_server_error};
    store()?.list_runs(&filter).await.map_err(to_server_error)
}

/// One run with its timeline, or none: what `GET /v1/runs/{id}` returns.
#[server(prefix = "/api", endpoint = "runs/detail")]
pub async fn get_run_detail(run_id: String) -> Result<Option<RunDetail>, ServerFnError> {
    use super::ssr::{store, to_server_error};
    store()?.run_detail(&run_id).await.map_err(to_server_error)
}
