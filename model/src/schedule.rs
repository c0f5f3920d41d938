//! Job schedules: `every <duration>` or a cron expression read in an IANA
//! time zone. Parsing and DST handling come from croner (OCPS rules: a fixed
//! time skipped by spring-forward runs right after the gap, one repeated by
//! fall-back runs once) and chrono-tz; durations from humantime.
//!
//! Server-side only (feature `schedule`): the browser bundle never needs the
//! time-zone database.

use std::str::FromStr;

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use serde_json::{Map, Value};

use crate::job::{CheckPolicy, Job};

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
        Ok(Self::Cron {
            cron: Box::new(cron),
            tz,
        })
    }

    /// The first scheduled time strictly after `t`.
    pub fn next_after(&self, t: DateTime<Utc>) -> Option<DateTime<Utc>> {
        match self {
            Self::Every(d) => t.checked_add_signed(*d),
            Self::Cron { cron, tz } => cron
                .find_next_occurrence(&t.with_timezone(tz), false)
                .ok()
                .map(|n| n.with_timezone(&Utc)),
        }
    }
}

fn parse_timezone(timezone: Option<&str>) -> Result<Tz, ScheduleError> {
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

/// Checks the policy keys of an event's metadata, so a bad schedule is a
/// 400 naming the field at ingest rather than a job that is silently never
/// checked. Returns the field and what is wrong.
pub fn validate_policy(meta: &Map<String, Value>) -> Result<(), (String, String)> {
    let field = |k: &str| format!("metadata.{k}");
    let schedule = match meta.get("schedule") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.as_str()),
        Some(_) => return Err((field("schedule"), "must be a string".into())),
    };
    let timezone = match meta.get("timezone") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.as_str()),
        Some(_) => return Err((field("timezone"), "must be a string".into())),
    };
    if let Some(tz) = timezone {
        parse_timezone(Some(tz)).map_err(|e| (field("timezone"), e.to_string()))?;
    }
    if let Some(s) = schedule {
        Schedule::parse(s, timezone).map_err(|e| (field("schedule"), e.to_string()))?;
    }
    for key in CheckPolicy::SECONDS_KEYS {
        match meta.get(*key) {
            None | Some(Value::Null) => {}
            Some(v) if v.as_u64().is_some_and(|n| u32::try_from(n).is_ok()) => {}
            Some(_) => {
                return Err((
                    field(key),
                    "must be a whole number of seconds (0 to 4294967295)".into(),
                ));
            }
        }
    }
    match meta.get("failure_threshold") {
        None | Some(Value::Null) => {}
        Some(v) if v.as_u64().is_some_and(|n| (1..=1000).contains(&n)) => {}
        Some(_) => {
            return Err((
                field("failure_threshold"),
                "must be a whole number from 1 to 1000".into(),
            ));
        }
    }
    for key in ["check_enabled", "alert_on_failure", "alert_on_miss"] {
        if meta
            .get(key)
            .is_some_and(|v| !v.is_boolean() && !v.is_null())
        {
            return Err((field(key), "must be true or false".into()));
        }
    }
    if meta
        .get("depends_on")
        .is_some_and(|v| !v.is_string() && !v.is_null())
    {
        return Err((field("depends_on"), "must be a job name (a string)".into()));
    }
    Ok(())
}

#[cfg(test)]
mod tests;
