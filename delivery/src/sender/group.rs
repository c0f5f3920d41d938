//! Channels that group (chat, push, incident tools): what was claimed
//! together for one channel goes out as one message, after the rules
//! that skip or hold some of it — an alert that closed before its held
//! opening was due, a close whose opening was never sent, an incident
//! group with alerts still open, a channel over its hourly limit.

use std::collections::HashMap;

use telltale_model::{Alert, AlertDelivery, AlertStatus, Channel, Notification};
use telltale_store::{DeliveryResult, StoreError, WebhookTarget, groups};

use super::Deliverer;
use crate::channels::Message;
use crate::compose::{self, Notice};
use crate::error::SendError;

/// Deliveries that go out together: one, or a channel's group.
pub(crate) type Unit = Vec<AlertDelivery>;

impl Deliverer {
    /// Splits a claimed batch into units: deliveries to a grouping channel
    /// by channel and notification (with the rest of that group that is
    /// due, claimed now), everything else alone.
    pub(crate) async fn units(&self, batch: Vec<AlertDelivery>) -> Vec<Unit> {
        let mut units = Vec::new();
        let mut grouped: HashMap<(i64, Notification), Unit> = HashMap::new();
        let mut grouping: HashMap<i64, bool> = HashMap::new();
        for d in batch {
            if let (Channel::Webhook, Some(id)) = (d.channel, d.webhook_id) {
                let groups_here = match grouping.get(&id) {
                    Some(g) => *g,
                    None => {
                        let target = self.store.webhook_target(id).await.ok().flatten();
                        let g = target.is_some_and(|t| groups(t.webhook.format));
                        grouping.insert(id, g);
                        g
                    }
                };
                if groups_here {
                    grouped.entry((id, d.notification)).or_default().push(d);
                    continue;
                }
            }
            units.push(vec![d]);
        }
        for ((id, notification), mut unit) in grouped {
            match self
                .store
                .claim_due_group(id, notification, self.clock.now(), self.lease())
                .await
            {
                Ok(more) => unit.extend(more),
                Err(e) => {
                    tracing::warn!(webhook = id, error = %e, "could not claim the rest of a group")
                }
            }
            units.push(unit);
        }
        units
    }

    /// Sends one unit and records it. The channel is read once here: a
    /// grouping channel's unit goes out together, anything else (email,
    /// the generic and templated webhooks, a channel deleted meanwhile)
    /// one delivery at a time.
    pub(crate) async fn deliver_unit(&self, unit: Unit) -> Result<(), StoreError> {
        let target = match unit.first() {
            Some(d) if d.channel == Channel::Webhook => match d.webhook_id {
                Some(id) => self.store.webhook_target(id).await?,
                None => None,
            },
            _ => None,
        };
        match target {
            Some(t) if groups(t.webhook.format) => self.deliver_group(unit, t).await,
            _ => {
                for d in unit {
                    self.deliver(d).await?;
                }
                Ok(())
            }
        }
    }

