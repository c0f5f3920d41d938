//! Jobs managed by operators: what a create or edit sends, how it is
//! checked, and the audit log every operator change leaves.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::ingest::FieldError;
use crate::job::CheckPolicy;

/// A job as an operator declares or edits it (`POST /v1/jobs`,
/// `PUT /v1/jobs/{name}`, the dashboard's form).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", default)]
pub struct JobSpec {
    /// Required to create; ignored when editing (the path names the job).
    pub name: Option<String>,
    /// Policy keys, as producers send them in metadata: `schedule`
    /// (`every 15m` or cron), `timezone` (IANA), `grace_seconds`,
    /// `start_grace_seconds`, `max_runtime_seconds`, `min_runtime_seconds`,
    /// `failure_threshold`, `repeat_interval_seconds`, `alert_on_failure`,
    /// `alert_on_miss`, `check_enabled`, `depends_on`. Each key given is
    /// the operator's from then on: a producer's value for it is ignored.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub policy: Map<String, Value>,
    pub description: Option<String>,
    pub tags: Option<Vec<String>>,
    /// Channels (by name) told of this job's alerts whatever their routing
    /// rules say; each must exist.
    pub channels: Option<Vec<String>>,
}

/// Longest description kept.
pub const MAX_DESCRIPTION: usize = 2000;

impl JobSpec {
    /// Checks every field; the error names the first bad one
    /// (`policy.schedule`, `tags`, …).
    pub fn check(&self, now: DateTime<Utc>) -> Result<(), FieldError> {
        for key in self.policy.keys() {
            if !CheckPolicy::is_key(key) {
                return Err(FieldError::new(
                    format!("policy.{key}"),
                    format!(
                        "is not a policy key (one of {})",
                        CheckPolicy::keys().collect::<Vec<_>>().join(", ")
                    ),
                ));
            }
        }
        if let Some((field, reason)) = crate::metadata::problems("job.started", &self.policy, now)
            .into_iter()
            .next()
        {
            let key = field.trim_start_matches("metadata.");
            return Err(FieldError::new(format!("policy.{key}"), reason));
        }
        if let Some(d) = &self.description
            && d.len() > MAX_DESCRIPTION
        {
            return Err(FieldError::new(
                "description",
                format!("must be at most {MAX_DESCRIPTION} bytes"),
            ));
        }
        check_items("tags", "a tag", 64, self.tags.as_deref())?;
        check_items("channels", "a channel name", 100, self.channels.as_deref())?;
        Ok(())
    }
}

/// Each item of a comma-separated column (tags, channel names): 1 to
/// `max` bytes, no commas, no control characters.
fn check_items(
    field: &str,
    what: &str,
    max: usize,
    items: Option<&[String]>,
) -> Result<(), FieldError> {
    for item in items.unwrap_or_default() {
        let bad = item.trim().is_empty()
            || item.len() > max
            || item.contains(',')
            || item.chars().any(char::is_control);
        if bad {
            return Err(FieldError::new(
                field,
                format!(
                    "{item:?}: {what} is 1 to {max} bytes, without commas or control characters"
                ),
            ));
        }
    }
    Ok(())
}

/// Checks a name an operator gives a new job.
pub fn check_job_name(name: &str) -> Result<(), FieldError> {
    let bad = |why: &str| Err(FieldError::new("name", format!("{name:?} {why}")));
    if name.trim().is_empty() {
        return bad("is blank");
    }
    if name.len() > crate::event::MAX_ID_LEN {
        return bad("is too long");
    }
    if name != name.trim() {
        return bad("starts or ends with white space");
    }
    if name.chars().any(|c| c.is_control() || c == '/') {
        return bad("has a control character or a slash");
    }
    Ok(())
}

/// One operator change, as the audit log keeps it (append-only).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct AuditEntry {
    pub id: i64,
    pub at: DateTime<Utc>,
    /// Who: a user's email, `MONITOR_API_KEY`, or `local` with login off.
    pub actor: String,
    /// `create`, `edit`, `pause`, `resume`, `retire`, `delete`,
    /// `forget_worker`.
    pub action: String,
    pub job_name: Option<String>,
    pub worker_id: Option<String>,
    /// What it was and what it became (null where there was or is none).
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub before: Value,
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub after: Value,
}

/// An audit entry to store.
#[derive(Debug, Clone, PartialEq)]
pub struct NewAuditEntry {
    pub actor: String,
    pub action: &'static str,
    pub job_name: Option<String>,
    pub worker_id: Option<String>,
    pub before: Value,
    pub after: Value,
}

/// A page of audit entries, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct AuditPage {
    pub entries: Vec<AuditEntry>,
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn spec(policy: Value) -> JobSpec {
        JobSpec {
            policy: policy.as_object().cloned().unwrap_or_default(),
            ..JobSpec::default()
        }
    }

    #[test]
    fn bad_policies_name_their_key() {
        let now = Utc::now();
        let err = spec(json!({"grace": 60})).check(now).unwrap_err();
        assert_eq!(err.field, "policy.grace");
        let err = spec(json!({"grace_seconds": "soon"}))
            .check(now)
            .unwrap_err();
        assert_eq!(err.field, "policy.grace_seconds");
        assert!(
            spec(json!({"grace_seconds": 900, "schedule": "every 15m"}))
                .check(now)
                .is_ok()
        );
        let tags = JobSpec {
            tags: Some(vec!["a,b".into()]),
            ..JobSpec::default()
        };
        assert_eq!(tags.check(now).unwrap_err().field, "tags");
        let channels = JobSpec {
            channels: Some(vec!["ops,dba".into()]),
            ..JobSpec::default()
        };
        assert_eq!(channels.check(now).unwrap_err().field, "channels");
        assert_eq!(check_job_name(" x").unwrap_err().field, "name");
    }

    #[cfg(feature = "schedule")]
    #[test]
    fn a_bad_cron_or_zone_is_named() {
        let now = Utc::now();
        let err = spec(json!({"schedule": "61 * * * *"}))
            .check(now)
            .unwrap_err();
        assert_eq!(err.field, "policy.schedule");
        let err = spec(json!({"timezone": "Mars/Olympus"}))
            .check(now)
            .unwrap_err();
        assert_eq!(err.field, "policy.timezone");
    }
}
