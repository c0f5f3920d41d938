use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "alerts")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub alert_type: String,
    pub status: String,
    pub job_name: Option<String>,
    pub worker_id: Option<String>,
    pub run_id: Option<String>,
    pub dedupe_key: String,
    #[sea_orm(column_type = "Text")]
    pub reason: String,
    pub opened_at_us: i64,
    pub closed_at_us: Option<i64>,
    #[sea_orm(column_type = "Text")]
    pub close_reason: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub suppressed: Option<String>,
    pub notified_at_us: Option<i64>,
    pub notify_count: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
