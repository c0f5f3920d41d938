use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "workers")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub worker_id: String,
    pub hostname: Option<String>,
    pub first_seen_at_us: i64,
    pub last_event_at_us: i64,
    pub last_heartbeat_at_us: Option<i64>,
    pub current_run_id: Option<String>,
    pub interval_seconds: i32,
    /// The newest heartbeat when a WORKER_OFFLINE about this worker was
    /// closed by hand; ingest never writes it.
    pub offline_ack_beat_us: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
