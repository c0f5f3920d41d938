//! The job page's ping section: the job's healthchecks-style ping URL and
//! lines to paste into a crontab or a script, and for admins a button that
//! makes a new URL (the old one stops working).

use leptos::prelude::*;

use crate::components::loaded::action_error;
use crate::components::server_html::{Markup, ServerHtml};
use crate::form_action::FormAction;
#[cfg(feature = "ssr")]
use crate::form_action::SubmitForm;
#[cfg(feature = "ssr")]
use crate::server_fns::pings::PingLinks;
use crate::server_fns::pings::RegeneratePing;

/// The ping section of a job's page as server markup ([`PingView`]), from
/// the page's upkeep read; after a new URL is made, from that answer.
#[component]
pub fn JobPingUrls(html: Markup, regenerate: FormAction<RegeneratePing>) -> impl IntoView {
    let html = regenerate.answer_or(html);
    let post = Callback::new(move |ev| regenerate.post_inside(ev));
    view! {
        <h2 id="ping">"Ping URL"</h2>
        {action_error(regenerate)}
        {move || view! { <ServerHtml html=html() on_submit=post /> }}
    }
}

/// The ping URL, its snippets, and for admins the form that makes a new
/// one.
#[cfg(feature = "ssr")]
#[component]
pub fn PingView(links: PingLinks, admin: bool) -> impl IntoView {
    let regenerate = FormAction::<RegeneratePing>::new();
    let job = links.ping.job_name.clone();
    view! {
        <p>
            "Tools that speak healthchecks.io (curl in a crontab, runitor, borgmatic, Uptime Kuma) "
            "report here: append " <code>"/start"</code> ", " <code>"/fail"</code> ", "
            <code>"/log"</code> " or an exit status " <code>"/0"</code> "–" <code>"/255"</code>
            "; POST a body to keep the output. Anyone with this URL can report for this job."
        </p>
        <pre class="mono snippet" data-testid="ping-url" tabindex="0">{links.url.clone()}</pre>
        {links
            .snippets
            .into_iter()
            .map(|s| {
                view! {
                    <h3>{s.title}</h3>
                    // Focusable: a long line scrolls, and a keyboard must
                    // reach it (axe's scrollable-region-focusable).
                    <pre class="mono snippet" data-snippet=s.id tabindex="0">{s.text}</pre>
                }
            })
            .collect_view()}
        {admin
            .then(|| {
                view! {
                    <SubmitForm action=regenerate attr:class="ping-regenerate">
                        <input type="hidden" name="job" value=job.clone() />
                        <button type="submit">"Make a new ping URL (the old one stops working)"</button>
                    </SubmitForm>
                }
            })}
    }
}
