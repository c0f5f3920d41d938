//! Delivery cannot be turned against the server, and producer text stays
//! text in every message: webhook targets on metadata, link-local and
//! (unless allowed) private addresses are refused when saved and when
//! sent; a receiver's huge answer is not read; markup in job names and
//! failure texts cannot inject mail headers, HTML or Slack pings; a retry
//! carries the delivery id of its first attempt.

use std::time::Duration;

use serde_json::{Value, json};

use crate::receivers::http::{Answer, HookReceiver, Received};
use crate::receivers::smtp::SmtpReceiver;
use crate::support::{Rig, SECRET};

const HOOKS: &str = "/v1/settings/alerts/webhooks";

/// Addresses no webhook may reach, whatever the configuration.
const FORBIDDEN: &[&str] = &[
    "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
    "http://metadata.google.internal/computeMetadata/v1/",
    "http://metadata/computeMetadata/v1/",
    "http://[fd00:ec2::254]/latest/meta-data/",
    "http://100.100.100.200/latest/meta-data/",
    "http://[::ffff:169.254.169.254]/",
    "http://2852039166/",
    "http://[fe80::1]/",
    "http://0.0.0.0:7410/",
    "http://[::]/",
    "http://224.0.0.1/",
    "http://255.255.255.255/",
];

/// Loopback and private addresses: refused unless
/// MONITOR_WEBHOOK_ALLOW_PRIVATE=true.
const PRIVATE: &[&str] = &[
    "http://127.0.0.1:7410/v1/events",
    "http://localhost:7410/",
    "http://[::1]/",
    "http://10.0.0.1/",
    "http://172.16.0.1/",
    "http://192.168.1.1/",
    "http://100.64.0.1/",
    "http://[fd12:3456::1]/",
    "http://[::ffff:127.0.0.1]/",
    "http://2130706433/",
    "http://0x7f.1/",
];

fn hook(url: &str) -> Value {
    json!({"name": "target", "url": url, "enabledAlertTypes": ["FAILURE"]})
}

/// The answer is a 400 whose error names `url`.
fn assert_refused_naming_url(rig: &Rig, url: &str, status: u16, body: &Value) {
    assert_eq!(status, 400, "[{}] {url}: {body}", rig.backend);
    assert_eq!(
        body["error"]["field"], "url",
        "[{}] {url}: {body}",
        rig.backend
    );
}

/// A `PUT` of the rig's own webhook.
async fn put(rig: &Rig, path: &str, body: &Value) -> (u16, Value) {
    let resp = rig
        .client
        .put(rig.url(path))
        .json(body)
        .send()
        .await
        .expect("request");
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

async fn webhook_ids(rig: &Rig) -> Vec<i64> {
    let (status, list) = rig.get(HOOKS).await;
    assert_eq!(status, 200, "{list}");
    list["webhooks"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|w| w["id"].as_i64())
        .collect()
}

/// Adds a webhook from the dashboard's settings form (a server function).
async fn add_from_dashboard(rig: &Rig, url: &str) -> (u16, String) {
    let form = serde_urlencoded::to_string([
        ("name", "from the page"),
        ("url", url),
        ("format", "generic"),
        ("failure", "on"),
    ])
    .expect("form");
    let resp = rig
        .client
        .post(rig.url("/api/delivery/add-webhook"))
        .header("origin", format!("http://{}", rig.addr))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form)
        .send()
        .await
        .expect("request");
    (
        resp.status().as_u16(),
        resp.text().await.unwrap_or_default(),
    )
}

/// A job fails now; its open FAILURE alert.
async fn fail(rig: &Rig, job: &str, run: &str, message: &str) -> Value {
    rig.event(json!({
        "sourceType": "worker", "level": "error", "eventType": "job.failed",
        "message": message, "jobName": job, "runId": run,
    }))
    .await;
    rig.open_alert(job, "FAILURE", Duration::from_secs(20))
        .await
}

/// The delivery attempts of alert `id`, oldest first, once `done` holds.
async fn attempts_when(
    rig: &Rig,
    id: i64,
    what: &str,
    done: impl Fn(&[Value]) -> bool,
) -> Vec<Value> {
    rig.wait_for(what, Duration::from_secs(30), || async {
        let (status, detail) = rig.get(&format!("/v1/alerts/{id}")).await;
        assert_eq!(status, 200, "{detail}");
        let mut attempts = detail["deliveries"].as_array().cloned().unwrap_or_default();
        attempts.reverse();
        done(&attempts).then_some(attempts)
    })
    .await
}

