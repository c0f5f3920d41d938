use leptos::prelude::*;
use leptos_meta::Title;
use telltale_model::{Change, WorkerState, WorkerStatus};

use crate::components::badge::WorkerBadge;
use crate::components::data_table::DataTable;
use crate::components::format::encode;
use crate::components::loaded::Loaded;
use crate::components::time::Time;
use crate::form_action::{FormAction, SubmitForm};
use crate::live::use_live;
use crate::server_fns::workers::list_worker_states;

/// Workers: offline first (they are what needs a look), then busy, then
/// idle; each with its current run, last heartbeat and hostname. No action
/// buttons.
#[component]
pub fn WorkersPage() -> impl IntoView {
    let live = use_live(&[Change::Workers]);
    let workers = crate::data::data(move || live.get(), move |_| list_worker_states());
    view! {
        <Title text="Workers" />
        <h1>"Workers"</h1>
        <Loaded data=workers loading="Loading workers…" let:workers>
            <WorkerTable workers />
        </Loaded>
        <ForgetWorkerForm />
    }
}

/// For admins: forget a decommissioned worker (it leaves the list, its
/// WORKER_OFFLINE alert closes; it comes back if it reports again).
#[component]
fn ForgetWorkerForm() -> impl IntoView {
    use crate::components::loaded::action_error;
    use crate::server_fns::jobs::ForgetWorker;
    let forget = FormAction::<ForgetWorker>::new();
    let admin = crate::data::data(
        || (),
        |_| async {
            Ok::<_, crate::error::AppError>(
                crate::server_fns::auth::may_administer()
                    .await
                    .unwrap_or(false),
            )
        },
    );
    view! {
        <Loaded data=admin loading="" let:admin>
            {admin.then(|| view! {
                <details class="manage" data-testid="forget-worker">
                    <summary>"Forget a decommissioned worker"</summary>
                    {action_error(forget)}
                    <SubmitForm action=forget attr:class="inline-form">
                        <label for="forget-worker-id">"Worker id"</label>
                        <input id="forget-worker-id" type="text" name="worker" required />
                        <button type="submit">"Forget it"</button>
                    </SubmitForm>
                </details>
            })}
        </Loaded>
    }
}

/// Offline, busy, idle; by id within each.
pub fn sort_offline_first(workers: &mut [WorkerState]) {
    let rank = |s: WorkerStatus| match s {
        WorkerStatus::Offline => 0,
        WorkerStatus::Busy => 1,
        WorkerStatus::Idle => 2,
    };
    workers.sort_by(|a, b| {
        rank(a.status)
            .cmp(&rank(b.status))
            .then(a.worker.worker_id.cmp(&b.worker.worker_id))
    });
}

#[component]
pub fn WorkerTable(mut workers: Vec<WorkerState>) -> impl IntoView {
    if workers.is_empty() {
        return view! { <p class="muted">"No worker has reported."</p> }.into_any();
    }
    sort_offline_first(&mut workers);
    let count = |s: WorkerStatus| workers.iter().filter(|w| w.status == s).count();
    let summary = format!(
        "{} workers: {} offline, {} busy, {} idle",
        workers.len(),
        count(WorkerStatus::Offline),
        count(WorkerStatus::Busy),
        count(WorkerStatus::Idle)
    );
    view! {
        <p class="count" data-testid="worker-count">{summary}</p>
        <DataTable class="workers" label="Workers" headers=vec!["Status", "Worker", "Host", "Current run", "Last heartbeat", "Interval"]>
                    {workers
                        .into_iter()
                        .map(|ws| {
                            let w = ws.worker;
                            let class = if ws.status == WorkerStatus::Offline { "row-down" } else { "" };
                            view! {
                                <tr class=class data-worker=w.worker_id.clone()>
                                    <td>
                                        <WorkerBadge status=ws.status />
                                    </td>
                                    <td class="mono">{w.worker_id.clone()}</td>
                                    <td>{w.hostname.unwrap_or_default()}</td>
                                    <td class="mono">
                                        {w
                                            .current_run_id
                                            .map(|id| {
                                                view! { <a href=format!("/runs/{}", encode(&id))>{id.clone()}</a> }
                                            })}
                                    </td>
                                    <td class="nowrap">
                                        {match w.last_heartbeat_at {
                                            Some(at) => view! { <Time at /> }.into_any(),
                                            None => view! { <span class="muted">"never"</span> }.into_any(),
                                        }}
                                    </td>
                                    <td class="num">{format!("{} s", w.interval_seconds)}</td>
                                </tr>
                            }
                        })
                        .collect_view()}
        </DataTable>
    }
        .into_any()
}
