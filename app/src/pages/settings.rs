//! The settings page: where alerts go, for everyone to read and admins to
//! change; maintenance windows; users and API keys for admins; the audit
//! log. Each section is server markup ([`crate::components::server_html`])
//! whose forms post from here, where their errors and answers show (a new
//! key's secret once, a test send's outcome), and which is read again
//! after each answer of its own forms, so a form typed into in another
//! section keeps what was typed.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos_meta::Title;
#[cfg(feature = "ssr")]
use telltale_model::{ApiKey, Role, User};

use crate::components::loaded::action_error;
use crate::components::server_html::markup_section;
#[cfg(feature = "ssr")]
use crate::components::time::Time;
use crate::form_action::FormAction;
#[cfg(feature = "ssr")]
use crate::form_action::SubmitForm;
use crate::pages::job_manage::AuditLog;
use crate::pages::settings_delivery::{ChannelsSection, EmailSection};
use crate::pages::settings_maintenance::MaintenanceSection;
use crate::server_fns::settings::{
    AddUser, CreateApiKey, RemoveUser, ResetPassword, RevokeApiKey, SetRole, keys_html, users_html,
};

#[component]
pub fn SettingsPage() -> impl IntoView {
    view! {
        <Title text="Settings" />
        <h1>"Settings"</h1>
        <EmailSection />
        <ChannelsSection />
        <MaintenanceSection />
        <KeysSection />
        <UsersSection />
        <AuditLog job=None />
    }
}

/// The API keys; a new key's secret is shown once, here.
#[component]
fn KeysSection() -> impl IntoView {
    let create = FormAction::<CreateApiKey>::new();
    let revoke = FormAction::<RevokeApiKey>::new();
    let post = Callback::new(move |ev: SubmitEvent| {
        create.post_inside(ev.clone());
        revoke.post_inside(ev);
    });
    let new_secret = move || {
        create
            .value()
            .get()
            .and_then(|r| r.ok())
            .map(|created| secret_once(new_key(&created.key.name), created.secret))
    };
    view! {
        <h2>"API keys"</h2>
        {action_error(create)}
        {action_error(revoke)}
        {new_secret}
        {markup_section(
            move || (create.version().get(), revoke.version().get()),
            |_| keys_html(),
            post,
        )}
    }
}

#[component]
fn UsersSection() -> impl IntoView {
    let add = FormAction::<AddUser>::new();
    let remove = FormAction::<RemoveUser>::new();
    let reset = FormAction::<ResetPassword>::new();
    let set_role = FormAction::<SetRole>::new();
    let post = Callback::new(move |ev: SubmitEvent| {
        add.post_inside(ev.clone());
        remove.post_inside(ev.clone());
        reset.post_inside(ev.clone());
        set_role.post_inside(ev);
    });
    view! {
        <h2>"Users"</h2>
        {action_error(add)}
        {action_error(remove)}
        {action_error(reset)}
        {action_error(set_role)}
        {markup_section(
            move || {
                (
                    add.version().get(),
                    remove.version().get(),
                    reset.version().get(),
                    set_role.version().get(),
                )
            },
            |_| users_html(),
            post,
        )}
    }
}

/// What introduces a new key's secret.
fn new_key(name: &str) -> String {
    format!("New key “{name}”")
}

/// A new secret, shown once after `lead` ("New key “x”"): from the form's
/// answer once hydrated, in the section's markup after a post without
/// JavaScript (`server_fns::shown_once`). Keys and signing channels.
pub(super) fn secret_once(lead: String, secret: String) -> impl IntoView {
    view! {
        <p class="secret" role="status">
            {format!("{lead}: copy it now, it is not shown again: ")}
            <code class="mono">{secret}</code>
        </p>
    }
}

/// What a viewer reads in place of a section only admins see.
#[cfg(feature = "ssr")]
#[component]
pub fn AdminsOnly(what: &'static str) -> impl IntoView {
    view! { <p class="muted">{format!("An admin manages the {what}.")}</p> }
}

/// The keys and the form that creates one, rendered by
/// [`crate::server_fns::settings::keys_html`].
#[cfg(feature = "ssr")]
#[component]
pub fn Keys(
    keys: Vec<ApiKey>,
    /// A new key's name and secret that a post without JavaScript left.
    shown: Option<(String, String)>,
) -> impl IntoView {
    view! {
        {shown.map(|(name, secret)| secret_once(new_key(&name), secret))}
        <KeyTable keys revoke=FormAction::new() />
        <SubmitForm action={FormAction::<CreateApiKey>::new()} attr:class="inline-form">
            <label>"Name " <input type="text" name="name" required /></label>
            <label>
                "Scope "
                <select name="scope">
                    <option value="ingest">"ingest"</option>
                    <option value="read">"read"</option>
                    <option value="ping">"ping (slug ping URLs only)"</option>
                </select>
            </label>
            <button type="submit">"Create key"</button>
        </SubmitForm>
    }
}

