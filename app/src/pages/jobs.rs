use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use telltale_model::{Change, CheckState, JobOverview, JobOverviewPage};

use crate::components::badge::{HealthBadge, RunStrip, health_row_class};
use crate::components::chart::Sparkline;
use crate::components::data_table::DataTable;
use crate::components::format::{encode, percent};
use crate::components::loaded::Loaded;
use crate::components::time::Time;
use crate::live::use_live;
use crate::server_fns::status::list_job_overviews;

/// Every job with its health (FAILING, or its check state), DOWN and LATE
/// first. The filters are a
/// plain GET form, so `?state=` and `?text=` are in the address (shareable,
/// back button works) with or without JavaScript; `?before=` is the page's
/// cursor, as on every list.
#[component]
pub fn JobsPage() -> impl IntoView {
    let live = use_live(&[Change::Jobs, Change::Runs]);
    let query = use_query_map();
    let filter = move || {
        query.with(|q| {
            let state = q
                .get("state")
                .and_then(|s| CheckState::parse(&s.to_ascii_uppercase()));
            let text = q.get("text").filter(|t| !t.trim().is_empty());
            (state, text)
        })
    };
    let before = move || query.with(|q| q.get("before"));
    let jobs = crate::data::data(
        move || (filter(), before(), live.get()),
        |((state, text), before, _)| list_job_overviews(state, text, before),
    );
    // The form shows the filter the page was loaded with.
    let (state, text) = untrack(filter);

    view! {
        <Title text="Jobs" />
        <h1>"Jobs"</h1>
        <p>
            <a href="/new-job" data-testid="declare-job">"Declare a job before its first run"</a>
        </p>
        <JobFilterForm state text />
        <Loaded data=jobs loading="Loading jobs…" let:page>
            <JobTable page />
        </Loaded>
    }
}

#[component]
fn JobFilterForm(state: Option<CheckState>, text: Option<String>) -> impl IntoView {
    view! {
        <form method="get" action="/jobs" class="filters" role="search">
            <label for="job-state">"State"</label>
            <select id="job-state" name="state">
                <option value="" selected=state.is_none()>
                    "any"
                </option>
                {CheckState::ALL
                    .into_iter()
                    .map(|s| {
                        view! {
                            <option value=s.as_str() selected=state == Some(s)>
                                {s.as_str()}
                            </option>
                        }
                    })
                    .collect_view()}
            </select>
            <label for="job-filter">"Name"</label>
            <input
                id="job-filter"
                type="search"
                data-page-search
                name="text"
                placeholder="part of the job name"
                autocomplete="off"
                value=text.unwrap_or_default()
            />
            <button type="submit">"Filter"</button>
        </form>
    }
}

#[component]
fn JobTable(page: JobOverviewPage) -> impl IntoView {
    let JobOverviewPage {
        jobs,
        total,
        failing,
        down,
        late,
        next_cursor,
    } = page;
    if jobs.is_empty() {
        return view! { <p class="muted">"No job matches."</p> }.into_any();
    }
    let summary = format!("{total} jobs: {failing} FAILING, {down} DOWN, {late} LATE");
    // The next page keeps the filters: the current address plus `before`.
    let next = next_cursor.map(|cursor| {
        let query = use_query_map();
        let mut parts: Vec<String> = ["state", "text"]
            .into_iter()
            .filter_map(|k| {
                query
                    .with_untracked(|q| q.get(k))
                    .map(|v| format!("{k}={}", encode(&v)))
            })
            .collect();
        parts.push(format!("before={}", encode(&cursor)));
        view! {
            <p class="pager">
                <a href=format!("/jobs?{}", parts.join("&")) rel="next">
                    "Next " {JobOverviewPage::LIMIT} " jobs"
                </a>
            </p>
        }
    });
    view! {
        <p class="count" data-testid="job-count">{summary}</p>
        <DataTable class="jobs" label="Jobs" headers=vec!["Health", "Job", "Since", "Last run", "Expected next start", "Failures in a row", "Last runs", "Success (recent)", "Durations"]>
            {jobs.into_iter().map(|o| view! { <JobRow o /> }).collect_view()}
        </DataTable>
        {next}
    }
        .into_any()
}

/// One job: its state, last run, next start, failures and recent runs.
#[component]
fn JobRow(o: JobOverview) -> impl IntoView {
    let rate = o.success_rate().map(percent);
    let ran = o.recent_runs.len();
    let durations = o.durations();
    let runs = o.recent_runs;
    let s = o.status;
    let job = s.job;
    let href = format!("/jobs/{}", encode(&job.name));
    let failures = job.consecutive_failures;
    let failures_class = if failures > 0 { "num failing" } else { "num" };
    view! {
        <tr class=health_row_class(s.health) data-job=job.name.clone() data-health=s.health.as_str()>
            <td class="nowrap">
                <HealthBadge health=s.health state=s.check_state />
            </td>
            <td>
                <a href=href>{job.name.clone()}</a>
            </td>
            <td class="nowrap">
                {s.check_state_since.map(|at| view! { <Time at /> })}
            </td>
            <td class="nowrap">
                {job
                    .last_run_id
                    .map(|id| {
                        view! {
                            <a class="mono" href=format!("/runs/{}", encode(&id))>
                                {id.clone()}
                            </a>
                        }
                    })}
                {job
                    .last_heartbeat_at
                    .map(|at| view! { <br /><Time at /> })}
            </td>
            <td class="nowrap">
                {s.expected_at.map(|at| view! { <Time at /> })}
            </td>
            <td class=failures_class>
                {failures}
            </td>
            <td>
                <RunStrip runs />
            </td>
            <td class="num" title=format!("over the last {ran} runs")>
                {rate.unwrap_or_else(|| "—".into())}
            </td>
            <td>
                <Sparkline values=durations />
            </td>
        </tr>
    }
}
