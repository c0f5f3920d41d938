//! Jobs managed from the dashboard: the same service calls as `/v1/jobs`,
//! so a job declared, edited, paused, retired or deleted here is changed
//! and audited exactly as over the API. Changing is for admins; the audit
//! log is for anyone who may read.

use leptos::prelude::*;
use telltale_model::{AuditEntry, JobStatus};

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
}

#[cfg(feature = "ssr")]
impl PolicyForm {
    /// The filled-in fields as a job spec: numbers as numbers when they
    /// read as one (otherwise as typed, so the service names the field).
    fn spec(self, name: Option<String>) -> telltale_model::JobSpec {
        use crate::form::nonblank;
        use serde_json::{Map, Value, json};
        let mut policy = Map::new();
        for (key, value) in [
            ("schedule", self.schedule),
            ("timezone", self.timezone),
            ("depends_on", self.depends_on),
        ] {
            if let Some(v) = nonblank(value) {
                policy.insert(key.into(), json!(v.trim()));
            }
        }
        for (key, value) in [
            ("grace_seconds", self.grace_seconds),
            ("start_grace_seconds", self.start_grace_seconds),
            ("max_runtime_seconds", self.max_runtime_seconds),
            ("min_runtime_seconds", self.min_runtime_seconds),
            ("failure_threshold", self.failure_threshold),
            ("repeat_interval_seconds", self.repeat_interval_seconds),
        ] {
            if let Some(v) = nonblank(value) {
                let v = v.trim().to_owned();
                let number = v
                    .parse::<u64>()
                    .map(Value::from)
                    .unwrap_or(Value::String(v));
                policy.insert(key.into(), number);
            }
        }
        telltale_model::JobSpec {
            name,
            policy,
            description: self.description,
            tags: self.tags.map(|t| {
                t.split(',')
                    .map(str::trim)
                    .filter(|t| !t.is_empty())
                    .map(str::to_owned)
                    .collect()
            }),
        }
    }
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
    let job = core.create_job(&policy.spec(Some(name)), &actor).await?;
    leptos_axum::redirect(&format!(
        "/jobs/{}",
        crate::components::format::encode(&job.job.name)
    ));
    Ok(job)
}

/// Edits a job's policy, description and tags (each field filled in
/// becomes the operator's).
#[server(prefix = "/api", endpoint = "jobs/edit")]
pub async fn edit_job(job: String, policy: PolicyForm) -> Result<JobStatus, AppError> {
    use super::ssr::{core, require_admin};
    require_admin()?;
    let actor = actor();
    Ok(core()?.edit_job(&job, &policy.spec(None), &actor).await?)
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
