//! `/v1/settings`: API keys and user accounts. Admins only (the access
//! table sends everyone else away before these run); changes from a browser
//! passed the CSRF check too.

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::de::DeserializeOwned;
use telltale_model::{
    ApiKey, ApiKeyList, CreatedApiKey, NewApiKey, NewUser, PasswordReset, RoleChange, User,
    UserList,
};

use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;

pub(super) fn parse<T: DeserializeOwned>(
    body: Result<Bytes, BytesRejection>,
) -> Result<T, ApiError> {
    let body = body.map_err(|e| ApiError::BodyUnreadable(e.body_text()))?;
    serde_json::from_slice(&body).map_err(|e| ApiError::MalformedJson(e.to_string()))
}

/// Every API key, revoked ones included, newest first. Never the secrets.
#[utoipa::path(get, path = "/settings/api-keys", tag = "settings",
    responses(
        (status = 200, body = ApiKeyList),
        (status = 401, body = ErrorBody),
        (status = 403, description = "Not an admin", body = ErrorBody),
    ))]
pub async fn list_keys(State(state): State<AppState>) -> Result<Json<ApiKeyList>, ApiError> {
    Ok(Json(ApiKeyList {
        api_keys: state.core.store().list_api_keys().await?,
    }))
}

/// Create a key. The answer holds the secret: the only time it is shown.
#[utoipa::path(post, path = "/settings/api-keys", tag = "settings",
    request_body = NewApiKey,
    responses(
        (status = 201, body = CreatedApiKey),
        (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, description = "Not an admin, or a cross-origin request", body = ErrorBody),
    ))]
pub async fn create_key(
    State(state): State<AppState>,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<CreatedApiKey>), ApiError> {
    let request: NewApiKey = parse(body)?;
    let created = state.core.create_api_key(&request).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// Revoke a key: it stops working at once. Revoking twice changes nothing.
#[utoipa::path(post, path = "/settings/api-keys/{id}/revoke", tag = "settings",
    params(("id" = i64, Path, description = "Key id")),
    responses(
        (status = 200, body = ApiKey),
        (status = 404, body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
    ))]
pub async fn revoke_key(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Json<ApiKey>, ApiError> {
    Ok(Json(state.core.revoke_api_key(id).await?))
}

/// Every account, by email.
#[utoipa::path(get, path = "/settings/users", tag = "settings",
    responses(
        (status = 200, body = UserList),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
    ))]
pub async fn list_users(State(state): State<AppState>) -> Result<Json<UserList>, ApiError> {
    Ok(Json(UserList {
        users: state.core.store().list_users().await?,
    }))
}

/// Add an account.
#[utoipa::path(post, path = "/settings/users", tag = "settings",
    request_body = NewUser,
    responses(
        (status = 201, body = User),
        (status = 400, body = ErrorBody),
        (status = 409, description = "The email is taken", body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
    ))]
pub async fn create_user(
    State(state): State<AppState>,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<User>), ApiError> {
    let request: NewUser = parse(body)?;
    let user = state.core.add_user(&request).await?;
    Ok((StatusCode::CREATED, Json(user)))
}

/// Remove an account and end its sessions. The last admin cannot be removed
/// (409 `last_admin`).
#[utoipa::path(delete, path = "/settings/users/{id}", tag = "settings",
    params(("id" = i64, Path, description = "User id")),
    responses(
        (status = 204, description = "Removed"),
        (status = 404, body = ErrorBody),
        (status = 409, description = "The last admin", body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
    ))]
pub async fn delete_user(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    state.core.remove_user(id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Set a new password; every session of that account ends.
#[utoipa::path(post, path = "/settings/users/{id}/password", tag = "settings",
    params(("id" = i64, Path, description = "User id")),
    request_body = PasswordReset,
    responses(
        (status = 204, description = "Changed"),
        (status = 400, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
    ))]
pub async fn reset_password(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    body: Result<Bytes, BytesRejection>,
) -> Result<StatusCode, ApiError> {
    let request: PasswordReset = parse(body)?;
    state.core.reset_password(id, &request.password).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Make a user an admin or a viewer. Demoting the last admin is refused
/// (409 `last_admin`). Takes effect on the user's next request.
#[utoipa::path(post, path = "/settings/users/{id}/role", tag = "settings",
    params(("id" = i64, Path, description = "User id")),
    request_body = RoleChange,
    responses(
        (status = 200, body = User),
        (status = 400, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "The last admin", body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
    ))]
pub async fn set_role(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<User>, ApiError> {
    let request: RoleChange = parse(body)?;
    Ok(Json(state.core.set_role(id, request.role).await?))
}
