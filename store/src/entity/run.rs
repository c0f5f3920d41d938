use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "runs")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub seq: i64,
    #[sea_orm(unique)]
    pub run_id: String,
    pub job_name: Option<String>,
    pub job_type: Option<String>,
    pub engine: Option<String>,
    pub status: String,
    pub created_at_us: i64,
    pub start_time_us: Option<i64>,
    pub end_time_us: Option<i64>,
    #[sea_orm(column_type = "Text")]
    pub failure_reason: Option<String>,
    pub burnin_preset_id: Option<String>,
    pub lut_id: Option<String>,
    pub worker_id: Option<String>,
    pub verification_run_id: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub source_path: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub output_path: Option<String>,
    pub progress: Option<i16>,
    pub updated_at_us: i64,
    #[sea_orm(column_type = "Text")]
    pub metadata: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
