//! Events: what producers report, as stored and as listed.

mod fields;
mod new_event;
mod search;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use new_event::{MAX_ID_LEN, NewEvent};
pub use search::{MAX_SEARCH_CHARS, MAX_SEARCH_WORDS, SearchError, search_words};

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
        self.matches_text_by(needle_lower, str::to_lowercase)
    }

    /// [`Event::matches_text`] with the caller's lower-casing, which must
    /// be Unicode's default mapping as `str::to_lowercase`'s is: the
    /// browser passes its own `toLowerCase`, so its bundle carries no case
    /// tables.
    pub fn matches_text_by(&self, needle_lower: &str, lower: impl Fn(&str) -> String) -> bool {
        if needle_lower.is_empty() {
            return true;
        }
        let hit = |s: &str| lower(s).contains(needle_lower);
        hit(&self.event_type)
            || hit(&self.message)
            || self.job_name.as_deref().is_some_and(hit)
            || self.run_id.as_deref().is_some_and(hit)
            || self.worker_id.as_deref().is_some_and(hit)
            || hit(self.level.as_str())
            || hit(self.source_type.as_str())
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
    /// With a search (`q`): about how many of the newest events the search
    /// index has not reached yet, so the search could not find them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unsearched: Option<u64>,
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
    /// Who sent it: chief, worker, scheduler or system.
    pub source: Option<SourceType>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    /// Full-text search: events whose message or metadata hold every word
    /// of it ([`search_words`]), over the whole stored log.
    pub q: Option<String>,
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
mod tests;
