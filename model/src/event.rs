use chrono::{DateTime, Datelike, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::ingest::FieldError;

/// Who reported an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum SourceType {
    Chief,
    Worker,
    Scheduler,
    System,
}

impl SourceType {
    pub const ALL: [SourceType; 4] = [Self::Chief, Self::Worker, Self::Scheduler, Self::System];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Chief => "chief",
            Self::Worker => "worker",
            Self::Scheduler => "scheduler",
            Self::System => "system",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

/// Severity of an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Debug,
    Info,
    Warn,
    Error,
}

impl Level {
    pub const ALL: [Level; 4] = [Self::Debug, Self::Info, Self::Warn, Self::Error];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Debug => "debug",
            Self::Info => "info",
            Self::Warn => "warn",
            Self::Error => "error",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

/// An event as the store keeps it: immutable once written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Event {
    /// Store-assigned, increasing in insertion order; the cursor of listings.
    pub id: i64,
    pub event_id: Option<String>,
    pub source_type: SourceType,
    pub level: Level,
    pub event_type: String,
    /// Verbatim, as the producer sent it.
    pub message: String,
    /// When it happened, by the producer's clock.
    pub event_at: DateTime<Utc>,
    /// When Telltale stored it.
    pub received_at: DateTime<Utc>,
    pub job_name: Option<String>,
    pub run_id: Option<String>,
    pub worker_id: Option<String>,
    pub script_path: Option<String>,
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub metadata: Value,
}

/// How far ahead of its receipt an `eventAt` may be and still count as
/// when the event happened (`MONITOR_CLOCK_SKEW_SECONDS`).
pub const DEFAULT_CLOCK_SKEW: chrono::Duration = chrono::Duration::seconds(300);

impl Event {
    /// When the event counts for liveness, heartbeats, deadlines and
    /// presence: its `eventAt`, unless that is more than `skew` ahead of its
    /// receipt (a clock far ahead, or a date meant to keep a job up for
    /// ever); then the receipt. The event itself keeps `eventAt` as sent.
    pub fn judged_at(&self, skew: chrono::Duration) -> DateTime<Utc> {
        match self.received_at.checked_add_signed(skew) {
            Some(limit) if self.event_at > limit => self.received_at,
            _ => self.event_at,
        }
    }

    /// True when `needle` (lower-cased) occurs in any of the text fields a
    /// person would search by. Used by the page's filter box and the API's
    /// `text` filter alike so both narrow the same way.
    pub fn matches_text(&self, needle_lower: &str) -> bool {
        if needle_lower.is_empty() {
            return true;
        }
        let hit = |s: &str| s.to_lowercase().contains(needle_lower);
        hit(&self.event_type)
            || hit(&self.message)
            || self.job_name.as_deref().is_some_and(hit)
            || self.run_id.as_deref().is_some_and(hit)
            || self.worker_id.as_deref().is_some_and(hit)
            || hit(self.level.as_str())
            || hit(self.source_type.as_str())
    }
}

/// An event that passed validation and is ready to be stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct NewEvent {
    pub event_id: Option<String>,
    pub source_type: SourceType,
    pub level: Level,
    pub event_type: String,
    pub message: String,
    /// Defaults to the time of receipt.
    #[cfg_attr(feature = "openapi", schema(required = false))]
    pub event_at: DateTime<Utc>,
    pub job_name: Option<String>,
    pub run_id: Option<String>,
    pub worker_id: Option<String>,
    pub script_path: Option<String>,
    /// Any JSON object; anything else is stored as `{}`.
    #[cfg_attr(feature = "openapi", schema(value_type = Object, required = false))]
    pub metadata: Value,
}

/// Longest identifier (eventId, jobName, runId, workerId) accepted.
pub const MAX_ID_LEN: usize = 512;

