//! What a request can be about, for a not-found that names it. Shared so the
//! REST API, the service layer and the dashboard's typed error say "no
//! webhook 7" in the same words.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Resource {
    Alert,
    Webhook,
    MaintenanceWindow,
    ApiKey,
    User,
    Job,
    Run,
    Worker,
}

impl Resource {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Alert => "alert",
            Self::Webhook => "webhook",
            Self::MaintenanceWindow => "maintenance window",
            Self::ApiKey => "API key",
            Self::User => "user",
            Self::Job => "job",
            Self::Run => "run",
            Self::Worker => "worker",
        }
    }
}

impl std::fmt::Display for Resource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
