use serde::{Deserialize, Serialize};

/// `ok` when every part answers, `degraded` when the service runs but a part
/// (the database) does not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum HealthStatus {
    Ok,
    Degraded,
}

/// Body of `GET /v1/health`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Health {
    pub status: HealthStatus,
    pub version: String,
    /// `ok`, or the database error verbatim.
    pub database: String,
    /// This process's name (`MONITOR_INSTANCE_NAME`, or host:port).
    pub instance: String,
    /// Whether this instance runs the evaluator, retention and delivery
    /// now: always on SQLite; on PostgreSQL exactly one instance of a
    /// database at a time.
    pub leader: bool,
}
