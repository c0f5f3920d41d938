//! Where notifications go: email settings (one JSON document, Chief's
//! `alert_email_settings`) and webhooks (rows, with their secrets).

use chrono::{DateTime, Utc};
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use telltale_model::{AlertType, DeliveryStatus, EmailSettings, Webhook, WebhookSettings};

use crate::convert::{readable, webhook_from_row};
use crate::entity::{alert_delivery, setting, webhook};
use crate::time::to_us;
use crate::{Store, StoreError};

const EMAIL_KEY: &str = "alert_email_settings";

/// Stored email settings; before any are saved, no recipients and every
/// alert type (so adding a recipient is all it takes).
pub(super) async fn email_settings<C: ConnectionTrait>(
    db: &C,
) -> Result<EmailSettings, StoreError> {
    let row = setting::Entity::find_by_id(EMAIL_KEY).one(db).await?;
    match row {
        None => Ok(EmailSettings {
            recipients: Vec::new(),
            enabled_alert_types: AlertType::ALL.to_vec(),
        }),
        Some(row) => serde_json::from_str(&row.value).map_err(|e| StoreError::Corrupt {
            table: "settings",
            id: EMAIL_KEY.to_owned(),
            problem: e.to_string(),
        }),
    }
}

/// The enabled webhooks that can be read ([`readable`]): a damaged one is
/// not sent to, the others are.
pub(super) async fn enabled_webhooks<C: ConnectionTrait>(
    db: &C,
) -> Result<Vec<Webhook>, StoreError> {
    let rows = webhook::Entity::find()
        .filter(webhook::Column::Enabled.eq(true))
        .order_by_asc(webhook::Column::Id)
        .all(db)
        .await?;
    Ok(readable(&rows, webhook_from_row))
}

fn types_column(types: &[AlertType]) -> String {
    types
        .iter()
        .map(|t| t.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

fn options_column(settings: &WebhookSettings) -> Result<String, StoreError> {
    serde_json::to_string(&settings.options).map_err(|e| StoreError::Query(e.to_string()))
}

fn routing_column(settings: &WebhookSettings) -> Result<String, StoreError> {
    serde_json::to_string(&settings.routing).map_err(|e| StoreError::Query(e.to_string()))
}

/// A webhook as the sender needs it: where, how, and the signing key,
/// nothing masked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookTarget {
    pub webhook: Webhook,
    pub secret: String,
}

impl Store {
    pub async fn email_settings(&self) -> Result<EmailSettings, StoreError> {
        email_settings(&self.db).await
    }

    /// Replaces the email settings (validated by the caller).
    pub async fn put_email_settings(
        &self,
        settings: &EmailSettings,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let value =
            serde_json::to_string(settings).map_err(|e| StoreError::Query(e.to_string()))?;
        setting::Entity::insert(setting::ActiveModel {
            key: Set(EMAIL_KEY.to_owned()),
            value: Set(value),
            updated_at_us: Set(to_us(now)),
        })
        .on_conflict(
            OnConflict::column(setting::Column::Key)
                .update_columns([setting::Column::Value, setting::Column::UpdatedAtUs])
                .to_owned(),
        )
        .exec_without_returning(&self.db)
        .await?;
        Ok(())
    }

    /// Every webhook, oldest first, as readers see them (secrets masked).
    pub async fn list_webhooks(&self) -> Result<Vec<Webhook>, StoreError> {
        webhook::Entity::find()
            .order_by_asc(webhook::Column::Id)
            .all(&self.db)
            .await?
            .iter()
            .map(|row| webhook_from_row(row).map(Webhook::shown))
            .collect()
    }

    pub async fn webhook_target(&self, id: i64) -> Result<Option<WebhookTarget>, StoreError> {
        let Some(row) = webhook::Entity::find_by_id(id).one(&self.db).await? else {
            return Ok(None);
        };
        Ok(Some(WebhookTarget {
            webhook: webhook_from_row(&row)?,
            secret: row.secret,
        }))
    }

    /// Adds a webhook (validated by the caller) with its signing secret;
    /// returns it as readers see it.
    pub async fn create_webhook(
        &self,
        settings: &WebhookSettings,
        secret: &str,
        now: DateTime<Utc>,
    ) -> Result<Webhook, StoreError> {
        let row = webhook::Entity::insert(webhook::ActiveModel {
            id: NotSet,
            name: Set(settings.name.trim().to_owned()),
            url: Set(settings.url.trim().to_owned()),
            secret: Set(secret.to_owned()),
            format: Set(settings.format.as_str().to_owned()),
            alert_types: Set(types_column(&settings.enabled_alert_types)),
            options: Set(options_column(settings)?),
            routing: Set(routing_column(settings)?),
            enabled: Set(settings.enabled),
            created_at_us: Set(to_us(now)),
            updated_at_us: Set(to_us(now)),
        })
        .exec_with_returning(&self.db)
        .await?;
        webhook_from_row(&row).map(Webhook::shown)
    }

    /// Changes a webhook (`settings` whole: merged with the stored one by
    /// the caller); its secret only when `settings.secret` is set. `None`
    /// when there is no such webhook.
    pub async fn update_webhook(
        &self,
        id: i64,
        settings: &WebhookSettings,
        now: DateTime<Utc>,
    ) -> Result<Option<Webhook>, StoreError> {
        let mut update = webhook::ActiveModel {
            id: Set(id),
            name: Set(settings.name.trim().to_owned()),
            url: Set(settings.url.trim().to_owned()),
            secret: NotSet,
            format: Set(settings.format.as_str().to_owned()),
            alert_types: Set(types_column(&settings.enabled_alert_types)),
            options: Set(options_column(settings)?),
            routing: Set(routing_column(settings)?),
            enabled: Set(settings.enabled),
            created_at_us: NotSet,
            updated_at_us: Set(to_us(now)),
        };
        if let Some(secret) = &settings.secret {
            update.secret = Set(secret.clone());
        }
        match webhook::Entity::update(update).exec(&self.db).await {
            Ok(row) => Ok(Some(webhook_from_row(&row)?.shown())),
            Err(sea_orm::DbErr::RecordNotUpdated | sea_orm::DbErr::RecordNotFound(_)) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Removes a webhook. Its pending deliveries fail, saying why; its
    /// history stays. `false` when there was no such webhook.
    pub async fn delete_webhook(&self, id: i64, now: DateTime<Utc>) -> Result<bool, StoreError> {
        use sea_orm::TransactionTrait;
        use sea_orm::sea_query::Expr;
        let txn = self.db.begin().await?;
        alert_delivery::Entity::update_many()
            .col_expr(
                alert_delivery::Column::Status,
                Expr::value(DeliveryStatus::Failed.as_str()),
            )
            .col_expr(
                alert_delivery::Column::Error,
                Expr::value(format!("webhook {id} was deleted before this was sent")),
            )
            .col_expr(alert_delivery::Column::Permanent, Expr::value(true))
            .col_expr(
                alert_delivery::Column::FinishedAtUs,
                Expr::value(to_us(now)),
            )
            .filter(alert_delivery::Column::WebhookId.eq(id))
            .filter(alert_delivery::Column::Status.eq(DeliveryStatus::Pending.as_str()))
            .exec(&txn)
            .await?;
        let deleted = webhook::Entity::delete_by_id(id).exec(&txn).await?;
        txn.commit().await?;
        Ok(deleted.rows_affected > 0)
    }
}
