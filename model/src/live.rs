//! What the live stream (`GET /v1/stream`, Server-Sent Events) names when
//! something changed, so a page re-reads only what it shows.

use serde::{Deserialize, Serialize};

use crate::event::NewEvent;

/// One kind of change; its name is the SSE `event:` field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Change {
    Events,
    Runs,
    Jobs,
    Workers,
    Alerts,
}

impl Change {
    pub const ALL: [Change; 5] = [
        Self::Events,
        Self::Runs,
        Self::Jobs,
        Self::Workers,
        Self::Alerts,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Events => "events",
            Self::Runs => "runs",
            Self::Jobs => "jobs",
            Self::Workers => "workers",
            Self::Alerts => "alerts",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// What storing `events` changes: always the event log, and the runs,
    /// jobs and workers they name.
    pub fn of_events(events: &[NewEvent]) -> Vec<Change> {
        let mut out = Vec::new();
        if events.is_empty() {
            return out;
        }
        out.push(Self::Events);
        if events.iter().any(|e| e.run_id.is_some()) {
            out.push(Self::Runs);
        }
        if events.iter().any(|e| e.job_name.is_some()) {
            out.push(Self::Jobs);
        }
        if events.iter().any(|e| e.worker_id.is_some()) {
            out.push(Self::Workers);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{Level, SourceType};

    #[test]
    fn stored_events_name_what_they_touch() {
        let at = chrono::Utc::now();
        let mut e = NewEvent::new(
            SourceType::Worker,
            Level::Info,
            "worker.heartbeat",
            "beat",
            at,
        );
        e.worker_id = Some("w1".into());
        assert_eq!(Change::of_events(&[]), vec![]);
        assert_eq!(
            Change::of_events(std::slice::from_ref(&e)),
            vec![Change::Events, Change::Workers]
        );
        e.job_name = Some("j".into());
        e.run_id = Some("r".into());
        assert_eq!(Change::of_events(&[e]), Change::ALL[..4].to_vec());
        assert_eq!(Change::parse("alerts"), Some(Change::Alerts));
    }
}