#[tokio::test]
async fn metadata_and_link_local_webhook_targets_are_refused_even_with_private_allowed() {
    crate::on_each_backend!("ssrf_forbidden", &[], |rig| {
        let before = webhook_ids(&rig).await;
        let own = before[0];
        for url in FORBIDDEN {
            let (status, body) = rig.post(HOOKS, &hook(url)).await;
            assert_refused_naming_url(&rig, url, status, &body);
            // Nor can the existing webhook be pointed there.
            let mut changed = hook(url);
            changed["enabledAlertTypes"] =
                json!(["FAILURE", "MISSED", "RECOVERY", "WORKER_OFFLINE"]);
            let (status, body) = put(&rig, &format!("{HOOKS}/{own}"), &changed).await;
            assert_refused_naming_url(&rig, url, status, &body);
        }
        // The dashboard's form asks the same rule.
        for url in [
            "http://169.254.169.254/latest/",
            "http://metadata.google.internal/",
        ] {
            let (status, body) = add_from_dashboard(&rig, url).await;
            assert!(
                status >= 400 && body.contains("url"),
                "[{}] dashboard accepted {url}: {status} {body}",
                rig.backend
            );
        }
        assert_eq!(
            webhook_ids(&rig).await,
            before,
            "[{}] nothing was added",
            rig.backend
        );
        let (_, list) = rig.get(HOOKS).await;
        assert_eq!(
            list["webhooks"][0]["url"].as_str(),
            Some(telltale_model::mask_url(&rig.hook.url()).as_str()),
            "[{}] the rig's webhook still points at its receiver (listed masked)",
            rig.backend
        );
        rig
    });
}

#[tokio::test]
async fn private_webhook_targets_are_refused_unless_allowed_when_saved_and_when_sent() {
    for db in crate::support::databases("ssrf_private").await {
        // The rig's receiver was added while private targets were allowed;
        // then the operator turns that off.
        let rig = Rig::start(&db, &[]).await;
        let rig = rig
            .restart_with(&[("MONITOR_WEBHOOK_ALLOW_PRIVATE", "false")])
            .await;
        for url in PRIVATE {
            let (status, body) = rig.post(HOOKS, &hook(url)).await;
            assert_refused_naming_url(&rig, url, status, &body);
            assert!(
                body["error"]["message"]
                    .as_str()
                    .unwrap_or_default()
                    .contains("MONITOR_WEBHOOK_ALLOW_PRIVATE=true"),
                "[{}] the refusal names the setting: {body}",
                rig.backend
            );
        }
        let (status, body) = add_from_dashboard(&rig, "http://127.0.0.1:9/hook").await;
        assert!(
            status >= 400 && body.contains("MONITOR_WEBHOOK_ALLOW_PRIVATE"),
            "{status} {body}"
        );

        // The stored loopback webhook is not sent to either: the attempt
        // fails for good, saying why, and the receiver hears nothing.
        let alert = fail(&rig, "private-target", "private-target-1", "disk full").await;
        let id = alert["id"].as_i64().expect("alert id");
        let attempts = attempts_when(&rig, id, "the refused attempt", |a| {
            a.iter().any(|d| d["status"] == "FAILED")
        })
        .await;
        let failed = &attempts[0];
        assert_eq!(failed["permanent"], true, "[{}] {failed}", rig.backend);
        assert!(
            failed["error"]
                .as_str()
                .unwrap_or_default()
                .contains("MONITOR_WEBHOOK_ALLOW_PRIVATE"),
            "[{}] {failed}",
            rig.backend
        );
        assert_eq!(
            rig.hook.requests(),
            0,
            "[{}] the receiver was contacted",
            rig.backend
        );

        let rig = rig
            .restart_with(&[("MONITOR_WEBHOOK_ALLOW_PRIVATE", "true")])
            .await;
        rig.canary().await;
        rig.stop().await;
    }
}

/// Resident memory of this process (the server runs in it), in bytes:
/// now, and the peak since [`reset_peak`].
fn memory() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    let kib = |key: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(key))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .unwrap_or_else(|| panic!("{key} in /proc/self/status"))
            * 1024
    };
    (kib("VmRSS:"), kib("VmHWM:"))
}

/// Makes the peak resident size the current one (Linux: clear_refs 5), so
/// that memory read and freed again between two looks is still seen.
fn reset_peak() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

