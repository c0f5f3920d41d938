//! A job's ping URL: `GET /v1/jobs/{job}/ping` (made the first time it is
//! asked for) and `POST /v1/jobs/{job}/ping/regenerate` (admins; the old
//! URL answers 404 from then on).

use axum::Json;
use axum::extract::{Path, State};
use serde::Serialize;
use telltale_model::JobPing;

use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;

/// A job's ping UUID with the URL it makes.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PingUrl {
    #[serde(flatten)]
    pub ping: JobPing,
    /// `<MONITOR_PUBLIC_URL>/ping/<uuid>`; absent when no public URL is set.
    pub url: Option<String>,
}

fn with_url(state: &AppState, ping: JobPing) -> PingUrl {
    let url = state.config.public_url.as_deref().map(|o| ping.url(o));
    PingUrl { ping, url }
}

/// The job's ping UUID (made on first request).
#[utoipa::path(get, path = "/jobs/{job_name}/ping", tag = "pings",
    params(("job_name" = String, Path, description = "The job name")),
    responses(
        (status = 200, body = PingUrl),
        (status = 404, description = "No such job", body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
    ))]
pub async fn get_ping(
    State(state): State<AppState>,
    Path(job_name): Path<String>,
) -> Result<Json<PingUrl>, ApiError> {
    let ping = state.core.job_ping(&job_name).await?;
    Ok(Json(with_url(&state, ping)))
}

/// A new ping UUID for the job; the old one stops working at once.
#[utoipa::path(post, path = "/jobs/{job_name}/ping/regenerate", tag = "pings",
    params(("job_name" = String, Path, description = "The job name")),
    responses(
        (status = 200, body = PingUrl),
        (status = 404, description = "No such job", body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, description = "Admins only", body = ErrorBody),
    ))]
pub async fn regenerate(
    State(state): State<AppState>,
    Path(job_name): Path<String>,
) -> Result<Json<PingUrl>, ApiError> {
    let ping = state.core.regenerate_job_ping(&job_name).await?;
    Ok(Json(with_url(&state, ping)))
}
