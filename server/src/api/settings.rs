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
    ApiKey, ApiKeyList, CreatedApiKey, FieldError, NewApiKey, NewUser, PasswordReset, User,
    UserList,
};

use crate::auth::password::MIN_PASSWORD_CHARS;
use crate::auth::token;
use crate::config::looks_like_email;
use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;

const MAX_NAME_CHARS: usize = 100;

fn parse<T: DeserializeOwned>(body: Result<Bytes, BytesRejection>) -> Result<T, ApiError> {
    let body = body.map_err(|e| ApiError::BodyUnreadable(e.body_text()))?;
    serde_json::from_slice(&body).map_err(|e| ApiError::MalformedJson(e.to_string()))
}

/// Checks a new password's length and hashes it.
async fn new_password_hash(state: &AppState, password: &str) -> Result<String, ApiError> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(ApiError::InvalidField(FieldError::new(
            "password",
            format!("must be at least {MIN_PASSWORD_CHARS} characters"),
        )));
    }
    state
        .auth
        .hasher
        .hash(password)
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))
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
        api_keys: state.store.list_api_keys().await?,
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
    let name = request.name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
        return Err(ApiError::InvalidField(FieldError::new(
            "name",
            format!("must be 1 to {MAX_NAME_CHARS} characters"),
        )));
    }
    let (secret, prefix) = token::new_api_key();
    let key = state
        .store
        .create_api_key(
            name,
            request.scope,
            &token::digest(&secret),
            &prefix,
            state.auth.clock.now(),
        )
        .await?;
    tracing::info!(key = key.id, scope = key.scope.as_str(), "API key created");
    Ok((StatusCode::CREATED, Json(CreatedApiKey { key, secret })))
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
    match state
        .store
        .revoke_api_key(id, state.auth.clock.now())
        .await?
    {
        Some(key) => {
            tracing::info!(key = key.id, "API key revoked");
            Ok(Json(key))
        }
        None => Err(ApiError::NotFound(format!("API key {id}"))),
    }
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
        users: state.store.list_users().await?,
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
    if !looks_like_email(request.email.trim()) {
        return Err(ApiError::InvalidField(FieldError::new(
            "email",
            "is not an email address",
        )));
    }
    let hash = new_password_hash(&state, &request.password).await?;
    let user = state
        .store
        .create_user(&request.email, &hash, request.role, state.auth.clock.now())
        .await?;
    tracing::info!(user = user.id, role = user.role.as_str(), "user added");
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
    if state.store.delete_user(id).await? {
        tracing::info!(user = id, "user removed");
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound(format!("user {id}")))
    }
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
    let hash = new_password_hash(&state, &request.password).await?;
    if state.store.set_password(id, &hash).await? {
        tracing::info!(user = id, "password reset");
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound(format!("user {id}")))
    }
}
