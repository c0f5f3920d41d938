//! Maintenance windows from the settings page: the same service calls as
//! `/v1/maintenance-windows`, so a window added here holds alerts back
//! exactly as one added over the API. Reading is for anyone who may read;
//! adding and ending are for admins.

use leptos::prelude::*;
use telltale_model::MaintenanceWindowState;

use crate::components::server_html::Markup;
use crate::error::AppError;

/// Every window, newest first, with whether it is active now.
#[server(prefix = "/api", endpoint = "maintenance/list")]
pub async fn list_maintenance_windows() -> Result<Vec<MaintenanceWindowState>, AppError> {
    use super::ssr::core;
    let core = core()?;
    let now = core.now();
    let mut windows: Vec<MaintenanceWindowState> = core
        .store()
        .maintenance_windows()
        .await?
        .into_iter()
        .map(|window| MaintenanceWindowState {
            active_until: window.active_until(now),
            over: window.ends_at.is_some_and(|end| end <= now),
            window,
        })
        .collect();
    windows.reverse();
    Ok(windows)
}

/// The windows as HTML ([`crate::components::server_html`]), with the
/// forms that add and end them for an admin.
#[server(prefix = "/api", endpoint = "maintenance/html")]
pub async fn maintenance_html() -> Result<Markup, AppError> {
    use crate::components::server_html::render;
    use crate::pages::settings_maintenance::Windows;
    let admin = super::ssr::is_admin();
    let windows = list_maintenance_windows().await?;
    Ok(render(move || view! { <Windows windows admin /> }))
}

/// Adds a window from the form: once (from `starts_at` to `ends_at`, UTC)
/// or recurring (a cron `schedule` in `timezone`, each time
/// `duration_minutes` long), whichever the form filled in; a blank `job`
/// covers every job. The service says which field is wrong.
#[server(prefix = "/api", endpoint = "maintenance/add")]
pub async fn add_maintenance_window(
    #[server(default)] job: Option<String>,
    #[server(default)] starts_at: Option<String>,
    #[server(default)] ends_at: Option<String>,
    #[server(default)] schedule: Option<String>,
    #[server(default)] timezone: Option<String>,
    #[server(default)] duration_minutes: Option<String>,
    reason: String,
) -> Result<telltale_model::MaintenanceWindow, AppError> {
    use super::ssr::{core, require_admin};
    use crate::form::{nonblank, utc_time};
    require_admin()?;
    let core = core()?;
    let time =
        |field: &str, v: Option<String>| nonblank(v).map(|v| utc_time(field, &v)).transpose();
    let duration_seconds = nonblank(duration_minutes)
        .map(|m| {
            m.parse::<u32>()
                .ok()
                .and_then(|m| m.checked_mul(60))
                .ok_or_else(|| {
                    AppError::bad_input(
                        "durationMinutes",
                        format!("must be whole minutes (got {m:?})"),
                    )
                })
        })
        .transpose()?;
    let new = telltale_model::NewMaintenanceWindow {
        job_name: nonblank(job),
        starts_at: time("startsAt", starts_at)?,
        ends_at: time("endsAt", ends_at)?,
        schedule: nonblank(schedule),
        timezone: nonblank(timezone),
        duration_seconds,
        reason,
    };
    Ok(core.add_maintenance_window(&new).await?)
}

/// Ends a window now: it is removed, and what it held back is looked at
/// again at once.
#[server(prefix = "/api", endpoint = "maintenance/end")]
pub async fn end_maintenance_window(id: i64) -> Result<(), AppError> {
    use super::ssr::{core, require_admin};
    require_admin()?;
    core()?.delete_maintenance_window(id).await?;
    Ok(())
}