    async fn deliver_group(&self, unit: Unit, target: WebhookTarget) -> Result<(), StoreError> {
        let now = self.clock.now();
        let id = target.webhook.id;
        if !target.webhook.enabled {
            let result = DeliveryResult::Failed {
                error: format!("webhook {id} was disabled before this was sent"),
                permanent: true,
                retry: None,
            };
            return self.store.finish_group(&unit, &result, now).await;
        }
        let mut send = Vec::new();
        let mut messages = Vec::new();
        for d in unit {
            let Some(alert) = self.store.get_alert(d.alert_id).await? else {
                self.store
                    .skip_delivery(&d, "the alert no longer exists", now)
                    .await?;
                continue;
            };
            if let Some(why) = self.skip_reason(&target, &d, &alert).await? {
                tracing::info!(delivery = d.id, alert = d.alert_id, why, "delivery skipped");
                self.store.skip_delivery(&d, &why, now).await?;
                continue;
            }
            let run = match &alert.run_id {
                Some(r) => self.store.get_run(r).await?,
                None => None,
            };
            let notice = Notice {
                alert: &alert,
                notification: d.notification,
                run: run.as_ref(),
                link: compose::alert_link(self.config.public_url.as_deref(), alert.id),
            };
            let mut m = Message::of(&notice, d.delivery_id, now);
            // A reminder or close of an alert opened in a group is about
            // the group's incident.
            if target.webhook.format.is_incident_tool()
                && d.notification != Notification::Opened
                && let Some(Some(group)) = self.store.opening_sent(alert.id, id).await?
            {
                m.key = format!("telltale-group-{group}");
            }
            send.push(d);
            messages.push(m);
        }
        if send.is_empty() {
            return Ok(());
        }
        if let Some(later) = self.held_by_rate(&target, now).await? {
            tracing::info!(webhook = id, until = %later, held = send.len(), "channel over its hourly limit");
            return self.store.postpone_deliveries(&send, later).await;
        }
        let outcome = self.post_unit(&target, &send, messages, now).await;
        let attempt = send.iter().map(|d| d.attempt).max().unwrap_or(1);
        let result = self.result_of(outcome, attempt, now);
        for d in &send {
            self.metrics.record(d.channel, &result);
        }
        self.store.finish_group(&send, &result, now).await
    }

    /// The message(s) of a unit: one; a group's; an incident tool's resolve
    /// once per incident.
    async fn post_unit(
        &self,
        target: &WebhookTarget,
        send: &[AlertDelivery],
        messages: Vec<Message>,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), SendError> {
        let public = self.config.public_url.as_deref();
        let first = send.iter().map(|d| d.id).min().unwrap_or_default();
        // An incident tool's reminders and closes are about incidents that
        // exist: one request per incident key, never a new group.
        let about_incidents = target.webhook.format.is_incident_tool()
            && send.iter().any(|d| d.notification != Notification::Opened);
        let mut out = if messages.len() == 1 || about_incidents {
            messages
        } else {
            vec![Message::group(
                &messages,
                format!("telltale-group-{first}"),
                public,
            )]
        };
        if about_incidents {
            out.sort_by(|a, b| a.key.cmp(&b.key));
            out.dedup_by(|a, b| a.key == b.key);
        }
        for m in &out {
            self.post(target, m, now, None, || serde_json::Value::Null)
                .await?;
        }
        Ok(())
    }

    /// Why a delivery to a grouping channel is not sent, if it is not.
    async fn skip_reason(
        &self,
        target: &WebhookTarget,
        d: &AlertDelivery,
        alert: &Alert,
    ) -> Result<Option<String>, StoreError> {
        let hook = target.webhook.id;
        if d.notification == Notification::Closed {
            return Ok(match self.store.opening_sent(alert.id, hook).await? {
                None => Some("nothing about its opening was sent here".to_owned()),
                Some(Some(group)) if target.webhook.format.is_incident_tool() => {
                    let open = self.store.open_in_group(group, &[alert.id]).await?;
                    (open > 0).then(|| {
                        format!(
                            "its group's incident stays open: {open} of its alerts are still open"
                        )
                    })
                }
                Some(_) => None,
            });
        }
        let held = d.due_at > d.created_at;
        Ok((held && alert.status != AlertStatus::Open).then(|| {
            "the alert closed before this was due (held for its group window or quiet hours)"
                .to_owned()
        }))
    }

    /// When a channel at its hourly limit may send again; `None` when it
    /// may now.
    async fn held_by_rate(
        &self,
        target: &WebhookTarget,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Option<chrono::DateTime<chrono::Utc>>, StoreError> {
        let max = target.webhook.routing.max_per_hour as usize;
        if max == 0 {
            return Ok(None);
        }
        let hour = chrono::Duration::hours(1);
        let sent = self
            .store
            .messages_sent_since(target.webhook.id, now - hour)
            .await?;
        // A message ages out of the hour at its time + 1 h; a time not
        // after now would hold nothing, and claim the same rows forever.
        Ok((sent.len() >= max)
            .then(|| sent[sent.len() - max] + hour)
            .filter(|later| *later > now))
    }
}
