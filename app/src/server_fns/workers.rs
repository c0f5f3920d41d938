use leptos::prelude::*;
use telltale_model::WorkerState;

use crate::error::AppError;

/// Every worker with its status now: what `GET /v1/workers` returns.
#[server(prefix = "/api", endpoint = "workers/list")]
pub async fn list_worker_states() -> Result<Vec<WorkerState>, AppError> {
    use super::ssr::core;
    let core = core()?;
    Ok(core.store().worker_states(core.now()).await?)
}