#[tokio::test]
async fn a_receiver_answering_a_huge_body_costs_the_server_no_memory() {
    const BODY: u64 = 300 << 20;
    const ALLOWED_GROWTH: u64 = 64 << 20;
    crate::on_each_backend!("huge_receiver_body", &[], |rig| {
        rig.hook.script([Answer::Huge {
            status: 500,
            bytes: BODY,
        }]);
        let peak_known = reset_peak();
        let (before, _) = memory();
        let alert = fail(&rig, "huge-answer", "huge-answer-1", "disk full").await;
        let id = alert["id"].as_i64().expect("alert id");
        let attempts = attempts_when(&rig, id, "the failed first attempt", |a| {
            a.iter().any(|d| d["status"] == "FAILED")
        })
        .await;
        let (after, peak) = memory();
        let grew = if peak_known { peak.max(after) } else { after }.saturating_sub(before);
        assert!(
            grew < ALLOWED_GROWTH,
            "[{}] the server grew by {} MiB reading a receiver's answer",
            rig.backend,
            grew >> 20
        );
        let failed = &attempts[0];
        let error = failed["error"].as_str().unwrap_or_default();
        assert!(
            error.starts_with("HTTP 500 Internal Server Error: xxx"),
            "[{}] status and the start of the body: {error:.80}",
            rig.backend
        );
        assert!(
            error.len() < 1024,
            "[{}] error of {} bytes",
            rig.backend,
            error.len()
        );
        assert_eq!(
            failed["permanent"], false,
            "[{}] a 500 is retried",
            rig.backend
        );

        // The receiver recovers: the retry is delivered.
        attempts_when(&rig, id, "the retry delivered", |a| {
            a.iter().any(|d| d["status"] == "SENT")
        })
        .await;
        assert_eq!(rig.delivered(id).len(), 1, "[{}]", rig.backend);
        rig
    });
}

/// What a hostile producer puts in every text it controls.
const MARKUP: &str = "<!channel> <@U123> <http://evil.example|click> @here &amp; \
                      </pre><script>alert(1)</script> ``` <b>bold</b>";

