//! What routing needs to know of alerts (their job, its tags, the
//! channels the job names) and when a routed notification is due: joined
//! to its channel's open group, held past quiet hours.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use serde_json::Value;
use telltale_model::{DeliveryStatus, Notification, Webhook, WebhookFormat};

use crate::convert::split_list;
use crate::entity::{alert, alert_delivery, job, run};
use crate::time::{from_us, to_us};
use crate::{BIND_CHUNK, StoreError};

/// One alert's routing facts.
#[derive(Debug, Default, Clone)]
pub(super) struct Facts {
    pub job: Option<String>,
    /// The job's operator tags and its run's metadata `tags` (for an alert
    /// without a run, the job's last run's).
    pub tags: Vec<String>,
    /// The channels the job's operator named and its run's metadata
    /// `channels`.
    pub named: Vec<String>,
}

/// A metadata value as a list: an array of strings, or one string of
/// comma-separated items.
fn list(v: Option<&Value>) -> Vec<String> {
    let items: Vec<String> = match v {
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|x| x.as_str().map(str::to_owned))
            .collect(),
        Some(Value::String(s)) => s.split(',').map(str::to_owned).collect(),
        _ => Vec::new(),
    };
    items
        .into_iter()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty() && s.len() <= 64)
        .take(50)
        .collect()
}

/// What routing reads of a job's row.
struct JobRow {
    tags: Vec<String>,
    channels: Vec<String>,
    last_run: Option<String>,
}

/// `more` added to `into`, each item once.
fn union(into: &mut Vec<String>, more: Vec<String>) {
    for item in more {
        if !into.contains(&item) {
            into.push(item);
        }
    }
}

/// Facts for each of `alert_ids`: three lookups per [`BIND_CHUNK`] ids.
pub(super) async fn facts<C: ConnectionTrait>(
    db: &C,
    alert_ids: &[i64],
) -> Result<HashMap<i64, Facts>, StoreError> {
    let mut out = HashMap::new();
    for chunk in alert_ids.chunks(BIND_CHUNK) {
        let alerts: Vec<(i64, Option<String>, Option<String>)> = alert::Entity::find()
            .select_only()
            .columns([
                alert::Column::Id,
                alert::Column::JobName,
                alert::Column::RunId,
            ])
            .filter(alert::Column::Id.is_in(chunk.iter().copied()))
            .into_tuple()
            .all(db)
            .await?;
        let jobs: Vec<String> = alerts.iter().filter_map(|a| a.1.clone()).collect();
        // Tags and channels the operator set, and the job's last run: an
        // alert with no run of its own (MISSED) is routed by what its
        // job's producer said last.
        let job_rows: HashMap<String, JobRow> = job::Entity::find()
            .select_only()
            .columns([
                job::Column::Name,
                job::Column::Tags,
                job::Column::Channels,
                job::Column::LastRunId,
            ])
            .filter(job::Column::Name.is_in(jobs))
            .into_tuple::<(String, String, String, Option<String>)>()
            .all(db)
            .await?
            .into_iter()
            .map(|(name, tags, channels, last)| {
                let row = JobRow {
                    tags: split_list(&tags),
                    channels: split_list(&channels),
                    last_run: last,
                };
                (name, row)
            })
            .collect();
        let alerts: Vec<(i64, Option<String>, Option<String>)> = alerts
            .into_iter()
            .map(|(id, job, run)| {
                let run = run.or_else(|| {
                    job.as_ref()
                        .and_then(|j| job_rows.get(j))
                        .and_then(|row| row.last_run.clone())
                });
                (id, job, run)
            })
            .collect();
        let runs: Vec<String> = alerts.iter().filter_map(|a| a.2.clone()).collect();
        let run_meta: HashMap<String, String> = run::Entity::find()
            .select_only()
            .columns([run::Column::RunId, run::Column::Metadata])
            .filter(run::Column::RunId.is_in(runs))
            .into_tuple::<(String, String)>()
            .all(db)
            .await?
            .into_iter()
            .collect();
        for (id, job_name, run_id) in alerts {
            let meta: Value = run_id
                .as_ref()
                .and_then(|r| run_meta.get(r))
                .and_then(|m| serde_json::from_str(m).ok())
                .unwrap_or(Value::Null);
            let row = job_name.as_ref().and_then(|j| job_rows.get(j));
            let mut tags = row.map(|r| r.tags.clone()).unwrap_or_default();
            union(&mut tags, list(meta.get("tags")));
            let mut named = row.map(|r| r.channels.clone()).unwrap_or_default();
            union(&mut named, list(meta.get("channels")));
            out.insert(
                id,
                Facts {
                    job: job_name,
                    tags,
                    named,
                },
            );
        }
    }
    Ok(out)
}

/// Whether a channel's messages are grouped: the chat, push and incident
/// providers. Telltale's own payload and templated webhooks stay one
/// alert per request: programs read them.
pub fn groups(format: WebhookFormat) -> bool {
    !matches!(format, WebhookFormat::Generic | WebhookFormat::Template)
}

/// Decides when notifications routed to channels are due: the first of a
/// group opens the window, later ones join it; quiet hours hold them.
#[derive(Default)]
pub(super) struct DueTimes {
    /// Group due times decided in this transaction, by channel and kind.
    open: HashMap<(i64, Notification), DateTime<Utc>>,
}

impl DueTimes {
    pub async fn due<C: ConnectionTrait>(
        &mut self,
        db: &C,
        hook: &Webhook,
        notification: Notification,
        now: DateTime<Utc>,
    ) -> Result<DateTime<Utc>, StoreError> {
        let mut due = now;
        let window = i64::from(hook.routing.group_seconds);
        if window > 0 && groups(hook.format) {
            let key = (hook.id, notification);
            due = match self.open.get(&key) {
                Some(at) => *at,
                None => {
                    let at = open_group(db, hook.id, notification, now)
                        .await?
                        .unwrap_or(now + Duration::seconds(window));
                    self.open.insert(key, at);
                    at
                }
            };
        }
        if let Some(until) = hook.routing.quiet_hours.as_ref().and_then(|q| q.until(due)) {
            due = due.max(until);
        }
        Ok(due)
    }
}

/// When a group of `notification`s to channel `hook` that has not gone out
/// yet is due: the earliest pending first attempt due after `now`.
async fn open_group<C: ConnectionTrait>(
    db: &C,
    hook: i64,
    notification: Notification,
    now: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>, StoreError> {
    let due: Option<Option<i64>> = alert_delivery::Entity::find()
        .select_only()
        .column_as(alert_delivery::Column::DueAtUs.min(), "due")
        .filter(alert_delivery::Column::WebhookId.eq(hook))
        .filter(alert_delivery::Column::Notification.eq(notification.as_str()))
        .filter(alert_delivery::Column::Status.eq(DeliveryStatus::Pending.as_str()))
        .filter(alert_delivery::Column::Attempt.eq(1))
        .filter(alert_delivery::Column::ClaimedUntilUs.is_null())
        .filter(alert_delivery::Column::DueAtUs.gt(to_us(now)))
        .into_tuple()
        .one(db)
        .await?;
    Ok(due.flatten().and_then(from_us))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_lists_are_arrays_or_comma_separated() {
        assert_eq!(
            list(Some(&serde_json::json!(["db", " nightly "]))),
            ["db", "nightly"]
        );
        assert_eq!(
            list(Some(&serde_json::json!("db, nightly,,"))),
            ["db", "nightly"]
        );
        assert!(list(Some(&serde_json::json!({"a": 1}))).is_empty());
        assert!(list(None).is_empty());
    }
}
