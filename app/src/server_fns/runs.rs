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

/// Totals by status, engine and worker, and the last `days` days (1–90,
/// default 14) a day at a time, of the runs of `job` (every job when
/// absent), as of the server's clock.
#[server(prefix = "/api", endpoint = "runs/statistics")]
pub async fn get_run_statistics(
    #[server(default)] job: Option<String>,
    #[server(default)] days: Option<u32>,
) -> Result<telltale_model::RunStatistics, AppError> {
    use super::ssr::core;
    use telltale_model::RunStatistics;
    let core = core()?;
    let days = days
        .unwrap_or(RunStatistics::DEFAULT_DAYS)
        .clamp(1, RunStatistics::MAX_DAYS);
    let filter = RunFilter {
        job: crate::form::nonblank(job),
        ..Default::default()
    };
    let store = core.store();
    Ok(RunStatistics {
        stats: store.run_stats(&filter).await?,
        days: store.run_days(&filter, core.now(), days).await?,
    })
}
