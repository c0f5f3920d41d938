//! `/v1/settings/alerts/…`: where alert notifications go (email recipients,
//! webhooks) and test sends. Admins only (the access table sends everyone
//! else away before these run).

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use telltale_model::{
    AlertType, CreatedWebhook, EmailChannel, EmailSettings, FieldError, TestOutcome, Webhook,
    WebhookList, WebhookSettings,
};

use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;
use telltale_core::error::Resource;

/// Parses a settings body; an unknown alert type is named by its place
/// (`enabledAlertTypes[1]`), not only by serde's line and column.
fn parse<T: serde::de::DeserializeOwned>(
    body: Result<Bytes, BytesRejection>,
) -> Result<T, ApiError> {
    let body = body.map_err(|e| ApiError::BodyUnreadable(e.body_text()))?;
    let value: serde_json::Value =
        serde_json::from_slice(&body).map_err(|e| ApiError::MalformedJson(e.to_string()))?;
    if let Some(types) = value.get("enabledAlertTypes").and_then(|t| t.as_array()) {
        for (i, t) in types.iter().enumerate() {
            if t.as_str().and_then(AlertType::parse).is_none() {
                return Err(ApiError::InvalidField(FieldError::new(
                    format!("enabledAlertTypes[{i}]"),
                    format!(
                        "unknown alert type {t}; one of FAILURE, MISSED, RECOVERY, WORKER_OFFLINE"
                    ),
                )));
            }
        }
    }
    serde_json::from_value(value).map_err(|e| ApiError::MalformedJson(e.to_string()))
}

/// Who gets alert email, about which types, and how mail leaves.
#[utoipa::path(get, path = "/settings/alerts/email", tag = "settings",
    responses(
        (status = 200, body = EmailChannel),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
    ))]
pub async fn get_email(State(state): State<AppState>) -> Result<Json<EmailChannel>, ApiError> {
    let s = state.core.store().email_settings().await?;
    Ok(Json(EmailChannel::new(
        s,
        state.core.deliverer().email_transport(),
    )))
}

/// Replace the email settings (Chief §7.4).
#[utoipa::path(put, path = "/settings/alerts/email", tag = "settings",
    request_body = EmailSettings,
    responses(
        (status = 200, body = EmailChannel),
        (status = 400, description = "A bad address or an unknown alert type", body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
    ))]
pub async fn put_email(
    State(state): State<AppState>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<EmailChannel>, ApiError> {
    let settings: EmailSettings = parse(body)?;
    Ok(Json(state.core.put_email_settings(&settings).await?))
}

/// Send a test email to every recipient now; says how it went.
#[utoipa::path(post, path = "/settings/alerts/email/test", tag = "settings",
    responses(
        (status = 200, body = TestOutcome),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
    ))]
pub async fn test_email(State(state): State<AppState>) -> Result<Json<TestOutcome>, ApiError> {
    Ok(Json(state.core.deliverer().test_email().await?))
}

/// Every webhook (never their secrets).
#[utoipa::path(get, path = "/settings/alerts/webhooks", tag = "settings",
    responses(
        (status = 200, body = WebhookList),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
    ))]
pub async fn list_webhooks(State(state): State<AppState>) -> Result<Json<WebhookList>, ApiError> {
    Ok(Json(WebhookList {
        webhooks: state.core.store().list_webhooks().await?,
    }))
}

/// Add a webhook. The answer holds its signing secret (made when not
/// given): the only time it is shown.
#[utoipa::path(post, path = "/settings/alerts/webhooks", tag = "settings",
    request_body = WebhookSettings,
    responses(
        (status = 201, body = CreatedWebhook),
        (status = 400, description = "A bad field; `url` also when it points at a link-local, metadata or (unless MONITOR_WEBHOOK_ALLOW_PRIVATE=true) private address", body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
    ))]
pub async fn create_webhook(
    State(state): State<AppState>,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<CreatedWebhook>), ApiError> {
    let request: WebhookSettings = parse(body)?;
    let created = state.core.create_webhook(&request).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// Change a webhook; its secret only when one is given.
#[utoipa::path(put, path = "/settings/alerts/webhooks/{id}", tag = "settings",
    params(("id" = i64, Path, description = "Webhook id")),
    request_body = WebhookSettings,
    responses(
        (status = 200, body = Webhook),
        (status = 400, description = "A bad field; `url` also when it points at a link-local, metadata or (unless MONITOR_WEBHOOK_ALLOW_PRIVATE=true) private address", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
    ))]
pub async fn update_webhook(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Webhook>, ApiError> {
    let request: WebhookSettings = parse(body)?;
    Ok(Json(state.core.update_webhook(id, &request).await?))
}

/// Remove a webhook. Its pending deliveries fail, saying why; its
/// delivery history stays.
#[utoipa::path(delete, path = "/settings/alerts/webhooks/{id}", tag = "settings",
    params(("id" = i64, Path, description = "Webhook id")),
    responses(
        (status = 204, description = "Removed"),
        (status = 404, body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
    ))]
pub async fn delete_webhook(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    state.core.delete_webhook(id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Post a signed test payload to one webhook now; says how it went.
#[utoipa::path(post, path = "/settings/alerts/webhooks/{id}/test", tag = "settings",
    params(("id" = i64, Path, description = "Webhook id")),
    responses(
        (status = 200, body = TestOutcome),
        (status = 404, body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
    ))]
pub async fn test_webhook(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Json<TestOutcome>, ApiError> {
    state
        .core
        .deliverer()
        .test_webhook(id)
        .await?
        .map(Json)
        .ok_or(ApiError::Missing {
            what: Resource::Webhook,
            id,
        })
}
