use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};
use telltale_model::{Change, RejectedTransition, RunDetail, RunFilter, RunOrder, RunStatus};

use crate::components::event_table::{EventTable, MetadataBlock};
use crate::components::format::fixed;
use crate::components::loaded::Loaded;
use crate::components::pager::{Pager, use_page};
use crate::components::run_table::{RunTable, status_class};
use crate::components::time::Time;
use crate::live::use_live;
use crate::server_fns::runs::{get_run_detail, list_runs};

/// Runs, failed ones first (Forge: failures visually distinct and sorted
/// first) across every page, then the rest newest first, a page at a time
/// (cursor in the URL). No action buttons: observation only.
#[component]
pub fn RunsPage() -> impl IntoView {
    let live = use_live(&[Change::Runs, Change::Events]);
    let query = use_query_map();
    let page = use_page(200);
    // Filters are a plain GET form, so they live in the address (shareable,
    // the back button works) and paging carries them along.
    let text = move |key: &str| {
        query.with(|q| {
            q.get(key)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        })
    };
    let filter = move || RunFilter {
        status: text("status")
            .and_then(|s| RunStatus::parse(&s.to_ascii_lowercase()))
            .into_iter()
            .collect(),
        job: text("job"),
        worker: text("worker"),
        engine: text("engine"),
        text: text("text"),
        // On the server, so an old failure is not pages away.
        order: RunOrder::FailuresFirst,
        ..Default::default()
    };
    let runs = crate::data::data(
        move || (filter(), page.get(), live.get()),
        move |(filter, (paging, limit), _)| {
            list_runs(RunFilter {
                before: paging.before,
                limit: Some(limit),
                ..filter
            })
        },
    );
    let params = move || {
        ["status", "job", "worker", "engine", "text", "limit"]
            .into_iter()
            .map(|k| (k, text(k).unwrap_or_default()))
            .collect::<Vec<_>>()
    };
    let current = untrack(filter);
    view! {
        <Title text="Runs" />
        <h1>"Runs"</h1>
        <p>
            <a href="/statistics">"Statistics: by engine, by worker, and by day"</a>
        </p>
        <RunFilterForm current />
        <Loaded data=runs loading="Loading runs…" let:runs>
            <RunTable runs=runs.runs />
            <Pager
                path="/runs"
                params=Signal::derive(params)
                paging=page.get_untracked().0
                next_cursor=runs.next_cursor
            />
        </Loaded>
    }
}

/// The filters, as a plain GET form showing those the page was loaded with.
#[component]
fn RunFilterForm(current: RunFilter) -> impl IntoView {
    let field =
        move |id: &'static str, name: &'static str, label: &'static str, value: Option<String>| {
            view! {
                <label for=id>{label}</label>
                <input id=id type="search" name=name value=value.unwrap_or_default() />
            }
        };
    view! {
        <form method="get" action="/runs" class="filters" role="search">
            <label for="run-status">"Status"</label>
            <select id="run-status" name="status">
                <option value="" selected=current.status.is_empty()>
                    "any"
                </option>
                {RunStatus::ALL
                    .into_iter()
                    .map(|s| {
                        view! {
                            <option value=s.as_str() selected=current.status.contains(&s)>
                                {s.as_str()}
                            </option>
                        }
                    })
                    .collect_view()}
            </select>
            {field("run-job", "job", "Job", current.job.clone())}
            {field("run-worker", "worker", "Worker", current.worker.clone())}
            {field("run-engine", "engine", "Engine", current.engine.clone())}
            <label for="run-text">"Text"</label>
            <input
                id="run-text"
                type="search"
                name="text"
                data-page-search
                value=current.text.clone().unwrap_or_default()
            />
            <button type="submit">"Filter"</button>
        </form>
    }
}

/// One run: every Forge field, the verbatim failure reason, the complete
/// timeline, and any transition refused because the run had ended.
#[component]
pub fn RunDetailPage() -> impl IntoView {
    let live = use_live(&[Change::Runs, Change::Events]);
    let params = use_params_map();
    let detail = crate::data::data(
        move || (params.read().get("id").unwrap_or_default(), live.get()),
        |(id, _)| get_run_detail(id),
    );
    view! {
        <Loaded data=detail loading="Loading run…" let:d>
            <RunView d />
        </Loaded>
    }
}

#[component]
fn RunView(d: RunDetail) -> impl IntoView {
    let run = d.run;
    let fields: Vec<(&'static str, Option<String>)> = vec![
        ("Job", run.job_name.clone()),
        ("Job type", run.job_type.clone()),
        ("Engine", run.engine.clone()),
        ("Worker", run.worker_id.clone()),
        ("Burn-in preset", run.burnin_preset_id.clone()),
        ("LUT", run.lut_id.clone()),
        ("Verification run", run.verification_run_id.clone()),
        ("Source", run.source_path.clone()),
        ("Output", run.output_path.clone()),
        ("Progress", run.progress.map(|p| format!("{p}%"))),
        (
            "Duration",
            run.duration_seconds().map(|s| format!("{} s", fixed(s, 1))),
        ),
    ];
    view! {
        <Title text=format!("Run {}", run.run_id) />
        <h1>
            "Run " <span class="mono">{run.run_id.clone()}</span> " "
            <span class=format!("badge {}", status_class(run.status))>{run.status.as_str()}</span>
        </h1>
        {run
            .failure_reason
            .clone()
            .map(|reason| {
                view! {
                    <h2>"Failure reason"</h2>
                    <pre class="failure" data-testid="failure-reason">{reason}</pre>
                }
            })}
        <dl class="fields">
            {fields
                .into_iter()
                .map(|(k, v)| {
                    view! {
                        <dt>{k}</dt>
                        <dd class="mono">{v.unwrap_or_else(|| "—".into())}</dd>
                    }
                })
                .collect_view()}
            <dt>"Created"</dt>
            <dd>
                <Time at=run.created_at />
            </dd>
            <dt>"Started"</dt>
            <dd>{run.start_time.map(|at| view! { <Time at /> })}</dd>
            <dt>"Ended"</dt>
            <dd>{run.end_time.map(|at| view! { <Time at /> })}</dd>
        </dl>
        <h2>"Metadata"</h2>
        <p class="muted small">"Every key the run's events carried, merged: a later event's value wins."</p>
        <MetadataBlock metadata=run.metadata.clone() />
        <h2>"Timeline"</h2>
        <EventTable events=d.timeline text=Signal::stored(String::new()) />
        <Refused rejected=d.rejected />
    }
}

/// Transitions refused because the run had already ended, if any.
#[component]
fn Refused(rejected: Vec<RejectedTransition>) -> impl IntoView {
    (!rejected.is_empty()).then(|| {
        view! {
            <h2>"Refused transitions"</h2>
            <ul class="rejected">
                {rejected
                    .into_iter()
                    .map(|r| {
                        view! {
                            <li>
                                <Time at=r.at />
                                " "
                                <span class="mono">{r.event_type}</span>
                                ": "
                                {r.reason}
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        }
    })
}
