//! Runs over days as inline SVG: the failure rate as bars (scale 0–100 %)
//! and the p50 and p95 durations as two lines on their own scale. Each day
//! says its figures on hover, and the page lists them in a table too, so
//! the chart is never the only carrier.

use leptos::prelude::*;
use telltale_model::RunDay;

use super::format::{duration, fixed, percent};

#[component]
pub fn TrendChart(days: Vec<RunDay>) -> impl IntoView {
    let (w, h) = (900.0, 160.0);
    let slot = w / days.len().max(1) as f64;
    let slowest = days
        .iter()
        .filter_map(|d| d.duration_p95_seconds)
        .fold(0.0_f64, f64::max)
        .max(f64::MIN_POSITIVE)
        * 1.1;
    let y_time = move |v: f64| h - (v / slowest) * (h - 4.0);
    let bars = days
        .iter()
        .enumerate()
        .filter_map(|(i, d)| {
            let rate = d.failure_rate()?;
            let height = (rate * (h - 4.0)).max(1.0);
            let label = format!(
                "{}: {} failed of {} ended ({})",
                d.day,
                d.failed,
                d.failed + d.completed,
                percent(rate)
            );
            Some(view! {
                <rect
                    class="bar failed"
                    x=fixed(i as f64 * slot + slot * 0.15, 1)
                    y=fixed(h - height, 1)
                    width=fixed(slot * 0.7, 1)
                    height=fixed(height, 1)
                >
                    <title>{label}</title>
                </rect>
            })
        })
        .collect_view();
    let line = |pick: fn(&RunDay) -> Option<f64>, class: &'static str| {
        let points: Vec<String> = days
            .iter()
            .enumerate()
            .filter_map(|(i, d)| {
                let v = pick(d)?;
                Some(format!(
                    "{},{}",
                    fixed((i as f64 + 0.5) * slot, 1),
                    fixed(y_time(v), 1)
                ))
            })
            .collect();
        view! { <polyline class=class points=points.join(" ") fill="none" /> }
    };
    let p50 = line(|d| d.duration_p50_seconds, "trend p50");
    let p95 = line(|d| d.duration_p95_seconds, "trend p95");
    let label = format!(
        "runs per day, oldest left: failure rate as bars (0 to 100 %), duration p50 and p95 as lines (0 to {})",
        duration(slowest)
    );
    let title = label.clone();
    view! {
        <figure class="trend" data-testid="trend">
            <svg class="trend-chart" viewBox=format!("0 0 {} {}", fixed(w, 0), fixed(h, 0)) preserveAspectRatio="none" role="img" aria-label=label>
                <title>{title}</title>
                <line class="axis" x1="0" x2=fixed(w, 0) y1=fixed(h, 0) y2=fixed(h, 0) />
                {bars}
                {p50}
                {p95}
            </svg>
            <figcaption class="muted small">
                <span class="key failed">"▮ failure rate"</span>
                " · "
                <span class="key p50">"— p50 duration"</span>
                " · "
                <span class="key p95">"— p95 duration"</span>
            </figcaption>
        </figure>
    }
}
