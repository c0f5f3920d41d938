//! An event on its way in: the fields a producer sends, checked and
//! normalized before anything is stored.

use chrono::{DateTime, Datelike, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::fields::{optional_str, required_str, take_optional, take_string};
use super::{Level, SourceType};
use crate::ingest::FieldError;

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