impl NewEvent {
    /// An event with the four required fields; every optional one absent and
    /// metadata `{}`. Producers (the client crate) fill the rest by field.
    pub fn new(
        source_type: SourceType,
        level: Level,
        event_type: impl Into<String>,
        message: impl Into<String>,
        event_at: DateTime<Utc>,
    ) -> Self {
        NewEvent {
            event_id: None,
            source_type,
            level,
            event_type: event_type.into(),
            message: message.into(),
            event_at,
            job_name: None,
            run_id: None,
            worker_id: None,
            script_path: None,
            metadata: Value::Object(Map::new()),
        }
    }

    /// Validates and normalizes one raw ingest item (Chief §8): enumerations
    /// checked, `message`/`eventType` non-empty, `eventAt` defaulted to `now`,
    /// empty optional strings turned into none, non-object metadata into `{}`.
    /// Text is kept verbatim; only emptiness is judged on trimmed text.
    pub fn from_json(raw: &Value, now: DateTime<Utc>) -> Result<Self, FieldError> {
        Self::from_value(raw.clone(), now)
    }

    /// As [`NewEvent::from_json`], taking the item: its strings and metadata
    /// move into the event instead of being copied (ingest parses batches of
    /// thousands of events a second).
    pub fn from_value(raw: Value, now: DateTime<Utc>) -> Result<Self, FieldError> {
        let Value::Object(mut obj) = raw else {
            return Err(FieldError::new("event", "must be a JSON object"));
        };

        let source_type = required_str(&obj, "sourceType")?;
        let source_type = SourceType::parse(source_type).ok_or_else(|| {
            FieldError::new(
                "sourceType",
                format!("must be one of chief, worker, scheduler, system (got {source_type:?})"),
            )
        })?;
        let level = required_str(&obj, "level")?;
        let level = Level::parse(level).ok_or_else(|| {
            FieldError::new(
                "level",
                format!("must be one of debug, info, warn, error (got {level:?})"),
            )
        })?;
        let event_type = required_str(&obj, "eventType")?;
        if event_type.len() > MAX_ID_LEN {
            return Err(FieldError::new(
                "eventType",
                format!("must be at most {MAX_ID_LEN} bytes"),
            ));
        }
        required_str(&obj, "message")?;

        let event_at = match optional_str(&obj, "eventAt")? {
            None => now,
            Some(s) => DateTime::parse_from_rfc3339(s)
                .map_err(|e| {
                    FieldError::new(
                        "eventAt",
                        format!("must be an RFC 3339 timestamp such as 2026-11-25T14:03:00Z ({e})"),
                    )
                })?
                .with_timezone(&Utc),
        };
        // A time that cannot be written back as RFC 3339 could not be shown,
        // exported or compared with what the producer sent.
        if !(0..=9999).contains(&event_at.year()) {
            return Err(FieldError::new(
                "eventAt",
                "must lie in the years 0000 to 9999 once its offset is applied",
            ));
        }
        let event_id = take_optional(&mut obj, "eventId", Some(MAX_ID_LEN))?;
        let job_name = take_optional(&mut obj, "jobName", Some(MAX_ID_LEN))?;
        let run_id = take_optional(&mut obj, "runId", Some(MAX_ID_LEN))?;
        let worker_id = take_optional(&mut obj, "workerId", Some(MAX_ID_LEN))?;
        let script_path = take_optional(&mut obj, "scriptPath", None)?;
        let metadata = match obj.remove("metadata") {
            Some(Value::Object(m)) => Value::Object(m),
            _ => Value::Object(Map::new()),
        };
        Ok(NewEvent {
            event_id,
            source_type,
            level,
            // Both checked above: present, strings, not blank.
            event_type: take_string(&mut obj, "eventType").unwrap_or_default(),
            message: take_string(&mut obj, "message").unwrap_or_default(),
            event_at,
            job_name,
            run_id,
            worker_id,
            script_path,
            metadata,
        })
    }
}

