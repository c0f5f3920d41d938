//! A burst of new job names past both databases' bind limits: 60
//! concurrent batches of 1,000 events, each naming a job never seen
//! before. Once bound into one `IN (…)`, such a burst failed every later
//! evaluator tick (`too many SQL variables`) and no alert opened again
//! until a restart. Now every job is digested, alerts keep opening, and
//! health is 200 once the burst is done.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support::Rig;

const BATCHES: usize = 60;
const PER_BATCH: usize = 1000;
const JOBS: u64 = (BATCHES * PER_BATCH) as u64;

/// Posts one batch until it is answered 200 (a 503 or a timeout is sent
/// again, as a producer would: the event ids make that harmless); the
/// events stored or found stored, and how many times it was sent again.
async fn send(
    client: reqwest::Client,
    url: String,
    events: Vec<Value>,
) -> Result<(u64, u32), String> {
    let body = json!({ "events": events });
    let mut last = String::new();
    for again in 0..30 {
        match client.post(&url).json(&body).send().await {
            Ok(resp) if resp.status() == 200 => {
                let answer: Value = resp.json().await.map_err(|e| e.to_string())?;
                let dropped = answer["dropped"].as_array().map_or(0, Vec::len);
                if dropped > 0 {
                    return Err(format!("dropped: {answer}"));
                }
                let n = answer["inserted"].as_u64().unwrap_or(0)
                    + answer["duplicates"].as_u64().unwrap_or(0);
                return Ok((n, again));
            }
            Ok(resp) if resp.status() == 503 => {
                last = resp.text().await.unwrap_or_default();
            }
            Ok(resp) => {
                let status = resp.status();
                return Err(format!(
                    "{status}: {}",
                    resp.text().await.unwrap_or_default()
                ));
            }
            Err(e) => last = e.to_string(),
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    Err(format!("never stored; last: {last}"))
}

/// `/v1/health`: its status code, and the errors its loops report.
async fn health(rig: &Rig) -> (u16, Value) {
    rig.get("/v1/health").await
}

fn loop_errors(health: &Value) -> Vec<String> {
    health["loops"]
        .as_object()
        .into_iter()
        .flatten()
        .filter_map(|(name, r)| Some(format!("{name}: {}", r["lastError"].as_str()?)))
        .collect()
}

#[tokio::test]
async fn a_burst_of_new_job_names_past_the_bind_limits_silences_nothing() {
    crate::on_each_backend!("burst", &[], |rig| {
        let started = Instant::now();
        let url = rig.url("/v1/events/batch");
        let mut tasks = Vec::new();
        for b in 0..BATCHES {
            let events: Vec<Value> = (0..PER_BATCH)
                .map(|i| {
                    let job = format!("burst-{b:02}-{i:04}");
                    json!({
                        "eventId": format!("{job}-done"),
                        "sourceType": "worker", "level": "info", "eventType": "job.completed",
                        "message": "done", "jobName": job, "runId": format!("{job}-run"),
                    })
                })
                .collect();
            tasks.push(tokio::spawn(send(rig.client.clone(), url.clone(), events)));
        }
        // Meanwhile, what health says about the loops.
        let errors = std::cell::RefCell::new(BTreeSet::new());
        while !tasks.iter().all(tokio::task::JoinHandle::is_finished) {
            let found = loop_errors(&health(&rig).await.1);
            errors.borrow_mut().extend(found);
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        let (mut stored, mut resent) = (0, 0);
        for task in tasks {
            let (n, again) = task
                .await
                .expect("batch task")
                .unwrap_or_else(|e| panic!("[{}] a batch: {e}", rig.backend));
            stored += n;
            resent += again;
        }
        assert_eq!(stored, JOBS, "[{}] every event stored", rig.backend);
        eprintln!(
            "[{}] burst stored in {:?} ({resent} batches sent again)",
            rig.backend,
            started.elapsed()
        );

        // A failure right after the burst opens its alert and is
        // delivered, while the engine digests 60,000 new jobs.
        let job = "burst-failure";
        rig.event(json!({
            "sourceType": "worker", "level": "error", "eventType": "job.failed",
            "message": "failed after the burst", "jobName": job, "runId": "burst-failure-run",
        }))
        .await;
        let alert = rig
            .wait_for(
                "the FAILURE after the burst",
                Duration::from_secs(240),
                || async {
                    let found = loop_errors(&health(&rig).await.1);
                    errors.borrow_mut().extend(found);
                    rig.alerts_of(job)
                        .await
                        .into_iter()
                        .find(|a| a["alertType"] == "FAILURE" && a["status"] == "OPEN")
                },
            )
            .await;
        eprintln!("[{}] alert after {:?}", rig.backend, started.elapsed());
        let id = alert["id"].as_i64().expect("alert id");
        rig.wait_for("its delivery", Duration::from_secs(60), || async {
            (!rig.delivered(id).is_empty()).then_some(())
        })
        .await;

        // Every new job was looked at: all 60,000 are UP.
        rig.wait_for("every burst job UP", Duration::from_secs(240), || async {
            let (status, summary) = rig.get("/v1/status/summary").await;
            let found = loop_errors(&health(&rig).await.1);
            errors.borrow_mut().extend(found);
            (status == 200 && summary["jobsByCheckState"]["UP"].as_u64() >= Some(JOBS))
                .then_some(())
        })
        .await;
        // Digested: health is 200 again.
        let ok = rig
            .wait_for("health 200", Duration::from_secs(60), || async {
                let (status, body) = health(&rig).await;
                errors.borrow_mut().extend(loop_errors(&body));
                (status == 200).then_some(body)
            })
            .await;
        eprintln!("[{}] digested after {:?}", rig.backend, started.elapsed());
        // What people look at answers, 60,000 jobs or not.
        for path in [
            "/",
            "/jobs",
            "/alerts",
            "/v1/status/summary",
            "/v1/status/jobs?state=DOWN",
            "/metrics",
        ] {
            let asked = Instant::now();
            let resp = rig
                .request(reqwest::Method::GET, path)
                .send()
                .await
                .unwrap_or_else(|e| panic!("[{}] {path}: {e}", rig.backend));
            assert_eq!(resp.status(), 200, "[{}] {path}", rig.backend);
            eprintln!("[{}] {path} in {:?}", rig.backend, asked.elapsed());
        }
        let errors = errors.into_inner();
        assert!(
            errors.is_empty(),
            "[{}] no loop failed on the way: {errors:?}",
            rig.backend
        );
        assert_eq!(
            ok["loops"]["evaluator"]["restarts"], 0,
            "[{}] the evaluator never had to be restarted: {ok}",
            rig.backend
        );
        rig
    });
}
