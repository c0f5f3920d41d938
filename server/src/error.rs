//! The one place where internal errors become HTTP answers: a status and a
//! JSON body `{"error": {"code", "message", "field"?}}` that says what is wrong.
//! 4xx means "do not retry this as is"; 5xx means "retry later".

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use telltale_model::FieldError;
use telltale_store::{QueueError, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("request body is not valid JSON: {0}")]
    MalformedJson(String),
    #[error("{0}")]
    InvalidEvent(FieldError),
    #[error("{0}")]
    InvalidQuery(FieldError),
    #[error("{0}")]
    InvalidBody(FieldError),
    #[error("a batch must be a JSON array of events or an object with an \"events\" array")]
    BatchShape,
    #[error("request body is larger than {limit} bytes (MONITOR_MAX_BODY_BYTES)")]
    BodyTooLarge { limit: usize },
    #[error("batch has {count} events; at most {limit} are accepted (MONITOR_MAX_BATCH_EVENTS)")]
    BatchTooLarge { count: usize, limit: usize },
    #[error("could not read the request body: {0}")]
    BodyUnreadable(String),
    #[error("missing or wrong x-api-key header")]
    Unauthorized,
    #[error("no such API endpoint: {0}")]
    NotFound(String),
    #[error("content-type must be application/json (got {0:?})")]
    UnsupportedMediaType(String),
    #[error("no run {0:?}")]
    RunNotFound(String),
    #[error("no worker {0:?}")]
    WorkerNotFound(String),
    #[error("no job {0:?}")]
    JobNotFound(String),
    #[error("no maintenance window {0}")]
    MaintenanceWindowNotFound(i64),
    #[error("the store is unavailable: {0}")]
    Store(#[from] StoreError),
    #[error("the store is unavailable: {0}")]
    Queue(#[from] QueueError),
}

/// Every error answer of the API.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// Stable, machine-readable: `invalid_event`, `malformed_json`,
    /// `unsupported_media_type`, `body_too_large`, `batch_too_large`,
    /// `unauthorized`, `not_found`, `invalid_query`, `store_unavailable`, …
    pub code: String,
    /// What is wrong, for a person.
    pub message: String,
    /// The offending field or query parameter, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

impl ApiError {
    fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            Self::MalformedJson(_) => (StatusCode::BAD_REQUEST, "malformed_json"),
            Self::InvalidEvent(_) => (StatusCode::BAD_REQUEST, "invalid_event"),
            Self::InvalidQuery(_) => (StatusCode::BAD_REQUEST, "invalid_query"),
            Self::InvalidBody(_) => (StatusCode::BAD_REQUEST, "invalid_body"),
            Self::BatchShape => (StatusCode::BAD_REQUEST, "invalid_batch"),
            Self::BodyTooLarge { .. } => (StatusCode::PAYLOAD_TOO_LARGE, "body_too_large"),
            Self::BatchTooLarge { .. } => (StatusCode::PAYLOAD_TOO_LARGE, "batch_too_large"),
            Self::BodyUnreadable(_) => (StatusCode::BAD_REQUEST, "body_unreadable"),
            Self::Unauthorized => (StatusCode::UNAUTHORIZED, "unauthorized"),
            Self::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            Self::UnsupportedMediaType(_) => {
                (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type")
            }
            Self::RunNotFound(_)
            | Self::WorkerNotFound(_)
            | Self::JobNotFound(_)
            | Self::MaintenanceWindowNotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            Self::Store(_) | Self::Queue(_) => {
                (StatusCode::SERVICE_UNAVAILABLE, "store_unavailable")
            }
        }
    }

    fn field(&self) -> Option<&str> {
        match self {
            Self::InvalidEvent(e) | Self::InvalidQuery(e) | Self::InvalidBody(e) => Some(&e.field),
            _ => None,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        if status.is_server_error() {
            tracing::error!(error = %self, "request failed");
        } else {
            tracing::debug!(error = %self, "request rejected");
        }
        let body = ErrorBody {
            error: ErrorDetail {
                code: code.to_owned(),
                message: self.to_string(),
                field: self.field().map(str::to_owned),
            },
        };
        (status, Json(body)).into_response()
    }
}
