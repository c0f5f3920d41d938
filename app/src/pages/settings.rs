use leptos::prelude::*;
use leptos_meta::Title;
use telltale_model::{ApiKey, Role, User};

use crate::components::time::Time;
use crate::pages::settings_delivery::DeliverySettingsSection;
use crate::server_fns::settings::{
    AddUser, CreateApiKey, RemoveUser, ResetPassword, RevokeApiKey, SetRole, settings_view,
};

/// Users and API keys, for admins. Every change is a server function behind
/// the admin check; a new key's secret is shown once, right here.
#[component]
pub fn SettingsPage() -> impl IntoView {
    let create_key = ServerAction::<CreateApiKey>::new();
    let revoke_key = ServerAction::<RevokeApiKey>::new();
    let add_user = ServerAction::<AddUser>::new();
    let remove_user = ServerAction::<RemoveUser>::new();
    let reset_password = ServerAction::<ResetPassword>::new();
    let set_role = ServerAction::<SetRole>::new();
    let view_data = crate::data::data(
        move || {
            (
                create_key.version().get(),
                revoke_key.version().get(),
                add_user.version().get(),
                remove_user.version().get(),
                reset_password.version().get(),
                set_role.version().get(),
            )
        },
        |_| settings_view(),
    );
    // The last failure of any form, shown above the lists.
    let failure = move || {
        [
            create_key.value().get().and_then(|r| r.err()),
            revoke_key.value().get().and_then(|r| r.err()),
            add_user.value().get().and_then(|r| r.err()),
            remove_user.value().get().and_then(|r| r.err()),
            reset_password.value().get().and_then(|r| r.err()),
            set_role.value().get().and_then(|r| r.err()),
        ]
        .into_iter()
        .flatten()
        .next()
        .map(|e| view! { <p class="error" role="alert">{e.to_string()}</p> })
    };
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
        <Title text="Settings" />
        <h1>"Settings"</h1>
        {failure}
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match view_data.await {
                    Ok(data) => {
                        view! {
                            <DeliverySettingsSection />
                            <h2>"API keys"</h2>
                            {new_secret}
                            <KeyTable keys=data.api_keys revoke=revoke_key />
                            <ActionForm action=create_key attr:class="inline-form">
                                <label>"Name " <input type="text" name="name" required /></label>
                                <label>
                                    "Scope "
                                    <select name="scope">
                                        <option value="ingest">"ingest"</option>
                                        <option value="read">"read"</option>
                                    </select>
                                </label>
                                <button type="submit">"Create key"</button>
                            </ActionForm>
                            <h2>"Users"</h2>
                            <UserTable
                                users=data.users
                                remove=remove_user
                                reset=reset_password
                                set_role
                            />
                            <ActionForm action=add_user attr:class="inline-form">
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
                            </ActionForm>
                        }
                            .into_any()
                    }
                    Err(e) => view! { <p class="error">{e.to_string()}</p> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn KeyTable(keys: Vec<ApiKey>, revoke: ServerAction<RevokeApiKey>) -> impl IntoView {
    view! {
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
                                        <ActionForm action=revoke>
                                            <input type="hidden" name="id" value=k.id />
                                            <button type="submit">"Revoke"</button>
                                        </ActionForm>
                                    })}
                                </td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
    }
}

#[component]
fn UserTable(
    users: Vec<User>,
    remove: ServerAction<RemoveUser>,
    reset: ServerAction<ResetPassword>,
    set_role: ServerAction<SetRole>,
) -> impl IntoView {
    view! {
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
                                    <ActionForm action=set_role attr:class="inline-form">
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
                                    </ActionForm>
                                </td>
                                <td><Time at=u.created_at /></td>
                                <td>
                                    <ActionForm action=reset attr:class="inline-form">
                                        <input type="hidden" name="id" value=u.id />
                                        <input type="password" name="password" minlength="12" autocomplete="new-password" required />
                                        <button type="submit">"Reset"</button>
                                    </ActionForm>
                                </td>
                                <td>
                                    <ActionForm action=remove>
                                        <input type="hidden" name="id" value=u.id />
                                        <button type="submit">"Remove"</button>
                                    </ActionForm>
                                </td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
    }
}
