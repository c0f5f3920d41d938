use leptos::prelude::*;
use telltale_model::{AlertType, EmailChannel, TestOutcome, Webhook, WebhookFormat};

use crate::components::loaded::{Loaded, error_line};
use crate::error::AppError;

use crate::server_fns::delivery::{
    AddWebhook, RemoveWebhook, SaveEmailSettings, SendTestEmail, SendTestWebhook,
    get_delivery_settings,
};

/// Where alerts go: email recipients and types, webhooks (a new one's
/// secret is shown once), and test sends that say what the receiver said.
#[component]
pub fn DeliverySettingsSection() -> impl IntoView {
    let forms = DeliveryForms {
        save_email: ServerAction::new(),
        test_email: ServerAction::new(),
        add: ServerAction::new(),
        remove: ServerAction::new(),
        test_hook: ServerAction::new(),
    };
    let data = crate::data::data(
        move || {
            (
                forms.save_email.version().get(),
                forms.add.version().get(),
                forms.remove.version().get(),
            )
        },
        |_| get_delivery_settings(),
    );
    let failure = move || {
        [
            forms.save_email.value().get().and_then(|r| r.err()),
            forms.add.value().get().and_then(|r| r.err()),
            forms.remove.value().get().and_then(|r| r.err()),
        ]
        .into_iter()
        .flatten()
        .next()
        .map(error_line)
    };
    view! {
        <h2>"Alert email"</h2>
        {failure}
        <Loaded data let:d>
            {(!d.may_change)
                .then(|| {
                    view! {
                        <p class="muted">"An admin changes where alerts go; you can read it."</p>
                    }
                })}
            <EmailSection email=d.email forms admin=d.may_change />
            <WebhooksSection webhooks=d.webhooks forms admin=d.may_change />
        </Loaded>
    }
}

/// The forms of the delivery settings, each a server function behind the
/// admin check.
#[derive(Clone, Copy)]
struct DeliveryForms {
    save_email: ServerAction<SaveEmailSettings>,
    test_email: ServerAction<SendTestEmail>,
    add: ServerAction<AddWebhook>,
    remove: ServerAction<RemoveWebhook>,
    test_hook: ServerAction<SendTestWebhook>,
}

/// What a test send came to: the receiver's words, or the typed error.
fn outcome(o: Option<Result<TestOutcome, AppError>>) -> Option<AnyView> {
    o.map(|r| match r {
        Ok(o) => {
            let class = if o.failed == 0 {
                "test-outcome ok"
            } else {
                "test-outcome error"
            };
            view! { <p class=class role="status">{o.message}</p> }.into_any()
        }
        Err(e) => error_line(e).into_any(),
    })
}

#[component]
fn EmailSection(email: EmailChannel, forms: DeliveryForms, admin: bool) -> impl IntoView {
    let transport = email.transport.clone().unwrap_or_else(|| {
        "none — set MONITOR_SMTP_URL and MONITOR_EMAIL_FROM, or MONITOR_RESEND_API_KEY and MONITOR_RESEND_FROM_EMAIL"
            .to_owned()
    });
    let test_email = forms.test_email;
    if !admin {
        let types: Vec<&str> = email
            .enabled_alert_types
            .iter()
            .map(|t| t.as_str())
            .collect();
        return view! {
            <p>"Transport: " <span class="mono">{transport}</span></p>
            <p>"Recipients: " <span class="mono">{email.recipients.join(", ")}</span></p>
            <p>"Alert types: " <span class="mono">{types.join(", ")}</span></p>
        }
        .into_any();
    }
    view! {
        <p>"Transport: " <span class="mono">{transport}</span></p>
        <ActionForm action=forms.save_email attr:class="stacked-form email-settings">
            <label for="email-recipients">"Recipients (one per line)"</label>
            <textarea id="email-recipients" name="recipients" rows="3">
                {email.recipients.join("\n")}
            </textarea>
            <TypeBoxes prefix="email" checked=email.enabled_alert_types.clone() />
            <button type="submit">"Save email settings"</button>
        </ActionForm>
        <ActionForm action=test_email attr:class="inline-form">
            <button type="submit">"Send test email"</button>
        </ActionForm>
        {move || outcome(test_email.value().get())}
    }
    .into_any()
}

#[component]
fn WebhooksSection(webhooks: Vec<Webhook>, forms: DeliveryForms, admin: bool) -> impl IntoView {
    let (add, test_hook) = (forms.add, forms.test_hook);
    let new_secret = move || {
        add.value().get().and_then(|r| r.ok()).filter(|c| c.webhook.format.signed()).map(|created| {
            view! {
                <p class="secret" role="status">
                    "Webhook “" {created.webhook.name} "” signs with this secret; copy it now, it is not shown again: "
                    <code class="mono">{created.secret}</code>
                </p>
            }
        })
    };
    view! {
        <h2>"Channels"</h2>
        {new_secret}
        <WebhookTable webhooks remove=forms.remove test=test_hook admin />
        {move || outcome(test_hook.value().get())}
        {admin.then(|| view! { <AddChannelForm add /> })}
    }
}

