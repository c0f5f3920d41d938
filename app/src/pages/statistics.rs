//! Run statistics: runs by engine and by worker, the failure rate and the
//! p50/p95 durations a day at a time, for every job or one. The filters are
//! a plain GET form, so a view is an address and works without JavaScript.

use std::collections::BTreeMap;

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use telltale_model::{Change, RunDay, RunStatistics};

use crate::components::data_table::DataTable;
use crate::components::format::{duration, percent};
use crate::components::loaded::Loaded;
use crate::components::trend_chart::TrendChart;
use crate::live::use_live;
use crate::server_fns::runs::get_run_statistics;

#[component]
pub fn StatisticsPage() -> impl IntoView {
    let live = use_live(&[Change::Runs]);
    let query = use_query_map();
    let wanted = move || {
        query.with(|q| {
            let job = q.get("job").filter(|j| !j.trim().is_empty());
            let days = q.get("days").and_then(|d| d.trim().parse::<u32>().ok());
            (job, days)
        })
    };
    let stats = crate::data::data(
        move || (wanted(), live.get()),
        |((job, days), _)| get_run_statistics(job, days),
    );
    let (job, days) = untrack(wanted);
    view! {
        <Title text="Run statistics" />
        <h1>"Run statistics"</h1>
        <form method="get" action="/statistics" class="filters" role="search" aria-label="Which runs">
            <label for="stats-job">"Job"</label>
            <input id="stats-job" type="search" name="job" data-page-search placeholder="every job" value=job.unwrap_or_default() />
            <label for="stats-days">"Days"</label>
            <input
                id="stats-days"
                type="number"
                name="days"
                min="1"
                max=RunStatistics::MAX_DAYS
                value=days.unwrap_or(RunStatistics::DEFAULT_DAYS)
            />
            <button type="submit">"Show"</button>
        </form>
        <Loaded data=stats loading="Loading statistics…" let:s>
            <StatisticsView s />
        </Loaded>
    }
}

#[component]
fn StatisticsView(s: RunStatistics) -> impl IntoView {
    let st = s.stats;
    let summary = format!(
        "{} runs; failure rate {}; duration p50 {}, p95 {}",
        st.total,
        st.failure_rate.map(percent).unwrap_or_else(|| "—".into()),
        st.duration_p50_seconds
            .map(duration)
            .unwrap_or_else(|| "—".into()),
        st.duration_p95_seconds
            .map(duration)
            .unwrap_or_else(|| "—".into()),
    );
    view! {
        <p class="count" data-testid="stats-summary">{summary}</p>
        <h2>"By day"</h2>
        <TrendChart days=s.days.clone() />
        <DayTable days=s.days />
        <div class="stats-columns">
            <section>
                <h2>"By engine"</h2>
                <CountTable what="Engine" label="Runs by engine" counts=st.by_engine testid="by-engine" />
            </section>
            <section>
                <h2>"By worker"</h2>
                <CountTable what="Worker" label="Runs by worker" counts=st.by_worker testid="by-worker" />
            </section>
        </div>
    }
}

/// The chart's figures as text, newest day first.
#[component]
fn DayTable(days: Vec<RunDay>) -> impl IntoView {
    let rows = days
        .into_iter()
        .rev()
        .map(|d| {
            let rate = d.failure_rate().map(percent).unwrap_or_else(|| "—".into());
            let p50 = d
                .duration_p50_seconds
                .map(duration)
                .unwrap_or_else(|| "—".into());
            let p95 = d
                .duration_p95_seconds
                .map(duration)
                .unwrap_or_else(|| "—".into());
            view! {
                <tr data-day=d.day.to_string()>
                    <td class="nowrap">{d.day.to_string()}</td>
                    <td class="num">{d.completed}</td>
                    <td class="num">{d.failed}</td>
                    <td class="num">{rate}</td>
                    <td class="num">{p50}</td>
                    <td class="num">{p95}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <details class="day-table">
            <summary>"The figures by day"</summary>
            <DataTable class="days" label="Runs by day" headers=vec!["Day (UTC)", "Completed", "Failed", "Failure rate", "p50", "p95"]>
                {rows}
            </DataTable>
        </details>
    }
}

/// Runs per engine or worker, most first, each with its share.
#[component]
fn CountTable(
    what: &'static str,
    /// The name of the table's scrolling region.
    label: &'static str,
    counts: BTreeMap<String, u64>,
    testid: &'static str,
) -> impl IntoView {
    let total: u64 = counts.values().sum();
    let mut rows: Vec<(String, u64)> = counts.into_iter().collect();
    rows.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    view! {
        <div class="table-wrap" role="region" aria-label=label tabindex="0">
            <table class="events counts-table" data-testid=testid>
                <thead>
                    <tr>
                        <th>{what}</th>
                        <th class="num">"Runs"</th>
                        <th class="num">"Share"</th>
                    </tr>
                </thead>
                <tbody>
                    {rows
                        .into_iter()
                        .map(|(name, n)| {
                            let share = percent(n as f64 / total.max(1) as f64);
                            view! {
                                <tr>
                                    <td class="mono">{name}</td>
                                    <td class="num">{n}</td>
                                    <td class="num">{share}</td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
}
