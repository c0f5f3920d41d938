use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "webhooks")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub name: String,
    #[sea_orm(column_type = "Text")]
    pub url: String,
    pub secret: String,
    pub format: String,
    pub alert_types: String,
    /// `ChannelOptions` as JSON.
    #[sea_orm(column_type = "Text")]
    pub options: String,
    /// `ChannelRouting` as JSON.
    #[sea_orm(column_type = "Text")]
    pub routing: String,
    pub enabled: bool,
    pub created_at_us: i64,
    pub updated_at_us: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
