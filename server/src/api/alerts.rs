//! Alerts: listing, and closing one by hand (the only mutation on them).

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use telltale_model::{
    AlertDetail, AlertFilter, AlertList, AlertStatus, AlertType, CloseAlertResponse,
};

use super::query::{Params, RawQuery};
use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;
use telltale_core::error::Resource;

/// Alerts, newest first.
#[utoipa::path(get, path = "/alerts", tag = "alerts",
    params(
        ("status" = Option<String>, Query, description = "OPEN or CLOSED"),
        ("type" = Option<String>, Query, description = "FAILURE, MISSED, RECOVERY or WORKER_OFFLINE"),
        ("job" = Option<String>, Query, description = "Job name"),
        ("before" = Option<i64>, Query, description = "Cursor: the id of the last alert of the previous page"),
        ("limit" = Option<u64>, Query, description = "1–1000, default 100"),
    ),
    responses(
        (status = 200, body = AlertList),
        (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody),
    ))]
pub async fn list(
    State(state): State<AppState>,
    query: RawQuery,
) -> Result<Json<AlertList>, ApiError> {
    let p = Params::from_query(query)?;
    let filter = AlertFilter {
        status: p.one_of("status", AlertStatus::parse, "OPEN or CLOSED")?,
        alert_type: p.one_of(
            "type",
            AlertType::parse,
            "FAILURE, MISSED, RECOVERY or WORKER_OFFLINE",
        )?,
        job: p.text("job"),
        before: p.number("before")?,
        limit: p.limit(1000)?,
    };
    Ok(Json(AlertList {
        alerts: state.core.store().list_alerts(&filter).await?,
    }))
}

#[derive(Deserialize, Default, utoipa::ToSchema)]
pub struct CloseRequest {
    /// Why it is closed; kept with the alert.
    pub reason: Option<String>,
}

/// Close an open alert by hand. Closing a closed alert changes nothing
/// (`updated: false`).
#[utoipa::path(post, path = "/alerts/{id}/close", tag = "alerts",
    params(("id" = i64, Path, description = "Alert id")),
    request_body(content = CloseRequest, description = "Optional reason"),
    responses(
        (status = 200, body = CloseAlertResponse),
        (status = 404, description = "No such alert", body = CloseAlertResponse),
        (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody),
    ))]
pub async fn close(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<CloseAlertResponse>), ApiError> {
    let body = body.map_err(|e| ApiError::BodyUnreadable(e.body_text()))?;
    let request: CloseRequest = if body.iter().all(u8::is_ascii_whitespace) {
        CloseRequest::default()
    } else {
        serde_json::from_slice(&body).map_err(|e| ApiError::MalformedJson(e.to_string()))?
    };
    let outcome = state
        .core
        .close_alert(id, request.reason.as_deref())
        .await?;
    let status = if outcome.found {
        StatusCode::OK
    } else {
        StatusCode::NOT_FOUND
    };
    Ok((status, Json(outcome)))
}

/// One alert with every attempt to deliver it (newest first).
#[utoipa::path(get, path = "/alerts/{id}", tag = "alerts",
    params(("id" = i64, Path, description = "Alert id")),
    responses(
        (status = 200, body = AlertDetail),
        (status = 404, body = ErrorBody),
        (status = 401, body = ErrorBody),
    ))]
pub async fn detail(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Json<AlertDetail>, ApiError> {
    state
        .core
        .store()
        .alert_detail(id)
        .await?
        .map(Json)
        .ok_or(ApiError::Missing {
            what: Resource::Alert,
            id,
        })
}
