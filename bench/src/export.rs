//! Export memory: `GET /v1/export/events.ndjson` of every stored event,
//! read by one client as fast as it takes it, while the server's resident
//! memory is sampled. The export streams keyset pages, so its peak should
//! sit a page's worth above where it started, however many events there are.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::Error;
use crate::server::Server;

#[derive(Debug, Serialize)]
pub struct ExportFigures {
    pub events: u64,
    pub bytes: u64,
    pub seconds: f64,
    pub events_per_second: f64,
    /// The server's resident memory just before the export.
    pub rss_before_mib: f64,
    /// Its highest resident memory during the export: the largest of the
    /// samples (every 10 ms) and the kernel's high-water mark, reset just
    /// before the export began.
    pub peak_rss_during_mib: f64,
}

pub async fn export_events(server: &Server, expected: u64) -> Result<ExportFigures, Error> {
    let rss_before_mib = server.rss_mib()?;
    // The high-water mark since start-up includes seeding; from here on it
    // measures the export alone.
    server.reset_peak_rss()?;
    let stop = Arc::new(AtomicBool::new(false));
    let sampler = {
        let (stop, pid) = (stop.clone(), server.pid());
        tokio::spawn(async move {
            let mut peak: f64 = 0.0;
            while !stop.load(Ordering::Relaxed) {
                if let Ok(mib) = crate::server::status_mib(pid, "VmRSS:") {
                    peak = peak.max(mib);
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            peak
        })
    };

    let start = Instant::now();
    let mut resp = reqwest::Client::new()
        .get(format!("{}/v1/export/events.ndjson", server.base))
        .send()
        .await?;
    if !resp.status().is_success() {
        return Err(format!("{} from the export", resp.status()).into());
    }
    let (mut events, mut bytes, mut last) = (0u64, 0u64, 0u8);
    while let Some(chunk) = resp.chunk().await? {
        events += chunk.iter().filter(|b| **b == b'\n').count() as u64;
        bytes += chunk.len() as u64;
        last = chunk.last().copied().unwrap_or(last);
    }
    let seconds = start.elapsed().as_secs_f64();
    stop.store(true, Ordering::Relaxed);
    let sampled = sampler.await?;
    let peak_rss_during_mib = sampled.max(server.peak_rss_mib()?);
    if events != expected || last != b'\n' {
        return Err(format!(
            "the export had {events} lines (last byte {last:?}); {expected} events are stored"
        )
        .into());
    }
    Ok(ExportFigures {
        events,
        bytes,
        seconds,
        events_per_second: events as f64 / seconds,
        rss_before_mib,
        peak_rss_during_mib,
    })
}

pub fn print(f: &ExportFigures) {
    println!(
        "export {} events as NDJSON ({:.0} MiB): {:.1} s, {:.0} events/s; server RSS {:.1} MiB before, peak {:.1} MiB during",
        f.events,
        f.bytes as f64 / (1024.0 * 1024.0),
        f.seconds,
        f.events_per_second,
        f.rss_before_mib,
        f.peak_rss_during_mib
    );
}
