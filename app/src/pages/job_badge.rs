//! The job page's badge section: the badge, its Markdown snippet, and for
//! admins the one switch that makes it public or private.

use leptos::prelude::*;

use crate::server_fns::auth::may_administer;
use crate::server_fns::badges::{SetBadgePublic, get_badge};

/// The badge of `job`. Everyone sees it and its snippet; admins (everyone
/// when auth is off) also get a form that flips its visibility. A plain
/// HTML form, so it works without JavaScript.
#[component]
pub fn JobBadge(job: String) -> impl IntoView {
    let toggle = ServerAction::<SetBadgePublic>::new();
    let asked = job.clone();
    let badge = crate::data::data(
        move || toggle.version().get(),
        move |_| get_badge(asked.clone()),
    );
    // Asked once: a role does not change while the page is open.
    let admin = crate::data::data(|| (), |_| may_administer());
    view! {
        <h2>"Badge"</h2>
        {move || {
            toggle
                .value()
                .get()
                .and_then(|r| r.err())
                .map(|e| view! { <p class="error">{e.to_string()}</p> })
        }}
        <Transition fallback=|| view! { <p class="muted">"Loading badge…"</p> }>
            {move || {
                let job = job.clone();
                Suspend::new(async move {
                    // Unknown (a failed call) counts as no: the button would
                    // only earn a 403.
                    let admin = admin.await.unwrap_or(false);
                    let links = match badge.await {
                        Ok(Some(links)) => links,
                        Ok(None) => return ().into_any(),
                        Err(e) => return view! { <p class="error">{e.to_string()}</p> }.into_any(),
                    };
                    let public = links.setting.public;
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
                                    <ActionForm action=toggle attr:class="badge-visibility">
                                        <input type="hidden" name="job" value=job.clone() />
                                        <input type="hidden" name="public" value=(!public).to_string() />
                                        <button type="submit">
                                            {if public { "Make the badge private" } else { "Make the badge public" }}
                                        </button>
                                    </ActionForm>
                                }
                            })}
                    }
                        .into_any()
                })
            }}
        </Transition>
    }
}
