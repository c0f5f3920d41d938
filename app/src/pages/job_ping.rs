//! The job page's ping section: the job's healthchecks-style ping URL and
//! lines to paste into a crontab or a script, and for admins a button that
//! makes a new URL (the old one stops working).

use leptos::prelude::*;

use crate::components::loaded::action_error;
use crate::form_action::{FormAction, SubmitForm};
use crate::server_fns::pings::{PingLinks, RegeneratePing};

/// The ping section of a job's page, from the page's upkeep read; after a
/// new URL is made, from that answer.
#[component]
pub fn JobPingUrls(
    links: PingLinks,
    admin: bool,
    regenerate: FormAction<RegeneratePing>,
) -> impl IntoView {
    let links = regenerate.answer_or(links);
    view! {
        <h2 id="ping">"Ping URL"</h2>
        {action_error(regenerate)}
        {move || view! { <PingView links=links() admin regenerate /> }}
    }
}

#[component]
fn PingView(
    links: PingLinks,
    admin: bool,
    regenerate: FormAction<RegeneratePing>,
) -> impl IntoView {
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
