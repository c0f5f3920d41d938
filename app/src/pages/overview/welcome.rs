//! What a new install shows first: three copy-ready ways to send an event,
//! written for the address the page was asked at.

use leptos::prelude::*;

/// Shown while no event is stored.
#[component]
pub fn Welcome(origin: String) -> impl IntoView {
    view! {
        <section class="welcome" data-testid="welcome" aria-labelledby="welcome-title">
            <h2 id="welcome-title">"No events yet: send the first one"</h2>
            <Snippets origin />
        </section>
    }
}

#[component]
fn Snippets(origin: String) -> impl IntoView {
    let origin = if origin.is_empty() {
        "http://127.0.0.1:7410".to_owned()
    } else {
        origin
    };
    view! {
        <p>"Any of these reports a run of a job named " <code>"hello"</code> "; it appears here at once."</p>
        <h3>"1. With curl"</h3>
        <pre class="mono snippet" data-testid="welcome-curl" tabindex="0">{curl(&origin)}</pre>
        <p class="muted small">
            "If this Telltale asks for a key, add "
            <code>"-H 'x-api-key: …'"</code>
            " (an admin creates one under Settings)."
        </p>
        <h3>"2. With the worker CLI"</h3>
        <p>
            "The same " <code>"telltale"</code>
            " binary runs the command, reports its start, exit code and the tail of its output, and exits with the command's code:"
        </p>
        <pre class="mono snippet" data-testid="welcome-run" tabindex="0">{run(&origin)}</pre>
        <h3>"3. From Python"</h3>
        <pre class="mono snippet" data-testid="welcome-python" tabindex="0">{python(&origin)}</pre>
        <p class="muted small">
            "API keys, alert delivery and maintenance windows are under Settings, for admins."
        </p>
    }
}

fn curl(origin: &str) -> String {
    format!(
        "curl -s {origin}/v1/events -H 'content-type: application/json' -d '{{\n  \
         \"sourceType\": \"worker\", \"level\": \"info\", \"eventType\": \"job.completed\",\n  \
         \"message\": \"hello from curl\", \"jobName\": \"hello\", \"runId\": \"hello-1\"}}'"
    )
}

fn run(origin: &str) -> String {
    format!(
        "TELLTALE_URL={origin} telltale run --job hello --schedule 'every 1d' -- \\\n  \
         sh -c 'echo hello'"
    )
}

fn python(origin: &str) -> String {
    format!(
        "import json, urllib.request\n\
         event = {{\"sourceType\": \"worker\", \"level\": \"info\", \"eventType\": \"job.completed\",\n         \
         \"message\": \"hello from Python\", \"jobName\": \"hello\", \"runId\": \"hello-2\"}}\n\
         req = urllib.request.Request(\"{origin}/v1/events\", data=json.dumps(event).encode(),\n                             \
         headers={{\"content-type\": \"application/json\"}})\n\
         print(urllib.request.urlopen(req).read().decode())"
    )
}
