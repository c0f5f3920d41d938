//! Alert delivery end to end below HTTP: a real store (SQLite and
//! PostgreSQL), the engine opening alerts on a hand-set clock, and the
//! sender delivering to real listeners on loopback — an SMTP server and a
//! webhook receiver that checks signatures and can fail, refuse or hang.

#[allow(dead_code)]
mod receivers;
#[path = "../../store/tests/support/mod.rs"]
#[allow(dead_code)]
mod support;

use std::sync::Arc;
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, Utc};
use receivers::http::{Answer, HookReceiver};
use receivers::smtp::SmtpReceiver;
use serde_json::{Value, json};
use telltale_delivery::{Deliverer, DeliveryConfig, EmailConfig};
use telltale_model::{
    AlertDelivery, AlertType, Channel, DeliveryStatus, DeliveryTally, EmailSettings, Level,
    NewEvent, NewMaintenanceWindow, Notification, SourceType, WebhookFormat, WebhookSettings,
};
use telltale_server::engine::{Engine, ManualClock};
use telltale_store::Store;

const SECRET: &str = "whsec_test_secret_0123456789";

fn t(secs: i64) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-06-01T00:00:00Z")
        .unwrap()
        .to_utc()
        + Duration::seconds(secs)
}

fn ev(event_type: &str, run: &str, at: i64, metadata: Value) -> NewEvent {
    NewEvent {
        event_id: None,
        source_type: SourceType::Chief,
        level: Level::Info,
        event_type: event_type.into(),
        message: event_type.into(),
        event_at: t(at),
        job_name: Some("nightly-etl".into()),
        run_id: Some(run.into()),
        worker_id: Some("render-07".into()),
        script_path: None,
        metadata,
    }
}

struct Rig {
    store: Store,
    clock: Arc<ManualClock>,
    engine: Engine,
    sender: Deliverer,
    smtp: SmtpReceiver,
    hook: HookReceiver,
    _dir: Option<tempfile::TempDir>,
}

impl Rig {
    async fn new(store: Store, dir: Option<tempfile::TempDir>) -> Rig {
        let clock = Arc::new(ManualClock::new(t(0)));
        let smtp = SmtpReceiver::start().await;
        let hook = HookReceiver::start(SECRET).await;
        let config = DeliveryConfig {
            public_url: Some("https://telltale.example".into()),
            email: Some(EmailConfig::Smtp {
                url: smtp.url(),
                from: "Telltale <telltale@example.com>".into(),
            }),
            max_attempts: 3,
            backoff_base: StdDuration::from_secs(30),
            timeout: StdDuration::from_millis(500),
            // The receivers listen on loopback.
            webhook_allow_private: true,
            ..Default::default()
        };
        let sender = Deliverer::new(store.clone(), clock.clone(), config).unwrap();
        store
            .put_email_settings(
                &EmailSettings {
                    recipients: vec!["ops@example.com".into()],
                    enabled_alert_types: vec![AlertType::Failure, AlertType::Recovery],
                },
                t(0),
            )
            .await
            .unwrap();
        store
            .create_webhook(
                &WebhookSettings {
                    name: "pager".into(),
                    url: hook.url(),
                    format: WebhookFormat::Generic,
                    options: Default::default(),
                    routing: Default::default(),
                    enabled_alert_types: vec![AlertType::Failure, AlertType::Recovery],
                    enabled: true,
                    secret: None,
                },
                SECRET,
                t(0),
            )
            .await
            .unwrap();
        Rig {
            engine: Engine::new(store.clone(), clock.clone()),
            store,
            clock,
            sender,
            smtp,
            hook,
            _dir: dir,
        }
    }

    async fn ingest(&self, events: &[NewEvent]) {
        let at = events.iter().map(|e| e.event_at).max().unwrap();
        self.clock.set(at);
        self.store.ingest(events, at).await.unwrap();
        self.engine
            .tick(&["nightly-etl".to_owned()], false)
            .await
            .unwrap();
    }

    /// A run that fails with a verbatim reason: one FAILURE alert.
    async fn fail(&self, run: &str, at: i64) -> i64 {
        self.ingest(&[
            ev("job.started", run, at, json!({})),
            ev(
                "job.failed",
                run,
                at + 5,
                json!({"failure_reason": "rsync: code 23 <partial transfer>"}),
            ),
        ])
        .await;
        self.failure_alert().await
    }

    /// A run that completes after a failure: the FAILURE closes and a
    /// RECOVERY opens.
    async fn recover(&self, run: &str, at: i64) {
        self.ingest(&[
            ev("job.started", run, at, json!({})),
            ev("job.completed", run, at + 5, json!({})),
        ])
        .await;
    }

