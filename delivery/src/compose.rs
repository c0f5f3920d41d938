//! What a notification says: email subject and bodies, webhook payloads.
//!
//! Job names, run and worker ids, reasons and failure texts come from
//! producers, so each is text wherever it lands: verbatim in the plain-text
//! body and in JSON, HTML-escaped in the HTML body, on one line without
//! control characters in the subject (a header), and with Slack's markup
//! characters escaped in chat messages (so text cannot ping or link).

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Value, json};
use telltale_model::{Alert, AlertType, Notification, Run};

/// The link to an alert's page, when the public address is known.
pub fn alert_link(public_url: Option<&str>, alert_id: i64) -> Option<String> {
    public_url.map(|base| format!("{}/alerts/{alert_id}", base.trim_end_matches('/')))
}

/// What one notification is about.
pub struct Notice<'a> {
    pub alert: &'a Alert,
    pub notification: Notification,
    pub run: Option<&'a Run>,
    pub link: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailContent {
    pub subject: String,
    pub text: String,
    pub html: String,
}

fn when(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

/// `job nightly-etl`, `worker render-07`.
fn subject_of(alert: &Alert) -> String {
    match (&alert.job_name, &alert.worker_id) {
        (Some(job), _) => format!("job {job}"),
        (None, Some(worker)) => format!("worker {worker}"),
        (None, None) if alert.alert_type == AlertType::SchedulerOffline => {
            "the scheduler".to_owned()
        }
        (None, None) => "Telltale".to_owned(),
    }
}

fn headline(n: &Notice) -> String {
    let what = match n.alert.alert_type {
        AlertType::Failure => "failed",
        AlertType::Missed => "missed its schedule",
        AlertType::Recovery => "recovered",
        AlertType::WorkerOffline => "went offline",
        AlertType::SchedulerOffline => "went silent (no heartbeat)",
    };
    let tail = match n.notification {
        Notification::Opened => String::new(),
        Notification::Repeated => format!(" — still open (reminder {})", n.alert.notify_count),
        Notification::Unsuppressed => " — still open after its suppression ended".to_owned(),
        Notification::Closed => " — closed".to_owned(),
    };
    format!("{} {what}{tail}", subject_of(n.alert))
}

/// Subjects start with the type, then the job or worker, so an inbox sorted
/// by subject groups one job's alerts together under each type.
pub fn email(n: &Notice) -> EmailContent {
    let a = n.alert;
    let subject = header_text(&format!(
        "[Telltale] {} {}",
        a.alert_type.as_str(),
        headline(n)
    ));
    let mut text = format!(
        "{}\n\nAlert {} ({}) opened {}.\n",
        headline(n),
        a.id,
        a.alert_type.as_str(),
        when(a.opened_at)
    );
    if let Some(closed) = a.closed_at {
        text.push_str(&format!(
            "Closed {}{}.\n",
            when(closed),
            a.close_reason
                .as_deref()
                .map(|r| format!(": {r}"))
                .unwrap_or_default()
        ));
    }
    text.push_str(&format!("\nReason:\n{}\n", a.reason));
    let facts = facts(n);
    if !facts.is_empty() {
        text.push('\n');
        for (k, v) in &facts {
            text.push_str(&format!("{k}: {v}\n"));
        }
    }
    let failure = n.run.and_then(|r| r.failure_reason.as_deref());
    if let Some(f) = failure {
        text.push_str(&format!("\nFailure reason (verbatim):\n{f}\n"));
    }
    if let Some(link) = &n.link {
        text.push_str(&format!("\nOpen in Telltale: {link}\n"));
    }

    let mut html = format!(
        "<!doctype html><html><body style=\"font-family:system-ui,sans-serif\">\
         <h2 style=\"margin:0 0 .5em\">{}</h2>\
         <p>Alert {} ({}) opened {}.</p>",
        escape(&headline(n)),
        a.id,
        a.alert_type.as_str(),
        when(a.opened_at)
    );
    html.push_str(&format!(
        "<p><strong>Reason</strong></p><pre style=\"white-space:pre-wrap\">{}</pre>",
        escape(&a.reason)
    ));
    if !facts.is_empty() {
        html.push_str("<table>");
        for (k, v) in &facts {
            html.push_str(&format!(
                "<tr><th align=\"left\">{}</th><td>{}</td></tr>",
                escape(k),
                escape(v)
            ));
        }
        html.push_str("</table>");
    }
    if let Some(f) = failure {
        html.push_str(&format!(
            "<p><strong>Failure reason (verbatim)</strong></p>\
             <pre style=\"white-space:pre-wrap;background:#f4f4f4;padding:.5em\">{}</pre>",
            escape(f)
        ));
    }
    if let Some(link) = &n.link {
        html.push_str(&format!(
            "<p><a href=\"{}\">Open in Telltale</a></p>",
            escape(link)
        ));
    }
    html.push_str("</body></html>");
    EmailContent {
        subject,
        text,
        html,
    }
}

fn facts(n: &Notice) -> Vec<(&'static str, String)> {
    let a = n.alert;
    let mut out = Vec::new();
    if let Some(job) = &a.job_name {
        out.push(("Job", job.clone()));
    }
    if let Some(run) = &a.run_id {
        out.push(("Run", run.clone()));
    }
    let worker = a
        .worker_id
        .clone()
        .or_else(|| n.run.and_then(|r| r.worker_id.clone()));
    if let Some(w) = worker {
        out.push(("Worker", w));
    }
    if let Some(run) = n.run {
        out.push(("Run status", run.status.as_str().to_owned()));
        if let Some(t) = run.start_time {
            out.push(("Started", when(t)));
        }
        if let Some(t) = run.end_time {
            out.push(("Ended", when(t)));
        }
    }
    if let Some(s) = &a.suppressed {
        out.push(("Was suppressed", s.clone()));
    }
    out
}

/// The test message of `POST /v1/settings/alerts/email/test`.
pub fn test_email(public_url: Option<&str>, now: DateTime<Utc>) -> EmailContent {
    let text = format!(
        "This is a test of Telltale's alert email, sent {}.\n\
         If you can read it, alerts will reach this address.\n{}",
        when(now),
        public_url
            .map(|u| format!("\nTelltale: {u}\n"))
            .unwrap_or_default()
    );
    EmailContent {
        subject: "[Telltale] TEST alert email settings".to_owned(),
        html: format!(
            "<!doctype html><html><body><pre style=\"white-space:pre-wrap\">{}</pre></body></html>",
            escape(&text)
        ),
        text,
    }
}

/// Telltale's generic webhook payload, version 1 (docs/alerts.md, "Webhook payload").
/// `delivery_id` is the same on every attempt of one delivery.
pub fn webhook_payload(n: &Notice, delivery_id: i64, sent_at: DateTime<Utc>) -> Value {
    json!({
        "version": 1,
        "event": n.notification.event_name(),
        "deliveryId": delivery_id,
        "sentAt": sent_at.to_rfc3339_opts(SecondsFormat::Millis, true),
        "summary": headline(n),
        "alert": n.alert,
        "run": n.run,
        "url": n.link,
    })
}

/// Slack's incoming-webhook format: one mrkdwn text. Everything a
/// producer wrote is escaped ([`mrkdwn`]); the failure reason sits in a
/// code block it cannot close.
pub fn slack_payload(n: &Notice) -> Value {
    let a = n.alert;
    let mut text = format!(
        "*{}* {}\n{}",
        a.alert_type.as_str(),
        mrkdwn(&headline(n)),
        mrkdwn(&a.reason)
    );
    if let Some(f) = n.run.and_then(|r| r.failure_reason.as_deref()) {
        text.push_str(&format!("\n```\n{}\n```", mrkdwn(f)));
    }
    if let Some(link) = &n.link {
        // Ours (MONITOR_PUBLIC_URL), not a producer's; escaped as Slack
        // asks for URLs, and `|` would end the URL early.
        let link = link
            .replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('|', "%7C");
        text.push_str(&format!("\n<{link}|Open in Telltale>"));
    }
    json!({ "text": text })
}

/// Producer text for a Slack message:
/// - `&`, `<` and `>` escaped as Slack documents, so `<!channel>`,
///   `<@U123>` and `<http://x|label>` are shown, not acted on;
/// - a zero-width space after each `@`: Slack-compatible receivers
///   (Mattermost, Discord's /slack endpoint) turn a bare `@channel`,
///   `@here` or `@everyone` into a ping;
/// - a zero-width space between two backticks, so no run of three can
///   open or close a code block (ours around the failure reason, or one
///   of its own that would swallow the rest of the message).
///
/// The text reads the same; only invisible characters are added.
pub(crate) fn mrkdwn(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut after_backtick = false;
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '@' => out.push_str("@\u{200B}"),
            '`' if after_backtick => out.push_str("\u{200B}`"),
            c => out.push(c),
        }
        after_backtick = c == '`';
    }
    out
}

