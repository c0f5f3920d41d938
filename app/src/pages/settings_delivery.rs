use leptos::prelude::*;
use telltale_model::{EmailChannel, TestOutcome, Webhook};

use crate::components::loaded::{Loaded, error_line};
use crate::error::AppError;
use crate::form_action::{FormAction, SubmitForm};

use crate::server_fns::delivery::{
    AddWebhook, EditWebhook, RemoveWebhook, SaveEmailSettings, SendTestEmail, SendTestWebhook,
    get_delivery_settings,
};

use super::settings_channel::{AddChannelForm, EditChannelForm, TypeBoxes};

/// Where alerts go: email recipients and types, webhooks (a new one's
/// secret is shown once), and test sends that say what the receiver said.
#[component]
pub fn DeliverySettingsSection() -> impl IntoView {
    let forms = DeliveryForms {
        save_email: FormAction::new(),
        test_email: FormAction::new(),
        add: FormAction::new(),
        edit: FormAction::new(),
        remove: FormAction::new(),
        test_hook: FormAction::new(),
    };
    let data = crate::data::data(
        move || {
            (
                forms.save_email.version().get(),
                forms.add.version().get(),
                forms.edit.version().get(),
                forms.remove.version().get(),
            )
        },
        |_| get_delivery_settings(),
    );
    let failure = move || {
        [
            forms.save_email.value().get().and_then(|r| r.err()),
            forms.add.value().get().and_then(|r| r.err()),
            forms.edit.value().get().and_then(|r| r.err()),
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
    save_email: FormAction<SaveEmailSettings>,
    test_email: FormAction<SendTestEmail>,
    add: FormAction<AddWebhook>,
    edit: FormAction<EditWebhook>,
    remove: FormAction<RemoveWebhook>,
    test_hook: FormAction<SendTestWebhook>,
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
        <SubmitForm action=forms.save_email attr:class="stacked-form email-settings">
            <label for="email-recipients">"Recipients (one per line)"</label>
            <textarea id="email-recipients" name="recipients" rows="3">
                {email.recipients.join("\n")}
            </textarea>
            <TypeBoxes prefix="email".to_owned() checked=email.enabled_alert_types.clone() />
            <button type="submit">"Save email settings"</button>
        </SubmitForm>
        <SubmitForm action=test_email attr:class="inline-form">
            <button type="submit">"Send test email"</button>
        </SubmitForm>
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
    let edits = admin.then(|| {
        webhooks
            .iter()
            .cloned()
            .map(|webhook| view! { <EditChannelForm webhook edit=forms.edit /> })
            .collect_view()
    });
    view! {
        <h2>"Channels"</h2>
        {new_secret}
        <WebhookTable webhooks remove=forms.remove test=test_hook admin />
        {move || outcome(test_hook.value().get())}
        {edits}
        {admin.then(|| view! { <AddChannelForm add /> })}
    }
}

#[component]
fn WebhookTable(
    webhooks: Vec<Webhook>,
    remove: FormAction<RemoveWebhook>,
    test: FormAction<SendTestWebhook>,
    admin: bool,
) -> impl IntoView {
    if webhooks.is_empty() {
        return view! { <p class="muted">"No channel."</p> }.into_any();
    }
    view! {
        <div class="table-wrap" role="region" aria-label="Channels" tabindex="0">
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
                                                    <SubmitForm action=test attr:class="inline-form">
                                                        <input type="hidden" name="id" value=w.id />
                                                        <button type="submit">"Send test"</button>
                                                    </SubmitForm>
                                                    <SubmitForm action=remove attr:class="inline-form">
                                                        <input type="hidden" name="id" value=w.id />
                                                        <button type="submit">"Remove"</button>
                                                    </SubmitForm>
                                                }
                                            })}
                                    </td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}
