use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub event_id: Option<String>,
    pub source_type: String,
    pub level: String,
    pub event_type: String,
    #[sea_orm(column_type = "Text")]
    pub message: String,
    pub event_at_us: i64,
    pub received_at_us: i64,
    pub job_name: Option<String>,
    pub run_id: Option<String>,
    pub worker_id: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub script_path: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub metadata: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
