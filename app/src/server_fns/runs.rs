use leptos::prelude::*;
use telltale_model::{RunDetail, RunFilter, RunPage};

use crate::error::AppError;

/// Runs matching `filter`, newest first: what `GET /v1/runs` returns.
#[server(prefix = "/api", endpoint = "runs/list")]
pub async fn list_runs(#[server(default)] filter: RunFilter) -> Result<RunPage, AppError> {
    use super::ssr::store;
    Ok(store()?.list_runs(&filter).await?)
}

/// One run with its timeline: what `GET /v1/runs/{id}` returns, and its
/// typed not-found when there is no such run.
#[server(prefix = "/api", endpoint = "runs/detail")]
pub async fn get_run_detail(run_id: String) -> Result<RunDetail, AppError> {
    use super::ssr::store;
    store()?
        .run_detail(&run_id)
        .await?
        .ok_or_else(|| AppError::not_found(telltale_model::Resource::Run, run_id))
}
