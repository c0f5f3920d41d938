//! The providers a channel can send to, and what each needs besides a URL.

use serde::{Deserialize, Serialize};

/// The provider a webhook channel sends to, which decides its request:
/// path, headers, body, and how an alert's close is told.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum WebhookFormat {
    /// Telltale's versioned JSON payload (docs/alerts.md, "Webhook payload"), signed.
    #[default]
    Generic,
    /// A Slack incoming webhook: Block Kit blocks with a text fallback.
    Slack,
    /// A Discord webhook: one embed.
    Discord,
    /// A Microsoft Teams Workflows webhook: an Adaptive Card.
    Teams,
    /// A Mattermost incoming webhook.
    Mattermost,
    /// A Rocket.Chat incoming integration.
    Rocketchat,
    /// A Google Chat space webhook (threaded per alert).
    Googlechat,
    /// Telegram's Bot API `sendMessage` (token: the bot's; to: the chat id).
    Telegram,
    /// An ntfy topic URL (token: an access token, when the topic needs one).
    Ntfy,
    /// A Gotify server (token: an application token).
    Gotify,
    /// Pushover (token: the application's API token; to: a user or group key).
    Pushover,
    /// A Matrix homeserver (token: an access token; to: the room id).
    Matrix,
    /// PagerDuty Events API v2 (token: the integration's routing key).
    Pagerduty,
    /// Opsgenie's Alert API (token: an API integration key).
    Opsgenie,
    /// An Apprise API server's `/notify/{key}` (to: an optional tag).
    Apprise,
    /// Any HTTP endpoint: method, headers and a body template, signed.
    Template,
}

impl WebhookFormat {
    pub const ALL: [Self; 16] = [
        Self::Generic,
        Self::Slack,
        Self::Discord,
        Self::Teams,
        Self::Mattermost,
        Self::Rocketchat,
        Self::Googlechat,
        Self::Telegram,
        Self::Ntfy,
        Self::Gotify,
        Self::Pushover,
        Self::Matrix,
        Self::Pagerduty,
        Self::Opsgenie,
        Self::Apprise,
        Self::Template,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Generic => "generic",
            Self::Slack => "slack",
            Self::Discord => "discord",
            Self::Teams => "teams",
            Self::Mattermost => "mattermost",
            Self::Rocketchat => "rocketchat",
            Self::Googlechat => "googlechat",
            Self::Telegram => "telegram",
            Self::Ntfy => "ntfy",
            Self::Gotify => "gotify",
            Self::Pushover => "pushover",
            Self::Matrix => "matrix",
            Self::Pagerduty => "pagerduty",
            Self::Opsgenie => "opsgenie",
            Self::Apprise => "apprise",
            Self::Template => "template",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }

    /// The provider's name as people know it.
    pub fn label(self) -> &'static str {
        match self {
            Self::Generic => "Telltale JSON (signed)",
            Self::Slack => "Slack",
            Self::Discord => "Discord",
            Self::Teams => "Microsoft Teams (Workflows)",
            Self::Mattermost => "Mattermost",
            Self::Rocketchat => "Rocket.Chat",
            Self::Googlechat => "Google Chat",
            Self::Telegram => "Telegram",
            Self::Ntfy => "ntfy",
            Self::Gotify => "Gotify",
            Self::Pushover => "Pushover",
            Self::Matrix => "Matrix",
            Self::Pagerduty => "PagerDuty",
            Self::Opsgenie => "Opsgenie",
            Self::Apprise => "Apprise API",
            Self::Template => "Templated webhook (signed)",
        }
    }

    /// The provider's public API, used when no URL is given.
    pub fn default_url(self) -> Option<&'static str> {
        match self {
            Self::Telegram => Some("https://api.telegram.org"),
            Self::Pushover => Some("https://api.pushover.net"),
            Self::Pagerduty => Some("https://events.pagerduty.com"),
            Self::Opsgenie => Some("https://api.opsgenie.com"),
            _ => None,
        }
    }

    /// What the URL field holds for this provider.
    pub fn url_hint(self) -> &'static str {
        match self {
            Self::Telegram | Self::Pushover | Self::Pagerduty | Self::Opsgenie => {
                "the API's base URL (empty: the provider's own)"
            }
            Self::Gotify => "the Gotify server's base URL",
            Self::Matrix => "the homeserver's base URL",
            Self::Ntfy => "the topic's URL, such as https://ntfy.sh/backups",
            Self::Apprise => "the Apprise API's /notify/{key} URL",
            _ => "the webhook URL the provider gave you",
        }
    }

    /// Whether `options.token` must be set.
    pub fn needs_token(self) -> bool {
        matches!(
            self,
            Self::Telegram
                | Self::Gotify
                | Self::Pushover
                | Self::Matrix
                | Self::Pagerduty
                | Self::Opsgenie
        )
    }

    /// What `options.to` names, where the provider needs a recipient.
    pub fn needs_to(self) -> Option<&'static str> {
        match self {
            Self::Telegram => Some("the chat id"),
            Self::Pushover => Some("the user or group key"),
            Self::Matrix => Some("the room id, such as !abc123:example.org"),
            _ => None,
        }
    }

    /// Incident tools: an alert is an incident that opens and resolves. A
    /// RECOVERY alert is no incident (the close of the FAILURE it ends
    /// resolves that one), so they are not sent one.
    pub fn is_incident_tool(self) -> bool {
        matches!(self, Self::Pagerduty | Self::Opsgenie)
    }

    /// Whether requests carry Telltale's HMAC signature headers.
    pub fn signed(self) -> bool {
        matches!(self, Self::Generic | Self::Template)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_format_round_trips_by_name() {
        for f in WebhookFormat::ALL {
            assert_eq!(WebhookFormat::parse(f.as_str()), Some(f));
            let json = serde_json::to_string(&f).unwrap();
            assert_eq!(json, format!("\"{}\"", f.as_str()));
        }
        assert_eq!(WebhookFormat::parse("Slack"), None);
    }
}