/// Text for a mail header: one line. CR and LF would end the header and
/// start another (header injection); other control and bidirectional
/// formatting characters would garble or disguise the subject.
pub(crate) fn header_text(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_control()
                || matches!(c, '\u{2028}' | '\u{2029}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
            {
                ' '
            } else {
                c
            }
        })
        .collect()
}

/// The body of a webhook test.
pub fn webhook_test_payload(slack: bool, sent_at: DateTime<Utc>) -> Value {
    if slack {
        json!({ "text": "Telltale webhook test: alerts will arrive here." })
    } else {
        json!({
            "version": 1,
            "event": "test",
            "deliveryId": null,
            "sentAt": sent_at.to_rfc3339_opts(SecondsFormat::Millis, true),
            "summary": "Telltale webhook test: alerts will arrive here.",
            "alert": null,
            "run": null,
            "url": null,
        })
    }
}

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use telltale_model::AlertStatus;

    fn alert() -> Alert {
        Alert {
            id: 42,
            alert_type: AlertType::Failure,
            status: AlertStatus::Open,
            job_name: Some("nightly-etl".into()),
            worker_id: None,
            run_id: Some("r-1".into()),
            dedupe_key: "FAILURE:job:nightly-etl".into(),
            reason: "run r-1 failed: <disk full> & more".into(),
            opened_at: DateTime::parse_from_rfc3339("2026-11-25T21:40:12Z")
                .unwrap()
                .to_utc(),
            closed_at: None,
            close_reason: None,
            suppressed: None,
            notified_at: None,
            notify_count: 1,
            deliveries: None,
        }
    }

    #[test]
    fn email_says_what_where_when_and_links() {
        let a = alert();
        let n = Notice {
            alert: &a,
            notification: Notification::Opened,
            run: None,
            link: alert_link(Some("https://tt.example/"), 42),
        };
        let m = email(&n);
        assert_eq!(m.subject, "[Telltale] FAILURE job nightly-etl failed");
        assert!(
            m.text.contains("run r-1 failed: <disk full> & more\n"),
            "{}",
            m.text
        );
        assert!(m.text.contains("2026-11-25 21:40:12 UTC"));
        assert!(m.text.contains("https://tt.example/alerts/42"));
        assert!(m.html.contains("&lt;disk full&gt; &amp; more"));
        assert!(!m.html.contains("<disk full>"));
    }

    #[test]
    fn reminders_say_so_in_the_subject() {
        let mut a = alert();
        a.notify_count = 3;
        let n = Notice {
            alert: &a,
            notification: Notification::Repeated,
            run: None,
            link: None,
        };
        assert_eq!(
            email(&n).subject,
            "[Telltale] FAILURE job nightly-etl failed — still open (reminder 3)"
        );
    }

    #[test]
    fn generic_payload_is_versioned_and_carries_the_alert() {
        let a = alert();
        let n = Notice {
            alert: &a,
            notification: Notification::Closed,
            run: None,
            link: None,
        };
        let p = webhook_payload(&n, 7, a.opened_at);
        assert_eq!(p["version"], 1);
        assert_eq!(p["event"], "alert.closed");
        assert_eq!(p["deliveryId"], 7);
        assert_eq!(p["alert"]["id"], 42);
        assert_eq!(p["alert"]["alertType"], "FAILURE");
    }

    /// What a hostile producer can put in every text it controls.
    const HOSTILE: &str = "<!channel> <@U123> <http://evil.example|click> @here & </pre><script>x</script>\r\nBcc: victim@example.com";

    fn hostile_notice_parts() -> (Alert, Run) {
        let mut a = alert();
        a.job_name = Some(format!("job ``` {HOSTILE}"));
        a.run_id = Some(format!("run {HOSTILE}"));
        a.reason = format!("reason {HOSTILE}");
        let mut run = Run::first_seen(&format!("run {HOSTILE}"), a.opened_at);
        run.job_name = a.job_name.clone();
        run.worker_id = Some(format!("worker {HOSTILE}"));
        run.failure_reason = Some(format!("failure ``` {HOSTILE} ```\n<!everyone>`"));
        (a, run)
    }

    #[test]
    fn a_subject_is_one_line_whatever_the_job_name() {
        let (a, run) = hostile_notice_parts();
        let n = Notice {
            alert: &a,
            notification: Notification::Opened,
            run: Some(&run),
            link: None,
        };
        let m = email(&n);
        assert!(!m.subject.contains(['\r', '\n']), "{:?}", m.subject);
        assert!(m.subject.chars().all(|c| !c.is_control()));
        assert!(
            m.subject.contains("@example.com"),
            "the text is kept: {:?}",
            m.subject
        );
        assert_eq!(
            header_text("a\u{202E}b\u{2028}c\u{0}d\te"),
            "a b c d e",
            "bidi overrides, line separators and NULs go too"
        );
    }

    #[test]
    fn the_html_body_escapes_everything_a_producer_wrote() {
        let (a, run) = hostile_notice_parts();
        let n = Notice {
            alert: &a,
            notification: Notification::Opened,
            run: Some(&run),
            link: None,
        };
        let m = email(&n);
        for raw in [
            "<!channel>",
            "<script>",
            "<@U123>",
            "<!everyone>",
            "<http://evil",
        ] {
            assert!(!m.html.contains(raw), "{raw} raw in the HTML body");
        }
        // Only our own two <pre> blocks close: the producer's </pre> is text.
        assert_eq!(m.html.matches("</pre>").count(), 2, "{}", m.html);
        assert!(m.html.contains("&lt;script&gt;x&lt;/script&gt;"));
        // The plain-text body stays verbatim.
        assert!(m.text.contains(&format!("reason {HOSTILE}")), "{}", m.text);
        assert!(m.text.contains("failure ``` "), "{}", m.text);
    }

    #[test]
    fn slack_text_cannot_ping_link_or_leave_the_code_block() {
        let (a, run) = hostile_notice_parts();
        let n = Notice {
            alert: &a,
            notification: Notification::Opened,
            run: Some(&run),
            link: alert_link(Some("https://tt.example/?a=1&b=2"), 42),
        };
        let text = slack_payload(&n)["text"].as_str().unwrap().to_owned();
        // Our own link is the only `<…>` in the message.
        assert_eq!(text.matches('<').count(), 1, "{text}");
        assert!(
            text.ends_with("<https://tt.example/?a=1&amp;b=2/alerts/42|Open in Telltale>"),
            "{text}"
        );
        assert!(text.contains("&lt;!channel&gt; &lt;@\u{200B}U123&gt; &lt;http://evil.example|click&gt; @\u{200B}here &amp;"));
        // One code block: its fences are the only runs of backticks, though
        // the job name and the failure reason both hold one.
        assert_eq!(text.matches("```").count(), 2, "{text}");
        let block = text.split("```").nth(1).unwrap();
        assert!(block.contains("failure `\u{200B}`\u{200B}` "), "{block}");
        assert!(block.contains("&lt;!everyone&gt;`\n"), "{block}");
    }
}