    async fn failure_alert(&self) -> i64 {
        self.store
            .list_alerts(&Default::default())
            .await
            .unwrap()
            .into_iter()
            .find(|a| a.alert_type == AlertType::Failure)
            .expect("a FAILURE alert")
            .id
    }

    async fn deliveries(&self, alert: i64) -> Vec<AlertDelivery> {
        let mut d = self.store.deliveries_for_alert(alert).await.unwrap();
        d.reverse();
        d
    }

    async fn send_at(&self, at: DateTime<Utc>) -> usize {
        self.clock.set(at);
        self.sender.run_due().await.unwrap()
    }
}

macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test]
            async fn sqlite() {
                let (store, _, dir) = crate::support::sqlite().await;
                super::$name(super::Rig::new(store, Some(dir)).await).await;
            }

            #[tokio::test]
            async fn postgres() {
                if let Some((store, _)) = crate::support::postgres(stringify!($name)).await {
                    super::$name(super::Rig::new(store, None).await).await;
                }
            }
        }
    )*};
}

on_both_backends!(
    a_failure_sends_one_email_and_one_signed_webhook,
    a_transient_failure_is_retried_after_a_backoff,
    a_permanent_failure_is_not_retried,
    retries_stop_at_the_attempt_limit,
    a_hanging_receiver_times_out_without_holding_the_others,
    maintenance_suppression_sends_nothing_until_it_ends,
    closing_is_sent_to_webhooks_only,
    a_claimed_delivery_is_sent_again_when_its_sender_died,
    deleting_a_webhook_fails_its_pending_deliveries,
);

// After the macro, which it uses.
#[path = "channels/mod.rs"]
mod channels;

async fn a_failure_sends_one_email_and_one_signed_webhook(rig: Rig) {
    let alert = rig.fail("r1", 10).await;
    let queued = rig.deliveries(alert).await;
    assert_eq!(queued.len(), 2, "{queued:?}");
    assert!(queued.iter().all(|d| d.status == DeliveryStatus::Pending));

    assert_eq!(rig.send_at(t(16)).await, 2);
    let mails = rig.smtp.mails();
    assert_eq!(mails.len(), 1);
    let mail = &mails[0];
    assert_eq!(mail.to, ["<ops@example.com>"]);
    assert_eq!(mail.subject(), "[Telltale] FAILURE job nightly-etl failed");
    assert!(
        mail.data.contains("rsync: code 23 <partial transfer>"),
        "{}",
        mail.data
    );
    assert!(mail.data.contains("render-07"));
    assert!(mail.data.contains("https://telltale.example/alerts/"));
    assert!(mail.data.contains("text/html"), "an HTML part too");

    let hooks = rig.hook.accepted();
    assert_eq!(hooks.len(), 1);
    let hook = &hooks[0];
    assert!(hook.signature_ok, "the receiver's own HMAC check");
    assert_eq!(hook.body["version"], 1);
    assert_eq!(hook.body["event"], "alert.opened");
    assert_eq!(hook.body["alert"]["id"], alert);
    assert_eq!(hook.body["alert"]["alertType"], "FAILURE");
    assert_eq!(
        hook.body["run"]["failureReason"],
        "rsync: code 23 <partial transfer>"
    );
    assert_eq!(hook.headers["x-telltale-event"], "alert.opened");

    let done = rig.deliveries(alert).await;
    assert!(
        done.iter().all(|d| d.status == DeliveryStatus::Sent),
        "{done:?}"
    );
    assert!(done.iter().all(|d| d.attempt == 1));
    // Nothing is sent twice.
    assert_eq!(rig.send_at(t(600)).await, 0);
    assert_eq!(rig.smtp.mails().len(), 1);
    assert_eq!(rig.hook.accepted().len(), 1);
}

