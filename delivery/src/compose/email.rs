//! The email about an alert, and the test message: a subject that is one
//! line, a plain-text body that keeps producer text verbatim, and an HTML
//! body that escapes it.

use chrono::{DateTime, Utc};

use super::{Notice, headline, when};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailContent {
    pub subject: String,
    pub text: String,
    pub html: String,
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
    let facts = facts(n);
    let failure = n.run.and_then(|r| r.failure_reason.as_deref());
    EmailContent {
        subject,
        text: text_body(n, &facts, failure),
        html: html_body(n, &facts, failure),
    }
}

/// The plain-text body: producer text verbatim.
fn text_body(n: &Notice, facts: &[(&'static str, String)], failure: Option<&str>) -> String {
    let a = n.alert;
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
    if !facts.is_empty() {
        text.push('\n');
        for (k, v) in facts {
            text.push_str(&format!("{k}: {v}\n"));
        }
    }
    if let Some(f) = failure {
        text.push_str(&format!("\nFailure reason (verbatim):\n{f}\n"));
    }
    if let Some(link) = &n.link {
        text.push_str(&format!("\nOpen in Telltale: {link}\n"));
    }
    text
}

/// The HTML body: the same, every producer text escaped.
fn html_body(n: &Notice, facts: &[(&'static str, String)], failure: Option<&str>) -> String {
    let a = n.alert;
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
        for (k, v) in facts {
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
    html
}

pub(crate) fn facts(n: &Notice) -> Vec<(&'static str, String)> {
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

pub(crate) fn escape(s: &str) -> String {
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
