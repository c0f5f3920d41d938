//! Webhooks: where they send, in which format, and the checks a new or
//! changed one must pass.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::FieldError;
use crate::check::AlertType;

use super::channel::{ChannelOptions, keeps, mask_url};
use super::provider::WebhookFormat;
use super::routing::ChannelRouting;

/// A configured webhook. Its secret is never listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Webhook {
    pub id: i64,
    pub name: String,
    pub url: String,
    pub format: WebhookFormat,
    /// What the provider needs besides the URL; secrets masked.
    #[serde(default)]
    pub options: ChannelOptions,
    /// Which alerts it is told of beyond their types, and how.
    #[serde(default)]
    pub routing: ChannelRouting,
    pub enabled_alert_types: Vec<AlertType>,
    pub enabled: bool,
    pub created_at: DateTime<Utc>,
}

impl Webhook {
    /// How a channel is named in delivery records and test answers: its
    /// name and host, never the whole URL (a chat webhook's path is its
    /// secret).
    pub fn shown_target(&self) -> String {
        let host = self
            .url
            .split_once("://")
            .map_or(self.url.as_str(), |(_, rest)| rest)
            .split(['/', '?', '#'])
            .next()
            .unwrap_or_default();
        format!("{} ({host})", self.name)
    }

    /// The webhook as readers see it: URL and secrets masked
    /// ([`super::channel::mask`]).
    pub fn shown(self) -> Self {
        Self {
            url: mask_url(&self.url),
            options: self.options.masked(),
            ..self
        }
    }
}

/// `POST /v1/settings/alerts/webhooks`, `PUT …/{id}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WebhookSettings {
    pub name: String,
    /// `http://` or `https://`. Empty for a provider with a public API
    /// (its own is used); on a change, empty or the masked URL as listed
    /// keeps the stored one.
    #[serde(default)]
    pub url: String,
    #[serde(default)]
    pub format: WebhookFormat,
    /// What the provider needs besides the URL (docs/channels/).
    #[serde(default)]
    pub options: ChannelOptions,
    /// Tags, job patterns, severity, grouping, rate limit, quiet hours
    /// (docs/channels/README.md, "Routing").
    #[serde(default)]
    pub routing: ChannelRouting,
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
    /// Trimmed, empty options unset, and a provider's own API for an
    /// empty URL.
    pub fn normalized(mut self) -> Self {
        self.name = self.name.trim().to_owned();
        self.url = self.url.trim().to_owned();
        if self.url.is_empty()
            && let Some(url) = self.format.default_url()
        {
            self.url = url.to_owned();
        }
        self.options = self.options.normalized();
        self.routing = self.routing.normalized();
        self
    }

    /// This request as a change of `stored`: a URL, token or header value
    /// left empty or sent back masked is the stored one — unless the
    /// provider changes, when nothing of the old one's is kept.
    pub fn merged(
        mut self,
        stored_format: WebhookFormat,
        stored_url: &str,
        stored: &ChannelOptions,
    ) -> Self {
        if self.format != stored_format {
            return self;
        }
        if keeps(&self.url, stored_url, mask_url) {
            self.url = stored_url.to_owned();
        }
        self.options = self.options.merged(stored);
        self
    }

    /// Checks the request; the error names the field.
    pub fn validate(&self) -> Result<(), FieldError> {
        self.validate_target()?;
        self.validate_provider()?;
        self.routing.validate()
    }

    /// What the provider needs besides the URL.
    fn validate_provider(&self) -> Result<(), FieldError> {
        let o = &self.options;
        if self.format.needs_token() && o.token.as_deref().is_none_or(str::is_empty) {
            return Err(FieldError::new(
                "options.token",
                format!("{} needs a token", self.format.label()),
            ));
        }
        if let Some(what) = self.format.needs_to()
            && o.to.as_deref().is_none_or(str::is_empty)
        {
            return Err(FieldError::new(
                "options.to",
                format!("{} needs {what}", self.format.label()),
            ));
        }
        for (field, v) in [("options.token", &o.token), ("options.to", &o.to)] {
            if let Some(v) = v
                && (v.len() > 500 || v.chars().any(char::is_control))
            {
                return Err(FieldError::new(field, "one line of at most 500 bytes"));
            }
        }
        if self.format == WebhookFormat::Ntfy {
            let rest = self.url.split_once("://").map_or("", |(_, r)| r);
            let path = rest.split_once('/').map_or("", |(_, p)| p);
            let topic = path.rsplit('/').next().unwrap_or_default();
            if topic.is_empty() || topic.contains(['?', '#']) {
                return Err(FieldError::new(
                    "url",
                    "an ntfy URL names its topic: https://ntfy.example/<topic>",
                ));
            }
        }
        if self.format == WebhookFormat::Template {
            o.validate_template()?;
        } else if o.method.is_some() || o.body.is_some() || !o.headers.is_empty() {
            return Err(FieldError::new(
                "options",
                "method, headers and body are for templated webhooks (format \"template\")",
            ));
        }
        Ok(())
    }

    fn validate_target(&self) -> Result<(), FieldError> {
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
            options: ChannelOptions::default(),
            routing: ChannelRouting::default(),
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
    fn providers_name_what_they_miss() {
        let mut h = hook("").normalized();
        h.format = WebhookFormat::Telegram;
        let h = h.normalized();
        assert_eq!(h.url, "https://api.telegram.org");
        assert_eq!(h.validate().unwrap_err().field, "options.token");
        let mut with_token = h.clone();
        with_token.options.token = Some("123:abc".into());
        let e = with_token.validate().unwrap_err();
        assert_eq!(e.field, "options.to");
        assert!(e.problem.contains("chat id"), "{}", e.problem);
        with_token.options.to = Some("-100123".into());
        assert!(with_token.validate().is_ok());
        let mut slack = hook("https://hooks.slack.com/services/x");
        slack.format = WebhookFormat::Slack;
        slack.options.body = Some("{{job}}".into());
        assert_eq!(slack.validate().unwrap_err().field, "options");
    }

    #[test]
    fn a_change_that_sends_the_masked_url_keeps_the_stored_one() {
        let stored = "https://hooks.slack.com/services/T0/B0/abcdefghijklmnop";
        let shown = super::super::channel::mask_url(stored);
        let none = ChannelOptions::default();
        let generic = WebhookFormat::Generic;
        let sent = hook(&shown).merged(generic, stored, &none);
        assert_eq!(sent.url, stored);
        let sent = hook("").merged(generic, stored, &none);
        assert_eq!(sent.url, stored);
        let sent = hook("https://example.com/new").merged(generic, stored, &none);
        assert_eq!(sent.url, "https://example.com/new");
        let sent = hook("").merged(WebhookFormat::Slack, stored, &none);
        assert_eq!(sent.url, "", "another provider's URL is not kept");
    }

    #[test]
    fn short_secrets_are_refused() {
        let mut h = hook("https://x.example");
        h.secret = Some("short".into());
        assert_eq!(h.validate().unwrap_err().field, "secret");
    }
}
