//! Jobs managed from the dashboard: the same service calls as `/v1/jobs`,
//! so a job declared, edited, paused, retired or deleted here is changed
//! and audited exactly as over the API. Changing is for admins; the audit
//! log is for anyone who may read.

use leptos::prelude::*;
use telltale_model::{AuditEntry, JobStatus};

use crate::components::server_html::Markup;
use crate::error::AppError;

/// The policy fields of the job form, as typed.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PolicyForm {
    #[serde(default)]
    pub schedule: Option<String>,
    #[serde(default)]
    pub timezone: Option<String>,
    #[serde(default)]
    pub grace_seconds: Option<String>,
    #[serde(default)]
    pub start_grace_seconds: Option<String>,
    #[serde(default)]
    pub max_runtime_seconds: Option<String>,
    #[serde(default)]
    pub min_runtime_seconds: Option<String>,
    #[serde(default)]
    pub failure_threshold: Option<String>,
    #[serde(default)]
    pub repeat_interval_seconds: Option<String>,
    #[serde(default)]
    pub depends_on: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    /// Comma-separated.
    #[serde(default)]
    pub tags: Option<String>,
    /// Channel names, comma-separated.
    #[serde(default)]
    pub channels: Option<String>,
    /// A checkbox: present (`on`) when ticked, absent when not.
    #[serde(default)]
    pub alert_on_failure: Option<String>,
    #[serde(default)]
    pub alert_on_miss: Option<String>,
    /// Set by a hidden field beside the checkboxes: an absent box then
    /// means "off", not "not on this form".
    #[serde(default)]
    pub flags: Option<String>,
}

impl PolicyForm {
    /// The form of a job not declared yet: the default policy.
    pub fn blank() -> Self {
        Self::of(
            &telltale_model::CheckPolicy::default(),
            &telltale_model::Managed::default(),
        )
    }

    /// The form as it shows `policy` and what the operator set.
    pub fn of(p: &telltale_model::CheckPolicy, m: &telltale_model::Managed) -> Self {
        let list = |items: &[String]| Some(items.join(", ")).filter(|t| !t.is_empty());
        let n = |v: Option<u32>| v.map(|v| v.to_string());
        let on = |b: bool| b.then(|| "on".to_owned());
        PolicyForm {
            schedule: p.schedule.clone(),
            timezone: p.timezone.clone(),
            grace_seconds: Some(p.grace_seconds.to_string()),
            start_grace_seconds: n(p.start_grace_seconds),
            max_runtime_seconds: n(p.max_runtime_seconds),
            min_runtime_seconds: n(p.min_runtime_seconds),
            failure_threshold: Some(p.failure_threshold.to_string()),
            repeat_interval_seconds: n(p.repeat_interval_seconds),
            depends_on: p.depends_on.clone(),
            description: m.description.clone(),
            tags: list(&m.tags),
            channels: list(&m.channels),
            alert_on_failure: on(p.alert_on_failure),
            alert_on_miss: on(p.alert_on_miss),
            flags: Some("1".to_owned()),
        }
    }
}

#[cfg(feature = "ssr")]
impl PolicyForm {
    /// The fields that differ from `was` (the form as it was shown) as a
    /// job spec, so only what the operator changed becomes theirs. A field
    /// emptied clears its setting; numbers go as numbers when they read as
    /// one (otherwise as typed, so the service names the field).
    fn spec(self, name: Option<String>, was: &PolicyForm) -> telltale_model::JobSpec {
        use serde_json::{Map, Value, json};
        let mut policy = Map::new();
        for ((key, now, numeric), (_, before, _)) in
            self.policy_fields().into_iter().zip(was.policy_fields())
        {
            let (now, before) = (typed(now), typed(before));
            if now == before {
                continue;
            }
            let value = match now {
                None => Value::Null,
                Some(v) if numeric => v
                    .parse::<u64>()
                    .map(Value::from)
                    .unwrap_or(Value::String(v)),
                Some(v) => Value::String(v),
            };
            policy.insert(key.into(), value);
        }
        if self.flags.is_some() {
            let flags = [
                (
                    "alert_on_failure",
                    &self.alert_on_failure,
                    &was.alert_on_failure,
                ),
                ("alert_on_miss", &self.alert_on_miss, &was.alert_on_miss),
            ];
            for (key, now, before) in flags {
                if now.is_some() != before.is_some() {
                    policy.insert(key.into(), json!(now.is_some()));
                }
            }
        }
        let changed = |now: &Option<String>, before: &Option<String>| {
            (typed(now) != typed(before)).then(|| now.clone().unwrap_or_default())
        };
        let items = |t: String| {
            t.split(',')
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(str::to_owned)
                .collect()
        };
        telltale_model::JobSpec {
            name,
            policy,
            description: changed(&self.description, &was.description),
            tags: changed(&self.tags, &was.tags).map(items),
            channels: changed(&self.channels, &was.channels).map(items),
        }
    }

