//! Pings (healthchecks-style URLs) and each job's ping UUID.

use telltale_model::JobPing;
use tracing::Instrument;

use crate::ping::{
    PingBody, PingError, PingFrom, PingKind, canonical_uuid, check_new_job_name, new_run_id,
    new_uuid, ping_event,
};
use crate::{ChangeError, Core};
use telltale_store::{PingFound, PingJob, PingLookup, RunEffect};

/// Which job a ping is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PingTarget {
    /// `/ping/<uuid>`: the UUID names the job (and is its only credential).
    Uuid(String),
    /// `/ping/<key>/<job>`, its ping key already accepted; `create` is
    /// `?create=1`.
    Job { name: String, create: bool },
}

/// One ping, as its URL and request say.
#[derive(Debug, Clone)]
pub struct Ping {
    pub target: PingTarget,
    pub kind: PingKind,
    /// `?rid=`, as sent (healthchecks: a UUID).
    pub rid: Option<String>,
    /// Cronitor's `?series=`: any id of the job's run, kept verbatim
    /// under the job's name (series are per monitor there).
    pub series: Option<String>,
    pub from: PingFrom,
    pub body: PingBody,
}

/// How a stored ping is answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PingAnswer {
    /// 200 `OK`.
    Stored,
    /// 201 `created`: `?create=1` made the job.
    Created,
}

impl Core {
    /// Stores a ping as an event on its job's timeline, through the same
    /// queue, fold, engine and live updates as `/v1/events`. Nothing is
    /// stored when it is refused.
    ///
    /// A start without `rid` opens a run of its own; a finish without one
    /// ends the run of the job's latest start while that is open, or is a
    /// run of its own. The job and its open run are found by the writer, in the
    /// transaction that stores the ping.
    pub async fn ping(&self, ping: Ping) -> Result<PingAnswer, PingError> {
        let rid = match (&ping.rid, &ping.series) {
            (Some(raw), _) => Some(canonical_uuid(raw).ok_or(PingError::InvalidRunId)?),
            (None, Some(series)) => Some(series_run_id(&ping.target, series)?),
            (None, None) => None,
        };
        let job = match &ping.target {
            PingTarget::Uuid(raw) => PingJob::Uuid(
                canonical_uuid(raw)
                    .ok_or_else(|| PingError::InvalidUrl(format!("{raw:?} is not a UUID")))?,
            ),
            PingTarget::Job { name, create } => {
                if *create {
                    check_new_job_name(name)?;
                }
                PingJob::Name {
                    name: name.clone(),
                    create: *create,
                }
            }
        };
        // The writer fills in the job, and for a finish or log line
        // without a run id the job's open run (else `fresh`).
        let (run_id, effect, fresh) = match ping.kind {
            PingKind::Start => (Some(rid.unwrap_or_else(new_run_id)), RunEffect::Opens, None),
            kind if kind.ends_run() => (rid, RunEffect::Ends, Some(new_run_id())),
            _ => (rid, RunEffect::Keeps, None),
        };
        let event = ping_event("", run_id, ping.kind, &ping.from, &ping.body, self.now());
        let lookup = PingLookup { job, fresh, effect };
        let span = tracing::info_span!("ping", job = lookup.job.key(), kind = ping.kind.as_str());
        let report = self
            .ingest_ping(event, lookup)
            .instrument(span)
            .await
            .map_err(|e| PingError::Unavailable(e.to_string()))?;
        match report.ping {
            Some(PingFound::Job {
                name,
                created: true,
            }) => {
                self.store()
                    .ensure_job_ping(&name, &new_uuid(), self.now())
                    .await
                    .map_err(unavailable)?;
                tracing::info!(job = name, "job created by its first ping");
                Ok(PingAnswer::Created)
            }
            Some(PingFound::Job { .. }) => Ok(PingAnswer::Stored),
            Some(PingFound::Missing) | None => Err(PingError::NotFound),
        }
    }

    /// The job's ping UUID, made the first time it is asked for.
    pub async fn job_ping(&self, job: &str) -> Result<JobPing, ChangeError> {
        if !self.store().job_exists(job).await? {
            return Err(ChangeError::JobNotFound(job.to_owned()));
        }
        Ok(self
            .store()
            .ensure_job_ping(job, &new_uuid(), self.now())
            .await?)
    }

    /// A new ping UUID for the job: its old ping URLs answer 404 from now on.
    pub async fn regenerate_job_ping(&self, job: &str) -> Result<JobPing, ChangeError> {
        if !self.store().job_exists(job).await? {
            return Err(ChangeError::JobNotFound(job.to_owned()));
        }
        let ping = self
            .store()
            .replace_job_ping(job, &new_uuid(), self.now())
            .await?;
        tracing::info!(job, "ping URL regenerated");
        Ok(ping)
    }
}

/// The run id of a Cronitor `series`: `<job>:<series>`, so two monitors'
/// series never name the same run.
fn series_run_id(target: &PingTarget, series: &str) -> Result<String, PingError> {
    let PingTarget::Job { name, .. } = target else {
        return Err(PingError::InvalidRunId);
    };
    let id = format!("{name}:{series}");
    if series.trim().is_empty()
        || id.len() > telltale_model::event::MAX_ID_LEN
        || series.chars().any(char::is_control)
    {
        return Err(PingError::InvalidUrl(
            "series must be 1 to 400 bytes without control characters".into(),
        ));
    }
    Ok(id)
}

fn unavailable(e: telltale_store::StoreError) -> PingError {
    PingError::Unavailable(e.to_string())
}
