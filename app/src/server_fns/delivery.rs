//! Alert delivery on the dashboard: the settings (email recipients and
//! types, webhooks), test sends, and one alert with its deliveries.
//! Settings are for admins; the alert detail is for every reader.

// A form's fields are a server function's arguments: one per alert-type
// checkbox. The `#[server]` macro writes the browser's copy of each
// function itself, where an item-level allow does not reach.
#![allow(clippy::too_many_arguments)]

use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use telltale_model::{AlertDetail, CreatedWebhook, EmailChannel, TestOutcome, Webhook};

use crate::error::AppError;

/// What the settings page shows of delivery.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeliverySettings {
    pub email: EmailChannel,
    pub webhooks: Vec<Webhook>,
    /// Whether the caller may change them (an admin, or anyone when login
    /// is off): the page shows forms only then.
    pub may_change: bool,
}

#[cfg(feature = "ssr")]
mod ssr {
    use telltale_model::AlertType;

    pub use crate::server_fns::ssr::{core, is_admin, require_admin, store};

    /// Checkboxes of an HTML form: present ("on") when ticked.
    pub fn ticked(
        failure: Option<String>,
        missed: Option<String>,
        recovery: Option<String>,
        worker_offline: Option<String>,
        scheduler_offline: Option<String>,
    ) -> Vec<AlertType> {
        [
            (failure, AlertType::Failure),
            (missed, AlertType::Missed),
            (recovery, AlertType::Recovery),
            (worker_offline, AlertType::WorkerOffline),
            (scheduler_offline, AlertType::SchedulerOffline),
        ]
        .into_iter()
        .filter_map(|(v, t)| v.map(|_| t))
        .collect()
    }
}

/// Every reader may read them (secrets are masked); only admins change them.
#[server(prefix = "/api", endpoint = "delivery/settings")]
pub async fn get_delivery_settings() -> Result<DeliverySettings, AppError> {
    use ssr::*;
    let core = core()?;
    let store = core.store();
    let transport = core.deliverer().email_transport();
    let email = store.email_settings().await?;
    Ok(DeliverySettings {
        email: EmailChannel::new(email, transport),
        webhooks: store.list_webhooks().await?,
        may_change: ssr::is_admin(),
    })
}

/// Recipients one per line or comma-separated; types as checkboxes.
#[server(prefix = "/api", endpoint = "delivery/save-email")]
pub async fn save_email_settings(
    recipients: String,
    #[server(default)] failure: Option<String>,
    #[server(default)] missed: Option<String>,
    #[server(default)] recovery: Option<String>,
    #[server(default)] worker_offline: Option<String>,
    #[server(default)] scheduler_offline: Option<String>,
) -> Result<(), AppError> {
    use ssr::*;
    require_admin()?;
    let settings = telltale_model::EmailSettings {
        recipients: recipients
            .split([',', '\n', ';'])
            .map(str::trim)
            .filter(|r| !r.is_empty())
            .map(str::to_owned)
            .collect(),
        enabled_alert_types: ticked(failure, missed, recovery, worker_offline, scheduler_offline),
    };
    core()?.put_email_settings(&settings).await?;
    Ok(())
}

#[server(prefix = "/api", endpoint = "delivery/test-email")]
pub async fn send_test_email() -> Result<TestOutcome, AppError> {
    use ssr::*;
    require_admin()?;
    Ok(core()?.deliverer().test_email().await?)
}

/// A channel of any provider; the provider's fields are optional here and
/// checked by the service layer against what the provider needs.
#[server(prefix = "/api", endpoint = "delivery/add-webhook")]
pub async fn add_webhook(
    name: String,
    #[server(default)] url: String,
    format: String,
    #[server(default)] token: Option<String>,
    #[server(default)] to: Option<String>,
    #[server(default)] method: Option<String>,
    #[server(default)] headers: Option<String>,
    #[server(default)] body: Option<String>,
    #[server(default)] tags: Option<String>,
    #[server(default)] jobs: Option<String>,
    #[server(default)] min_severity: Option<String>,
    #[server(default)] group_seconds: Option<String>,
    #[server(default)] max_per_hour: Option<String>,
    #[server(default)] quiet_from: Option<String>,
    #[server(default)] quiet_to: Option<String>,
    #[server(default)] quiet_timezone: Option<String>,
    #[server(default)] failure: Option<String>,
    #[server(default)] missed: Option<String>,
    #[server(default)] recovery: Option<String>,
    #[server(default)] worker_offline: Option<String>,
    #[server(default)] scheduler_offline: Option<String>,
) -> Result<CreatedWebhook, AppError> {
    use ssr::*;
    require_admin()?;
    let request = telltale_model::WebhookSettings {
        name,
        url,
        format: telltale_model::WebhookFormat::parse(&format)
            .ok_or_else(|| AppError::bad_input("format", format!("unknown value {format:?}")))?,
        options: telltale_model::ChannelOptions {
            token,
            to,
            method,
            headers: header_lines(headers.as_deref().unwrap_or_default())?,
            body,
        },
        routing: routing(RoutingForm {
            tags,
            jobs,
            min_severity,
            group_seconds,
            max_per_hour,
            quiet_from,
            quiet_to,
            quiet_timezone,
        })?,
        enabled_alert_types: ticked(failure, missed, recovery, worker_offline, scheduler_offline),
        enabled: true,
        secret: None,
    };
    Ok(core()?.create_webhook(&request).await?)
}

