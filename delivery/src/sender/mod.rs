//! The sender: claims due deliveries, sends each with a timeout (several
//! at once, so one hanging receiver holds one slot, not the queue), records
//! the attempt and schedules the next one.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use telltale_model::clock::Clock;
use telltale_model::{AlertDelivery, Change, Channel, TestOutcome};
use telltale_store::{DeliveryResult, LiveHub, NewAttempt, Store, StoreError, WebhookTarget};

use crate::channels::{self, Message, Outgoing};
use crate::compose::{self, Notice};
use crate::config::{ConfigError, DeliveryConfig};
use crate::email::Mailer;
use crate::error::SendError;
use crate::metrics::DeliveryMetrics;
use crate::target::TargetError;
use crate::webhook::{self, Signed};

mod group;
mod run;

pub use run::spawn;

const NO_TRANSPORT: &str = "no email transport is configured: set MONITOR_SMTP_URL (and \
                            MONITOR_EMAIL_FROM), or MONITOR_RESEND_API_KEY and MONITOR_RESEND_FROM_EMAIL";

#[derive(Clone)]
pub struct Deliverer {
    store: Store,
    clock: Arc<dyn Clock>,
    config: Arc<DeliveryConfig>,
    mailer: Option<Arc<Mailer>>,
    http: reqwest::Client,
    live: Option<LiveHub>,
    /// Counts attempts; unregistered (counting for no one) unless the
    /// server hands in its own.
    metrics: DeliveryMetrics,
}

impl Deliverer {
    pub fn new(
        store: Store,
        clock: Arc<dyn Clock>,
        config: DeliveryConfig,
    ) -> Result<Self, ConfigError> {
        let mailer = config
            .email
            .as_ref()
            .map(|c| Mailer::new(c, config.timeout))
            .transpose()?
            .map(Arc::new);
        let http = webhook::client(config.timeout, config.webhook_allow_private).map_err(|e| {
            ConfigError {
                variable: "MONITOR_DELIVERY_TIMEOUT_SECONDS",
                problem: e.to_string(),
            }
        })?;
        Ok(Self {
            store,
            clock,
            config: Arc::new(config),
            mailer,
            http,
            live: None,
            metrics: DeliveryMetrics::default(),
        })
    }

    /// Pages showing an alert refresh when one of its deliveries finishes.
    pub fn with_live(mut self, live: LiveHub) -> Self {
        self.live = Some(live);
        self
    }

    /// Attempts are counted in `metrics` (registered in the server's
    /// Prometheus registry).
    pub fn with_metrics(mut self, metrics: DeliveryMetrics) -> Self {
        self.metrics = metrics;
        self
    }

    /// Whether a webhook may be saved with `url` (the REST API and the
    /// settings page ask the same question, with the server's setting).
    pub async fn check_webhook_url(&self, url: &str) -> Result<(), TargetError> {
        crate::target::check_webhook_url(url, self.config.webhook_allow_private).await
    }

    /// How email leaves (`None`: it cannot).
    pub fn email_transport(&self) -> Option<String> {
        self.mailer.as_ref().map(|m| m.describe())
    }

    /// The longest one send may take: a webhook request, or an SMTP
    /// session of several commands, each with its own timeout.
    /// The longest a healthy round of the sender takes: a poll, and a wait
    /// for a slot that a slow receiver holds up to the send timeout.
    pub fn round_bound(&self) -> Duration {
        self.config.poll_interval + self.send_limit()
    }

    fn send_limit(&self) -> Duration {
        self.config.timeout.saturating_mul(4)
    }

    /// Sends every delivery due now, and waits for them. Returns how many
    /// were attempted. Tests drive the queue with it.
    pub async fn run_due(&self) -> Result<usize, StoreError> {
        let mut attempted = 0;
        loop {
            let batch = self.claim(64).await?;
            if batch.is_empty() {
                return Ok(attempted);
            }
            // A group claims the rest of itself: count what the units hold.
            let units = self.units(batch).await;
            attempted += units.iter().map(Vec::len).sum::<usize>();
            let tasks: Vec<_> = units
                .into_iter()
                .map(|unit| {
                    let me = self.clone();
                    tokio::spawn(async move { me.deliver_unit(unit).await })
                })
                .collect();
            for t in tasks {
                if let Ok(Err(e)) = t.await {
                    tracing::error!(error = %e, "recording a delivery failed");
                }
            }
            self.publish();
        }
    }

