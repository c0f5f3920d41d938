//! The table a soak prints at the end (`docs/soak.md` explains it).

use super::report::{KindRow, Report};

fn secs(v: Option<f64>) -> String {
    v.map_or_else(|| "-".to_owned(), |ms| format!("{:.2} s", ms / 1000.0))
}

pub fn print(r: &Report) {
    println!(
        "\nsoak {} — seed {}, {:.1} min, {} connections, ~{} req/s{}",
        r.backend,
        r.seed,
        r.minutes,
        r.connections,
        r.rate,
        if r.skipped.is_empty() {
            String::new()
        } else {
            format!(", skipping {}", r.skipped.join(","))
        }
    );
    print_requests(r);
    print_canaries(r);
    print_chaos_and_health(r);
    print_problems(r);
    println!(
        "{}: {} of {} canaries alerted and delivered exactly once",
        if r.passed { "PASS" } else { "FAIL" },
        r.canaries_passed,
        r.canaries.len()
    );
}

/// Requests by kind, with a total, and what became of the events.
fn print_requests(r: &Report) {
    println!(
        "{:<18} {:>8} {:>8} {:>8} {:>6} {:>8} {:>6} {:>10}",
        "requests", "sent", "2xx", "4xx", "5xx", "dropped", "other", "in-window"
    );
    let mut total = KindRow {
        kind: "total",
        ..Default::default()
    };
    for row in &r.requests {
        print_row(row);
        total.sent += row.sent;
        total.ok += row.ok;
        total.rejected += row.rejected;
        total.server_errors += row.server_errors;
        total.dropped += row.dropped;
        total.other += row.other;
        total.in_window += row.in_window;
    }
    print_row(&total);
    println!(
        "events: {} stored, {} duplicates, {} dropped inside batches, {} warnings",
        r.events_inserted, r.events_duplicate, r.events_dropped_in_batch, r.warnings
    );
}

/// The canaries: stored, alerted, delivered, and how fast.
fn print_canaries(r: &Report) {
    let n = r.canaries.len();
    let stored = r.canaries.iter().filter(|c| c.stored).count();
    let retried = r.canaries.iter().filter(|c| c.attempts > 1).count();
    let one_alert = r.canaries.iter().filter(|c| c.alerts == Some(1)).count();
    let alerts: usize = r.canaries.iter().filter_map(|c| c.alerts).sum();
    let one_delivery = r.canaries.iter().filter(|c| c.deliveries == 1).count();
    let deliveries: usize = r.canaries.iter().map(|c| c.deliveries).sum();
    let receptions: usize = r.canaries.iter().map(|c| c.receptions).sum();
    println!("canaries: {n} sent, {stored} stored ({retried} retried)");
    println!(
        "FAILURE alerts for canaries: {alerts} ({one_alert} of {n} canaries with exactly one)"
    );
    println!(
        "canary deliveries: {deliveries} distinct ({one_delivery} of {n} with exactly one), {receptions} receptions, {} refused on purpose",
        r.receiver.refused_on_purpose
    );
    println!(
        "alert latency (receiver − answer): p50 {}, p99 {}, max {}",
        secs(r.latency_p50_ms),
        secs(r.latency_p99_ms),
        secs(r.latency_max_ms)
    );
    println!(
        "receiver: {} requests, {} accepted, {} bad signatures",
        r.receiver.requests, r.receiver.accepted, r.receiver.bad_signature
    );
}

/// Restarts and cuts survived, the server's health, and its memory trend.
fn print_chaos_and_health(r: &Report) {
    let restarts: Vec<_> = r
        .chaos
        .iter()
        .filter(|d| d.action.starts_with("restart"))
        .collect();
    let cuts: Vec<_> = r.chaos.iter().filter(|d| d.action == "pg-cut").collect();
    println!(
        "restarts survived: {}/{}; connection cuts: {}/{}",
        restarts.iter().filter(|d| d.ok).count(),
        restarts.len(),
        cuts.iter().filter(|d| d.ok).count(),
        cuts.len()
    );
    let w = &r.watch;
    println!(
        "health: {} ok, {} not ok, {} unanswered; status summary: {} ok, {} failed; peak RSS {:.0} MiB",
        w.health_ok,
        w.health_degraded,
        w.health_failed,
        w.summary_ok,
        w.summary_failed,
        w.peak_rss_mib
    );
    let trend = memory_trend(&w.rss_mib);
    if !trend.is_empty() {
        println!("server RSS (MiB): {}", trend.join(", "));
    }
    if let Some(rss) = w.over_memory {
        println!("STOPPED EARLY: the server reached {rss:.0} MiB (--max-rss-mib)");
    }
}

/// About one memory sample a minute is enough to see a trend.
fn memory_trend(rss_mib: &[(f64, f64)]) -> Vec<String> {
    let mut minute = -60.0;
    let mut trend = Vec::new();
    for (t, mib) in rss_mib {
        if t - minute >= 59.0 {
            trend.push(format!("{:.0} s {mib:.0}", t));
            minute = *t;
        }
    }
    if let Some((t, mib)) = rss_mib.last()
        && *t > minute
    {
        trend.push(format!("{t:.0} s {mib:.0}"));
    }
    trend
}

/// The server log's counts and distinct lines, unexpected answers, watch
/// samples, and the failed canaries.
fn print_problems(r: &Report) {
    let l = &r.server_log;
    println!(
        "server log ({}): {} panics, {} errors, {} warnings",
        r.server_log_file, l.panics, l.errors, l.warnings
    );
    for (line, count) in &l.distinct {
        println!("  {count:>6} × {line}");
    }
    for (text, n) in &r.unexpected_samples {
        println!("  {n:>6} × unexpected: {text}");
    }
    for (text, (n, first, last)) in &r.watch.samples {
        println!("  {n:>6} × watch, {first:.0}–{last:.0} s: {text}");
    }
    let failed: Vec<_> = r.canaries.iter().filter(|c| !c.passed()).collect();
    for c in failed.iter().take(30) {
        println!("  {} (t={:.0} s): {}", c.job, c.at_s, c.problems.join("; "));
    }
    if failed.len() > 30 {
        println!(
            "  … and {} more failed canaries (see the JSON)",
            failed.len() - 30
        );
    }
}

fn print_row(r: &KindRow) {
    println!(
        "{:<18} {:>8} {:>8} {:>8} {:>6} {:>8} {:>6} {:>10}",
        r.kind, r.sent, r.ok, r.rejected, r.server_errors, r.dropped, r.other, r.in_window
    );
}
