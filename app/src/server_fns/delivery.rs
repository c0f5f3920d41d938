//! Alert delivery on the dashboard: the settings (email recipients and
//! types, webhooks), test sends, and one alert with its deliveries.
//! Settings are for admins; the alert detail is for every reader.

// A form's fields are a server function's arguments: one per alert-type
// checkbox. The `#[server]` macro writes the browser's copy of each
// function itself, where an item-level allow does not reach.
#![allow(clippy::too_many_arguments)]

use leptos::prelude::*;
use telltale_model::{AlertDetail, CreatedWebhook, TestOutcome, Webhook};

use crate::components::server_html::Markup;
use crate::error::AppError;
use crate::server_fns::channel_form::ChannelForm;

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

/// The email settings as HTML ([`crate::components::server_html`]): the
/// form for an admin, what they are for everyone else (every reader may
/// read them; only admins change them).
#[server(prefix = "/api", endpoint = "delivery/email-html")]
pub async fn email_html() -> Result<Markup, AppError> {
    use crate::components::server_html::render;
    use crate::pages::settings_delivery::EmailSettingsView;
    use ssr::*;
    let admin = is_admin();
    let core = core()?;
    let transport = core.deliverer().email_transport();
    let email = telltale_model::EmailChannel::new(core.store().email_settings().await?, transport);
    Ok(render(move || view! { <EmailSettingsView email admin /> }))
}

/// The channels as HTML, secrets masked: the list, and for an admin the
/// forms that test, change, remove and add them.
#[server(prefix = "/api", endpoint = "delivery/channels-html")]
pub async fn channels_html() -> Result<Markup, AppError> {
    use crate::components::server_html::render;
    use crate::pages::settings_delivery::ChannelsView;
    use crate::server_fns::shown_once::{Kind, take};
    use ssr::*;
    let admin = is_admin();
    let brought = admin.then(|| take(Kind::Webhook)).flatten();
    let store = store()?;
    let webhooks = store.list_webhooks().await?;
    // Shown only when it is that signing channel's secret (see shown_once).
    let shown = match brought {
        Some(b) => store
            .webhook_target(b.id)
            .await?
            .filter(|t| t.webhook.format.signed() && t.secret == b.secret)
            .map(|t| (t.webhook.name, b.secret)),
        None => None,
    };
    Ok(render(
        move || view! { <ChannelsView webhooks admin shown /> },
    ))
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
    #[server(flatten)] channel: ChannelForm,
) -> Result<CreatedWebhook, AppError> {
    use crate::server_fns::shown_once::{Kind, Offer};
    use ssr::*;
    require_admin()?;
    let core = core()?;
    let offer = Offer::prepare();
    let created = core.create_webhook(&channel.settings(false)?).await?;
    if created.webhook.format.signed() {
        offer.give(Kind::Webhook, created.webhook.id, &created.secret);
    }
    Ok(created)
}

/// Changes a channel: a URL, token or header value left empty or sent
/// back masked is kept, as over `PUT /v1/settings/alerts/webhooks/{id}`.
#[server(prefix = "/api", endpoint = "delivery/edit-webhook")]
pub async fn edit_webhook(
    id: i64,
    #[server(flatten)] channel: ChannelForm,
) -> Result<Webhook, AppError> {
    use ssr::*;
    require_admin()?;
    let core = core()?;
    Ok(core.update_webhook(id, &channel.settings(true)?).await?)
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
