//! Ingest while alert delivery is stuck: a webhook receiver that accepts
//! connections and never answers. Delivery runs beside ingest, so the
//! figures with and without it should match.

use std::time::Duration;

use serde_json::json;
use tokio::net::TcpListener;

use crate::Error;
use crate::load::{Figures, post_failures};

/// A receiver that accepts connections and holds them, silent, forever.
async fn hanging_receiver() -> Result<String, Error> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    Ok(format!("http://{addr}/hook"))
}

/// The same failure workload twice: first with no delivery target, then
/// with every FAILURE alert queued for a webhook that hangs.
pub async fn ingest_with_hanging_webhook(
    base: &str,
    run_for: Duration,
) -> Result<Vec<Figures>, Error> {
    let without = post_failures(
        base,
        "POST /v1/events (failures, no webhook)",
        "plain",
        2000,
        64,
        run_for,
    )
    .await?;
    let url = hanging_receiver().await?;
    let created = reqwest::Client::new()
        .post(format!("{base}/v1/settings/alerts/webhooks"))
        .json(&json!({"name": "hangs", "url": url, "enabledAlertTypes": ["FAILURE"]}))
        .send()
        .await?;
    if !created.status().is_success() {
        return Err(format!("webhook not created: {}", created.text().await?).into());
    }
    let with = post_failures(
        base,
        "POST /v1/events (failures, hanging webhook)",
        "hung",
        2000,
        64,
        run_for,
    )
    .await?;
    Ok(vec![without, with])
}
