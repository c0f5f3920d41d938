//! The settings page's delivery sections: the alert email (recipients
//! and types) and the channels (a new one's secret is shown once), with
//! test sends that say what the receiver said.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use telltale_model::TestOutcome;
#[cfg(feature = "ssr")]
use telltale_model::{EmailChannel, Webhook};

use crate::components::loaded::{action_error, error_line};
use crate::components::server_html::markup_section;
use crate::error::AppError;
use crate::form_action::FormAction;
#[cfg(feature = "ssr")]
use crate::form_action::SubmitForm;
use crate::server_fns::delivery::{
    AddWebhook, EditWebhook, RemoveWebhook, SaveEmailSettings, SendTestEmail, SendTestWebhook,
    channels_html, email_html,
};

use super::settings::secret_once;
#[cfg(feature = "ssr")]
use super::settings_channel::{AddChannelForm, EditChannelForm, TypeBoxes};

/// The alert email: who gets it, for which alerts, and a test send.
#[component]
pub fn EmailSection() -> impl IntoView {
    let save = FormAction::<SaveEmailSettings>::new();
    let test = FormAction::<SendTestEmail>::new();
    let post = Callback::new(move |ev: SubmitEvent| {
        save.post_inside(ev.clone());
        test.post_inside(ev);
    });
    view! {
        <h2>"Alert email"</h2>
        {action_error(save)}
        {markup_section(move || save.version().get(), |_| email_html(), post)}
        {move || outcome(test.value().get())}
    }
}

/// The channels alerts go to; a new signing channel's secret is shown
/// once, here, and a test send's outcome, above the list.
#[component]
pub fn ChannelsSection() -> impl IntoView {
    let add = FormAction::<AddWebhook>::new();
    let edit = FormAction::<EditWebhook>::new();
    let remove = FormAction::<RemoveWebhook>::new();
    let test = FormAction::<SendTestWebhook>::new();
    let post = Callback::new(move |ev: SubmitEvent| {
        add.post_inside(ev.clone());
        edit.post_inside(ev.clone());
        remove.post_inside(ev.clone());
        test.post_inside(ev);
    });
    let new_secret = move || {
        add.value()
            .get()
            .and_then(|r| r.ok())
            .filter(|c| c.webhook.format.signed())
            .map(|created| secret_once(signs_with(&created.webhook.name), created.secret))
    };
    view! {
        <h2>"Channels"</h2>
        {action_error(add)}
        {action_error(edit)}
        {action_error(remove)}
        {new_secret}
        {move || outcome(test.value().get())}
        {markup_section(
            move || (add.version().get(), edit.version().get(), remove.version().get()),
            |_| channels_html(),
            post,
        )}
    }
}

/// What introduces a new signing channel's secret.
fn signs_with(name: &str) -> String {
    format!("Webhook “{name}” signs with this secret")
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

/// The email settings, rendered by
/// [`crate::server_fns::delivery::email_html`]: the form for an admin,
/// what they are for everyone else.
#[cfg(feature = "ssr")]
#[component]
pub fn EmailSettingsView(email: EmailChannel, admin: bool) -> impl IntoView {
    let transport = email.transport.clone().unwrap_or_else(|| {
        "none — set MONITOR_SMTP_URL and MONITOR_EMAIL_FROM, or MONITOR_RESEND_API_KEY and MONITOR_RESEND_FROM_EMAIL"
            .to_owned()
    });
    if !admin {
        let types: Vec<&str> = email
            .enabled_alert_types
            .iter()
            .map(|t| t.as_str())
            .collect();
        return view! {
            <p class="muted">"An admin changes where alerts go; you can read it."</p>
            <p>"Transport: " <span class="mono">{transport}</span></p>
            <p>"Recipients: " <span class="mono">{email.recipients.join(", ")}</span></p>
            <p>"Alert types: " <span class="mono">{types.join(", ")}</span></p>
        }
        .into_any();
    }
    view! {
        <p>"Transport: " <span class="mono">{transport}</span></p>
        <SubmitForm action={FormAction::<SaveEmailSettings>::new()} attr:class="stacked-form email-settings">
            <label for="email-recipients">"Recipients (one per line)"</label>
            <textarea id="email-recipients" name="recipients" rows="3">
                {email.recipients.join("\n")}
            </textarea>
            <TypeBoxes prefix="email".to_owned() checked=email.enabled_alert_types.clone() />
            <button type="submit">"Save email settings"</button>
        </SubmitForm>
        <SubmitForm action={FormAction::<SendTestEmail>::new()} attr:class="inline-form">
            <button type="submit">"Send test email"</button>
        </SubmitForm>
    }
    .into_any()
}

/// The channels, rendered by [`crate::server_fns::delivery::channels_html`]:
/// the list, and for an admin the forms that test, change, remove and add.
#[cfg(feature = "ssr")]
#[component]
pub fn ChannelsView(
    webhooks: Vec<Webhook>,
    admin: bool,
    /// A new signing channel's name and secret that a post without
    /// JavaScript left.
    shown: Option<(String, String)>,
) -> impl IntoView {
    let edits = admin.then(|| {
        webhooks
            .iter()
            .cloned()
            .map(|webhook| view! { <EditChannelForm webhook edit=FormAction::new() /> })
            .collect_view()
    });
    view! {
        {shown.map(|(name, secret)| secret_once(signs_with(&name), secret))}
        <WebhookTable webhooks remove=FormAction::new() test=FormAction::new() admin />
        {edits}
        {admin.then(|| view! { <AddChannelForm add=FormAction::new() /> })}
    }
}

#[cfg(feature = "ssr")]
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
