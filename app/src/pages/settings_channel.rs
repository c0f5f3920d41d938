//! The channel form, to add a channel or change one: its provider and
//! what that provider needs, its routing, its alert types. Filled from
//! the channel as every reader sees it, so its secrets stay masked; one
//! sent back unchanged is kept.

use leptos::prelude::*;
use telltale_model::{AlertType, Webhook, WebhookFormat};

use crate::form_action::{FormAction, SubmitForm};
use crate::server_fns::channel_form::ChannelForm;
use crate::server_fns::delivery::{AddWebhook, EditWebhook};

/// A new channel of any provider, with its routing.
#[component]
pub(super) fn AddChannelForm(add: FormAction<AddWebhook>) -> impl IntoView {
    view! {
        <SubmitForm action=add attr:class="stacked-form add-webhook">
            <ChannelFields v=ChannelForm::blank() key="hook".to_owned() />
            <button type="submit">"Add channel"</button>
        </SubmitForm>
    }
}

/// One channel's settings, to change; closed until asked for.
#[component]
pub(super) fn EditChannelForm(webhook: Webhook, edit: FormAction<EditWebhook>) -> impl IntoView {
    let v = ChannelForm::of(&webhook);
    let key = format!("hook-{}", webhook.id);
    let enabled_id = format!("{key}-enabled");
    view! {
        <details class="manage edit-channel" data-testid="edit-channel">
            <summary>"Change “" {webhook.name.clone()} "”"</summary>
            <SubmitForm action=edit attr:class="stacked-form edit-webhook">
                <input type="hidden" name="id" value=webhook.id />
                <label>
                    <input type="checkbox" id=enabled_id name="enabled" checked=v.enabled.is_some() />
                    " Enabled"
                </label>
                <ChannelFields v key />
                <button type="submit">"Save channel"</button>
            </SubmitForm>
        </details>
    }
}

#[component]
fn ChannelFields(v: ChannelForm, key: String) -> impl IntoView {
    let format = v.format.clone().unwrap_or_default();
    let types = v.types();
    view! {
        <label>"Name " <input type="text" name="name" required value=v.name.clone() /></label>
        <label>
            "Provider "
            <select name="format">
                {WebhookFormat::ALL
                    .into_iter()
                    .map(|f| {
                        view! {
                            <option value=f.as_str() selected=f.as_str() == format>
                                {f.label()}
                            </option>
                        }
                    })
                    .collect_view()}
            </select>
        </label>
        <label>
            "URL " <input type="url" name="url" placeholder="https://…" value=v.url.clone() />
        </label>
        <p class="muted">
            "The webhook URL the provider gave you; for Telegram, Pushover, PagerDuty and Opsgenie, empty for their public API; for ntfy, the topic's URL; for Gotify and Matrix, the server's. Shown masked: left as it is, it is kept."
        </p>
        <ProviderFields v=v.clone() />
        <RoutingFields v />
        <TypeBoxes prefix=key checked=types />
    }
}

/// What providers need besides a URL; each provider's page in the docs
/// says which.
#[component]
fn ProviderFields(v: ChannelForm) -> impl IntoView {
    let method = v.method.clone().unwrap_or_default().to_ascii_uppercase();
    view! {
        <fieldset class="provider-fields">
            <legend>"Provider settings (where the provider needs them)"</legend>
            <label>
                "Token "
                <input
                    type="password"
                    name="token"
                    autocomplete="off"
                    placeholder=v.format.as_ref().map(|_| "kept unless you type a new one")
                />
                <span class="muted">
                    " Telegram bot token, Gotify app token, Pushover API token, Matrix access token, PagerDuty routing key, Opsgenie API key, ntfy access token"
                </span>
            </label>
            <label>
                "Recipient " <input type="text" name="to" value=v.to />
                <span class="muted">
                    " Telegram chat id, Pushover user key, Matrix room id, Apprise tag"
                </span>
            </label>
            <label>
                "Method (templated webhook) "
                <select name="method">
                    <option value="">"POST"</option>
                    <option value="PUT" selected=method == "PUT">"PUT"</option>
                    <option value="PATCH" selected=method == "PATCH">"PATCH"</option>
                </select>
            </label>
            <label>
                "Headers (templated webhook), one “Header: value” a line "
                <textarea name="headers" rows="2">{v.headers.unwrap_or_default()}</textarea>
            </label>
            <label>
                "Body template (templated webhook) "
                <textarea name="body" rows="3" class="mono" placeholder=TEMPLATE_PLACEHOLDER>
                    {v.body.unwrap_or_default()}
                </textarea>
            </label>
        </fieldset>
    }
}

/// Which alerts the channel is told of beyond their types, and how.
#[component]
fn RoutingFields(v: ChannelForm) -> impl IntoView {
    let severity = v.min_severity.clone().unwrap_or_default();
    let option = move |value: &'static str, label: &'static str| {
        view! { <option value=value selected=severity == value>{label}</option> }
    };
    view! {
        <fieldset class="routing-fields">
            <legend>"Routing (empty: every alert of the types below)"</legend>
            <label>
                "Job tags, comma-separated "
                <input type="text" name="tags" placeholder="db, nightly" value=v.tags />
            </label>
            <label>
                "Job patterns (globs such as etl-*), comma-separated "
                <input type="text" name="jobs" placeholder="etl-*, backup-?" value=v.jobs />
            </label>
            <label>
                "Minimum severity "
                <select name="min_severity">
                    {option("info", "info (every alert)")}
                    {option("warning", "warning (no RECOVERY)")}
                    {option("critical", "critical (FAILURE, MISSED, SCHEDULER_OFFLINE)")}
                </select>
            </label>
            <label>
                "Group window (s) "
                <input type="number" name="group_seconds" min="0" max="3600" value=v.group_seconds />
            </label>
            <label>
                "At most, messages an hour (0: no limit) "
                <input type="number" name="max_per_hour" min="0" max="10000" value=v.max_per_hour />
            </label>
            <label>"Quiet from " <input type="time" name="quiet_from" value=v.quiet_from /></label>
            <label>"Quiet until " <input type="time" name="quiet_to" value=v.quiet_to /></label>
            <label>
                "Quiet hours' time zone "
                <input type="text" name="quiet_timezone" placeholder="Europe/Berlin" value=v.quiet_timezone />
            </label>
        </fieldset>
    }
}

const TEMPLATE_PLACEHOLDER: &str = r#"{"text": "{{summary}}: {{reason}}", "link": "{{url}}"}"#;

/// One checkbox per alert type, named as the server function's fields;
/// `prefix` keeps their ids apart when a page has several such forms.
#[component]
pub(super) fn TypeBoxes(prefix: String, checked: Vec<AlertType>) -> impl IntoView {
    view! {
        <fieldset class="alert-types">
            <legend>"Alert types"</legend>
            {AlertType::ALL
                .into_iter()
                .map(|t| {
                    let name = t.as_str().to_ascii_lowercase();
                    let id = format!("{prefix}-type-{name}");
                    view! {
                        <label>
                            <input type="checkbox" id=id name=name checked=checked.contains(&t) />
                            " " {t.as_str()}
                        </label>
                    }
                })
                .collect_view()}
        </fieldset>
    }
}