/// A new channel of any provider, with its routing.
#[component]
fn AddChannelForm(add: ServerAction<AddWebhook>) -> impl IntoView {
    view! {
        <ActionForm action=add attr:class="stacked-form add-webhook">
            <label>"Name " <input type="text" name="name" required /></label>
            <label>
                "Provider "
                <select name="format">
                    {WebhookFormat::ALL
                        .into_iter()
                        .map(|f| view! { <option value=f.as_str()>{f.label()}</option> })
                        .collect_view()}
                </select>
            </label>
            <label>
                "URL "
                <input type="url" name="url" placeholder="https://…" />
            </label>
            <p class="muted">
                "The webhook URL the provider gave you; for Telegram, Pushover, PagerDuty and Opsgenie, empty for their public API; for ntfy, the topic's URL; for Gotify and Matrix, the server's."
            </p>
            <ProviderFields />
            <RoutingFields />
            <TypeBoxes prefix="hook" checked=AlertType::ALL.to_vec() />
            <button type="submit">"Add channel"</button>
        </ActionForm>
    }
}

/// What providers need besides a URL; each provider's page in the docs
/// says which.
#[component]
fn ProviderFields() -> impl IntoView {
    view! {
        <fieldset class="provider-fields">
            <legend>"Provider settings (where the provider needs them)"</legend>
            <label>
                "Token "
                <input type="password" name="token" autocomplete="off" />
                <span class="muted">
                    " Telegram bot token, Gotify app token, Pushover API token, Matrix access token, PagerDuty routing key, Opsgenie API key, ntfy access token"
                </span>
            </label>
            <label>
                "Recipient "
                <input type="text" name="to" />
                <span class="muted">
                    " Telegram chat id, Pushover user key, Matrix room id, Apprise tag"
                </span>
            </label>
            <label>
                "Method (templated webhook) "
                <select name="method">
                    <option value="">"POST"</option>
                    <option value="PUT">"PUT"</option>
                    <option value="PATCH">"PATCH"</option>
                </select>
            </label>
            <label>
                "Headers (templated webhook), one “Header: value” a line "
                <textarea name="headers" rows="2"></textarea>
            </label>
            <label>
                "Body template (templated webhook) "
                <textarea
                    name="body"
                    rows="3"
                    class="mono"
                    placeholder=TEMPLATE_PLACEHOLDER
                ></textarea>
            </label>
        </fieldset>
    }
}

/// Which alerts the channel is told of beyond their types, and how.
#[component]
fn RoutingFields() -> impl IntoView {
    view! {
        <fieldset class="routing-fields">
            <legend>"Routing (empty: every alert of the types below)"</legend>
            <label>
                "Job tags, comma-separated " <input type="text" name="tags" placeholder="db, nightly" />
            </label>
            <label>
                "Job patterns (globs such as etl-*), comma-separated "
                <input type="text" name="jobs" placeholder="etl-*, backup-?" />
            </label>
            <label>
                "Minimum severity "
                <select name="min_severity">
                    <option value="info">"info (every alert)"</option>
                    <option value="warning">"warning (no RECOVERY)"</option>
                    <option value="critical">"critical (FAILURE, MISSED, SCHEDULER_OFFLINE)"</option>
                </select>
            </label>
            <label>
                "Group window (s) "
                <input type="number" name="group_seconds" min="0" max="3600" value="30" />
            </label>
            <label>
                "At most, messages an hour (0: no limit) "
                <input type="number" name="max_per_hour" min="0" max="10000" value="0" />
            </label>
            <label>"Quiet from " <input type="time" name="quiet_from" /></label>
            <label>"Quiet until " <input type="time" name="quiet_to" /></label>
            <label>
                "Quiet hours' time zone " <input type="text" name="quiet_timezone" placeholder="Europe/Berlin" />
            </label>
        </fieldset>
    }
}

const TEMPLATE_PLACEHOLDER: &str = r#"{"text": "{{summary}}: {{reason}}", "link": "{{url}}"}"#;

/// One checkbox per alert type, named as the server function's fields.
#[component]
fn TypeBoxes(prefix: &'static str, checked: Vec<AlertType>) -> impl IntoView {
    view! {
        <fieldset class="alert-types">
            <legend>"Alert types"</legend>
            {AlertType::ALL
                .into_iter()
                .map(|t| {
                    let name = t.as_str().to_lowercase();
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

#[component]
fn WebhookTable(
    webhooks: Vec<Webhook>,
    remove: ServerAction<RemoveWebhook>,
    test: ServerAction<SendTestWebhook>,
    admin: bool,
) -> impl IntoView {
    if webhooks.is_empty() {
        return view! { <p class="muted">"No channel."</p> }.into_any();
    }
    view! {
        <table class="webhooks">
            <thead>
                <tr>
                    <th>"Name"</th>
                    <th>"URL"</th>
                    <th>"Provider"</th>
                    <th>"Alert types"</th>
                    <th>"Routing"</th>
                    <th>"Enabled"</th>
                    <th></th>
                </tr>
            </thead>
            <tbody>
                {webhooks
                    .into_iter()
                    .map(|w| {
                        let types = w
                            .enabled_alert_types
                            .iter()
                            .map(|t| t.as_str())
                            .collect::<Vec<_>>()
                            .join(", ");
                        view! {
                            <tr>
                                <td>{w.name}</td>
                                <td class="mono">{w.url}</td>
                                <td>{w.format.label()}</td>
                                <td class="mono">{types}</td>
                                <td class="routing">{w.routing.summary()}</td>
                                <td>{if w.enabled { "yes" } else { "no" }}</td>
                                <td class="nowrap">
                                    {admin
                                        .then(|| {
                                            view! {
                                                <ActionForm action=test attr:class="inline-form">
                                                    <input type="hidden" name="id" value=w.id />
                                                    <button type="submit">"Send test"</button>
                                                </ActionForm>
                                                <ActionForm action=remove attr:class="inline-form">
                                                    <input type="hidden" name="id" value=w.id />
                                                    <button type="submit">"Remove"</button>
                                                </ActionForm>
                                            }
                                        })}
                                </td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}
