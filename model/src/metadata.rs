//! The metadata keys Telltale itself reads, and the values it accepts.
//!
//! Producers send any JSON in `metadata`; the few keys below change derived
//! state or alerting. Each has a documented range. A value outside it is not
//! a reason to lose the event (it may be the failure report that matters):
//! the event is stored, the key is ignored (the setting it drives keeps its
//! value), and ingest lists it in its answer's `warnings`. The fold and the
//! ingest check read keys through the same functions, so what is refused at
//! the door is exactly what the state ignores.

use chrono::{DateTime, Duration, Utc};
use serde_json::{Map, Value};

/// A year of seconds: the longest grace, runtime or repeat accepted.
pub const YEAR_SECONDS: u32 = 365 * 24 * 3600;
/// A day of seconds: the longest heartbeat or ping interval accepted.
pub const DAY_SECONDS: u32 = 24 * 3600;
/// How far ahead of its receipt a `next_run_at` may lie.
pub const NEXT_RUN_HORIZON_DAYS: i64 = 366;

/// A key's value as an event carries it.
#[derive(Debug, Clone, PartialEq)]
pub enum Read<T> {
    /// The key is not there: leave the setting alone.
    Absent,
    /// An explicit `null`: clear an optional setting.
    Null,
    Value(T),
    /// There, but not acceptable; the reason says what is.
    Bad(String),
}

impl<T> Read<T> {
    pub fn value(self) -> Option<T> {
        match self {
            Read::Value(v) => Some(v),
            _ => None,
        }
    }

    fn problem(&self) -> Option<&str> {
        match self {
            Read::Bad(reason) => Some(reason),
            _ => None,
        }
    }
}

/// The accepted range of each numeric key: `(key, low, high, unit)`.
/// `repeat_interval_seconds` also takes 0 (never repeat).
pub const RANGES: &[(&str, u32, u32, &str)] = &[
    ("grace_seconds", 0, YEAR_SECONDS, "seconds"),
    ("start_grace_seconds", 0, YEAR_SECONDS, "seconds"),
    ("max_runtime_seconds", 1, YEAR_SECONDS, "seconds"),
    ("min_runtime_seconds", 0, YEAR_SECONDS, "seconds"),
    ("repeat_interval_seconds", 60, YEAR_SECONDS, "seconds"),
    ("failure_threshold", 1, 1000, "failed runs"),
    ("interval_seconds", 1, DAY_SECONDS, "seconds"),
    ("ping_interval_seconds", 1, DAY_SECONDS, "seconds"),
];

/// A whole number: a JSON integer, or a float with nothing after the point
/// (`60.0` is 60). `None` when it is not a number at all; `Some(None)` when
/// it is a number but not a whole one that fits.
fn whole(v: &Value) -> Option<Option<i64>> {
    let Value::Number(n) = v else { return None };
    if let Some(i) = n.as_i64() {
        return Some(Some(i));
    }
    if n.as_u64().is_some() {
        // Above i64::MAX: out of every range below.
        return Some(None);
    }
    let f = n.as_f64()?;
    let fits = f.is_finite() && f.fract() == 0.0 && f.abs() < 9.0e15;
    Some(fits.then_some(f as i64))
}

/// A numeric key of [`RANGES`].
pub fn number(meta: &Map<String, Value>, key: &str) -> Read<u32> {
    let Some((_, lo, hi, unit)) = RANGES.iter().find(|(k, ..)| *k == key) else {
        return Read::Absent;
    };
    let v = match meta.get(key) {
        None => return Read::Absent,
        Some(Value::Null) => return Read::Null,
        Some(v) => v,
    };
    let range = if key == "repeat_interval_seconds" {
        format!("0 (never) or a whole number from {lo} to {hi} {unit}")
    } else {
        format!("a whole number from {lo} to {hi} {unit}")
    };
    match whole(v) {
        Some(Some(n)) if key == "repeat_interval_seconds" && n == 0 => Read::Value(0),
        Some(Some(n)) if (i64::from(*lo)..=i64::from(*hi)).contains(&n) => {
            Read::Value(u32::try_from(n).unwrap_or(*hi))
        }
        _ => Read::Bad(format!("must be {range}")),
    }
}

