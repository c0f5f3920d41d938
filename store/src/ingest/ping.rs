//! Pings whose job and run the writer finds itself, in the transaction
//! that stores them. A ping names its job by a UUID or a name, and a
//! finishing ping without a run id ends the job's latest run if that is
//! still open: reading
//! both on the writer's own connection spares each ping a round trip
//! through the read pool before it reaches the queue, and sees the runs
//! that pings earlier in the same group opened or ended.

use std::collections::HashMap;

use telltale_model::NewEvent;

/// How a ping names its job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PingJob {
    /// `/ping/<uuid>`: the job whose ping UUID this is (canonical form).
    Uuid(String),
    /// `/ping/<key>/<name>`; `create`: a job of that name is made by this
    /// ping when none exists.
    Name { name: String, create: bool },
}

/// What the event of a ping does to its job's open run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunEffect {
    /// A start: its run is the job's open run from now on.
    Opens,
    /// A success or failure: the run it names is no longer open.
    Ends,
    /// A log line.
    Keeps,
}

/// What the writer looks up for a ping's event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PingLookup {
    pub job: PingJob,
    /// For an event without a run id: the job's latest run while it is
    /// open, else `fresh` (a new run; `None`: no run at all).
    pub fresh: Option<String>,
    pub effect: RunEffect,
}

/// What the writer found for a ping (on [`crate::IngestReport::ping`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PingFound {
    /// No job has that UUID or name (and none was to be made): nothing
    /// was stored.
    Missing,
    /// Stored on this job; `created`: the ping made it.
    Job { name: String, created: bool },
}

/// The statuses of a run that has not ended.
pub(crate) const OPEN_STATUSES: &str = "status IN ('running', 'queued')";

/// The query both backends run: the job (by its ping UUID or its name) and
/// its latest run when that has not ended, in one statement. `p` is the
/// backend's placeholder.
///
/// The latest run is the job's `last_run_id`, a primary-key probe: the run
/// of the latest start, as healthchecks pairs a finish with the latest
/// start. (Any open run, newest first, needed an index over open runs that
/// every run's start and end paid for, pings or not.)
pub(crate) fn lookup_sql(job: &PingJob, p: &str) -> String {
    let (from, key) = match job {
        PingJob::Uuid(_) => (
            "job_pings k JOIN jobs j ON j.name = k.job_name",
            "k.ping_uuid",
        ),
        PingJob::Name { .. } => ("jobs j", "j.name"),
    };
    format!(
        "SELECT j.name, (SELECT r.run_id FROM runs r WHERE r.run_id = j.last_run_id \
         AND r.{OPEN_STATUSES}) FROM {from} WHERE {key} = {p}"
    )
}

impl PingJob {
    /// The value bound to the lookup's placeholder.
    pub fn key(&self) -> &str {
        match self {
            PingJob::Uuid(uuid) => uuid,
            PingJob::Name { name, .. } => name,
        }
    }
}

/// The open run of each job that a ping earlier in the group opened or
/// ended: the database does not show those until the group is written.
#[derive(Default)]
pub(crate) struct OpenRuns(HashMap<String, Option<String>>);

impl OpenRuns {
    /// The ping's event with its job and run filled in, and what was
    /// found; `None` when there is no such job. `stored`: the lookup's
    /// answer from the database, (job, its open run).
    pub fn resolve(
        &mut self,
        event: &NewEvent,
        lookup: &PingLookup,
        stored: Option<(String, Option<String>)>,
    ) -> Option<(NewEvent, PingFound)> {
        let (job, open, created) = match (stored, &lookup.job) {
            (Some((job, open)), _) => (job, open, false),
            (None, PingJob::Name { name, create: true }) => (name.clone(), None, true),
            (None, _) => return None,
        };
        let open = self.0.get(&job).cloned().unwrap_or(open);
        let mut event = event.clone();
        event.job_name = Some(job.clone());
        if event.run_id.is_none() {
            event.run_id = open.clone().or_else(|| lookup.fresh.clone());
        }
        match lookup.effect {
            RunEffect::Opens => {
                self.0.insert(job.clone(), event.run_id.clone());
            }
            RunEffect::Ends if open.is_some() && event.run_id == open => {
                self.0.insert(job.clone(), None);
            }
            RunEffect::Ends | RunEffect::Keeps => {}
        }
        Some((event, PingFound::Job { name: job, created }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;
    use telltale_model::{Level, SourceType};

    fn event(run: Option<&str>) -> NewEvent {
        let mut e = NewEvent::new(
            SourceType::Worker,
            Level::Info,
            "job.completed",
            "ok",
            Utc::now(),
        );
        e.run_id = run.map(str::to_owned);
        e
    }

    fn lookup(effect: RunEffect, fresh: Option<&str>) -> PingLookup {
        PingLookup {
            job: PingJob::Uuid("u".into()),
            fresh: fresh.map(str::to_owned),
            effect,
        }
    }

    #[test]
    fn a_finish_ends_the_open_run_once_and_the_next_is_a_run_of_its_own() {
        let mut open = OpenRuns::default();
        let stored = || Some(("backup".to_owned(), Some("r1".to_owned())));
        let (first, found) = open
            .resolve(
                &event(None),
                &lookup(RunEffect::Ends, Some("new-1")),
                stored(),
            )
            .unwrap();
        assert_eq!(first.run_id.as_deref(), Some("r1"));
        assert_eq!(first.job_name.as_deref(), Some("backup"));
        assert_eq!(
            found,
            PingFound::Job {
                name: "backup".into(),
                created: false
            }
        );
        // The database still shows r1 open: the group is not written yet.
        let (second, _) = open
            .resolve(
                &event(None),
                &lookup(RunEffect::Ends, Some("new-2")),
                stored(),
            )
            .unwrap();
        assert_eq!(second.run_id.as_deref(), Some("new-2"));
    }

    #[test]
    fn a_start_earlier_in_the_group_is_the_run_a_finish_ends() {
        let mut open = OpenRuns::default();
        let none_open = || Some(("backup".to_owned(), None));
        let (start, _) = open
            .resolve(
                &event(Some("s-1")),
                &lookup(RunEffect::Opens, None),
                none_open(),
            )
            .unwrap();
        assert_eq!(start.run_id.as_deref(), Some("s-1"));
        let (finish, _) = open
            .resolve(
                &event(None),
                &lookup(RunEffect::Ends, Some("new")),
                none_open(),
            )
            .unwrap();
        assert_eq!(finish.run_id.as_deref(), Some("s-1"));
        // A log line after it names no run: none is open any more.
        let (log, _) = open
            .resolve(&event(None), &lookup(RunEffect::Keeps, None), none_open())
            .unwrap();
        assert_eq!(log.run_id, None);
    }

    #[test]
    fn an_unknown_job_is_missing_unless_the_ping_makes_it() {
        let mut open = OpenRuns::default();
        assert!(
            open.resolve(&event(None), &lookup(RunEffect::Ends, Some("n")), None)
                .is_none()
        );
        let make = PingLookup {
            job: PingJob::Name {
                name: "fresh".into(),
                create: true,
            },
            fresh: Some("n".into()),
            effect: RunEffect::Ends,
        };
        let (e, found) = open.resolve(&event(None), &make, None).unwrap();
        assert_eq!(e.job_name.as_deref(), Some("fresh"));
        assert_eq!(e.run_id.as_deref(), Some("n"));
        assert_eq!(
            found,
            PingFound::Job {
                name: "fresh".into(),
                created: true
            }
        );
    }
}
