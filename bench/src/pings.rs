//! Pings: `GET /ping/<uuid>` as a crontab line's curl sends it, spread
//! over the ping URLs of 50 jobs, at 1, 16 and 64 connections.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::Error;
use crate::load::{Figures, figures};

const JOBS: usize = 50;

/// The ping UUIDs of `JOBS` jobs, each seen once first.
async fn ping_urls(base: &str) -> Result<Vec<String>, Error> {
    let client = reqwest::Client::new();
    let mut urls = Vec::with_capacity(JOBS);
    for n in 0..JOBS {
        let job = format!("ping-job-{n}");
        let resp = client
            .post(format!("{base}/v1/events"))
            .json(&json!({
                "sourceType": "worker", "level": "info", "eventType": "note",
                "message": "seen", "jobName": job,
            }))
            .send()
            .await?;
        if !resp.status().is_success() {
            return Err(format!("{} seeding {job}", resp.status()).into());
        }
        let ping: Value = client
            .get(format!("{base}/v1/jobs/{job}/ping"))
            .send()
            .await?
            .json()
            .await?;
        let uuid = ping["uuid"].as_str().ok_or("no ping uuid")?;
        urls.push(format!("{base}/ping/{uuid}"));
    }
    Ok(urls)
}

pub async fn get_pings(base: &str, run_for: Duration) -> Result<Vec<Figures>, Error> {
    let urls = Arc::new(ping_urls(base).await?);
    let mut out = Vec::new();
    for connections in [1, 16, 64] {
        let start = Instant::now();
        let mut tasks = Vec::new();
        for c in 0..connections {
            let client = reqwest::Client::new();
            let urls = urls.clone();
            tasks.push(tokio::spawn(async move {
                let mut lat = Vec::new();
                let mut i = c;
                while start.elapsed() < run_for {
                    let url = &urls[i % urls.len()];
                    let t = Instant::now();
                    let resp = client.get(url).send().await?;
                    if !resp.status().is_success() {
                        return Err(format!("{} from {url}", resp.status()).into());
                    }
                    resp.bytes().await?;
                    lat.push(t.elapsed());
                    i += connections;
                }
                Ok::<_, Error>(lat)
            }));
        }
        let mut all = Vec::new();
        for t in tasks {
            all.extend(t.await??);
        }
        let n = all.len();
        out.push(figures(
            "GET /ping/{uuid}".into(),
            connections,
            n,
            start.elapsed(),
            all,
        ));
    }
    Ok(out)
}