/// `progress`: a number from 0 to 100, whole or not (rounded).
pub fn percent(meta: &Map<String, Value>, key: &str) -> Read<u8> {
    match meta.get(key) {
        None => Read::Absent,
        Some(Value::Null) => Read::Null,
        Some(v) => match v.as_f64() {
            Some(p) if (0.0..=100.0).contains(&p) => Read::Value(p.round() as u8),
            _ => Read::Bad("must be a number from 0 to 100".into()),
        },
    }
}

/// A `true`/`false` key.
pub fn flag(meta: &Map<String, Value>, key: &str) -> Read<bool> {
    match meta.get(key) {
        None => Read::Absent,
        Some(Value::Null) => Read::Null,
        Some(Value::Bool(b)) => Read::Value(*b),
        Some(_) => Read::Bad("must be true or false".into()),
    }
}

/// A text key (a job name, a schedule, a time zone).
pub fn text<'a>(meta: &'a Map<String, Value>, key: &str) -> Read<&'a str> {
    match meta.get(key) {
        None => Read::Absent,
        Some(Value::Null) => Read::Null,
        Some(Value::String(s)) if s.len() <= crate::event::MAX_ID_LEN => Read::Value(s),
        Some(Value::String(_)) => Read::Bad(format!(
            "must be at most {} bytes",
            crate::event::MAX_ID_LEN
        )),
        Some(_) => Read::Bad("must be a string".into()),
    }
}

/// The schedule an event sets, checked (a cron that never fires included).
#[cfg(feature = "schedule")]
pub fn schedule(meta: &Map<String, Value>) -> Read<&str> {
    match text(meta, "schedule") {
        Read::Value(s) => match crate::schedule::Schedule::parse(s, None) {
            Ok(_) => Read::Value(s),
            Err(e) => Read::Bad(e.to_string()),
        },
        other => other,
    }
}

/// The time zone an event sets, checked.
#[cfg(feature = "schedule")]
pub fn timezone(meta: &Map<String, Value>) -> Read<&str> {
    match text(meta, "timezone") {
        Read::Value(tz) => match crate::schedule::parse_timezone(Some(tz)) {
            Ok(_) => Read::Value(tz),
            Err(e) => Read::Bad(e.to_string()),
        },
        other => other,
    }
}

/// `next_run_at` of a `job.next_scheduled`: an RFC 3339 time no more than
/// [`NEXT_RUN_HORIZON_DAYS`] after `received` (a job told its next run is
/// in the year 9999 would never be checked again).
pub fn next_run_at(meta: &Map<String, Value>, received: DateTime<Utc>) -> Read<DateTime<Utc>> {
    let s = match meta.get("next_run_at") {
        None => return Read::Absent,
        Some(Value::Null) => return Read::Null,
        Some(Value::String(s)) => s,
        Some(_) => return Read::Bad("must be an RFC 3339 time (a string)".into()),
    };
    let Ok(t) = DateTime::parse_from_rfc3339(s).map(|t| t.with_timezone(&Utc)) else {
        return Read::Bad("must be an RFC 3339 time such as 2026-11-25T14:03:00Z".into());
    };
    let horizon = received
        .checked_add_signed(Duration::days(NEXT_RUN_HORIZON_DAYS))
        .unwrap_or(DateTime::<Utc>::MAX_UTC);
    if t > horizon {
        return Read::Bad(format!(
            "must be at most {NEXT_RUN_HORIZON_DAYS} days after the event is received"
        ));
    }
    Read::Value(t)
}