/// An optional string field, checked as [`optional_str`] does (and at most
/// `max` bytes), moved out of `obj`.
fn take_optional(
    obj: &mut Map<String, Value>,
    field: &'static str,
    max: Option<usize>,
) -> Result<Option<String>, FieldError> {
    let Some(value) = optional_str(obj, field)? else {
        return Ok(None);
    };
    if let Some(max) = max
        && value.len() > max
    {
        return Err(FieldError::new(
            field,
            format!("must be at most {max} bytes"),
        ));
    }
    Ok(take_string(obj, field))
}

fn take_string(obj: &mut Map<String, Value>, field: &str) -> Option<String> {
    match obj.remove(field) {
        Some(Value::String(s)) => Some(s),
        _ => None,
    }
}

fn required_str<'a>(
    obj: &'a Map<String, Value>,
    field: &'static str,
) -> Result<&'a str, FieldError> {
    match obj.get(field) {
        None | Some(Value::Null) => Err(FieldError::new(field, "is required")),
        Some(Value::String(s)) if s.trim().is_empty() => {
            Err(FieldError::new(field, "must not be empty"))
        }
        Some(Value::String(s)) if s.contains('\0') => Err(nul(field)),
        Some(Value::String(s)) => Ok(s),
        Some(other) => Err(FieldError::new(
            field,
            format!("must be a string, not {}", json_kind(other)),
        )),
    }
}

/// Text is kept verbatim, so a NUL cannot be dropped or replaced quietly;
/// and PostgreSQL text cannot hold one. Refused the same on both backends.
fn nul(field: &'static str) -> FieldError {
    FieldError::new(
        field,
        "must not contain a NUL character (\\u0000); send binary data base64-encoded in metadata",
    )
}

fn optional_str<'a>(
    obj: &'a Map<String, Value>,
    field: &'static str,
) -> Result<Option<&'a str>, FieldError> {
    match obj.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) if s.contains('\0') => Err(nul(field)),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(other) => Err(FieldError::new(
            field,
            format!("must be a string, not {}", json_kind(other)),
        )),
    }
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// One page of events, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct EventPage {
    pub events: Vec<Event>,
    /// Pass as `before` for the next (older) page; absent on the last page.
    pub next_cursor: Option<i64>,
}

/// Which events a listing returns, newest first.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", default)]
pub struct EventFilter {
    pub job: Option<String>,
    pub run: Option<String>,
    pub worker: Option<String>,
    pub level: Option<Level>,
    pub event_type: Option<String>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    /// Only events stored before this id (the cursor of the previous page).
    pub before: Option<i64>,
    pub limit: Option<u64>,
}

impl EventFilter {
    pub const DEFAULT_LIMIT: u64 = 200;
    pub const MAX_LIMIT: u64 = 1000;

