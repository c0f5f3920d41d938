//! The few admin and read calls the soak makes besides ingest.

use serde_json::{Value, json};
use telltale_model::AlertType;

use super::{Result, SoakError};

async fn checked(what: &'static str, r: reqwest::Response) -> Result<Value> {
    let status = r.status();
    if !status.is_success() {
        let body = r.text().await.unwrap_or_default();
        return Err(SoakError::Answer {
            what,
            status: status.as_u16(),
            body: body.chars().take(300).collect(),
        });
    }
    Ok(r.json().await?)
}

/// Registers the receiver for every alert type unless a webhook with its
/// URL is already stored (webhooks live in the database, so they survive
/// restarts). Says whether it had to create one.
pub async fn ensure_webhook(
    client: &reqwest::Client,
    base: &str,
    url: &str,
    secret: &str,
) -> Result<bool> {
    let list = checked(
        "GET /v1/settings/alerts/webhooks",
        client
            .get(format!("{base}/v1/settings/alerts/webhooks"))
            .send()
            .await?,
    )
    .await?;
    let known = list["webhooks"]
        .as_array()
        .is_some_and(|hooks| hooks.iter().any(|h| h["url"] == url));
    if known {
        return Ok(false);
    }
    let types: Vec<&str> = AlertType::ALL.iter().map(|t| t.as_str()).collect();
    checked(
        "POST /v1/settings/alerts/webhooks",
        client
            .post(format!("{base}/v1/settings/alerts/webhooks"))
            .json(&json!({
                "name": "soak receiver", "url": url,
                "enabledAlertTypes": types, "secret": secret,
            }))
            .send()
            .await?,
    )
    .await?;
    Ok(true)
}

/// Every FAILURE alert of one job, open or closed.
pub async fn failure_alerts(client: &reqwest::Client, base: &str, job: &str) -> Result<Vec<Value>> {
    let list = checked(
        "GET /v1/alerts",
        client
            .get(format!("{base}/v1/alerts"))
            .query(&[("type", "FAILURE"), ("job", job), ("limit", "100")])
            .send()
            .await?,
    )
    .await?;
    Ok(list["alerts"].as_array().cloned().unwrap_or_default())
}
