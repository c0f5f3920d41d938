//! The worker commands (`telltale run|send|heartbeat|flush`) of the real
//! binary against a real server: what a person running a job sees (exit
//! code, output) and what the server ends up knowing (runs, events).

use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::helpers::TestApp;

/// The `telltale` binary, reporting to `url` with its spool in `spool`; no
/// TELLTALE_* or CHIEF_* variable of the test's own environment leaks in.
fn telltale(url: &str, spool: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_telltale"));
    for (key, _) in std::env::vars() {
        if key.starts_with("TELLTALE_") || key.starts_with("CHIEF_") {
            cmd.env_remove(key);
        }
    }
    cmd.env("TELLTALE_URL", url)
        .env("TELLTALE_SPOOL_DIR", spool)
        .env("TELLTALE_FLUSH_TIMEOUT", "10");
    cmd
}

/// Starts `cmd` in the background, its output discarded.
fn spawn_quiet(mut cmd: Command) -> std::process::Child {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start telltale")
}

async fn output(mut cmd: Command) -> Output {
    cmd.stdin(Stdio::null());
    tokio::task::spawn_blocking(move || cmd.output().expect("run telltale"))
        .await
        .expect("join")
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

/// A port where nothing listens yet (a server is started there later), its
/// URL, and a fresh spool directory.
fn no_server_yet() -> (u16, String, tempfile::TempDir) {
    let port = free_port();
    (
        port,
        format!("http://127.0.0.1:{port}"),
        tempfile::tempdir().unwrap(),
    )
}

fn spool_files(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.ends_with(".jsonl"))
                .collect()
        })
        .unwrap_or_default()
}

async fn run_detail(app: &TestApp, run: &str) -> Value {
    let (status, body) = app.get_json(&format!("/v1/runs/{run}")).await;
    assert_eq!(status, 200, "{body}");
    body
}

