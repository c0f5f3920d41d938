//! The job page's badge section: the badge, its Markdown snippet, and for
//! admins the one switch that makes it public or private.

use leptos::prelude::*;

use crate::components::loaded::action_error;
use crate::components::server_html::{Markup, ServerHtml};
use crate::form_action::FormAction;
#[cfg(feature = "ssr")]
use crate::form_action::SubmitForm;
#[cfg(feature = "ssr")]
use crate::server_fns::badges::BadgeLinks;
use crate::server_fns::badges::SetBadgePublic;

/// The badge of a job as server markup ([`BadgeView`]), from the page's
/// upkeep read. Everyone sees it and its snippet; admins (everyone when
/// auth is off) also get a form that flips its visibility. A plain HTML
/// form, so it works without JavaScript.
#[component]
pub fn JobBadge(html: Markup, toggle: FormAction<SetBadgePublic>) -> impl IntoView {
    // After a switch, its answer: the badge as it is now.
    let html = toggle.answer_or(html);
    let post = Callback::new(move |ev| toggle.post_inside(ev));
    view! {
        <h2>"Badge"</h2>
        {action_error(toggle)}
        {move || view! { <ServerHtml html=html() on_submit=post /> }}
    }
}

/// The badge, its snippet, and for admins the switch.
#[cfg(feature = "ssr")]
#[component]
pub fn BadgeView(links: BadgeLinks, admin: bool) -> impl IntoView {
    let toggle = FormAction::<SetBadgePublic>::new();
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
        <pre class="mono snippet" data-testid="badge-markdown" tabindex="0">{links.markdown}</pre>
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