async fn a_transient_failure_is_retried_after_a_backoff(rig: Rig) {
    rig.hook.script([Answer::Status(503)]);
    rig.smtp.refuse("451 4.3.0 mailbox busy, try later", 1);
    let alert = rig.fail("r1", 10).await;
    rig.send_at(t(16)).await;
    let first = rig.deliveries(alert).await;
    assert_eq!(
        first.len(),
        4,
        "two failed attempts and two retries queued: {first:?}"
    );
    for d in first.iter().filter(|d| d.status == DeliveryStatus::Failed) {
        assert!(!d.permanent);
        let retry = d.retry_at.expect("a retry is scheduled");
        // 30 s ± 20% jitter.
        assert!(retry >= t(16) + Duration::seconds(24) && retry <= t(16) + Duration::seconds(36));
    }
    let errors: Vec<&str> = first.iter().filter_map(|d| d.error.as_deref()).collect();
    assert!(errors.iter().any(|e| e.contains("HTTP 503")), "{errors:?}");
    assert!(
        errors.iter().any(|e| e.contains("mailbox busy, try later")),
        "{errors:?}"
    );

    // Counted where each delivery stands: both waiting for their retry.
    let tallies = rig.store.delivery_tallies(&[alert]).await.unwrap();
    assert_eq!(
        tallies[&alert],
        DeliveryTally {
            sent: 0,
            failed: 0,
            pending: 2
        }
    );

    // Not before the backoff.
    assert_eq!(rig.send_at(t(20)).await, 0);
    assert_eq!(rig.send_at(t(60)).await, 2);
    let all = rig.deliveries(alert).await;
    let sent: Vec<_> = all
        .iter()
        .filter(|d| d.status == DeliveryStatus::Sent)
        .collect();
    assert_eq!(sent.len(), 2);
    assert!(sent.iter().all(|d| d.attempt == 2));
    assert_eq!(rig.smtp.mails().len(), 1);
    assert_eq!(rig.hook.accepted().len(), 1);
    assert_eq!(rig.hook.requests(), 2);
    // A retry is the same delivery to its receiver: it carries the id of
    // the delivery's first attempt.
    for d in &all {
        let first = all
            .iter()
            .find(|f| f.attempt == 1 && f.channel == d.channel)
            .expect("a first attempt");
        assert_eq!(d.delivery_id, first.id, "{d:?}");
    }
    let hook_chain = all
        .iter()
        .find(|d| d.attempt == 1 && d.channel == Channel::Webhook)
        .expect("the webhook's first attempt");
    let accepted = &rig.hook.accepted()[0];
    assert_eq!(
        accepted.headers["x-telltale-delivery"],
        hook_chain.id.to_string().as_str()
    );
    assert_eq!(accepted.body["deliveryId"], hook_chain.id);
    let tallies = rig
        .store
        .delivery_tallies(&[alert, alert + 1])
        .await
        .unwrap();
    assert_eq!(tallies.len(), 1, "an alert without deliveries is absent");
    assert_eq!(
        tallies[&alert],
        DeliveryTally {
            sent: 2,
            failed: 0,
            pending: 0
        }
    );
}

async fn a_permanent_failure_is_not_retried(rig: Rig) {
    rig.hook.script([Answer::Status(410)]);
    rig.smtp.refuse("550 5.1.1 no such mailbox", 1);
    let alert = rig.fail("r1", 10).await;
    rig.send_at(t(16)).await;
    let all = rig.deliveries(alert).await;
    assert_eq!(all.len(), 2, "no retries queued: {all:?}");
    for d in &all {
        assert_eq!(d.status, DeliveryStatus::Failed);
        assert!(d.permanent, "{d:?}");
        assert_eq!(d.retry_at, None);
    }
    let email = all.iter().find(|d| d.channel == Channel::Email).unwrap();
    assert!(email.error.as_deref().unwrap().contains("no such mailbox"));
    assert_eq!(rig.send_at(t(7200)).await, 0);
    let tallies = rig.store.delivery_tallies(&[alert]).await.unwrap();
    assert_eq!(tallies[&alert].failed, 2);
    // The overview's warning names both targets.
    let failing = rig.store.failing_channels(t(7200)).await.unwrap();
    assert_eq!(failing.len(), 2, "{failing:?}");
    assert!(failing.iter().any(|f| f.target == "ops@example.com"));
    assert!(
        failing
            .iter()
            .any(|f| f.target.starts_with("pager (127.0.0.1:") && f.error.contains("410"))
    );
}

async fn retries_stop_at_the_attempt_limit(rig: Rig) {
    rig.hook.script([
        Answer::Status(500),
        Answer::Status(502),
        Answer::Status(503),
    ]);
    let alert = rig.fail("r1", 10).await;
    let mut at = t(16);
    for _ in 0..3 {
        rig.send_at(at).await;
        at += Duration::hours(1);
    }
    let hooks: Vec<_> = rig
        .deliveries(alert)
        .await
        .into_iter()
        .filter(|d| d.channel == Channel::Webhook)
        .collect();
    assert_eq!(hooks.len(), 3, "{hooks:?}");
    assert_eq!(
        hooks.iter().map(|d| d.attempt).collect::<Vec<_>>(),
        [1, 2, 3]
    );
    assert!(hooks.iter().all(|d| d.status == DeliveryStatus::Failed));
    assert_eq!(hooks[2].retry_at, None, "the third was the last");
    assert_eq!(rig.send_at(at + Duration::hours(5)).await, 0);
    assert_eq!(rig.hook.requests(), 3);
}

