use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use telltale_model::Change;

/// PostgreSQL refuses `NOTIFY` payloads of 8,000 bytes or more; a bulletin
/// that would not fit names no jobs and asks for all of them instead.
const MAX_PAYLOAD: usize = 7_900;

/// What one instance tells the others: the kinds of change (for their live
/// streams) and the jobs ingest touched (for the leader's evaluator). Small
/// by design: the receivers read the rows themselves.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Bulletin {
    /// The sending process, so it ignores its own bulletins.
    pub from: String,
    #[serde(default)]
    pub changes: BTreeSet<Change>,
    #[serde(default)]
    pub jobs: BTreeSet<String>,
    /// Every job may have changed (a maintenance window, or too many jobs
    /// to name).
    #[serde(default)]
    pub all_jobs: bool,
}

impl Bulletin {
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty() && self.jobs.is_empty() && !self.all_jobs
    }

    /// The `NOTIFY` payload: JSON, under PostgreSQL's limit.
    pub fn to_payload(&self) -> String {
        let json = serde_json::to_string(self).unwrap_or_default();
        if json.len() < MAX_PAYLOAD {
            return json;
        }
        let smaller = Bulletin {
            jobs: BTreeSet::new(),
            all_jobs: true,
            ..self.clone()
        };
        serde_json::to_string(&smaller).unwrap_or_default()
    }

    pub fn from_payload(payload: &str) -> Option<Bulletin> {
        serde_json::from_str(payload).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bulletin_naming_too_many_jobs_asks_for_all_of_them() {
        let bulletin = Bulletin {
            from: "a".into(),
            changes: [Change::Runs].into(),
            jobs: (0..2_000).map(|i| format!("nightly-etl-{i}")).collect(),
            all_jobs: false,
        };
        let payload = bulletin.to_payload();
        assert!(payload.len() < 8_000, "{} bytes", payload.len());
        let back = Bulletin::from_payload(&payload).expect("parses");
        assert!(back.all_jobs && back.jobs.is_empty());
        assert_eq!(back.changes, bulletin.changes);
    }

    #[test]
    fn a_small_bulletin_round_trips() {
        let bulletin = Bulletin {
            from: "b".into(),
            changes: [Change::Events, Change::Runs].into(),
            jobs: ["db-dump".to_owned()].into(),
            all_jobs: false,
        };
        assert_eq!(
            Bulletin::from_payload(&bulletin.to_payload()),
            Some(bulletin)
        );
        assert_eq!(Bulletin::from_payload("not json"), None);
    }
}