    async fn claim(&self, limit: u64) -> Result<Vec<AlertDelivery>, StoreError> {
        self.store
            .claim_due_deliveries(self.clock.now(), self.lease(), limit)
            .await
    }

    /// How long a claim holds deliveries: longer than a send may take.
    fn lease(&self) -> chrono::Duration {
        chrono::Duration::from_std(self.send_limit())
            .unwrap_or_else(|_| chrono::Duration::minutes(5))
            + chrono::Duration::seconds(60)
    }

    fn publish(&self) {
        if let Some(live) = &self.live {
            live.publish(vec![Change::Alerts]);
        }
    }

    /// One attempt: send, then record how it went.
    async fn deliver(&self, d: AlertDelivery) -> Result<(), StoreError> {
        use tracing::Instrument;
        let span = tracing::info_span!(
            "delivery",
            delivery = d.id,
            alert = d.alert_id,
            channel = d.channel.as_str(),
            attempt = d.attempt
        );
        self.attempt(d).instrument(span).await
    }

    async fn attempt(&self, d: AlertDelivery) -> Result<(), StoreError> {
        let outcome = match tokio::time::timeout(self.send_limit(), self.send(&d)).await {
            Ok(outcome) => outcome,
            Err(_) => Err(SendError::transient(format!(
                "gave up waiting after {} s",
                self.send_limit().as_secs()
            ))),
        };
        let now = self.clock.now();
        let result = self.result_of(outcome, d.attempt, now);
        // Counted as it happened on the wire, even if recording it fails.
        self.metrics.record(d.channel, &result);
        self.store.finish_delivery(&d, &result, now).await
    }

    /// How an attempt ended, with its retry when one is due.
    fn result_of(
        &self,
        outcome: Result<(), SendError>,
        attempt: u32,
        now: DateTime<Utc>,
    ) -> DeliveryResult {
        match outcome {
            Ok(()) => {
                tracing::info!("alert delivered");
                DeliveryResult::Sent
            }
            Err(e) => {
                let retry = (!e.permanent && attempt < self.config.max_attempts).then(|| {
                    let wait = chrono::Duration::from_std(self.config.backoff(attempt))
                        .unwrap_or_else(|_| chrono::Duration::hours(1));
                    NewAttempt { due_at: now + wait }
                });
                tracing::warn!(error = %e.message, permanent = e.permanent, retry_at = ?retry.map(|r| r.due_at), "alert delivery failed");
                DeliveryResult::Failed {
                    error: e.message,
                    permanent: e.permanent,
                    retry,
                }
            }
        }
    }

    async fn send(&self, d: &AlertDelivery) -> Result<(), SendError> {
        let store_err = |e: StoreError| SendError::transient(format!("database: {e}"));
        let alert = self
            .store
            .get_alert(d.alert_id)
            .await
            .map_err(store_err)?
            .ok_or_else(|| {
                SendError::permanent(format!("alert {} no longer exists", d.alert_id))
            })?;
        let run = match &alert.run_id {
            Some(id) => self.store.get_run(id).await.map_err(store_err)?,
            None => None,
        };
        let notice = Notice {
            alert: &alert,
            notification: d.notification,
            run: run.as_ref(),
            link: compose::alert_link(self.config.public_url.as_deref(), alert.id),
        };
        match d.channel {
            Channel::Email => {
                let mailer = self
                    .mailer
                    .as_ref()
                    .ok_or_else(|| SendError::permanent(NO_TRANSPORT))?;
                mailer.send(&d.target, &compose::email(&notice)).await
            }
            Channel::Webhook => {
                let id = d
                    .webhook_id
                    .ok_or_else(|| SendError::permanent("webhook delivery without a webhook"))?;
                let target = self
                    .store
                    .webhook_target(id)
                    .await
                    .map_err(store_err)?
                    .ok_or_else(|| SendError::permanent(format!("webhook {id} was deleted")))?;
                if !target.webhook.enabled {
                    return Err(SendError::permanent(format!(
                        "webhook {id} was disabled before this was sent"
                    )));
                }
                let now = self.clock.now();
                let message = Message::of(&notice, d.delivery_id, now);
                self.post(&target, &message, now, Some(d.delivery_id), || {
                    compose::webhook_payload(&notice, d.delivery_id, now)
                })
                .await
            }
        }
    }

