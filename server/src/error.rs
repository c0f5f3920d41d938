//! The one place where internal errors become HTTP answers: a status and a
//! JSON body `{"error": {"code", "message", "field"?}}` that says what is wrong.
//! 4xx means "do not retry this as is"; 5xx means "retry later".

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use telltale_core::ChangeError;
use telltale_core::accounts::{AccountError, PasswordError};
use telltale_core::error::Resource;
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
    #[error("a batch must be a JSON array of events or an object with an \"events\" array")]
    BatchShape,
    #[error("request body is larger than {limit} bytes (MONITOR_MAX_BODY_BYTES)")]
    BodyTooLarge { limit: usize },
    #[error("batch has {count} events; at most {limit} are accepted (MONITOR_MAX_BATCH_EVENTS)")]
    BatchTooLarge { count: usize, limit: usize },
    #[error("could not read the request body: {0}")]
    BodyUnreadable(String),
    #[error("sign in, or send a valid x-api-key header")]
    Unauthorized,
    #[error("forbidden: {0}")]
    Forbidden(&'static str),
    #[error("cross-origin request refused: this request must come from this site's own pages")]
    CrossOrigin,
    #[error(
        "this server answers to its IP address, localhost or the host of MONITOR_PUBLIC_URL \
         while login is off (DNS rebinding protection)"
    )]
    UnknownHost,
    #[error("paths with `.` or `..` segments are not served")]
    DotSegments,
    #[error("too many login attempts; retry in {retry_after_secs} s")]
    TooManyRequests { retry_after_secs: u64 },
    #[error("wrong email or password")]
    InvalidCredentials,
    #[error("{0}")]
    InvalidField(FieldError),
    #[error("request body is not a valid form: {0}")]
    MalformedForm(String),
    #[error("login is off on this server (MONITOR_AUTH_ENABLED=false)")]
    AuthDisabled,
    #[error("internal error: {0}")]
    Internal(String),
    #[error("a request handler panicked: {0}")]
    Panicked(String),
    #[error("no answer within {secs} s; retry later")]
    Timeout { secs: u64 },
    #[error("the server cannot answer this now; retry later")]
    Unavailable,
    #[error("too many sign-ins are waiting for a password check; retry in a moment")]
    LoginBusy,
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
    #[error("{0}")]
    Conflict(String),
    #[error("no {what} {id}")]
    Missing { what: Resource, id: i64 },
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
    /// `unauthorized`, `not_found`, `invalid_query`, `store_unavailable`,
    /// `timeout`, `login_busy`, `internal`, …
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
            Self::BatchShape => (StatusCode::BAD_REQUEST, "invalid_batch"),
            Self::BodyTooLarge { .. } => (StatusCode::PAYLOAD_TOO_LARGE, "body_too_large"),
            Self::BatchTooLarge { .. } => (StatusCode::PAYLOAD_TOO_LARGE, "batch_too_large"),
            Self::BodyUnreadable(_) => (StatusCode::BAD_REQUEST, "body_unreadable"),
            Self::Unauthorized => (StatusCode::UNAUTHORIZED, "unauthorized"),
            Self::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
            Self::CrossOrigin => (StatusCode::FORBIDDEN, "cross_origin"),
            Self::DotSegments => (StatusCode::BAD_REQUEST, "dot_segments"),
            Self::UnknownHost => (StatusCode::MISDIRECTED_REQUEST, "unknown_host"),
            Self::TooManyRequests { .. } => (StatusCode::TOO_MANY_REQUESTS, "too_many_requests"),
            Self::InvalidCredentials => (StatusCode::UNAUTHORIZED, "invalid_credentials"),
            Self::InvalidField(_) => (StatusCode::BAD_REQUEST, "invalid_field"),
            Self::MalformedForm(_) => (StatusCode::BAD_REQUEST, "malformed_form"),
            Self::AuthDisabled => (StatusCode::NOT_FOUND, "auth_disabled"),
            Self::Internal(_) | Self::Panicked(_) => {
                (StatusCode::INTERNAL_SERVER_ERROR, "internal")
            }
            Self::Timeout { .. } => (StatusCode::SERVICE_UNAVAILABLE, "timeout"),
            Self::Unavailable => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
            Self::LoginBusy => (StatusCode::SERVICE_UNAVAILABLE, "login_busy"),
            Self::Store(StoreError::DuplicateEmail) => (StatusCode::CONFLICT, "duplicate_email"),
            Self::Store(StoreError::LastAdmin) => (StatusCode::CONFLICT, "last_admin"),
            Self::Store(StoreError::Search(_)) => (StatusCode::BAD_REQUEST, "invalid_query"),
            Self::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            Self::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
            Self::UnsupportedMediaType(_) => {
                (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type")
            }
            Self::RunNotFound(_)
            | Self::WorkerNotFound(_)
            | Self::JobNotFound(_)
            | Self::Missing { .. } => (StatusCode::NOT_FOUND, "not_found"),
            Self::Store(_) | Self::Queue(_) => {
                (StatusCode::SERVICE_UNAVAILABLE, "store_unavailable")
            }
        }
    }

    fn field(&self) -> Option<&str> {
        match self {
            Self::InvalidEvent(e) | Self::InvalidQuery(e) | Self::InvalidField(e) => Some(&e.field),
            Self::Store(StoreError::DuplicateEmail) => Some("email"),
            Self::Store(StoreError::Search(_)) => Some("q"),
            _ => None,
        }
    }
}

impl From<ChangeError> for ApiError {
    fn from(e: ChangeError) -> Self {
        match e {
            ChangeError::Invalid(field) => Self::InvalidField(field),
            ChangeError::NotFound { what, id } => Self::Missing { what, id },
            ChangeError::JobNotFound(name) => Self::JobNotFound(name),
            ChangeError::WorkerNotFound(id) => Self::WorkerNotFound(id),
            ChangeError::Conflict(message) => Self::Conflict(message),
            ChangeError::Account(e) => e.into(),
            ChangeError::Store(e) => Self::Store(e),
        }
    }
}

impl From<AccountError> for ApiError {
    fn from(e: AccountError) -> Self {
        match e {
            AccountError::Invalid(field) => Self::InvalidField(field),
            AccountError::Store(e) => Self::Store(e),
            AccountError::Password(e) => e.into(),
        }
    }
}

impl From<PasswordError> for ApiError {
    fn from(e: PasswordError) -> Self {
        match e {
            PasswordError::Busy { .. } => Self::LoginBusy,
            e => Self::Internal(e.to_string()),
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
        // Server-side failures are logged in full above and answered in
        // general terms: no SQL, paths or stack reach the client.
        let message = match &self {
            Self::Store(e @ StoreError::Search(_)) => e.to_string(),
            Self::Store(StoreError::DuplicateEmail | StoreError::LastAdmin) => self.to_string(),
            Self::Store(_) | Self::Queue(_) => "the store is unavailable; retry later".to_owned(),
            Self::Internal(_) | Self::Panicked(_) => {
                "internal error; the server log has the details".to_owned()
            }
            _ => self.to_string(),
        };
        let retry_after = match &self {
            Self::TooManyRequests { retry_after_secs } => Some(*retry_after_secs),
            // A password check takes a fraction of a second: the line moves.
            Self::LoginBusy => Some(1),
            _ => None,
        };
        let body = ErrorBody {
            error: ErrorDetail {
                code: code.to_owned(),
                message,
                field: self.field().map(str::to_owned),
            },
        };
        let mut response = (status, Json(body)).into_response();
        if let Some(secs) = retry_after {
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, secs.into());
        }
        response
    }
}
