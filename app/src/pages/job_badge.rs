//! The job page's badge section: the badge, its Markdown snippet, and for
//! admins the one switch that makes it public or private.

use leptos::prelude::*;

use crate::components::loaded::{Loaded, action_error};
use crate::error::AppError;
use crate::form_action::{FormAction, SubmitForm};
use crate::server_fns::auth::may_administer;
use crate::server_fns::badges::{BadgeLinks, SetBadgePublic, get_badge};

/// The badge of `job`. Everyone sees it and its snippet; admins (everyone
/// when auth is off) also get a form that flips its visibility. A plain
/// HTML form, so it works without JavaScript.
#[component]
pub fn JobBadge(job: String) -> impl IntoView {
    let toggle = FormAction::<SetBadgePublic>::new();
    let badge = crate::data::data(
        move || toggle.version().get(),
        move |_| get_badge(job.clone()),
    );
    // Asked once: a role does not change while the page is open. Unknown
    // (a failed call) counts as no: the button would only earn a 403.
    let admin = crate::data::data(
        || (),
        |_| async { Ok::<_, AppError>(may_administer().await.unwrap_or(false)) },
    );
    view! {
        <h2>"Badge"</h2>
        {action_error(toggle)}
        <Loaded data=admin loading="Loading badge…" let:admin>
            <Loaded data=badge loading="Loading badge…" let:links>
                {links.map(|links| view! { <BadgeView links admin toggle /> })}
            </Loaded>
        </Loaded>
    }
}

/// The badge, its snippet, and for admins the switch.
#[component]
fn BadgeView(links: BadgeLinks, admin: bool, toggle: FormAction<SetBadgePublic>) -> impl IntoView {
    let public = links.setting.public;
    let job = links.setting.job_name.clone();
    view! {
        <p data-testid="badge-visibility">
            {if public {
                "Public: anyone with its address can see this badge, without login."
            } else {
                "Private: the badge needs a login or a read key, like the API."
            }}
        </p>
        <p>
            <img src=links.setting.svg_path.clone() alt=format!("{job} status") />
        </p>
        <pre class="mono" data-testid="badge-markdown">{links.markdown}</pre>
        {admin
            .then(|| {
                view! {
                    <SubmitForm action=toggle attr:class="badge-visibility">
                        <input type="hidden" name="job" value=job.clone() />
                        <input type="hidden" name="public" value=(!public).to_string() />
                        <button type="submit">
                            {if public { "Make the badge private" } else { "Make the badge public" }}
                        </button>
                    </SubmitForm>
                }
            })}
    }
}
