use leptos::prelude::*;
use telltale_model::{Alert, AlertFilter, CloseAlertResponse};

use crate::error::AppError;

/// Alerts matching `filter`, newest first: what `GET /v1/alerts` returns.
#[server(prefix = "/api", endpoint = "alerts/list")]
pub async fn list_alerts(#[server(default)] filter: AlertFilter) -> Result<Vec<Alert>, AppError> {
    use super::ssr::store;
    Ok(store()?.list_alerts(&filter).await?)
}

/// Closes an alert by hand, by the same rule as `POST /v1/alerts/{id}/close`
/// (a blank reason is the default one).
/// Posted by a plain HTML form (url-encoded `id` and `reason`), so it works
/// without JavaScript: the server then redirects back to the page.
///
/// Admins only (viewers read, change nothing); the server's access layer has
/// already checked the session and the request's Origin (CSRF).
#[server(prefix = "/api", endpoint = "alerts/close")]
pub async fn close_alert(id: i64, reason: String) -> Result<CloseAlertResponse, AppError> {
    use super::ssr::{core, require_admin};
    require_admin()?;
    Ok(core()?.close_alert(id, Some(&reason)).await?)
}
