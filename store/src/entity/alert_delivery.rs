use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "alert_deliveries")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub alert_id: i64,
    pub notification: String,
    pub channel: String,
    #[sea_orm(column_type = "Text")]
    pub target: String,
    pub webhook_id: Option<i64>,
    pub status: String,
    pub attempt: i32,
    #[sea_orm(column_type = "Text")]
    pub error: Option<String>,
    pub permanent: bool,
    pub created_at_us: i64,
    pub due_at_us: i64,
    pub claimed_until_us: Option<i64>,
    pub finished_at_us: Option<i64>,
    pub retry_at_us: Option<i64>,
    /// The first attempt of this delivery; NULL on the first attempt itself.
    pub first_attempt_id: Option<i64>,
    /// The routing rule that sent it to its channel, in words.
    #[sea_orm(column_type = "Text", nullable)]
    pub route: Option<String>,
    /// Deliveries sent as one message share it: the first one's id.
    pub group_id: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
