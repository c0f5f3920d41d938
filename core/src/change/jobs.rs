//! Jobs managed by operators: declared before their first run, edited,
//! paused and resumed, retired, deleted; workers forgotten. Each change is
//! written to the audit log with who made it and what it changed.
//!
//! Operators manage the *monitoring* of a job, never the work itself.

use serde_json::{Value, json};
use telltale_model::{
    AlertType, Change, Evaluation, Job, JobSpec, JobStatus, NewAuditEntry, manage::check_job_name,
};
use telltale_store::{DeleteOutcome, Deleted};

use crate::{ChangeError, Core};

/// What the audit log shows of a job's settings.
fn settings(job: &Job) -> Value {
    json!({
        "policy": job.policy,
        "operatorKeys": job.managed.operator_keys,
        "description": job.managed.description,
        "tags": job.managed.tags,
        "channels": job.managed.channels,
    })
}

/// `spec` laid over `job`: each policy key given is set and becomes the
/// operator's; description, tags and channels replace what was there when
/// given.
fn apply(job: &mut Job, spec: &JobSpec) {
    job.policy.set_from(&spec.policy);
    for key in spec.policy.keys() {
        if !job.managed.operator_keys.contains(key) {
            job.managed.operator_keys.push(key.clone());
        }
    }
    job.managed.operator_keys.sort();
    if let Some(d) = &spec.description {
        job.managed.description = Some(d.clone()).filter(|d| !d.trim().is_empty());
    }
    if let Some(tags) = &spec.tags {
        job.managed.tags = tags.iter().map(|t| t.trim().to_owned()).collect();
    }
    if let Some(channels) = &spec.channels {
        let mut names: Vec<String> = Vec::new();
        for name in channels.iter().map(|c| c.trim().to_owned()) {
            if !names.contains(&name) {
                names.push(name);
            }
        }
        job.managed.channels = names;
    }
}

impl Core {
    /// Declares a job before its first run, with its policy.
    pub async fn create_job(&self, spec: &JobSpec, actor: &str) -> Result<JobStatus, ChangeError> {
        let now = self.now();
        let name = spec.name.clone().unwrap_or_default();
        check_job_name(&name).map_err(ChangeError::Invalid)?;
        spec.check(now).map_err(ChangeError::Invalid)?;
        self.check_channels(spec).await?;
        let mut job = Job::new(&name, now);
        apply(&mut job, spec);
        if !self.store().create_job(&job).await? {
            return Err(ChangeError::Conflict(format!(
                "a job named {name:?} exists already"
            )));
        }
        self.audit(
            actor,
            "create",
            Some(&name),
            None,
            Value::Null,
            settings(&job),
        )
        .await?;
        tracing::info!(job = name, actor, "job created by an operator");
        self.changed_job(&name).await
    }

    /// Changes a job's policy, description or tags.
    pub async fn edit_job(
        &self,
        name: &str,
        spec: &JobSpec,
        actor: &str,
    ) -> Result<JobStatus, ChangeError> {
        spec.check(self.now()).map_err(ChangeError::Invalid)?;
        self.check_channels(spec).await?;
        self.change_job(name, actor, "edit", |job| apply(job, spec))
            .await
    }

    /// A job names only channels that exist: a typo would otherwise leave
    /// its alerts unsent where the operator expects them.
    async fn check_channels(&self, spec: &JobSpec) -> Result<(), ChangeError> {
        let Some(named) = &spec.channels else {
            return Ok(());
        };
        let known: Vec<String> = self
            .store()
            .list_webhooks()
            .await?
            .into_iter()
            .map(|w| w.name)
            .collect();
        match named.iter().find(|n| !known.contains(&n.trim().to_owned())) {
            None => Ok(()),
            Some(missing) => Err(ChangeError::Invalid(telltale_model::FieldError::new(
                "channels",
                match known.is_empty() {
                    true => format!("there is no channel named {missing:?} (none is set up)"),
                    false => format!(
                        "there is no channel named {missing:?} (channels: {})",
                        known.join(", ")
                    ),
                },
            ))),
        }
    }

    /// Stops checking a job until it is resumed (its state is PAUSED).
    pub async fn pause_job(&self, name: &str, actor: &str) -> Result<JobStatus, ChangeError> {
        self.set_checks(name, actor, false).await
    }

    pub async fn resume_job(&self, name: &str, actor: &str) -> Result<JobStatus, ChangeError> {
        self.set_checks(name, actor, true).await
    }

    async fn set_checks(
        &self,
        name: &str,
        actor: &str,
        enabled: bool,
    ) -> Result<JobStatus, ChangeError> {
        let spec = JobSpec {
            policy: [("check_enabled".to_owned(), json!(enabled))]
                .into_iter()
                .collect(),
            ..JobSpec::default()
        };
        let action = if enabled { "resume" } else { "pause" };
        self.change_job(name, actor, action, |job| apply(job, &spec))
            .await
    }