/// The users with the forms that change each, and the form that adds one,
/// rendered by [`crate::server_fns::settings::users_html`].
#[cfg(feature = "ssr")]
#[component]
pub fn Users(users: Vec<User>) -> impl IntoView {
    view! {
        <UserTable
            users
            remove=FormAction::new()
            reset=FormAction::new()
            set_role=FormAction::new()
        />
        <SubmitForm action={FormAction::<AddUser>::new()} attr:class="inline-form">
            <label>"Email " <input type="email" name="email" required /></label>
            <label>
                "Password "
                <input type="password" name="password" minlength="12" autocomplete="new-password" required />
            </label>
            <label>
                "Role "
                <select name="role">
                    <option value="viewer">"viewer"</option>
                    <option value="admin">"admin"</option>
                </select>
            </label>
            <button type="submit">"Add user"</button>
        </SubmitForm>
    }
}

#[cfg(feature = "ssr")]
#[component]
fn KeyTable(keys: Vec<ApiKey>, revoke: FormAction<RevokeApiKey>) -> impl IntoView {
    view! {
        <div class="table-wrap" role="region" aria-label="API keys" tabindex="0">
            <table class="keys">
                <thead>
                    <tr>
                        <th>"Name"</th>
                        <th>"Scope"</th>
                        <th>"Key"</th>
                        <th>"Created"</th>
                        <th>"Last used"</th>
                        <th>"Revoked"</th>
                        <th></th>
                    </tr>
                </thead>
                <tbody>
                    {keys
                        .into_iter()
                        .map(|k| {
                            let live = k.revoked_at.is_none();
                            view! {
                                <tr>
                                    <td>{k.name}</td>
                                    <td>{k.scope.as_str()}</td>
                                    <td class="mono">{k.prefix} "…"</td>
                                    <td><Time at=k.created_at /></td>
                                    <td>{k.last_used_at.map(|at| view! { <Time at /> })}</td>
                                    <td>{k.revoked_at.map(|at| view! { <Time at /> })}</td>
                                    <td>
                                        {live.then(|| view! {
                                            <SubmitForm action=revoke>
                                                <input type="hidden" name="id" value=k.id />
                                                <button type="submit">"Revoke"</button>
                                            </SubmitForm>
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
}

#[cfg(feature = "ssr")]
#[component]
fn UserTable(
    users: Vec<User>,
    remove: FormAction<RemoveUser>,
    reset: FormAction<ResetPassword>,
    set_role: FormAction<SetRole>,
) -> impl IntoView {
    view! {
        <div class="table-wrap" role="region" aria-label="Users" tabindex="0">
            <table class="users">
                <thead>
                    <tr>
                        <th>"Email"</th>
                        <th>"Role"</th>
                        <th>"Created"</th>
                        <th>"New password"</th>
                        <th></th>
                    </tr>
                </thead>
                <tbody>
                    {users
                        .into_iter()
                        .map(|u| {
                            view! {
                                <tr>
                                    <td>{u.email}</td>
                                    <td>
                                        <SubmitForm action=set_role attr:class="inline-form">
                                            <input type="hidden" name="id" value=u.id />
                                            <select name="role">
                                                <option value="viewer" selected=u.role == Role::Viewer>
                                                    "viewer"
                                                </option>
                                                <option value="admin" selected=u.role == Role::Admin>
                                                    "admin"
                                                </option>
                                            </select>
                                            <button type="submit">"Set"</button>
                                        </SubmitForm>
                                    </td>
                                    <td><Time at=u.created_at /></td>
                                    <td>
                                        <SubmitForm action=reset attr:class="inline-form">
                                            <input type="hidden" name="id" value=u.id />
                                            <input type="password" name="password" minlength="12" autocomplete="new-password" required />
                                            <button type="submit">"Reset"</button>
                                        </SubmitForm>
                                    </td>
                                    <td>
                                        <SubmitForm action=remove>
                                            <input type="hidden" name="id" value=u.id />
                                            <button type="submit">"Remove"</button>
                                        </SubmitForm>
                                    </td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
}