    /// Sends `m` to a channel: in its provider's format, or Telltale's
    /// own payload (`generic`); signed where the format is.
    async fn post(
        &self,
        target: &WebhookTarget,
        m: &Message,
        now: DateTime<Utc>,
        delivery_id: Option<i64>,
        generic: impl FnOnce() -> serde_json::Value,
    ) -> Result<(), SendError> {
        let out = match channels::request(target, m)? {
            Some(out) => out,
            None => Outgoing::json(target.webhook.url.clone(), &generic()),
        };
        let event = m
            .fields
            .iter()
            .find(|(k, _)| *k == "event")
            .map_or("test", |(_, v)| v.as_str());
        let signed = target.webhook.format.signed().then_some(Signed {
            secret: &target.secret,
            timestamp: now.timestamp(),
            event,
            delivery_id,
        });
        webhook::send(&self.http, self.config.webhook_allow_private, out, signed).await
    }

    /// Sends a test email to every configured recipient, now (not queued).
    pub async fn test_email(&self) -> Result<TestOutcome, StoreError> {
        let settings = self.store.email_settings().await?;
        if settings.recipients.is_empty() {
            return Ok(TestOutcome {
                attempted: 0,
                sent: 0,
                failed: 0,
                message: "no recipients are configured".to_owned(),
            });
        }
        let Some(mailer) = &self.mailer else {
            return Ok(TestOutcome {
                attempted: 0,
                sent: 0,
                failed: 0,
                message: NO_TRANSPORT.to_owned(),
            });
        };
        let content = compose::test_email(self.config.public_url.as_deref(), self.clock.now());
        let mut errors = Vec::new();
        for to in &settings.recipients {
            let sent = tokio::time::timeout(self.send_limit(), mailer.send(to, &content))
                .await
                .unwrap_or_else(|_| Err(SendError::transient("timed out")));
            if let Err(e) = sent {
                errors.push(format!("{to}: {e}"));
            }
        }
        Ok(outcome(
            settings.recipients.len(),
            errors,
            &mailer.describe(),
        ))
    }

    /// Posts a test payload to one webhook, now. `None`: no such webhook.
    pub async fn test_webhook(&self, id: i64) -> Result<Option<TestOutcome>, StoreError> {
        let Some(target) = self.store.webhook_target(id).await? else {
            return Ok(None);
        };
        let now: DateTime<Utc> = self.clock.now();
        let message = Message::test(self.config.public_url.as_deref(), now);
        let mut sent = self
            .post(&target, &message, now, None, || {
                compose::webhook_test_payload(now)
            })
            .await;
        // An incident tool opened a test incident: close it again.
        if sent.is_ok() && target.webhook.format.is_incident_tool() {
            let close = Message {
                closing: true,
                ..message
            };
            sent = self
                .post(&target, &close, now, None, || serde_json::Value::Null)
                .await;
        }
        let errors = sent
            .err()
            .map(|e| vec![format!("{} answered {e}", target.webhook.format.label())])
            .unwrap_or_default();
        Ok(Some(outcome(1, errors, &target.webhook.shown_target())))
    }
}

fn outcome(attempted: usize, errors: Vec<String>, via: &str) -> TestOutcome {
    let attempted = u32::try_from(attempted).unwrap_or(u32::MAX);
    let failed = u32::try_from(errors.len()).unwrap_or(u32::MAX);
    let message = if errors.is_empty() {
        format!("sent {attempted} of {attempted} via {via}")
    } else {
        format!(
            "sent {} of {attempted} via {via}; failed: {}",
            attempted - failed,
            errors.join("; ")
        )
    };
    TestOutcome {
        attempted,
        sent: attempted - failed,
        failed,
        message,
    }
}
