//! Query-string parsing shared by the read endpoints; every error names the
//! parameter.
//!
//! One style for every listing: short lowercase names (`job`, `run`,
//! `worker`, `type`, `state`, `status`, `text`), `before` for the cursor (the
//! previous page's `nextCursor`) and `limit` for the page size. Each takes
//! one name; the only other spelling accepted is Forge's `job_id` for `run`,
//! which its workers' clients send (docs/compatibility.md).

use std::collections::HashMap;

use axum::extract::Query;
use axum::extract::rejection::QueryRejection;
use chrono::{DateTime, Utc};
use telltale_model::FieldError;

use crate::error::ApiError;

pub struct Params(HashMap<String, String>);

/// The raw query string of a listing, as the handlers take it.
pub type RawQuery = Result<Query<HashMap<String, String>>, QueryRejection>;

/// Spellings the API once accepted beside its own names, and the name to
/// use instead. Refused by name rather than ignored: a client still sending
/// `jobName` would otherwise get every job's rows without noticing.
const RETIRED: [(&str, &str); 5] = [
    ("jobName", "job"),
    ("runId", "run"),
    ("workerId", "worker"),
    ("eventType", "type"),
    ("alertType", "type"),
];

impl Params {
    pub fn from_query(query: RawQuery) -> Result<Params, ApiError> {
        let map = query
            .map(|Query(map)| map)
            .map_err(|e| ApiError::InvalidQuery(FieldError::new("query", e.body_text())))?;
        if let Some((old, new)) = RETIRED.iter().find(|(old, _)| map.contains_key(*old)) {
            return Err(invalid(old, format!("is not a parameter; use `{new}`")));
        }
        Ok(Params(map))
    }

    /// Refuses `q`, once this listing's spelling of `text`: only the event
    /// log has a full-text search, and a `q` ignored here would list
    /// every row.
    pub fn without_search(self) -> Result<Params, ApiError> {
        if self.0.contains_key("q") {
            return Err(invalid(
                "q",
                "is not a parameter here; use `text` (part of the job name); \
                 full-text search is for events",
            ));
        }
        Ok(self)
    }

    /// `name`, if present and not blank.
    pub fn text(&self, name: &str) -> Option<String> {
        nonblank(self.0.get(name).cloned())
    }

    /// An enumerated value, matched after upper- or lower-casing as `parse`
    /// wants; `expected` lists the allowed values for the error.
    pub fn one_of<T>(
        &self,
        name: &str,
        parse: impl Fn(&str) -> Option<T>,
        expected: &str,
    ) -> Result<Option<T>, ApiError> {
        let Some(v) = self.text(name) else {
            return Ok(None);
        };
        parse(&v)
            .or_else(|| parse(&v.to_uppercase()))
            .or_else(|| parse(&v.to_lowercase()))
            .map(Some)
            .ok_or_else(|| invalid(name, format!("must be {expected} (got {v:?})")))
    }

    pub fn time(&self, name: &str) -> Result<Option<DateTime<Utc>>, ApiError> {
        time(name, self.text(name))
    }

    pub fn number(&self, name: &str) -> Result<Option<i64>, ApiError> {
        number(name, self.text(name))
    }

    /// `limit`, clamped to 1..=max.
    pub fn limit(&self, max: u64) -> Result<Option<u64>, ApiError> {
        limit(self.text("limit"), max)
    }
}

/// The value unless it is blank, trimmed.
pub fn nonblank(value: Option<String>) -> Option<String> {
    value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}

pub fn time(name: &str, value: Option<String>) -> Result<Option<DateTime<Utc>>, ApiError> {
    nonblank(value)
        .map(|v| {
            DateTime::parse_from_rfc3339(&v)
                .map(|t| t.with_timezone(&Utc))
                .map_err(|e| invalid(name, format!("must be an RFC 3339 timestamp ({e})")))
        })
        .transpose()
}

pub fn number(name: &str, value: Option<String>) -> Result<Option<i64>, ApiError> {
    nonblank(value)
        .map(|v| {
            v.parse::<i64>()
                .map_err(|_| invalid(name, format!("must be a whole number (got {v:?})")))
        })
        .transpose()
}

/// `limit`, clamped to 1..=max.
pub fn limit(value: Option<String>, max: u64) -> Result<Option<u64>, ApiError> {
    Ok(number("limit", value)?.map(|n| n.clamp(1, i64::try_from(max).unwrap_or(i64::MAX)) as u64))
}

/// `limit` of an export: at most this many rows in all (no upper bound).
pub fn row_cap(value: Option<String>) -> Result<Option<u64>, ApiError> {
    match number("limit", value)? {
        Some(n) if n < 1 => Err(invalid("limit", format!("must be at least 1 (got {n})"))),
        n => Ok(n.map(|n| n as u64)),
    }
}

pub fn invalid(field: &str, problem: impl Into<String>) -> ApiError {
    ApiError::InvalidQuery(FieldError::new(field, problem))
}
