//! The edge of the service: whatever answers a request — a handler, a layer
//! that refuses it, a panic, a timeout — the answer is JSON with the
//! security headers, and nothing at the edge (a login flood, a panic) stops
//! ingest or alerting.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::support::{Rig, databases};

/// An answer, as the client saw it.
struct Answer {
    status: u16,
    headers: HashMap<String, String>,
    body: Value,
}

impl Answer {
    async fn of(resp: reqwest::Response) -> Answer {
        let status = resp.status().as_u16();
        let headers = resp
            .headers()
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_owned(),
                    v.to_str().unwrap_or_default().to_owned(),
                )
            })
            .collect();
        let text = resp.text().await.unwrap_or_default();
        Answer {
            status,
            headers,
            body: serde_json::from_str(&text).unwrap_or(Value::String(text)),
        }
    }

    fn header(&self, name: &str) -> &str {
        self.headers.get(name).map_or("", String::as_str)
    }

    /// `status`, a JSON error of `code`, and the security headers every
    /// answer carries.
    fn assert_json_error(&self, backend: &str, what: &str, status: u16, code: &str) {
        assert_eq!(self.status, status, "[{backend}] {what}: {}", self.body);
        assert!(
            self.header("content-type").starts_with("application/json"),
            "[{backend}] {what}: JSON, not {:?}: {}",
            self.header("content-type"),
            self.body
        );
        assert_eq!(
            self.body["error"]["code"], code,
            "[{backend}] {what}: {}",
            self.body
        );
        assert!(
            self.body["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty()),
            "[{backend}] {what}: says what is wrong: {}",
            self.body
        );
        for (name, value) in [
            ("x-content-type-options", "nosniff"),
            ("x-frame-options", "DENY"),
            ("referrer-policy", "same-origin"),
        ] {
            assert_eq!(
                self.header(name),
                value,
                "[{backend}] {what}: {name} in {:?}",
                self.headers
            );
        }
        assert!(
            self.header("content-security-policy")
                .contains("default-src 'none'"),
            "[{backend}] {what}: a CSP in {:?}",
            self.headers
        );
    }
}

/// Sends `head` and `body` as they are over a fresh connection, and reads
/// one answer (head, and a body of its Content-Length).
async fn raw(addr: SocketAddr, head: String, body: &[u8]) -> Answer {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    stream.write_all(head.as_bytes()).await.expect("send head");
    stream.write_all(body).await.expect("send body");
    let read = async {
        let mut buf = Vec::new();
        let mut chunk = [0u8; 8192];
        loop {
            if let Some(answer) = parse_answer(&buf) {
                return answer;
            }
            let n = stream.read(&mut chunk).await.expect("read the answer");
            assert!(n > 0, "connection closed before a whole answer: {buf:?}");
            buf.extend_from_slice(&chunk[..n]);
        }
    };
    tokio::time::timeout(Duration::from_secs(60), read)
        .await
        .expect("an answer within a minute")
}

fn parse_answer(buf: &[u8]) -> Option<Answer> {
    let text = std::str::from_utf8(buf).ok()?;
    let (head, body) = text.split_once("\r\n\r\n")?;
    let mut lines = head.lines();
    let status = lines.next()?.split(' ').nth(1)?.parse().ok()?;
    let headers: HashMap<String, String> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let length: usize = headers.get("content-length")?.parse().ok()?;
    (body.len() >= length).then(|| Answer {
        status,
        body: serde_json::from_str(&body[..length]).unwrap_or(Value::String(body.to_owned())),
        headers,
    })
}

fn ingest_event(job: &str) -> Value {
    json!({
        "sourceType": "worker", "level": "info", "eventType": "job.started",
        "message": "started", "jobName": job, "runId": format!("{job}-run"),
    })
}

#[tokio::test]
async fn a_body_over_the_limit_is_a_413_json_answer_with_the_security_headers() {
    crate::on_each_backend!("edges_413", &[("MONITOR_MAX_BODY_BYTES", "1024")], |rig| {
        // Refused on its Content-Length alone, by the layer in front of
        // every route: ingest, a server function, a page.
        for path in ["/v1/events", "/api/alerts/close", "/jobs"] {
            let head = format!(
                "POST {path} HTTP/1.1\r\nHost: {}\r\nOrigin: {}\r\n\
                 Content-Type: application/json\r\nContent-Length: 10000000\r\n\r\n",
                rig.addr,
                rig.url("")
            );
            raw(rig.addr, head, b"").await.assert_json_error(
                rig.backend,
                &format!("POST {path}, 10 MB"),
                413,
                "body_too_large",
            );
        }
        // Over the handler's limit but not the layer's: refused inside.
        let resp = rig
            .client
            .post(rig.url("/v1/events"))
            .header("content-type", "application/json")
            .body("x".repeat(4096))
            .send()
            .await
            .expect("answer");
        Answer::of(resp).await.assert_json_error(
            rig.backend,
            "POST /v1/events, 4 KiB",
            413,
            "body_too_large",
        );
        rig
    });
}

#[tokio::test]
async fn a_request_past_the_timeout_is_a_503_json_answer_with_the_security_headers() {
    crate::on_each_backend!(
        "edges_503",
        &[("MONITOR_REQUEST_TIMEOUT_SECONDS", "1")],
        |rig| {
            // A client that announces a body and stops sending it: the
            // handler waits for the rest until the timeout answers.
            let head = format!(
                "POST /v1/events HTTP/1.1\r\nHost: {}\r\n\
                 Content-Type: application/json\r\nContent-Length: 100\r\n\r\n",
                rig.addr
            );
            let started = Instant::now();
            let answer = raw(rig.addr, head, b"{\"sourceType\":").await;
            answer.assert_json_error(rig.backend, "a stalled body", 503, "timeout");
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "[{}] answered at the timeout, not later: {:?}",
                rig.backend,
                started.elapsed()
            );
            rig
        }
    );
}

