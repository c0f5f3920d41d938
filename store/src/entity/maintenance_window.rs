use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "maintenance_windows")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub job_name: Option<String>,
    pub schedule: Option<String>,
    pub duration_seconds: Option<i64>,
    pub timezone: Option<String>,
    pub starts_at_us: Option<i64>,
    pub ends_at_us: Option<i64>,
    #[sea_orm(column_type = "Text")]
    pub reason: String,
    pub created_at_us: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