async fn a_hanging_receiver_times_out_without_holding_the_others(rig: Rig) {
    rig.hook.script([Answer::Hang]);
    let alert = rig.fail("r1", 10).await;
    let started = std::time::Instant::now();
    rig.send_at(t(16)).await;
    // The email went while the webhook hung; the webhook gave up by its
    // timeout (0.5 s here) and will be retried.
    assert!(started.elapsed() < StdDuration::from_secs(5));
    assert_eq!(rig.smtp.mails().len(), 1);
    let hook = rig
        .deliveries(alert)
        .await
        .into_iter()
        .find(|d| d.channel == Channel::Webhook)
        .unwrap();
    assert_eq!(hook.status, DeliveryStatus::Failed);
    assert!(
        hook.error.as_deref().unwrap().contains("timed out"),
        "{hook:?}"
    );
    assert!(hook.retry_at.is_some());
}

async fn maintenance_suppression_sends_nothing_until_it_ends(rig: Rig) {
    rig.store
        .add_maintenance_window(
            &NewMaintenanceWindow {
                job_name: Some("nightly-etl".into()),
                starts_at: Some(t(0)),
                ends_at: Some(t(3600)),
                reason: "storage migration".into(),
                ..Default::default()
            },
            t(0),
        )
        .await
        .unwrap();
    let alert = rig.fail("r1", 10).await;
    assert!(rig.deliveries(alert).await.is_empty());
    assert_eq!(rig.send_at(t(20)).await, 0);
    assert!(rig.smtp.mails().is_empty() && rig.hook.requests() == 0);
    // The window ends with the job still failed: now people hear of it.
    rig.clock.set(t(3601));
    rig.engine.tick(&[], false).await.unwrap();
    let queued = rig.deliveries(alert).await;
    assert_eq!(queued.len(), 2, "{queued:?}");
    assert!(
        queued
            .iter()
            .all(|d| d.notification == Notification::Unsuppressed)
    );
    rig.send_at(t(3602)).await;
    assert_eq!(rig.hook.accepted()[0].body["event"], "alert.unsuppressed");
    assert_eq!(rig.smtp.mails().len(), 1);
}

async fn closing_is_sent_to_webhooks_only(rig: Rig) {
    let alert = rig.fail("r1", 10).await;
    rig.send_at(t(16)).await;
    let closed = rig
        .store
        .close_alert(alert, "fixed the NAS", t(100))
        .await
        .unwrap();
    assert!(closed.updated);
    rig.send_at(t(101)).await;
    let hooks = rig.hook.accepted();
    assert_eq!(hooks.len(), 2);
    assert_eq!(hooks[1].body["event"], "alert.closed");
    assert_eq!(hooks[1].body["alert"]["closeReason"], "fixed the NAS");
    assert_eq!(rig.smtp.mails().len(), 1, "no email for the close");
}

async fn a_claimed_delivery_is_sent_again_when_its_sender_died(rig: Rig) {
    let alert = rig.fail("r1", 10).await;
    // A sender claims both, then dies before sending.
    let claimed = rig
        .store
        .claim_due_deliveries(t(16), Duration::seconds(60), 10)
        .await
        .unwrap();
    assert_eq!(claimed.len(), 2);
    assert_eq!(rig.send_at(t(30)).await, 0, "the lease holds");
    assert_eq!(rig.send_at(t(77)).await, 2, "the lease ended");
    assert!(
        rig.deliveries(alert)
            .await
            .iter()
            .all(|d| d.status == DeliveryStatus::Sent)
    );
}

async fn deleting_a_webhook_fails_its_pending_deliveries(rig: Rig) {
    let alert = rig.fail("r1", 10).await;
    let hook = rig.store.list_webhooks().await.unwrap()[0].id;
    assert!(rig.store.delete_webhook(hook, t(12)).await.unwrap());
    rig.send_at(t(16)).await;
    let d = rig
        .deliveries(alert)
        .await
        .into_iter()
        .find(|d| d.channel == Channel::Webhook)
        .unwrap();
    assert_eq!(d.status, DeliveryStatus::Failed);
    assert!(d.permanent);
    assert!(d.error.unwrap().contains("deleted"));
    assert_eq!(rig.hook.requests(), 0);
}
