use serde::{Deserialize, Serialize};

/// What is wrong with one field of one event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{field} {problem}")]
pub struct FieldError {
    pub field: String,
    pub problem: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, problem: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            problem: problem.into(),
        }
    }
}

/// One event of a request that was not stored, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Dropped {
    pub index: usize,
    pub reason: String,
}

/// A metadata key of a stored event that Telltale could not accept: the
/// event is stored, the setting the key drives keeps its value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Warning {
    pub index: usize,
    /// `metadata.<key>`.
    pub field: String,
    pub reason: String,
}

/// Answer to `POST /v1/events` and `POST /v1/events/batch`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IngestResponse {
    pub inserted: usize,
    pub duplicates: usize,
    pub dropped: Vec<Dropped>,
    /// Values in stored events' metadata that were ignored (a bad policy
    /// value never costs the failure report it rode on).
    #[serde(default)]
    pub warnings: Vec<Warning>,
}