/// The routing fields of the channel form, as typed.
#[cfg(feature = "ssr")]
struct RoutingForm {
    tags: Option<String>,
    jobs: Option<String>,
    min_severity: Option<String>,
    group_seconds: Option<String>,
    max_per_hour: Option<String>,
    quiet_from: Option<String>,
    quiet_to: Option<String>,
    quiet_timezone: Option<String>,
}

#[cfg(feature = "ssr")]
fn routing(f: RoutingForm) -> Result<telltale_model::ChannelRouting, AppError> {
    let list = |v: Option<String>| -> Vec<String> {
        v.unwrap_or_default()
            .split([',', '\n'])
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect()
    };
    let number = |field: &str, v: Option<String>, default: u32| -> Result<u32, AppError> {
        match v.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => Ok(default),
            Some(s) => s
                .parse()
                .map_err(|_| AppError::bad_input(field, format!("{s:?} is not a whole number"))),
        }
    };
    let text = |v: Option<String>| v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
    let severity = match text(f.min_severity) {
        None => telltale_model::Severity::Info,
        Some(s) => telltale_model::Severity::parse(&s).ok_or_else(|| {
            AppError::bad_input("routing.minSeverity", format!("unknown value {s:?}"))
        })?,
    };
    let quiet_hours = match (text(f.quiet_from), text(f.quiet_to)) {
        (None, None) => None,
        (from, to) => Some(telltale_model::QuietHours {
            from: from.unwrap_or_default(),
            to: to.unwrap_or_default(),
            timezone: text(f.quiet_timezone).unwrap_or_else(|| "UTC".to_owned()),
        }),
    };
    Ok(telltale_model::ChannelRouting {
        tags: list(f.tags),
        jobs: list(f.jobs),
        min_severity: severity,
        group_seconds: number(
            "routing.groupSeconds",
            f.group_seconds,
            telltale_model::DEFAULT_GROUP_SECONDS,
        )?,
        max_per_hour: number("routing.maxPerHour", f.max_per_hour, 0)?,
        quiet_hours,
    })
}

/// `Name: value`, one header a line.
#[cfg(feature = "ssr")]
fn header_lines(text: &str) -> Result<Vec<telltale_model::ChannelHeader>, AppError> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let (name, value) = line.split_once(':').ok_or_else(|| {
                AppError::bad_input(
                    "options.headers",
                    format!("{:?} is not a \"Name: value\" line", line.trim()),
                )
            })?;
            Ok(telltale_model::ChannelHeader {
                name: name.trim().to_owned(),
                value: value.trim().to_owned(),
            })
        })
        .collect()
}

#[server(prefix = "/api", endpoint = "delivery/remove-webhook")]
pub async fn remove_webhook(id: i64) -> Result<(), AppError> {
    use ssr::*;
    require_admin()?;
    Ok(core()?.delete_webhook(id).await?)
}

#[server(prefix = "/api", endpoint = "delivery/test-webhook")]
pub async fn send_test_webhook(id: i64) -> Result<TestOutcome, AppError> {
    use ssr::*;
    require_admin()?;
    core()?
        .deliverer()
        .test_webhook(id)
        .await?
        .ok_or_else(|| AppError::not_found(telltale_model::Resource::Webhook, id))
}

/// One alert and every attempt to deliver it: what `GET /v1/alerts/{id}`
/// returns, and its typed not-found when there is no such alert.
#[server(prefix = "/api", endpoint = "alerts/detail")]
pub async fn get_alert_detail(id: i64) -> Result<AlertDetail, AppError> {
    use ssr::*;
    store()?
        .alert_detail(id)
        .await?
        .ok_or_else(|| AppError::not_found(telltale_model::Resource::Alert, id))
}