    async fn change_job(
        &self,
        name: &str,
        actor: &str,
        action: &'static str,
        change: impl FnOnce(&mut Job),
    ) -> Result<JobStatus, ChangeError> {
        let Some(before) = self.store().job_with_state(name).await? else {
            return Err(ChangeError::JobNotFound(name.to_owned()));
        };
        let mut job = before.job.clone();
        change(&mut job);
        if !self.store().set_job_settings(&job).await? {
            return Err(ChangeError::JobNotFound(name.to_owned()));
        }
        self.audit(
            actor,
            action,
            Some(name),
            None,
            settings(&before.job),
            settings(&job),
        )
        .await?;
        tracing::info!(job = name, actor, action, "job changed by an operator");
        self.changed_job(name).await
    }

    /// Retires a job: checks stop, its open alerts close with the reason
    /// "job retired", and its history stays.
    pub async fn retire_job(&self, name: &str, actor: &str) -> Result<JobStatus, ChangeError> {
        let now = self.now();
        if !self.store().retire_job(name, now).await? {
            return match self.store().job_exists(name).await? {
                true => Err(ChangeError::Conflict(format!(
                    "job {name:?} is retired already"
                ))),
                false => Err(ChangeError::JobNotFound(name.to_owned())),
            };
        }
        let open = self
            .store()
            .open_alerts_for_jobs(&[name.to_owned()])
            .await?;
        let eval = Evaluation {
            close: open
                .iter()
                .map(|a| (a.id, "job retired".to_owned()))
                .collect(),
            ..Evaluation::default()
        };
        self.store().apply_alert_changes(&eval, now).await?;
        self.audit(
            actor,
            "retire",
            Some(name),
            None,
            Value::Null,
            json!({ "retiredAt": now, "alertsClosed": open.len() }),
        )
        .await?;
        tracing::info!(job = name, actor, alerts_closed = open.len(), "job retired");
        self.live().publish([Change::Alerts]);
        self.changed_job(name).await
    }

    /// Deletes a job and all its history. `confirm` must repeat its name;
    /// a job with a run in progress is refused.
    pub async fn delete_job(
        &self,
        name: &str,
        confirm: &str,
        actor: &str,
    ) -> Result<Deleted, ChangeError> {
        if confirm != name {
            return Err(ChangeError::Invalid(telltale_model::FieldError::new(
                "confirm",
                format!("must repeat the job's name ({name:?}) to delete it and all its history"),
            )));
        }
        let deleted = match self.store().delete_job(name).await? {
            DeleteOutcome::Deleted(d) => d,
            DeleteOutcome::NotFound => return Err(ChangeError::JobNotFound(name.to_owned())),
            DeleteOutcome::RunInProgress(run) => {
                return Err(ChangeError::Conflict(format!(
                    "run {run:?} of job {name:?} has not ended; delete the job once it has"
                )));
            }
        };
        self.audit(
            actor,
            "delete",
            Some(name),
            None,
            json!(deleted),
            Value::Null,
        )
        .await?;
        tracing::info!(job = name, actor, ?deleted, "job deleted with its history");
        self.live()
            .publish([Change::Jobs, Change::Runs, Change::Events, Change::Alerts]);
        Ok(deleted)
    }

    /// Forgets a worker: it leaves the list, and its open WORKER_OFFLINE
    /// alert closes. It comes back if it reports again.
    pub async fn forget_worker(&self, worker_id: &str, actor: &str) -> Result<(), ChangeError> {
        let now = self.now();
        let open: Vec<_> = self
            .store()
            .open_worker_alerts()
            .await?
            .into_iter()
            .filter(|a| {
                a.alert_type == AlertType::WorkerOffline
                    && a.worker_id.as_deref() == Some(worker_id)
            })
            .collect();
        if !self.store().forget_worker(worker_id).await? {
            return Err(ChangeError::WorkerNotFound(worker_id.to_owned()));
        }
        let eval = Evaluation {
            close: open
                .iter()
                .map(|a| (a.id, "worker forgotten".to_owned()))
                .collect(),
            ..Evaluation::default()
        };
        self.store().apply_alert_changes(&eval, now).await?;
        self.audit(
            actor,
            "forget_worker",
            None,
            Some(worker_id),
            Value::Null,
            Value::Null,
        )
        .await?;
        tracing::info!(worker = worker_id, actor, "worker forgotten");
        self.live().publish([Change::Workers, Change::Alerts]);
        Ok(())
    }

    async fn audit(
        &self,
        actor: &str,
        action: &'static str,
        job: Option<&str>,
        worker: Option<&str>,
        before: Value,
        after: Value,
    ) -> Result<(), ChangeError> {
        let entry = NewAuditEntry {
            actor: actor.to_owned(),
            action,
            job_name: job.map(str::to_owned),
            worker_id: worker.map(str::to_owned),
            before,
            after,
        };
        Ok(self.store().append_audit(&entry, self.now()).await?)
    }

    /// After a change to a job: the engine looks at it now, live pages
    /// hear of it; its state as stored.
    async fn changed_job(&self, name: &str) -> Result<JobStatus, ChangeError> {
        self.engine().touch([name]);
        self.live().publish([Change::Jobs]);
        self.store()
            .job_with_state(name)
            .await?
            .ok_or_else(|| ChangeError::JobNotFound(name.to_owned()))
    }
}