#[tokio::test]
async fn a_panicking_handler_is_a_500_json_answer_and_the_server_serves_on() {
    crate::on_each_backend!("edges_panic", &[], |rig| {
        rig.faults.panic_next_request();
        let resp = rig
            .client
            .get(rig.url("/v1/status/summary"))
            .send()
            .await
            .expect("an answer, not a dropped connection");
        Answer::of(resp).await.assert_json_error(
            rig.backend,
            "a REST handler that panics",
            500,
            "internal",
        );

        // A server function (leptos_axum's routes under /api) alike.
        rig.faults.panic_next_request();
        let resp = rig
            .client
            .post(rig.url("/api/auth/me"))
            .header("origin", rig.url(""))
            .header("content-type", "application/x-www-form-urlencoded")
            .body("")
            .send()
            .await
            .expect("an answer, not a dropped connection");
        Answer::of(resp).await.assert_json_error(
            rig.backend,
            "a server function that panics",
            500,
            "internal",
        );

        let metrics = rig
            .client
            .get(rig.url("/metrics"))
            .send()
            .await
            .expect("metrics")
            .text()
            .await
            .expect("metrics text");
        assert!(
            metrics.contains("telltale_http_panics_total 2"),
            "[{}] both panics counted:\n{metrics}",
            rig.backend
        );
        let (status, body) = rig.get("/v1/status/summary").await;
        assert_eq!(status, 200, "[{}] serves on: {body}", rig.backend);
        rig
    });
}

/// A flood of sign-ins with wrong passwords, from many addresses (a botnet,
/// past the per-address throttle), while a producer sends events and a
/// monitor polls `/v1/health`. The password checks wait in their own short
/// line, outside the request slots; the excess is refused at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_login_flood_leaves_ingest_and_health_prompt() {
    const LOGINS: usize = 150;
    const BOUND: Duration = Duration::from_secs(2);
    for db in databases("edges_login_flood").await {
        let rig = Rig::start_with_auth(
            &db,
            &[
                ("MONITOR_TRUSTED_PROXIES", "127.0.0.1/32"),
                // Few slots, so that sign-ins holding them would show.
                ("MONITOR_MAX_CONCURRENT_REQUESTS", "8"),
            ],
        )
        .await;
        let flood: Vec<_> = (0..LOGINS)
            .map(|i| {
                let request = rig
                    .client
                    .post(rig.url("/auth/login"))
                    .header("origin", rig.url(""))
                    .header(
                        "x-forwarded-for",
                        format!("10.9.{}.{}", i / 200, i % 200 + 1),
                    )
                    .json(&json!({
                        "email": format!("nobody{i}@flood.example"),
                        "password": "not the password",
                    }));
                tokio::spawn(async move {
                    match request.send().await {
                        Ok(resp) => Answer::of(resp).await,
                        // Counted below as neither checked nor turned away.
                        Err(e) => Answer {
                            status: 0,
                            headers: HashMap::new(),
                            body: Value::String(e.to_string()),
                        },
                    }
                })
            })
            .collect();

        // While the hasher works through its line: health and ingest.
        tokio::time::sleep(Duration::from_millis(200)).await;
        let mut slowest = Duration::ZERO;
        for n in 0..12 {
            let started = Instant::now();
            let (status, body) = rig.get("/v1/health").await;
            assert_eq!(status, 200, "[{}] health: {body}", rig.backend);
            slowest = slowest.max(started.elapsed());
            let started = Instant::now();
            let (status, body) = rig
                .post("/v1/events", &ingest_event(&format!("flood-probe-{n}")))
                .await;
            assert_eq!(status, 200, "[{}] ingest: {body}", rig.backend);
            slowest = slowest.max(started.elapsed());
            tokio::time::sleep(Duration::from_millis(150)).await;
        }
        let mut answers = Vec::new();
        for login in flood {
            answers.push(login.await.expect("login task"));
        }
        assert!(
            slowest < BOUND,
            "[{}] health and ingest answered within {BOUND:?} beside the flood; slowest {slowest:?}",
            rig.backend
        );

        let checked = answers.iter().filter(|a| a.status == 401).count();
        let busy: Vec<&Answer> = answers.iter().filter(|a| a.status == 503).collect();
        eprintln!(
            "[{}] login flood: {checked} checked, {} turned away; slowest probe {slowest:?}",
            rig.backend,
            busy.len()
        );
        assert_eq!(
            checked + busy.len(),
            LOGINS,
            "[{}] every sign-in is refused, checked (401) or turned away (503): {:?}",
            rig.backend,
            answers
                .iter()
                .map(|a| (a.status, a.body.to_string()))
                .collect::<Vec<_>>()
        );
        assert!(checked >= 1, "[{}] some were checked", rig.backend);
        // One checks and 32 wait; a check that ends while the flood is still
        // arriving lets a few more in, so the bound leaves room for those
        // while still failing if sign-ins queued without limit.
        assert!(
            busy.len() >= LOGINS / 2,
            "[{}] past 1 checking and 32 waiting, most sign-ins are turned away: {} were",
            rig.backend,
            busy.len()
        );
        for answer in busy {
            answer.assert_json_error(rig.backend, "a sign-in past the line", 503, "login_busy");
            assert!(
                answer.header("retry-after").parse::<u64>().is_ok(),
                "[{}] says when to retry: {:?}",
                rig.backend,
                answer.headers
            );
        }
        // The flood over, the admin still signs in.
        rig.admin_session().await;
        rig.canary().await;
        rig.stop().await;
    }
}
