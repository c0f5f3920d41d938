use leptos::prelude::*;
use telltale_model::Alert;

use crate::components::server_html::Markup;
use crate::error::AppError;

/// Alerts matching the alerts page's filter fields, newest first: what
/// `GET /v1/alerts` returns. `status` and `alert_type` come as typed in the
/// address and are read here (any case; an unknown one is no filter), so
/// the browser carries no reader for them.
#[server(prefix = "/api", endpoint = "alerts/list")]
pub async fn list_alerts(
    status: String,
    alert_type: String,
    job: String,
    before: Option<i64>,
    limit: u64,
) -> Result<Vec<Alert>, AppError> {
    use super::ssr::store;
    let filter = telltale_model::AlertFilter {
        status: telltale_model::AlertStatus::parse(&status.to_ascii_uppercase()),
        alert_type: telltale_model::AlertType::parse(&alert_type.to_ascii_uppercase()),
        job: Some(job).filter(|j| !j.trim().is_empty()),
        before,
        limit: Some(limit),
    };
    Ok(store()?.list_alerts(&filter).await?)
}

/// The alerts page's list as HTML ([`crate::components::server_html`]):
/// the count and the table of [`list_alerts`], with a close form per open
/// alert for admins; and the cursor of the next older page, `None` when
/// this page is not full.
#[server(prefix = "/api", endpoint = "alerts/list-html")]
pub async fn alerts_html(
    status: String,
    alert_type: String,
    job: String,
    before: Option<i64>,
    limit: u64,
) -> Result<(Markup, Option<i64>), AppError> {
    use crate::components::server_html::render;
    use crate::pages::alerts::AlertList;
    // Unknown (a failed call) counts as no: the button would only earn a 403.
    let admin = super::auth::may_administer().await.unwrap_or(false);
    let alerts = list_alerts(status, alert_type, job, before, limit).await?;
    // Newest first by id: a full page has older ones after it.
    let next_cursor = alerts
        .last()
        .filter(|_| alerts.len() as u64 == limit)
        .map(|a| a.id);
    let html = render(move || view! { <AlertList alerts admin /> });
    Ok((html, next_cursor))
}

/// Closes an alert by hand, by the same rule as `POST /v1/alerts/{id}/close`
/// (a blank reason is the default one).
/// Posted by a plain HTML form (url-encoded `id` and `reason`), so it works
/// without JavaScript: the server then redirects back to the page.
///
/// Admins only (viewers read, change nothing); the server's access layer has
/// already checked the session and the request's Origin (CSRF).
///
/// Answers whether this close closed it (false: it was closed already); an
/// unknown alert is an error naming it. The page reads only that, so the
/// browser carries no reader for the API's full answer.
#[server(prefix = "/api", endpoint = "alerts/close")]
pub async fn close_alert(id: i64, reason: String) -> Result<bool, AppError> {
    use super::ssr::{core, require_admin};
    require_admin()?;
    let answer = core()?.close_alert(id, Some(&reason)).await?;
    if !answer.found {
        return Err(AppError::not_found(telltale_model::Resource::Alert, id));
    }
    Ok(answer.updated)
}
