use leptos::prelude::*;
use leptos_meta::Title;
use telltale_model::{ApiKey, Role, User};

use crate::components::loaded::{Loaded, error_line};
use crate::components::time::Time;
use crate::error::AppError;
use crate::form_action::{FormAction, SubmitForm};
use crate::pages::settings_delivery::DeliverySettingsSection;
use crate::pages::settings_maintenance::MaintenanceSection;
use crate::server_fns::settings::{
    AddUser, CreateApiKey, RemoveUser, ResetPassword, RevokeApiKey, SetRole, settings_view,
};

/// The forms of the settings page: each a server function behind the
/// admin check.
#[derive(Clone, Copy)]
struct Forms {
    create_key: FormAction<CreateApiKey>,
    revoke_key: FormAction<RevokeApiKey>,
    add_user: FormAction<AddUser>,
    remove_user: FormAction<RemoveUser>,
    reset_password: FormAction<ResetPassword>,
    set_role: FormAction<SetRole>,
}

impl Forms {
    fn new() -> Self {
        Forms {
            create_key: FormAction::new(),
            revoke_key: FormAction::new(),
            add_user: FormAction::new(),
            remove_user: FormAction::new(),
            reset_password: FormAction::new(),
            set_role: FormAction::new(),
        }
    }

    /// Changes with every submission, so the lists re-read after one.
    fn versions(self) -> [usize; 6] {
        [
            self.create_key.version().get(),
            self.revoke_key.version().get(),
            self.add_user.version().get(),
            self.remove_user.version().get(),
            self.reset_password.version().get(),
            self.set_role.version().get(),
        ]
    }

    /// The last failure of any form, shown above the lists.
    fn failure(self) -> Option<AppError> {
        [
            self.create_key.value().get().and_then(|r| r.err()),
            self.revoke_key.value().get().and_then(|r| r.err()),
            self.add_user.value().get().and_then(|r| r.err()),
            self.remove_user.value().get().and_then(|r| r.err()),
            self.reset_password.value().get().and_then(|r| r.err()),
            self.set_role.value().get().and_then(|r| r.err()),
        ]
        .into_iter()
        .flatten()
        .next()
    }
}

/// Where alerts go, for everyone to read and admins to change; users,
/// API keys and maintenance windows for admins. Every change is a server
/// function behind the admin check; a new key's secret is shown once,
/// right here.
#[component]
pub fn SettingsPage() -> impl IntoView {
    let forms = Forms::new();
    let view_data = crate::data::data(move || forms.versions(), |_| settings_view());
    let failure = move || forms.failure().map(error_line);
    view! {
        <Title text="Settings" />
        <h1>"Settings"</h1>
        <DeliverySettingsSection />
        {failure}
        <Loaded data=view_data let:data>
            <MaintenanceSection admin=true />
            <KeysSection keys=data.api_keys forms />
            <UsersSection users=data.users forms />
            <crate::pages::job_manage::AuditLog job=None />
        </Loaded>
    }
}

#[component]
fn KeysSection(keys: Vec<ApiKey>, forms: Forms) -> impl IntoView {
    let create_key = forms.create_key;
    let new_secret = move || {
        create_key
            .value()
            .get()
            .and_then(|r| r.ok())
            .map(|created| {
                view! {
                    <p class="secret" role="status">
                        "New key “" {created.key.name} "”: copy it now, it is not shown again: "
                        <code class="mono">{created.secret}</code>
                    </p>
                }
            })
    };
    view! {
        <h2>"API keys"</h2>
        {new_secret}
        <KeyTable keys revoke=forms.revoke_key />
        <SubmitForm action=create_key attr:class="inline-form">
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

#[component]
fn UsersSection(users: Vec<User>, forms: Forms) -> impl IntoView {
    view! {
        <h2>"Users"</h2>
        <UserTable
            users
            remove=forms.remove_user
            reset=forms.reset_password
            set_role=forms.set_role
        />
        <SubmitForm action=forms.add_user attr:class="inline-form">
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
