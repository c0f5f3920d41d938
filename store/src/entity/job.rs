use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "jobs")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub name: String,
    pub first_seen_at_us: i64,
    pub last_event_at_us: i64,
    pub last_heartbeat_at_us: Option<i64>,
    pub last_run_id: Option<String>,
    pub last_success_at_us: Option<i64>,
    pub last_failure_at_us: Option<i64>,
    pub consecutive_failures: i32,
    pub expected_next_at_us: Option<i64>,
    pub check_enabled: bool,
    pub grace_seconds: i32,
    pub alert_on_failure: bool,
    pub alert_on_miss: bool,
    pub schedule: Option<String>,
    pub timezone: Option<String>,
    pub start_grace_seconds: Option<i32>,
    pub max_runtime_seconds: Option<i32>,
    pub min_runtime_seconds: Option<i32>,
    pub failure_threshold: i32,
    pub repeat_interval_seconds: Option<i32>,
    pub depends_on: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub last_failure_reason: Option<String>,
    /// Owned by the engine; ingest never writes these.
    pub check_state: String,
    pub check_state_since_us: Option<i64>,
    pub check_deadline_us: Option<i64>,
    pub check_expected_at_us: Option<i64>,
    /// Set by an operator alone (`PUT /v1/jobs/{name}/badge`); neither
    /// ingest nor the engine writes it.
    pub public_badge: bool,
    /// Written by ingest, with the columns above it.
    pub failures_total: i64,
    pub last_failure_run_id: Option<String>,
    /// Written when an alert is closed by hand (and `miss_ack` cleared by
    /// the engine); ingest never writes them.
    pub failure_ack: i64,
    pub miss_ack: bool,
    /// An operator's alone (`/v1/jobs`, the dashboard); ingest never
    /// writes them.
    #[sea_orm(column_type = "Text")]
    pub operator_keys: String,
    pub retired_at_us: Option<i64>,
    #[sea_orm(column_type = "Text")]
    pub description: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub tags: String,
    #[sea_orm(column_type = "Text")]
    pub channels: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