    /// The policy's typed fields: key, value, and whether it is a number.
    fn policy_fields(&self) -> [(&'static str, &Option<String>, bool); 9] {
        [
            ("schedule", &self.schedule, false),
            ("timezone", &self.timezone, false),
            ("depends_on", &self.depends_on, false),
            ("grace_seconds", &self.grace_seconds, true),
            ("start_grace_seconds", &self.start_grace_seconds, true),
            ("max_runtime_seconds", &self.max_runtime_seconds, true),
            ("min_runtime_seconds", &self.min_runtime_seconds, true),
            ("failure_threshold", &self.failure_threshold, true),
            (
                "repeat_interval_seconds",
                &self.repeat_interval_seconds,
                true,
            ),
        ]
    }
}

/// A field as typed, trimmed; `None` when blank.
#[cfg(feature = "ssr")]
fn typed(v: &Option<String>) -> Option<String> {
    v.as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

/// Who is changing things, as the audit log names them.
#[cfg(feature = "ssr")]
fn actor() -> String {
    super::ssr::auth_context()
        .and_then(|a| a.user)
        .map_or_else(|| "local (login off)".to_owned(), |u| u.email)
}

/// Declares a job before its first run; then off to its page.
#[server(prefix = "/api", endpoint = "jobs/create")]
pub async fn create_job(name: String, policy: PolicyForm) -> Result<JobStatus, AppError> {
    use super::ssr::{core, require_admin};
    require_admin()?;
    let actor = actor();
    let core = core()?;
    let job = core
        .create_job(&policy.spec(Some(name), &PolicyForm::blank()), &actor)
        .await?;
    leptos_axum::redirect(&format!(
        "/jobs/{}",
        crate::components::format::encode(&job.job.name)
    ));
    Ok(job)
}

/// Edits a job's policy, description, tags and channels: each field changed from
/// what the job has becomes the operator's.
#[server(prefix = "/api", endpoint = "jobs/edit")]
pub async fn edit_job(job: String, policy: PolicyForm) -> Result<JobStatus, AppError> {
    use super::ssr::{core, require_admin};
    require_admin()?;
    let actor = actor();
    let core = core()?;
    let current = core
        .store()
        .get_job(&job)
        .await?
        .ok_or_else(|| telltale_core::ChangeError::JobNotFound(job.clone()))?;
    let was = PolicyForm::of(&current.policy, &current.managed);
    Ok(core
        .edit_job(&job, &policy.spec(None, &was), &actor)
        .await?)
}

/// Pause, resume or retire: `action` names which.
#[server(prefix = "/api", endpoint = "jobs/act")]
pub async fn job_action(job: String, action: String) -> Result<JobStatus, AppError> {
    use super::ssr::{core, require_admin};
    require_admin()?;
    let actor = actor();
    let core = core()?;
    Ok(match action.as_str() {
        "pause" => core.pause_job(&job, &actor).await?,
        "resume" => core.resume_job(&job, &actor).await?,
        "retire" => core.retire_job(&job, &actor).await?,
        other => {
            return Err(AppError::bad_input(
                "action",
                format!("must be pause, resume or retire (got {other:?})"),
            ));
        }
    })
}

/// Deletes a job and its history once `confirm` repeats its name; then
/// off to the jobs list.
#[server(prefix = "/api", endpoint = "jobs/delete")]
pub async fn delete_job(job: String, confirm: String) -> Result<(), AppError> {
    use super::ssr::{core, require_admin};
    require_admin()?;
    let actor = actor();
    core()?.delete_job(&job, &confirm, &actor).await?;
    leptos_axum::redirect("/jobs");
    Ok(())
}

/// [`list_audit`] as HTML, for the pages that show it
/// ([`crate::components::server_html`]).
#[server(prefix = "/api", endpoint = "jobs/audit-html")]
pub async fn audit_html(job: Option<String>) -> Result<Markup, AppError> {
    use crate::components::server_html::render;
    use crate::pages::job_manage::AuditTable;
    let entries = list_audit(job).await?;
    Ok(render(move || view! { <AuditTable entries /> }))
}

/// The newest operator changes, of `job` alone when given.
#[server(prefix = "/api", endpoint = "jobs/audit")]
pub async fn list_audit(job: Option<String>) -> Result<Vec<AuditEntry>, AppError> {
    use super::ssr::store;
    Ok(store()?.list_audit(job.as_deref(), 200).await?)
}

/// Forgets a worker, like `DELETE /v1/workers/{id}`: it leaves the list
/// and its WORKER_OFFLINE alert closes (it comes back if it reports again).
#[server(prefix = "/api", endpoint = "workers/forget")]
pub async fn forget_worker(worker: String) -> Result<(), AppError> {
    use super::ssr::{core, require_admin};
    require_admin()?;
    let actor = actor();
    Ok(core()?.forget_worker(worker.trim(), &actor).await?)
}
