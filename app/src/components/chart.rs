//! Charts as inline SVG drawn by the component itself (no chart library):
//! a sparkline of recent durations, a bar chart of a job's runs and the
//! overview's throughput.

use leptos::prelude::*;
use telltale_model::Throughput;

use super::format::{duration, fixed};

/// `x,y` points of a polyline through `values` (oldest first), scaled into
/// `width` × `height` with the largest value at the top. One value is drawn
/// as a flat line.
pub fn polyline_points(values: &[f64], width: f64, height: f64) -> String {
    let max = values.iter().copied().fold(0.0_f64, f64::max);
    let y = |v: f64| {
        if max > 0.0 {
            height - (v / max) * height
        } else {
            height
        }
    };
    match values {
        [] => String::new(),
        [only] => {
            let at = fixed(y(*only), 1);
            format!("0,{at} {},{at}", fixed(width, 1))
        }
        _ => {
            let step = width / (values.len() - 1) as f64;
            values
                .iter()
                .enumerate()
                .map(|(i, v)| format!("{},{}", fixed(i as f64 * step, 1), fixed(y(*v), 1)))
                .collect::<Vec<_>>()
                .join(" ")
        }
    }
}

/// Recent run durations as a small line; its accessible name says what it
/// shows, so it is never the only carrier of the figures.
#[component]
pub fn Sparkline(values: Vec<f64>) -> impl IntoView {
    if values.is_empty() {
        return view! { <span class="muted">"—"</span> }.into_any();
    }
    let (w, h) = (96.0, 20.0);
    let last = values.last().copied().map(duration).unwrap_or_default();
    let label = format!("durations of the last {} runs, latest {last}", values.len());
    view! {
        <svg
            class="sparkline"
            viewBox=format!("0 0 {} {}", fixed(w, 0), fixed(h, 0))
            width=fixed(w, 0)
            height=fixed(h, 0)
            role="img"
            aria-label=label
        >
            <title>{label.clone()}</title>
            <polyline points=polyline_points(&values, w, h - 1.0) fill="none" />
        </svg>
    }
    .into_any()
}

/// One bar of the duration chart.
#[derive(Clone, Debug, PartialEq)]
pub struct Bar {
    pub seconds: f64,
    pub failed: bool,
    pub label: String,
}

/// A job's run durations as bars (oldest left), failed runs in the failure
/// color, with p50 and p95 as labelled lines.
#[component]
pub fn DurationChart(bars: Vec<Bar>, p50: Option<f64>, p95: Option<f64>) -> impl IntoView {
    if bars.is_empty() {
        return view! { <p class="muted">"No ended run with a start and an end."</p> }.into_any();
    }
    let (w, h) = (900.0, 140.0);
    // Headroom above the longest bar keeps the p95 label inside the chart.
    let max = bars
        .iter()
        .map(|b| b.seconds)
        .chain(p95)
        .fold(0.0_f64, f64::max)
        .max(f64::MIN_POSITIVE)
        * 1.15;
    let slot = w / bars.len() as f64;
    let y = move |v: f64| h - (v / max) * (h - 4.0);
    let rects = bars
        .into_iter()
        .enumerate()
        .map(|(i, b)| {
            let top = y(b.seconds);
            let class = if b.failed { "bar failed" } else { "bar" };
            view! {
                <rect
                    class=class
                    x=fixed(i as f64 * slot + slot * 0.1, 1)
                    y=fixed(top, 1)
                    width=fixed(slot * 0.8, 1)
                    height=fixed((h - top).max(1.0), 1)
                >
                    <title>{b.label}</title>
                </rect>
            }
        })
        .collect_view();
    let line = move |v: Option<f64>, name: &'static str| {
        v.map(|v| {
            let at = fixed(y(v), 1);
            view! {
                <line class=format!("mark {name}") x1="0" x2=fixed(w, 0) y1=at.clone() y2=at.clone() />
                <text class="mark-label" x=fixed(w - 4.0, 0) y=at text-anchor="end" dy="-3">
                    {format!("{name} {}", duration(v))}
                </text>
            }
        })
    };
    view! {
        <svg
            class="duration-chart"
            viewBox=format!("0 0 {} {}", fixed(w, 0), fixed(h, 0))
            role="img"
            aria-label="durations of the job's recent runs, oldest left; failed runs marked"
        >
            {rects}
            {line(p50, "p50")}
            {line(p95, "p95")}
        </svg>
    }
    .into_any()
}

/// Events received per minute over the last hour, one bar a minute, oldest
/// left. Each bar's tooltip says its minute and count; the figures are in
/// the text beside it too, so the chart is never the only carrier.
#[component]
pub fn ThroughputChart(t: Throughput) -> impl IntoView {
    let (w, h) = (600.0, 60.0);
    let n = t.counts.len();
    let peak = t.peak();
    let summary = format!(
        "{} events received in the last hour; busiest minute {peak}",
        t.total()
    );
    let slot = w / n.max(1) as f64;
    let scale = (h - 2.0) / peak.max(1) as f64;
    let rects = t
        .counts
        .iter()
        .enumerate()
        .filter(|(_, c)| **c > 0)
        .map(|(i, &c)| {
            let height = (c as f64 * scale).max(1.0);
            // Buckets are clock minutes, the last one the current minute.
            let when = match n - 1 - i {
                0 => "this minute".to_owned(),
                1 => "the minute before".to_owned(),
                ago => format!("{ago} minutes ago"),
            };
            view! {
                <rect
                    class="bar"
                    x=fixed(i as f64 * slot + slot * 0.1, 1)
                    y=fixed(h - height, 1)
                    width=fixed(slot * 0.8, 1)
                    height=fixed(height, 1)
                >
                    <title>{format!("{when}: {c} events")}</title>
                </rect>
            }
        })
        .collect_view();
    view! {
        <figure class="throughput" data-testid="throughput">
            <svg
                class="throughput-chart"
                viewBox=format!("0 0 {} {}", fixed(w, 0), fixed(h, 0))
                preserveAspectRatio="none"
                role="img"
                aria-label=format!("events per minute over the last hour, oldest left: {summary}")
            >
                <line class="axis" x1="0" x2=fixed(w, 0) y1=fixed(h, 0) y2=fixed(h, 0) />
                {rects}
            </svg>
            <figcaption class="muted">{summary} " · 60 min ago → now"</figcaption>
        </figure>
    }
}

#[cfg(test)]
mod tests {
    use super::polyline_points;

    #[test]
    fn the_longest_run_touches_the_top() {
        assert_eq!(
            polyline_points(&[1.0, 2.0, 0.0], 10.0, 20.0),
            "0.0,10.0 5.0,0.0 10.0,20.0"
        );
        assert_eq!(polyline_points(&[3.0], 10.0, 20.0), "0,0.0 10.0,0.0");
        assert_eq!(polyline_points(&[], 10.0, 20.0), "");
        assert_eq!(
            polyline_points(&[0.0, 0.0], 10.0, 20.0),
            "0.0,20.0 10.0,20.0"
        );
    }
}
