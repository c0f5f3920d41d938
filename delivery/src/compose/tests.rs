use telltale_model::AlertStatus;

use super::email::header_text;
use super::*;

pub(crate) fn alert() -> Alert {
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

pub(crate) fn hostile_notice_parts() -> (Alert, Run) {
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