    pub fn effective_limit(&self) -> u64 {
        self.limit
            .unwrap_or(Self::DEFAULT_LIMIT)
            .clamp(1, Self::MAX_LIMIT)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-25T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    fn valid() -> Value {
        json!({
            "sourceType": "worker",
            "level": "error",
            "eventType": "execution_failed",
            "message": "  ffmpeg exited 1: Invalid data found when processing input  ",
        })
    }

    #[test]
    fn minimal_event_is_normalized() {
        let e = NewEvent::from_json(&valid(), now()).unwrap();
        assert_eq!(e.source_type, SourceType::Worker);
        assert_eq!(e.level, Level::Error);
        assert_eq!(e.event_at, now(), "eventAt defaults to now");
        assert_eq!(e.metadata, json!({}));
        assert_eq!(e.job_name, None);
        // Verbatim: surrounding whitespace is the producer's and stays.
        assert_eq!(
            e.message,
            "  ffmpeg exited 1: Invalid data found when processing input  "
        );
    }

    #[test]
    fn optional_fields_are_kept_and_empty_ones_dropped() {
        let mut raw = valid();
        raw["eventId"] = json!("evt-1");
        raw["eventAt"] = json!("2026-11-25T13:00:00+01:00");
        raw["jobName"] = json!("nightly-proxy-render");
        raw["runId"] = json!("");
        raw["workerId"] = Value::Null;
        raw["metadata"] = json!({"grace_seconds": 60});
        let e = NewEvent::from_json(&raw, now()).unwrap();
        assert_eq!(e.event_id.as_deref(), Some("evt-1"));
        assert_eq!(e.event_at, now(), "offset converted to UTC");
        assert_eq!(e.job_name.as_deref(), Some("nightly-proxy-render"));
        assert_eq!(e.run_id, None);
        assert_eq!(e.worker_id, None);
        assert_eq!(e.metadata, json!({"grace_seconds": 60}));
    }

    #[test]
    fn a_nul_character_is_refused_naming_the_field() {
        for field in ["message", "jobName", "runId"] {
            let mut raw = valid();
            raw[field] = json!("before\u{0}after");
            let err = NewEvent::from_json(&raw, now()).unwrap_err();
            assert_eq!(err.field, field);
            assert!(err.problem.contains("NUL"), "{err:?}");
        }
        // Inside metadata it is JSON-escaped text, which both stores keep.
        let mut raw = valid();
        raw["metadata"] = json!({"stderr": "a\u{0}b"});
        assert!(NewEvent::from_json(&raw, now()).is_ok());
    }

    #[test]
    fn metadata_that_is_not_an_object_becomes_empty() {
        for bad in [json!([1, 2]), json!("x"), json!(3), Value::Null] {
            let mut raw = valid();
            raw["metadata"] = bad;
            assert_eq!(
                NewEvent::from_json(&raw, now()).unwrap().metadata,
                json!({})
            );
        }
    }

    #[test]
    fn each_bad_field_is_named() {
        let cases: Vec<(&str, Value, &str)> = vec![
            ("sourceType", json!("robot"), "must be one of"),
            ("sourceType", Value::Null, "is required"),
            ("level", json!("fatal"), "must be one of"),
            ("eventType", json!("   "), "must not be empty"),
            ("message", json!(""), "must not be empty"),
            ("message", json!(42), "must be a string, not a number"),
            ("eventAt", json!("yesterday"), "RFC 3339"),
            ("runId", json!({"a": 1}), "must be a string, not an object"),
            ("jobName", json!("x".repeat(MAX_ID_LEN + 1)), "at most"),
        ];
        for (field, value, expected) in cases {
            let mut raw = valid();
            raw[field] = value;
            let err = NewEvent::from_json(&raw, now()).unwrap_err();
            assert_eq!(err.field, field);
            assert!(
                err.problem.contains(expected),
                "{field}: {:?} should contain {expected:?}",
                err.problem
            );
        }
    }

    #[test]
    fn a_serialized_event_is_valid_ingest_input() {
        // What a producer sends (the client crate serializes NewEvent) must
        // read back through the same validation the server applies.
        let mut e = NewEvent::new(
            SourceType::Worker,
            Level::Error,
            "job.failed",
            "exited with code 3\n",
            now(),
        );
        e.event_id = Some("evt-9".into());
        e.run_id = Some("run-9".into());
        e.metadata = json!({"failure_reason": "boom\n", "exit_code": 3});
        let raw = serde_json::to_value(&e).unwrap();
        assert_eq!(NewEvent::from_json(&raw, now()).unwrap(), e);
    }

    #[test]
    fn non_object_is_rejected() {
        let err = NewEvent::from_json(&json!([1]), now()).unwrap_err();
        assert_eq!(err.field, "event");
    }

    #[test]
    fn text_match_looks_at_every_searchable_field() {
        let e = Event {
            id: 1,
            event_id: None,
            source_type: SourceType::Worker,
            level: Level::Warn,
            event_type: "progress_update".into(),
            message: "Encoding".into(),
            event_at: now(),
            received_at: now(),
            job_name: Some("Nightly-Render".into()),
            run_id: Some("run-77".into()),
            worker_id: Some("farm-03".into()),
            script_path: None,
            metadata: json!({}),
        };
        for needle in [
            "nightly", "run-77", "farm", "progress", "encoding", "warn", "",
        ] {
            assert!(e.matches_text(needle), "{needle}");
        }
        assert!(!e.matches_text("completed"));
    }
}
