//! Webhooks: where they send, in which format, and the checks a new or
//! changed one must pass.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::FieldError;
use crate::check::AlertType;

/// The body a webhook receives.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum WebhookFormat {
    /// Telltale's versioned JSON payload (docs/alerts.md, "Webhook payload").
    #[default]
    Generic,
    /// Slack's incoming-webhook `{"text": …}`.
    Slack,
}

impl WebhookFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Generic => "generic",
            Self::Slack => "slack",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Generic, Self::Slack]
            .into_iter()
            .find(|v| v.as_str() == s)
    }
}

/// A configured webhook. Its secret is never listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Webhook {
    pub id: i64,
    pub name: String,
    pub url: String,
    pub format: WebhookFormat,
    pub enabled_alert_types: Vec<AlertType>,
    pub enabled: bool,
    pub created_at: DateTime<Utc>,
}

/// `POST /v1/settings/alerts/webhooks`, `PUT …/{id}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WebhookSettings {
    pub name: String,
    /// `http://` or `https://`.
    pub url: String,
    #[serde(default)]
    pub format: WebhookFormat,
    pub enabled_alert_types: Vec<AlertType>,
    #[serde(default = "yes")]
    pub enabled: bool,
    /// The HMAC key for `X-Telltale-Signature`. On create, one is made when
    /// absent; on update, the old one is kept when absent.
    #[serde(default)]
    pub secret: Option<String>,
}

fn yes() -> bool {
    true
}

impl WebhookSettings {
    /// Checks the request; the error names the field.
    pub fn validate(&self) -> Result<(), FieldError> {
        if self.name.trim().is_empty() || self.name.len() > 100 {
            return Err(FieldError::new("name", "1 to 100 characters"));
        }
        let url = self.url.trim();
        let rest = url
            .strip_prefix("https://")
            .or_else(|| url.strip_prefix("http://"));
        match rest {
            None => {
                return Err(FieldError::new(
                    "url",
                    format!("{url:?} is not an http:// or https:// URL"),
                ));
            }
            Some(rest) => {
                let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
                if host.is_empty() || host.chars().any(char::is_whitespace) {
                    return Err(FieldError::new("url", format!("{url:?} has no host")));
                }
            }
        }
        if url.len() > 2000 {
            return Err(FieldError::new("url", "at most 2000 characters"));
        }
        if let Some(secret) = &self.secret
            && (secret.len() < 16 || secret.len() > 200)
        {
            return Err(FieldError::new("secret", "16 to 200 characters"));
        }
        Ok(())
    }
}

/// A webhook just created: the only time its secret is shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct CreatedWebhook {
    pub webhook: Webhook,
    pub secret: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WebhookList {
    pub webhooks: Vec<Webhook>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hook(url: &str) -> WebhookSettings {
        WebhookSettings {
            name: "ops".into(),
            url: url.into(),
            format: WebhookFormat::Generic,
            enabled_alert_types: vec![AlertType::Failure],
            enabled: true,
            secret: None,
        }
    }

    #[test]
    fn webhook_urls_must_be_http() {
        assert!(hook("https://hooks.example.com/x").validate().is_ok());
        assert!(hook("http://127.0.0.1:9000/").validate().is_ok());
        for bad in ["ftp://x", "hooks.example.com", "https://", "http:// x", ""] {
            let e = hook(bad).validate().unwrap_err();
            assert_eq!(e.field, "url", "{bad}");
        }
    }

    #[test]
    fn short_secrets_are_refused() {
        let mut h = hook("https://x.example");
        h.secret = Some("short".into());
        assert_eq!(h.validate().unwrap_err().field, "secret");
    }
}
