use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "rejected_transitions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub event_row_id: i64,
    pub run_id: String,
    pub event_type: String,
    pub run_status: String,
    #[sea_orm(column_type = "Text")]
    pub reason: String,
    pub at_us: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
