use leptos::prelude::*;
use telltale_model::{Alert, AlertFilter, CloseAlertResponse};

/// Alerts matching `filter`, newest first: what `GET /v1/alerts` returns.
#[server(prefix = "/api", endpoint = "alerts/list")]
pub async fn list_alerts(
    #[server(default)] filter: AlertFilter,
) -> Result<Vec<Alert>, ServerFnError> {
    use super::ssr::{store, to_server_error};
    store()?.list_alerts(&filter).await.map_err(to_server_error)
}

/// Closes an alert by hand with a reason, like `POST /v1/alerts/{id}/close`.
/// Posted by a plain HTML form (url-encoded `id` and `reason`), so it works
/// without JavaScript: the server then redirects back to the page.
///
/// Admins only (viewers read, change nothing); the server's access layer has
/// already checked the session and the request's Origin (CSRF).
#[server(prefix = "/api", endpoint = "alerts/close")]
pub async fn close_alert(id: i64, reason: String) -> Result<CloseAlertResponse, ServerFnError> {
    use super::ssr::{require_admin, store, to_server_error};
    require_admin()?;
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(ServerFnError::new("reason: say why the alert is closed"));
    }
    let outcome = store()?
        .close_alert(id, reason, chrono::Utc::now())
        .await
        .map_err(to_server_error)?;
    tracing::info!(
        alert = id,
        updated = outcome.updated,
        "alert closed from the dashboard"
    );
    Ok(CloseAlertResponse {
        found: outcome.found,
        updated: outcome.updated,
        reason: reason.to_owned(),
        alert: outcome.alert,
    })
}
