//! What the live stream (`GET /v1/stream`, Server-Sent Events) names when
//! something changed, so a page re-reads only what it shows.

use serde::{Deserialize, Serialize};

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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_is_named_as_the_stream_names_it() {
        for change in Change::ALL {
            assert_eq!(Change::parse(change.as_str()), Some(change));
        }
        assert_eq!(Change::parse("alerts"), Some(Change::Alerts));
        assert_eq!(Change::parse("nothing"), None);
    }
}