/// Quoted-printable decoded (RFC 2045), for a MIME part that uses it.
fn unquote(text: &str) -> String {
    let mut out = Vec::new();
    let bytes = text.replace("=\r\n", "").replace("=\n", "");
    let bytes = bytes.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'='
            && let Some(hex) = bytes.get(i + 1..i + 3)
            && let Ok(b) = u8::from_str_radix(std::str::from_utf8(hex).unwrap_or("zz"), 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The MIME part of `data` with `content_type`, decoded.
fn part(data: &str, content_type: &str) -> String {
    let start = data
        .find(&format!("Content-Type: {content_type}"))
        .unwrap_or_else(|| panic!("no {content_type} part in {data}"));
    let rest = &data[start..];
    let (head, body) = rest.split_once("\n\n").unwrap_or((rest, ""));
    let body = body.split("\n--").next().unwrap_or_default();
    if head.contains("quoted-printable") {
        unquote(body)
    } else {
        assert!(!head.contains("base64"), "a base64 part: {head}");
        body.to_owned()
    }
}

#[tokio::test]
async fn producer_markup_is_text_in_email_and_slack_messages() {
    for db in crate::support::databases("producer_markup_in_messages").await {
        let smtp = SmtpReceiver::start().await;
        let smtp_url = smtp.url();
        let slack = HookReceiver::start(SECRET).await;
        let rig = Rig::start(
            &db,
            &[
                ("MONITOR_SMTP_URL", smtp_url.as_str()),
                ("MONITOR_EMAIL_FROM", "Telltale <telltale@example.com>"),
            ],
        )
        .await;
        let resp = rig
            .client
            .put(rig.url("/v1/settings/alerts/email"))
            .json(&json!({"recipients": ["ops@example.com"], "enabledAlertTypes": ["FAILURE"]}))
            .send()
            .await
            .expect("email settings");
        assert_eq!(resp.status(), 200);
        let (status, body) = rig
            .post(
                HOOKS,
                &json!({"name": "chat", "url": slack.url(), "format": "slack",
                        "secret": SECRET, "enabledAlertTypes": ["FAILURE"],
                        "routing": {"groupSeconds": 0}}),
            )
            .await;
        assert_eq!(status, 201, "{body}");

        let job = format!("markup-{MARKUP}\r\nX-Injected: yes");
        let run = format!("run {MARKUP}");
        let reason = format!("failed: {MARKUP}\r\n.\r\nMAIL FROM:<x@evil>");
        fail(&rig, &job, &run, &reason).await;

        let mail = rig
            .wait_for("the email", Duration::from_secs(20), || async {
                smtp.mails().into_iter().next()
            })
            .await;
        let (headers, _) = mail.data.split_once("\n\n").expect("headers and body");
        assert!(
            !headers.lines().any(|l| l.starts_with("X-Injected")),
            "[{}] a header was injected through the job name:\n{headers}",
            rig.backend
        );
        let html = part(&mail.data, "text/html");
        for raw in ["<script>", "<b>", "<!channel>", "<http://evil"] {
            assert!(
                !html.contains(raw),
                "[{}] {raw} raw in the HTML part:\n{html}",
                rig.backend
            );
        }
        assert!(
            html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
            "{html}"
        );
        let text = part(&mail.data, "text/plain");
        assert!(
            text.contains(&format!("failed: {MARKUP}")) && text.contains("MAIL FROM:<x@evil>"),
            "[{}] the plain text is verbatim and whole:\n{text}",
            rig.backend
        );

        let message = rig
            .wait_for("the Slack message", Duration::from_secs(20), || async {
                slack.accepted().into_iter().next()
            })
            .await;
        // Every text Slack parses as mrkdwn: the fallback, the sections
        // and their fields (the header is plain_text, which Slack does not parse).
        let mut mrkdwn = vec![message.body["text"].as_str().unwrap_or_default().to_owned()];
        for block in message.body["blocks"].as_array().into_iter().flatten() {
            for t in std::iter::once(&block["text"])
                .chain(block["fields"].as_array().into_iter().flatten())
            {
                if t["type"] == "mrkdwn" {
                    mrkdwn.push(t["text"].as_str().unwrap_or_default().to_owned());
                }
            }
        }
        for t in &mrkdwn {
            assert!(
                !t.contains('<'),
                "[{}] producer text can ping or link in Slack: {t}",
                rig.backend
            );
        }
        let text = message.body["blocks"][1]["text"]["text"]
            .as_str()
            .unwrap_or_default();
        assert!(
            text.contains("&lt;!channel&gt;") && text.contains("&lt;http://evil.example|click&gt;"),
            "[{}] {text}",
            rig.backend
        );
        assert_eq!(
            text.matches("```").count(),
            2,
            "[{}] one code block: {text}",
            rig.backend
        );
        // Nothing more reached either receiver (a second mail would be the
        // producer's "." ending the first one early).
        assert_eq!(smtp.mails().len(), 1, "[{}]", rig.backend);
        assert_eq!(slack.requests(), 1, "[{}]", rig.backend);

        rig.canary().await;
        rig.stop().await;
    }
}

fn delivery_header(r: &Received) -> Option<i64> {
    r.headers
        .get("x-telltale-delivery")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
}

#[tokio::test]
async fn a_retried_delivery_keeps_its_delivery_id() {
    crate::on_each_backend!("retry_keeps_delivery_id", &[], |rig| {
        rig.hook.script([Answer::Status(500)]);
        let alert = fail(&rig, "flaky-receiver", "flaky-receiver-1", "disk full").await;
        let id = alert["id"].as_i64().expect("alert id");
        let attempts = attempts_when(&rig, id, "a failed attempt, then a sent one", |a| {
            a.iter().any(|d| d["status"] == "SENT")
        })
        .await;
        assert_eq!(attempts.len(), 2, "[{}] {attempts:?}", rig.backend);
        assert_eq!(attempts[0]["status"], "FAILED");
        assert_ne!(
            attempts[0]["id"], attempts[1]["id"],
            "each attempt is recorded"
        );
        let first = attempts[0]["id"].as_i64().expect("attempt id");
        for a in &attempts {
            assert_eq!(a["deliveryId"], first, "[{}] {a}", rig.backend);
        }
        let requests: Vec<Received> = rig
            .hook
            .seen()
            .into_iter()
            .filter(|r| r.body["alert"]["id"].as_i64() == Some(id))
            .collect();
        assert_eq!(
            requests.len(),
            2,
            "[{}] the 500, then the retry",
            rig.backend
        );
        for r in &requests {
            assert_eq!(delivery_header(r), Some(first), "[{}] header", rig.backend);
            assert_eq!(r.body["deliveryId"], first, "[{}] payload", rig.backend);
            assert!(r.signature_ok);
        }
        rig
    });
}
