//! Job schedules: `every <duration>` or a cron expression read in an IANA
//! time zone. Parsing and DST handling come from croner (OCPS rules: a fixed
//! time skipped by spring-forward runs right after the gap, one repeated by
//! fall-back runs once) and chrono-tz; durations from humantime.
//!
//! Server-side only (feature `schedule`): the browser bundle never needs the
//! time-zone database.

use std::str::FromStr;

use chrono::{DateTime, Datelike, Duration, Utc};
use chrono_tz::Tz;
use serde_json::{Map, Value};

use crate::job::Job;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScheduleError {
    #[error("`{0}` is not a duration: write `every 15m`, `every 1h 30m`, `every 1d`")]
    BadEvery(String),
    #[error("`every` needs a duration of at least one second")]
    ZeroEvery,
    #[error("`{0}` is not a cron expression: {1}")]
    BadCron(String, String),
    #[error("`{0}` is not an IANA time zone such as `Europe/Berlin` or `UTC`")]
    BadTimezone(String),
    #[error("`{0}` never fires: a schedule must fire at least once in ten years")]
    NeverFires(String),
}

/// A parsed schedule.
#[derive(Debug, Clone)]
pub enum Schedule {
    Every(Duration),
    Cron { cron: Box<croner::Cron>, tz: Tz },
}

impl Schedule {
    /// Parses `schedule` (with the job's `timezone`, UTC when absent).
    pub fn parse(schedule: &str, timezone: Option<&str>) -> Result<Self, ScheduleError> {
        let tz = parse_timezone(timezone)?;
        let text = schedule.trim();
        if let Some(every) = text.strip_prefix("every ") {
            let d = humantime::parse_duration(every.trim())
                .map_err(|_| ScheduleError::BadEvery(every.trim().to_owned()))?;
            let d = Duration::from_std(d).map_err(|_| ScheduleError::BadEvery(every.to_owned()))?;
            if d < Duration::seconds(1) {
                return Err(ScheduleError::ZeroEvery);
            }
            return Ok(Self::Every(d));
        }
        let cron = croner::Cron::from_str(text)
            .map_err(|e| ScheduleError::BadCron(text.to_owned(), e.to_string()))?;
        // A cron that never fires (`0 0 30 2 *`) would make every search
        // for its next time walk to croner's year 5000, about a third of a
        // second of the evaluator's time per job and look. Ten years from a
        // fixed start just below that limit hold two leap days, so any
        // schedule that fires at all fires in them, found in microseconds.
        let probe = DateTime::parse_from_rfc3339("4988-01-01T00:00:00Z")
            .map(|t| t.with_timezone(&Utc))
            .ok();
        if probe.is_some_and(|t| cron.find_next_occurrence(&t, false).is_err()) {
            return Err(ScheduleError::NeverFires(text.to_owned()));
        }
        Ok(Self::Cron {
            cron: Box::new(cron),
            tz,
        })
    }

    /// The first scheduled time strictly after `t`.
    pub fn next_after(&self, t: DateTime<Utc>) -> Option<DateTime<Utc>> {
        match self {
            Self::Every(d) => t.checked_add_signed(*d),
            // Converting a time near the ends of chrono's range into a zone
            // panics; no schedule runs in those years anyway.
            Self::Cron { cron, tz } if (1..=9999).contains(&t.year()) => cron
                .find_next_occurrence(&t.with_timezone(tz), false)
                .ok()
                .map(|n| n.with_timezone(&Utc)),
            Self::Cron { .. } => None,
        }
    }
}

pub fn parse_timezone(timezone: Option<&str>) -> Result<Tz, ScheduleError> {
    match timezone.map(str::trim) {
        None | Some("") => Ok(Tz::UTC),
        Some(name) => name
            .parse::<Tz>()
            .map_err(|_| ScheduleError::BadTimezone(name.to_owned())),
    }
}

/// When the job's next run should start: the producer's own word
/// (`job.next_scheduled`) while it is still ahead of the last sign of life,
/// else the schedule's next time after that sign of life (or after the job
/// was first seen). `None` when neither says.
pub fn expected_start(job: &Job) -> Option<DateTime<Utc>> {
    let base = job.last_heartbeat_at.unwrap_or(job.first_seen_at);
    if let Some(told) = job.expected_next_at
        && job.last_heartbeat_at.is_none_or(|beat| told > beat)
    {
        return Some(told);
    }
    let schedule = job.policy.schedule.as_deref()?;
    let parsed = Schedule::parse(schedule, job.policy.timezone.as_deref()).ok()?;
    parsed.next_after(base)
}

/// Checks the policy keys of an event's metadata (what a producer is about
/// to send): the first key Telltale could not accept, named as
/// `metadata.<key>`, and what is wrong with it.
pub fn validate_policy(meta: &Map<String, Value>) -> Result<(), (String, String)> {
    match crate::metadata::problems("", meta, chrono::Utc::now())
        .into_iter()
        .next()
    {
        Some(problem) => Err(problem),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests;
