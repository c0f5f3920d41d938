//! Full-text search on the seeded log: how long the index takes to reach
//! the end of the log once the seeding stops, then the latency of searches
//! for a rare word, a word nearly every event holds, three words naming
//! one run, and a word no event holds.

use std::time::{Duration, Instant};

use serde::Serialize;

use crate::Error;
use crate::load::{Figures, read_latency};

#[derive(Serialize)]
pub struct SearchFigures {
    /// Events not yet searchable when the seeding's last batch was answered.
    pub lag_at_start: u64,
    /// From then until every stored event was searchable.
    pub caught_up_seconds: f64,
    pub searches: Vec<Figures>,
}

async fn unsearched(client: &reqwest::Client, base: &str) -> Result<u64, Error> {
    let page: serde_json::Value = client
        .get(format!("{base}/v1/events?q=catchupprobe&limit=1"))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    page["unsearched"]
        .as_u64()
        .ok_or_else(|| format!("no `unsearched` in {page}").into())
}

/// A request's path by its number.
type Path = Box<dyn Fn(usize) -> String>;

pub async fn measure(base: &str, runs: usize, requests: usize) -> Result<SearchFigures, Error> {
    let client = reqwest::Client::new();
    let start = Instant::now();
    let lag_at_start = unsearched(&client, base).await?;
    while unsearched(&client, base).await? > 0 {
        if start.elapsed() > Duration::from_secs(600) {
            return Err("the search index did not catch up within 10 minutes".into());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let caught_up_seconds = start.elapsed().as_secs_f64();
    let runs = runs.max(1);
    let mut searches = Vec::new();
    let cases: [(&str, Path, &str); 4] = [
        (
            "search a rare word (q=failed)",
            Box::new(|_| "/v1/events?q=failed".to_owned()),
            "execution_failed",
        ),
        (
            "search a common word (q=progress)",
            Box::new(|_| "/v1/events?q=progress".to_owned()),
            "progress_update",
        ),
        (
            "search one run's words (q=seed run N)",
            Box::new(move |i| format!("/v1/events?q=seed%20run%20{}", (i * 7919) % runs)),
            "seed-run-",
        ),
        (
            "search a word no event holds",
            Box::new(|_| "/v1/events?q=nowhereword".to_owned()),
            "\"events\":[]",
        ),
    ];
    for (name, path, expect) in cases {
        searches.push(read_latency(base, name, path, expect, requests).await?);
    }
    Ok(SearchFigures {
        lag_at_start,
        caught_up_seconds,
        searches,
    })
}

pub fn print(s: &SearchFigures) {
    println!(
        "search index: {} events behind when the seeding ended, caught up {:.2} s later",
        s.lag_at_start, s.caught_up_seconds
    );
    for f in &s.searches {
        println!(
            "{:<44} {:>6} {:>14} {:>10.2} {:>10.2}",
            f.name, f.connections, "", f.p50_ms, f.p99_ms
        );
    }
}
