use leptos::prelude::*;
use telltale_model::{Run, RunStatus};

use super::data_table::{DataTable, first_those};
use super::format::encode;
use super::time::Time;

/// Runs, failed ones first (Forge: failures visually distinct and sorted
/// first), each group in the order given (newest first). No action buttons.
#[component]
pub fn RunTable(runs: Vec<Run>) -> impl IntoView {
    let runs = first_those(runs, |r| r.status == RunStatus::Failed);
    if runs.is_empty() {
        return view! { <p class="muted">"No runs stored."</p> }.into_any();
    }
    view! {
        <DataTable class="runs" label="Runs" headers=vec!["Status", "Run", "Job", "Worker", "Engine", "Started", "Failure reason"]>
                {runs
                    .into_iter()
                    .map(|run| {
                        let href = format!("/runs/{}", encode(&run.run_id));
                        view! {
                            <tr class=status_class(run.status) data-run-id=run.run_id.clone()>
                                <td>
                                    <span class="badge">{run.status.as_str()}</span>
                                </td>
                                <td class="mono">
                                    <a href=href>{run.run_id.clone()}</a>
                                </td>
                                <td>{run.job_name.unwrap_or_default()}</td>
                                <td>{run.worker_id.unwrap_or_default()}</td>
                                <td>{run.engine.unwrap_or_default()}</td>
                                <td class="nowrap">{run.start_time.map(|at| view! { <Time at /> })}</td>
                                <td class="message">{run.failure_reason.unwrap_or_default()}</td>
                            </tr>
                        }
                    })
                    .collect_view()}
        </DataTable>
    }
        .into_any()
}

pub fn status_class(status: RunStatus) -> &'static str {
    match status {
        RunStatus::Failed => "status-failed",
        RunStatus::Running => "status-running",
        RunStatus::Queued => "status-queued",
        RunStatus::Completed => "status-completed",
    }
}
