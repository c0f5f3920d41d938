//! Ingest while alert delivery works and while it is stuck: the same
//! failure workload with no delivery target, with a webhook receiver that
//! answers at once, and with one that accepts connections and never
//! answers. Delivery runs beside ingest; the middle phase separates what a
//! configured target costs (a delivery row per alert, the sender's claims)
//! from what a hung one adds.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use serde_json::{Value, json};
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

/// Requests the answering receiver has answered.
static ANSWERED: AtomicUsize = AtomicUsize::new(0);

/// A receiver that answers every delivery 204 at once.
async fn answering_receiver() -> Result<String, Error> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(|| async {
            ANSWERED.fetch_add(1, Ordering::Relaxed);
            axum::http::StatusCode::NO_CONTENT
        }),
    );
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok(format!("http://{addr}/hook"))
}

/// Adds a webhook for FAILURE alerts; its id.
async fn add_webhook(base: &str, name: &str, url: &str) -> Result<i64, Error> {
    let created = reqwest::Client::new()
        .post(format!("{base}/v1/settings/alerts/webhooks"))
        .json(&json!({"name": name, "url": url, "enabledAlertTypes": ["FAILURE"]}))
        .send()
        .await?;
    if !created.status().is_success() {
        return Err(format!("webhook not created: {}", created.text().await?).into());
    }
    let body: Value = created.json().await?;
    body["webhook"]["id"]
        .as_i64()
        .ok_or_else(|| format!("no webhook id in {body}").into())
}

async fn remove_webhook(base: &str, id: i64) -> Result<(), Error> {
    let removed = reqwest::Client::new()
        .delete(format!("{base}/v1/settings/alerts/webhooks/{id}"))
        .send()
        .await?;
    if !removed.status().is_success() {
        return Err(format!("webhook not removed: {}", removed.text().await?).into());
    }
    Ok(())
}

/// The failure workload three times, each on new jobs (each job's first
/// failure opens a FAILURE alert): no target, an answering webhook, a
/// hanging webhook.
pub async fn ingest_while_delivering(base: &str, run_for: Duration) -> Result<Vec<Figures>, Error> {
    let phase = |name: &'static str, prefix: &'static str| {
        post_failures(base, name, prefix, 2000, 64, run_for)
    };
    let without = phase("POST /v1/events (failures, no webhook)", "plain").await?;
    let answers = add_webhook(base, "answers", &answering_receiver().await?).await?;
    let answered = phase("POST /v1/events (failures, answering webhook)", "sent").await?;
    // Said, so that a phase whose deliveries never left is not mistaken
    // for a cheap one.
    eprintln!(
        "answering webhook: {} deliveries received during its phase",
        ANSWERED.load(Ordering::Relaxed)
    );
    remove_webhook(base, answers).await?;
    add_webhook(base, "hangs", &hanging_receiver().await?).await?;
    let hung = phase("POST /v1/events (failures, hanging webhook)", "hung").await?;
    Ok(vec![without, answered, hung])
}
