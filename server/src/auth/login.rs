//! `POST /auth/login` and `POST /auth/logout`.
//!
//! The login page posts a plain HTML form here (it works with JavaScript
//! off); scripts may post JSON instead. A form gets redirects (303) back to
//! the page it came from or to the login page with an error; JSON gets JSON.
//! Unknown email and wrong password give the same answer after the same
//! work, so the answer does not tell who has an account.

use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Json};
use serde::Deserialize;
use telltale_model::{FieldError, User};

use super::client::Client;
use telltale_core::accounts::token;

use super::cookie;
use crate::error::ApiError;
use crate::state::AppState;

#[derive(Debug, Deserialize)]
struct LoginRequest {
    email: Option<String>,
    password: Option<String>,
    next: Option<String>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Shape {
    Form,
    Json,
}

fn shape(headers: &HeaderMap) -> Result<Shape, ApiError> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    match content_type.split(';').next().unwrap_or("").trim() {
        "application/x-www-form-urlencoded" => Ok(Shape::Form),
        "application/json" => Ok(Shape::Json),
        other => Err(ApiError::UnsupportedMediaType(other.to_owned())),
    }
}

/// Where to go after login: a path on this site, never another site
/// (`//evil.example`, `/\evil.example` and absolute URLs fall back to `/`).
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && !n.starts_with("/\\")
                && !n.chars().any(|c| c.is_control()) =>
        {
            n.to_owned()
        }
        _ => "/".to_owned(),
    }
}

fn back_to_login(error: &str, next: &str) -> Response {
    let next: String = url::form_urlencoded::byte_serialize(next.as_bytes()).collect();
    Redirect::to(&format!("/login?error={error}&next={next}")).into_response()
}

fn required(value: Option<String>, field: &str) -> Result<String, ApiError> {
    value
        .filter(|v| !v.trim().is_empty())
        .ok_or_else(|| ApiError::InvalidField(FieldError::new(field, "is required")))
}

pub async fn login(
    State(state): State<AppState>,
    Extension(client): Extension<Client>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    if !state.config.auth.enabled {
        return Err(ApiError::AuthDisabled);
    }
    let shape = shape(&headers)?;
    let request = read_request(shape, body)?;
    let next = safe_next(request.next.as_deref());
    let email = required(request.email, "email")?;
    let password = required(request.password, "password")?;

    if let Err(wait) = state.auth.throttle.check(client.ip, &email) {
        tracing::warn!(ip = %client.ip, "login throttled");
        return Err(ApiError::TooManyRequests {
            retry_after_secs: wait.as_secs().max(1),
        });
    }
    let Some(user) = check_password(&state, &email, &password).await? else {
        tracing::info!(ip = %client.ip, "login failed");
        return match shape {
            Shape::Form => Ok(back_to_login("invalid", &next)),
            Shape::Json => Err(ApiError::InvalidCredentials),
        };
    };
    let session = start_session(&state, &headers, &client, &user).await?;
    tracing::info!(user = user.id, ip = %client.ip, "signed in");

    let set_cookie = cookie::set(&session, state.config.auth.session_max, client.https);
    let mut response = match shape {
        Shape::Form => Redirect::to(&next).into_response(),
        Shape::Json => (StatusCode::OK, Json(serde_json::json!({ "user": user }))).into_response(),
    };
    response
        .headers_mut()
        .append(header::SET_COOKIE, set_cookie);
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

fn read_request(
    shape: Shape,
    body: Result<Bytes, BytesRejection>,
) -> Result<LoginRequest, ApiError> {
    let body = body.map_err(|e| ApiError::BodyUnreadable(e.body_text()))?;
    match shape {
        Shape::Form => {
            serde_urlencoded::from_bytes(&body).map_err(|e| ApiError::MalformedForm(e.to_string()))
        }
        Shape::Json => {
            serde_json::from_slice(&body).map_err(|e| ApiError::MalformedJson(e.to_string()))
        }
    }
}

/// The user whose password this is; `None` for a wrong password or an
/// unknown email, after the same work.
async fn check_password(
    state: &AppState,
    email: &str,
    password: &str,
) -> Result<Option<User>, ApiError> {
    // A place in the hasher's line before anything else is spent: when it
    // is full the login is refused at once (503), whoever it is for.
    let turn = state.core.accounts().hasher().enter()?;
    let user = match state.core.store().user_credentials(email).await? {
        Some((user, hash)) => turn.verify(password, &hash).await?.then_some(user),
        None => {
            turn.verify_nobody(password).await?;
            None
        }
    };
    Ok(user)
}

/// Stores a new session for `user`, and returns its token. A new session
/// id at every login: an id planted before login (session fixation) is
/// worthless, and the old session is gone.
async fn start_session(
    state: &AppState,
    headers: &HeaderMap,
    client: &Client,
    user: &User,
) -> Result<String, ApiError> {
    if let Some(old) = cookie::read(headers, client.https) {
        state
            .core
            .store()
            .delete_session(&token::digest(&old))
            .await?;
    }
    let now = state.core.now();
    let max = state.config.auth.session_max;
    let expires = now + chrono::Duration::from_std(max).unwrap_or(chrono::Duration::MAX);
    let session = token::random_token();
    state
        .core
        .store()
        .create_session(&token::digest(&session), user.id, now, expires)
        .await?;
    let idle =
        chrono::Duration::from_std(state.config.auth.session_idle).unwrap_or(chrono::Duration::MAX);
    if let Err(e) = state.core.store().prune_sessions(now, idle).await {
        tracing::warn!(error = %e, "could not prune expired sessions");
    }
    Ok(session)
}

/// Ends the session in the database (not only in the browser) and clears
/// the cookie.
pub async fn logout(
    State(state): State<AppState>,
    Extension(client): Extension<Client>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    if let Some(session) = cookie::read(&headers, client.https) {
        state
            .core
            .store()
            .delete_session(&token::digest(&session))
            .await?;
    }
    let mut response = Redirect::to("/login").into_response();
    for value in cookie::clear() {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn next_stays_on_this_site() {
        assert_eq!(
            safe_next(Some("/runs?status=failed")),
            "/runs?status=failed"
        );
        for evil in [
            "//evil.example",
            "/\\evil.example",
            "https://evil.example",
            "runs",
            "/\n",
        ] {
            assert_eq!(safe_next(Some(evil)), "/", "{evil:?}");
        }
        assert_eq!(safe_next(None), "/");
    }
}