fn timeline_types(detail: &Value) -> Vec<String> {
    detail["timeline"]
        .as_array()
        .expect("timeline")
        .iter()
        .map(|e| e["eventType"].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// `telltale run --job JOB --run-id RUN FLAGS... -- COMMAND...` against
/// `app` with a fresh spool; its output and the run as the server has it.
async fn run_job(
    app: &TestApp,
    job: &str,
    run: &str,
    flags: &[&str],
    command: &[&str],
) -> (Output, Value) {
    let spool = tempfile::tempdir().unwrap();
    let mut cmd = telltale(&app.url(""), spool.path());
    cmd.args(["run", "--job", job, "--run-id", run])
        .args(flags)
        .arg("--")
        .args(command);
    let out = output(cmd).await;
    assert!(
        spool_files(spool.path()).is_empty(),
        "delivered spool removed"
    );
    (out, run_detail(app, run).await)
}

#[tokio::test]
async fn a_successful_command_completes_its_run() {
    let app = TestApp::spawn().await;
    let (out, detail) = run_job(
        &app,
        "nightly-backup",
        "backup-1",
        &[
            "--worker",
            "farm-03",
            "--meta",
            "engine=rsync",
            "--grace",
            "10m",
            "--schedule",
            "0 2 * * *",
            "--max-runtime",
            "2h",
        ],
        &[
            "sh",
            "-c",
            "echo copied 12 files; test \"$TELLTALE_RUN_ID\" = backup-1",
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert_eq!(out.stdout, b"copied 12 files\n");
    assert_eq!(out.stderr, b"", "nothing added to the command's stderr");

    let run = &detail["run"];
    assert_eq!(run["status"], "completed");
    assert_eq!(run["jobName"], "nightly-backup");
    assert_eq!(run["workerId"], "farm-03");
    assert_eq!(run["engine"], "rsync");
    assert_eq!(run["metadata"]["exit_code"], 0);
    assert_eq!(run["metadata"]["max_runtime_seconds"], 7200);
    assert!(run["metadata"]["duration_seconds"].as_f64().unwrap() >= 0.0);
    assert!(run["startTime"].is_string() && run["endTime"].is_string());
    assert_eq!(timeline_types(&detail), ["job.started", "job.completed"]);
    assert!(
        detail["timeline"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["eventId"].as_str().is_some_and(|id| id.len() == 36)),
        "every event carries a UUID eventId"
    );

    // The policy flags reached the job.
    let (status, job) = app.get_json("/v1/status/jobs/nightly-backup").await;
    assert_eq!(status, 200, "{job}");
    assert_eq!(job["job"]["policy"]["graceSeconds"], 600);
    assert_eq!(job["job"]["policy"]["schedule"], "0 2 * * *");
}

#[tokio::test]
async fn a_failing_command_fails_its_run_with_its_stderr_tail() {
    let app = TestApp::spawn().await;
    let (out, detail) = run_job(
        &app,
        "proxy-render",
        "render-7",
        &["--tail-lines", "2"],
        &[
            "sh",
            "-c",
            "echo working; echo 'ffmpeg version 6' >&2; echo '  moov atom not found' >&2; \
             echo '/mnt/in/A001.mov: Invalid data' >&2; exit 42",
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(42), "the command's own exit code");
    assert_eq!(out.stdout, b"working\n");
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "ffmpeg version 6\n  moov atom not found\n/mnt/in/A001.mov: Invalid data\n"
    );

    let run = &detail["run"];
    assert_eq!(run["status"], "failed");
    assert_eq!(
        run["failureReason"], "  moov atom not found\n/mnt/in/A001.mov: Invalid data\n",
        "the last lines of stderr, verbatim"
    );
    assert_eq!(run["metadata"]["exit_code"], 42);
    assert_eq!(timeline_types(&detail), ["job.started", "job.failed"]);
    let failed = &detail["timeline"][1];
    assert_eq!(failed["level"], "error");
    assert!(
        failed["message"]
            .as_str()
            .unwrap()
            .starts_with("exited with code 42 after"),
        "{failed}"
    );
}

#[tokio::test]
async fn a_command_that_cannot_start_fails_its_run_with_127() {
    let app = TestApp::spawn().await;
    let (out, detail) = run_job(&app, "j", "missing-1", &[], &["/nonexistent/render.sh"]).await;
    assert_eq!(out.status.code(), Some(127));
    let run = &detail["run"];
    assert_eq!(run["status"], "failed");
    assert!(
        run["failureReason"]
            .as_str()
            .unwrap()
            .contains("could not start /nonexistent/render.sh"),
        "{run}"
    );
}

#[tokio::test]
async fn a_command_killed_by_a_signal_exits_128_plus_the_signal() {
    let app = TestApp::spawn().await;
    let (out, detail) = run_job(
        &app,
        "j",
        "killed-1",
        &[],
        &["sh", "-c", "echo about to die >&2; kill -KILL $$"],
    )
    .await;
    assert_eq!(out.status.code(), Some(128 + 9));
    let run = &detail["run"];
    assert_eq!(run["status"], "failed");
    assert_eq!(run["metadata"]["signal"], 9);
    assert_eq!(run["metadata"]["signal_name"], "SIGKILL");
    assert_eq!(run["failureReason"], "about to die\n");
    assert!(
        detail["timeline"][1]["message"]
            .as_str()
            .unwrap()
            .starts_with("killed by SIGKILL"),
        "{detail}"
    );
}

#[tokio::test]
async fn sigterm_sent_to_telltale_is_forwarded_to_the_command() {
    let app = TestApp::spawn().await;
    let spool = tempfile::tempdir().unwrap();
    let mut cmd = telltale(&app.url(""), spool.path());
    cmd.args([
        "run", "--job", "j", "--run-id", "term-1", "--", "sleep", "30",
    ]);
    let mut child = spawn_quiet(cmd);

    // Once the run is reported running, the command has started.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (status, body) = app.get_json("/v1/runs/term-1").await;
        if status == 200 && body["run"]["status"] == "running" {
            break;
        }
        assert!(Instant::now() < deadline, "the run never started: {body}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let started = Instant::now();
    let status = tokio::task::spawn_blocking(move || child.wait().unwrap())
        .await
        .unwrap();
    assert_eq!(
        status.code(),
        Some(128 + 15),
        "sleep died of the forwarded SIGTERM"
    );
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "not the full sleep"
    );
    let run = &run_detail(&app, "term-1").await["run"];
    assert_eq!(run["status"], "failed");
    assert_eq!(run["metadata"]["signal_name"], "SIGTERM");
}

#[tokio::test]
async fn stdin_stdout_and_stderr_pass_through_byte_for_byte() {
    let app = TestApp::spawn().await;
    let spool = tempfile::tempdir().unwrap();
    // Not UTF-8, NUL, CR, no final newline.
    let input: Vec<u8> = vec![0xff, 0xfe, b'a', 0, b'\r', b'\n', 0xc3, b'z'];
    let stdin_file = spool.path().join("input.bin");
    std::fs::write(&stdin_file, &input).unwrap();
    let mut cmd = telltale(&app.url(""), &spool.path().join("spool"));
    cmd.args([
        "run",
        "--job",
        "bytes",
        "--run-id",
        "bytes-1",
        "--",
        "sh",
        "-c",
        "cat; printf '\\377err\\000\\r\\nmore' >&2; exit 1",
    ]);
    cmd.stdin(std::fs::File::open(&stdin_file).unwrap());
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        out.stdout, input,
        "stdin reached the command, stdout came back untouched"
    );
    assert_eq!(out.stderr, b"\xfferr\x00\r\nmore");
    let run = &run_detail(&app, "bytes-1").await["run"];
    // JSON text cannot hold raw bytes: invalid UTF-8 (and NUL) become U+FFFD.
    assert_eq!(run["failureReason"], "\u{fffd}err\u{fffd}\r\nmore");
}

#[tokio::test]
async fn events_wait_in_the_spool_while_the_server_is_down() {
    let (port, url, spool) = no_server_yet();

    // The server is down for the whole run: the command runs all the same,
    // telltale exits with its code, and the events stay on disk.
    let mut cmd = telltale(&url, spool.path());
    cmd.env("TELLTALE_FLUSH_TIMEOUT", "0.5").args([
        "run",
        "--job",
        "j",
        "--run-id",
        "offline-1",
        "--",
        "sh",
        "-c",
        "echo done; exit 3",
    ]);
    let out = output(cmd).await;
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(out.stdout, b"done\n");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("2 event(s) not delivered yet"), "{stderr}");
    assert_eq!(spool_files(spool.path()).len(), 1);

    // The server comes up during the next run, which starts before it: that
    // run's own events and the ones left over all arrive, the old ones first.
    let mut cmd = telltale(&url, spool.path());
    cmd.args([
        "run", "--job", "j", "--run-id", "online-2", "--", "sleep", "1",
    ]);
    let next = tokio::spawn(output(cmd));
    tokio::time::sleep(Duration::from_millis(300)).await;
    let app = TestApp::spawn_with(&[("MONITOR_PORT", &port.to_string())]).await;
    let out = next.await.unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert_eq!(out.stderr, b"", "everything delivered before exit");
    assert!(spool_files(spool.path()).is_empty(), "spool drained");

    let offline = run_detail(&app, "offline-1").await;
    assert_eq!(offline["run"]["status"], "failed");
    assert_eq!(timeline_types(&offline), ["job.started", "job.failed"]);
    let online = run_detail(&app, "online-2").await;
    assert_eq!(online["run"]["status"], "completed");

    // Exactly once each, in the order they happened.
    let events: Vec<Value> = app.events().await.into_iter().rev().collect();
    let seen: Vec<(String, String)> = events
        .iter()
        .map(|e| {
            (
                e["runId"].as_str().unwrap().to_owned(),
                e["eventType"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let expected = [
        ("offline-1", "job.started"),
        ("offline-1", "job.failed"),
        ("online-2", "job.started"),
        ("online-2", "job.completed"),
    ];
    assert_eq!(
        seen,
        expected.map(|(r, t)| (r.to_owned(), t.to_owned())),
        "stored once each, oldest first"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_later_flush_delivers_what_an_earlier_command_left() {
    let (port, url, spool) = no_server_yet();
    let mut cmd = telltale(&url, spool.path());
    cmd.env("TELLTALE_FLUSH_TIMEOUT", "0").args([
        "send",
        "--type",
        "progress_update",
        "--job",
        "j",
        "--run",
        "r-1",
        "--message",
        "encoding",
        "--meta",
        "progress=40",
    ]);
    let out = output(cmd).await;
    assert_eq!(
        out.status.code(),
        Some(0),
        "monitoring never fails a script"
    );

    let mut flush = telltale(&url, spool.path());
    flush.args(["flush", "--timeout", "1s"]);
    assert_eq!(output(flush).await.status.code(), Some(1), "still down");

    let app = TestApp::spawn_with(&[("MONITOR_PORT", &port.to_string())]).await;
    let mut flush = telltale(&url, spool.path());
    flush.args(["flush"]);
    let out = output(flush).await;
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("delivered 1 event(s)"));
    let run = &run_detail(&app, "r-1").await["run"];
    assert_eq!(run["progress"], 40);
    assert_eq!(app.events().await.len(), 1);
    assert!(spool_files(spool.path()).is_empty());
}

#[tokio::test]
async fn send_and_heartbeat_report_from_the_shell() {
    let app = TestApp::spawn().await;
    let spool = tempfile::tempdir().unwrap();
    let mut cmd = telltale(&app.url(""), spool.path());
    cmd.env("TELLTALE_RUN_ID", "r-9")
        .env("TELLTALE_JOB_NAME", "proxy")
        .args([
            "send",
            "--type",
            "engine_selected",
            "--level",
            "debug",
            "--message",
            "engine: resolve",
            "--meta",
            "engine=resolve",
        ]);
    let out = output(cmd).await;
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let run = &run_detail(&app, "r-9").await["run"];
    assert_eq!(run["engine"], "resolve");
    assert_eq!(run["jobName"], "proxy");

    let mut cmd = telltale(&app.url(""), spool.path());
    cmd.args([
        "heartbeat",
        "--worker",
        "farm-07",
        "--once",
        "--run",
        "r-9",
        "--interval",
        "20s",
    ]);
    let out = output(cmd).await;
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let (status, worker) = app.get_json("/v1/workers/farm-07").await;
    assert_eq!(status, 200, "{worker}");
    let text = worker.to_string();
    assert!(text.contains("\"currentRunId\":\"r-9\""), "{text}");
    assert!(text.contains("\"intervalSeconds\":20"), "{text}");
    assert!(text.contains("\"hostname\":\""), "{text}");
}

#[tokio::test]
async fn the_api_key_is_sent_and_a_wrong_one_keeps_events_spooled() {
    let key = "worker-key-0123456789";
    let app = TestApp::spawn_with(&[("MONITOR_API_KEY", key)]).await;
    let spool = tempfile::tempdir().unwrap();
    let send = |api_key: &str| {
        let mut cmd = telltale(&app.url(""), spool.path());
        cmd.env("TELLTALE_API_KEY", api_key)
            .env("TELLTALE_FLUSH_TIMEOUT", "0.5")
            .args(["send", "--type", "worker.message", "--message", "hello"]);
        cmd
    };
    let out = output(send("wrong-key-0123456789")).await;
    assert_eq!(out.status.code(), Some(0));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("refused the API key"),
        "{out:?}"
    );
    assert_eq!(spool_files(spool.path()).len(), 1);

    let out = output(send(key)).await;
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).is_empty(), "{out:?}");
    assert!(spool_files(spool.path()).is_empty());
    let events: Value = app
        .client
        .get(app.url("/v1/events"))
        .header("x-api-key", key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    // The event kept back by the wrong key went first, with the new one.
    let events = events["events"].as_array().unwrap();
    assert_eq!(events.len(), 2, "{events:?}");
    assert!(events[1]["eventAt"].as_str() < events[0]["eventAt"].as_str());
}

#[tokio::test]
async fn bad_flags_print_usage_and_exit_2() {
    let spool = tempfile::tempdir().unwrap();
    let url = "http://127.0.0.1:9";
    let cases: [&[&str]; 9] = [
        &["run", "--job", "j", "--bogus", "--", "true"],
        // A policy the server would refuse: caught before the command runs.
        &[
            "run",
            "--job",
            "j",
            "--schedule",
            "61 * * * *",
            "--",
            "true",
        ],
        &[
            "run",
            "--job",
            "j",
            "--schedule",
            "0 2 * * *",
            "--timezone",
            "Europe/Atlantis",
            "--",
            "true",
        ],
        &["run", "--job", "j"],
        &["run", "--", "true"],
        &["run", "--job", "j", "--grace", "soon", "--", "true"],
        &["send", "--type", "t"],
        &["send", "--type", "t", "--message", "m", "--level", "fatal"],
        &["heartbeat", "--worker", "w", "--interval", "often"],
    ];
    for args in cases {
        let mut cmd = telltale(url, spool.path());
        cmd.args(args);
        let out = output(cmd).await;
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.starts_with("error: "), "{args:?}: {stderr}");
        assert!(
            stderr.contains("Usage: telltale") || stderr.contains("--help"),
            "{args:?}: {stderr}"
        );
    }
    let mut cmd = telltale("not a url", spool.path());
    cmd.args(["send", "--type", "t", "--message", "m"]);
    let out = output(cmd).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("TELLTALE_URL"));
    assert!(
        spool_files(spool.path()).is_empty(),
        "nothing was run or spooled"
    );
}

#[tokio::test]
async fn the_heartbeat_loop_names_the_run_telltale_run_is_busy_with() {
    let app = TestApp::spawn().await;
    let spool = tempfile::tempdir().unwrap();
    let mut beats = telltale(&app.url(""), spool.path());
    beats.args(["heartbeat", "--worker", "farm-09", "--interval", "1"]);
    let mut beats = spawn_quiet(beats);

    let mut run = telltale(&app.url(""), spool.path());
    run.args([
        "run", "--job", "j", "--run-id", "busy-1", "--worker", "farm-09", "--", "sleep", "3",
    ]);
    let run = tokio::spawn(output(run));

    let worker_run = |worker: &Value| worker["currentRunId"].as_str().map(str::to_owned);
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let (status, worker) = app.get_json("/v1/workers/farm-09").await;
        if status == 200 && worker_run(&worker).as_deref() == Some("busy-1") {
            assert_eq!(worker["status"], "busy", "{worker}");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "never busy with busy-1: {worker}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(run.await.unwrap().status.code(), Some(0));
    // After the run the next beat says the worker is idle.
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let (_, worker) = app.get_json("/v1/workers/farm-09").await;
        if worker_run(&worker).is_none() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "still busy after the run: {worker}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    beats.kill().unwrap();
    beats.wait().unwrap();
}

#[tokio::test]
async fn a_worker_killed_outright_loses_nothing_it_had_reported() {
    let (port, url, spool) = no_server_yet();
    // The server is down, so job.started is only in the spool when telltale
    // itself is killed with SIGKILL (no chance to clean up or flush).
    let mut cmd = telltale(&url, spool.path());
    cmd.args([
        "run",
        "--job",
        "j",
        "--run-id",
        "crashed-1",
        "--",
        "sleep",
        "2",
    ]);
    let mut child = spawn_quiet(cmd);
    let deadline = Instant::now() + Duration::from_secs(10);
    while spool_files(spool.path()).is_empty() {
        assert!(Instant::now() < deadline, "nothing spooled");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    child.kill().expect("SIGKILL");
    child.wait().expect("reap");

    let app = TestApp::spawn_with(&[("MONITOR_PORT", &port.to_string())]).await;
    let mut flush = telltale(&url, spool.path());
    flush.args(["flush"]);
    let out = output(flush).await;
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let detail = run_detail(&app, "crashed-1").await;
    assert_eq!(detail["run"]["status"], "running", "{detail}");
    assert_eq!(timeline_types(&detail), ["job.started"]);
    assert!(spool_files(spool.path()).is_empty());
}
