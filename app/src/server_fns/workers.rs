use leptos::prelude::*;
use telltale_model::WorkerState;

/// Every worker with its status now: what `GET /v1/workers` returns.
#[server(prefix = "/api", endpoint = "workers/list")]
pub async fn list_worker_states() -> Result<Vec<WorkerState>, ServerFnError> {
    use super::ssr::{store, to_server_error};
    store()?
        .worker_states(chrono::Utc::now())
        .await
        .map_err(to_server_error)
}
