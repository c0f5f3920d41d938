use telltale_model::{
    CreatedWebhook, EmailChannel, EmailSettings, FieldError, Webhook, WebhookSettings,
};

use crate::error::Resource;
use crate::{ChangeError, Core};

impl Core {
    /// Who gets alert email and about which types.
    pub async fn put_email_settings(
        &self,
        settings: &EmailSettings,
    ) -> Result<EmailChannel, ChangeError> {
        settings.validate().map_err(ChangeError::Invalid)?;
        let settings = settings.clone().normalized();
        self.store()
            .put_email_settings(&settings, self.now())
            .await?;
        tracing::info!(
            recipients = settings.recipients.len(),
            "alert email settings changed"
        );
        Ok(EmailChannel::new(
            settings,
            self.deliverer().email_transport(),
        ))
    }

    /// Adds a webhook; the answer holds its signing secret (made when not
    /// given), the only time it is shown.
    pub async fn create_webhook(
        &self,
        request: &WebhookSettings,
    ) -> Result<CreatedWebhook, ChangeError> {
        let request = &request.clone().normalized();
        self.check_webhook(request).await?;
        let secret = request
            .secret
            .clone()
            .unwrap_or_else(telltale_delivery::new_secret);
        let webhook = self
            .store()
            .create_webhook(request, &secret, self.now())
            .await?;
        tracing::info!(webhook = webhook.id, name = %webhook.name, "webhook added");
        Ok(CreatedWebhook { webhook, secret })
    }

    /// Changes a webhook; its secret only when one is given. A URL, token
    /// or header value left empty or sent back masked (as listed) keeps the
    /// stored one.
    pub async fn update_webhook(
        &self,
        id: i64,
        request: &WebhookSettings,
    ) -> Result<Webhook, ChangeError> {
        let not_found = || ChangeError::NotFound {
            what: Resource::Webhook,
            id,
        };
        let stored = self
            .store()
            .webhook_target(id)
            .await?
            .ok_or_else(not_found)?;
        let request = &request
            .clone()
            .merged(
                stored.webhook.format,
                &stored.webhook.url,
                &stored.webhook.options,
            )
            .normalized();
        self.check_webhook(request).await?;
        let webhook = self
            .store()
            .update_webhook(id, request, self.now())
            .await?
            .ok_or_else(not_found)?;
        tracing::info!(webhook = id, name = %webhook.name, "webhook changed");
        Ok(webhook)
    }

    /// Removes a webhook. Its pending deliveries fail, saying why; its
    /// delivery history stays.
    pub async fn delete_webhook(&self, id: i64) -> Result<(), ChangeError> {
        if !self.store().delete_webhook(id, self.now()).await? {
            return Err(ChangeError::NotFound {
                what: Resource::Webhook,
                id,
            });
        }
        tracing::info!(webhook = id, "webhook removed");
        Ok(())
    }

    /// A webhook's fields, and its target: never link-local or metadata
    /// addresses, nor private ones unless the operator allows them.
    async fn check_webhook(&self, request: &WebhookSettings) -> Result<(), ChangeError> {
        request.validate().map_err(ChangeError::Invalid)?;
        self.deliverer()
            .check_webhook_url(&request.url)
            .await
            .map_err(|e| ChangeError::Invalid(FieldError::from(e)))
    }
}