/// Every key of `meta` that Telltale would read for an event of
/// `event_type` and that it cannot accept: `(field, reason)`, the field
/// named as `metadata.<key>`.
pub fn problems(
    event_type: &str,
    meta: &Map<String, Value>,
    received: DateTime<Utc>,
) -> Vec<(String, String)> {
    use crate::transition::EventKind;
    let kind = EventKind::of(event_type);
    let mut out: Vec<(String, String)> = Vec::new();
    let mut note = |key: &str, problem: Option<&str>| {
        if let Some(reason) = problem {
            out.push((format!("metadata.{key}"), reason.to_owned()));
        }
    };
    for key in crate::job::CheckPolicy::NUMBER_KEYS {
        note(key, number(meta, key).problem());
    }
    for key in crate::job::CheckPolicy::FLAG_KEYS {
        note(key, flag(meta, key).problem());
    }
    note("depends_on", text(meta, "depends_on").problem());
    #[cfg(feature = "schedule")]
    {
        note("schedule", schedule(meta).problem());
        note("timezone", timezone(meta).problem());
    }
    match kind {
        EventKind::Progress => note("progress", percent(meta, "progress").problem()),
        EventKind::WorkerHeartbeat => note(
            "interval_seconds",
            number(meta, "interval_seconds").problem(),
        ),
        EventKind::SchedulerHeartbeat => note(
            "ping_interval_seconds",
            number(meta, "ping_interval_seconds").problem(),
        ),
        EventKind::NextScheduled => note("next_run_at", next_run_at(meta, received).problem()),
        _ => {}
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn meta(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn numbers_take_whole_values_in_range_and_integral_floats() {
        let cases = [
            (json!({"grace_seconds": 60}), Read::Value(60)),
            (json!({"grace_seconds": 60.0}), Read::Value(60)),
            (json!({"grace_seconds": 0}), Read::Value(0)),
            (
                json!({"grace_seconds": YEAR_SECONDS}),
                Read::Value(YEAR_SECONDS),
            ),
            (json!({"grace_seconds": null}), Read::Null),
            (json!({}), Read::Absent),
        ];
        for (m, want) in cases {
            assert_eq!(number(&meta(m.clone()), "grace_seconds"), want, "{m}");
        }
        for bad in [
            json!(-1),
            json!(60.5),
            json!(YEAR_SECONDS as u64 + 1),
            json!(u64::MAX),
            json!(1e300),
            json!("60"),
            json!(true),
            json!([60]),
        ] {
            let m = meta(json!({ "grace_seconds": bad }));
            assert!(
                matches!(number(&m, "grace_seconds"), Read::Bad(_)),
                "{bad} must be refused"
            );
        }
    }

    #[test]
    fn repeat_interval_takes_zero_or_a_minute_and_more() {
        let read = |v: Value| {
            number(
                &meta(json!({ "repeat_interval_seconds": v })),
                "repeat_interval_seconds",
            )
        };
        assert_eq!(read(json!(0)), Read::Value(0));
        assert_eq!(read(json!(60)), Read::Value(60));
        assert!(matches!(read(json!(1)), Read::Bad(_)));
    }

    #[test]
    fn problems_name_the_field_and_only_keys_the_event_type_uses() {
        let now = Utc::now();
        let m = meta(json!({
            "ping_interval_seconds": 9_000_000_000_000_000u64,
            "progress": 250,
            "grace_seconds": "soon",
            "check_enabled": "yes",
        }));
        let found = problems("chief.heartbeat", &m, now);
        let fields: Vec<&str> = found.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(
            fields,
            [
                "metadata.grace_seconds",
                "metadata.check_enabled",
                "metadata.ping_interval_seconds"
            ]
        );
        // progress is read only from progress updates.
        let found = problems("progress_update", &m, now);
        assert!(found.iter().any(|(f, _)| f == "metadata.progress"));
    }

    #[test]
    fn next_run_at_is_bounded_by_the_receipt() {
        let now = DateTime::parse_from_rfc3339("2026-12-03T00:00:00Z")
            .unwrap()
            .to_utc();
        let m = |s: &str| meta(json!({ "next_run_at": s }));
        assert!(matches!(
            next_run_at(&m("2026-12-04T00:00:00Z"), now),
            Read::Value(_)
        ));
        assert!(matches!(
            next_run_at(&m("9999-12-31T23:59:59Z"), now),
            Read::Bad(_)
        ));
        assert!(matches!(next_run_at(&m("tomorrow"), now), Read::Bad(_)));
        // Far past is accepted: the job is simply overdue.
        assert!(matches!(
            next_run_at(&m("2001-01-01T00:00:00Z"), now),
            Read::Value(_)
        ));
    }
}
