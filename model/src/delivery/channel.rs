//! What a channel needs besides its URL, and how its secrets are shown.
//!
//! A chat webhook's URL is its secret (anyone holding it can post), and so
//! are tokens and a templated webhook's header values. Wherever a channel is
//! shown they are masked ([`mask`]); a change that sends the masked text
//! back, or nothing, keeps what is stored ([`ChannelOptions::merged`]).

use serde::{Deserialize, Serialize};

use crate::FieldError;

/// Provider settings beside the URL (which of them a provider needs:
/// [`super::WebhookFormat`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ChannelOptions {
    /// The provider's credential: Telegram bot token, Gotify application
    /// token, Pushover API token, Matrix access token, PagerDuty routing
    /// key, Opsgenie API key, ntfy access token. Shown masked; left out or
    /// sent back masked on a change, the stored one is kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    /// The recipient: Telegram chat id, Pushover user or group key, Matrix
    /// room id, Apprise tag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    /// Templated webhook: `POST`, `PUT` or `PATCH` (default `POST`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// Templated webhook: headers to send. Values are shown masked; one sent
    /// back masked keeps the stored value of that header.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub headers: Vec<ChannelHeader>,
    /// Templated webhook: the body, with `{{field}}` placeholders
    /// (docs/channels/template.md). In a JSON body each value is
    /// JSON-escaped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ChannelHeader {
    pub name: String,
    pub value: String,
}

/// What a templated body may name.
pub const TEMPLATE_FIELDS: &[&str] = &[
    "alertId",
    "type",
    "event",
    "summary",
    "reason",
    "job",
    "run",
    "worker",
    "failureReason",
    "url",
    "openedAt",
    "closedAt",
    "closeReason",
    "sentAt",
    "deliveryId",
];

/// The bullet masked text starts with; nothing a provider issues does.
const MASK: &str = "••••";

/// A secret as it is shown: its last four characters when it is long
/// enough for them to give nothing away, else nothing of it.
pub fn mask(secret: &str) -> String {
    let chars: Vec<char> = secret.chars().collect();
    if chars.len() >= 16 {
        let tail: String = chars[chars.len() - 4..].iter().collect();
        format!("{MASK}{tail}")
    } else {
        MASK.to_owned()
    }
}

/// A URL as it is shown: scheme, host and port, and of the rest (where
/// chat providers put the webhook's key) only what [`mask`] shows.
pub fn mask_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return mask(url);
    };
    let cut = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (host, tail) = rest.split_at(cut);
    if tail.is_empty() || tail == "/" {
        format!("{scheme}://{host}{tail}")
    } else {
        format!("{scheme}://{host}/{}", mask(tail))
    }
}

/// Whether a value sent back is the masked form of what is stored, or
/// nothing: either way the stored one is kept.
pub fn keeps(sent: &str, stored: &str, masker: fn(&str) -> String) -> bool {
    let sent = sent.trim();
    sent.is_empty() || sent == masker(stored)
}

impl ChannelOptions {
    /// The options as every reader may see them.
    pub fn masked(&self) -> Self {
        Self {
            token: self.token.as_deref().map(mask),
            headers: self
                .headers
                .iter()
                .map(|h| ChannelHeader {
                    name: h.name.clone(),
                    value: mask(&h.value),
                })
                .collect(),
            ..self.clone()
        }
    }

    /// These options sent for a change of `stored`: a token or header value
    /// left out or sent back masked is the stored one.
    pub fn merged(&self, stored: &ChannelOptions) -> Self {
        let token = match (&self.token, &stored.token) {
            (Some(sent), Some(old)) if keeps(sent, old, mask) => Some(old.clone()),
            (None, old) => old.clone(),
            (sent, _) => sent.clone(),
        };
        let headers = self
            .headers
            .iter()
            .map(|h| {
                let old = stored
                    .headers
                    .iter()
                    .find(|o| o.name.eq_ignore_ascii_case(&h.name));
                match old {
                    Some(old) if h.value == mask(&old.value) => old.clone(),
                    _ => h.clone(),
                }
            })
            .collect();
        Self {
            token,
            headers,
            ..self.clone()
        }
    }

    /// Empty strings are unset.
    pub fn normalized(mut self) -> Self {
        let unset = |v: Option<String>| v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
        self.token = unset(self.token);
        self.to = unset(self.to);
        self.method = unset(self.method).map(|m| m.to_ascii_uppercase());
        self.body = self.body.filter(|b| !b.trim().is_empty());
        self.headers.retain(|h| !h.name.trim().is_empty());
        for h in &mut self.headers {
            h.name = h.name.trim().to_owned();
        }
        self
    }

    /// The template's method, headers and body.
    pub fn validate_template(&self) -> Result<(), FieldError> {
        if let Some(m) = &self.method
            && !["POST", "PUT", "PATCH"].contains(&m.as_str())
        {
            return Err(FieldError::new(
                "options.method",
                format!("{m:?} is not POST, PUT or PATCH"),
            ));
        }
        if self.headers.len() > 20 {
            return Err(FieldError::new("options.headers", "at most 20 headers"));
        }
        for h in &self.headers {
            let token = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c);
            if h.name.len() > 100 || !h.name.chars().all(token) {
                return Err(FieldError::new(
                    "options.headers",
                    format!("{:?} is not a header name", h.name),
                ));
            }
            let lower = h.name.to_ascii_lowercase();
            if ["host", "content-length", "transfer-encoding", "connection"]
                .contains(&lower.as_str())
                || lower.starts_with("x-telltale-")
            {
                return Err(FieldError::new(
                    "options.headers",
                    format!("{} is set by Telltale", h.name),
                ));
            }
            if h.value.len() > 2000 || h.value.chars().any(char::is_control) {
                return Err(FieldError::new(
                    "options.headers",
                    format!(
                        "the value of {} must be one line of at most 2000 bytes",
                        h.name
                    ),
                ));
            }
        }
        let Some(body) = &self.body else {
            return Err(FieldError::new(
                "options.body",
                "a templated webhook needs a body",
            ));
        };
        if body.len() > 20_000 {
            return Err(FieldError::new("options.body", "at most 20,000 bytes"));
        }
        for name in placeholders(body) {
            let name = name.map_err(|at| {
                FieldError::new(
                    "options.body",
                    format!("a {{{{ at byte {at} is never closed"),
                )
            })?;
            if !TEMPLATE_FIELDS.contains(&name) {
                return Err(FieldError::new(
                    "options.body",
                    format!(
                        "{{{{{name}}}}} is not a field; the fields are {}",
                        TEMPLATE_FIELDS.join(", ")
                    ),
                ));
            }
        }
        Ok(())
    }
}

/// The names between `{{` and `}}` in a template, trimmed; `Err(at)` for a
/// `{{` at byte `at` that is never closed.
pub fn placeholders(template: &str) -> impl Iterator<Item = Result<&str, usize>> {
    let mut at = 0;
    std::iter::from_fn(move || {
        let open = template[at..].find("{{")? + at;
        let Some(len) = template[open + 2..].find("}}") else {
            at = template.len();
            return Some(Err(open));
        };
        at = open + 2 + len + 2;
        Some(Ok(template[open + 2..open + 2 + len].trim()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_shown_by_their_last_four_characters_at_most() {
        assert_eq!(mask("0123456789abcdefWXYZ"), "••••WXYZ");
        assert_eq!(mask("short-token"), "••••");
        assert_eq!(
            mask_url("https://hooks.slack.com/services/T000/B000/XXXXXXXXXXXXabcd"),
            "https://hooks.slack.com/••••abcd"
        );
        assert_eq!(
            mask_url("https://api.telegram.org"),
            "https://api.telegram.org"
        );
        assert_eq!(mask_url("http://127.0.0.1:9/x"), "http://127.0.0.1:9/••••");
    }

    #[test]
    fn a_masked_or_missing_token_keeps_the_stored_one() {
        let stored = ChannelOptions {
            token: Some("R0UTING-KEY-0123456789".into()),
            headers: vec![ChannelHeader {
                name: "Authorization".into(),
                value: "Bearer abcdefghijklmnop".into(),
            }],
            ..Default::default()
        };
        let shown = stored.masked();
        assert_eq!(shown.token.as_deref(), Some("••••6789"));
        assert_eq!(shown.merged(&stored), stored);
        let none = ChannelOptions {
            headers: shown.headers.clone(),
            ..Default::default()
        };
        assert_eq!(none.merged(&stored).token, stored.token);
        let new = ChannelOptions {
            token: Some("another-key-000000".into()),
            ..Default::default()
        };
        assert_eq!(new.merged(&stored).token, new.token);
        assert!(
            new.merged(&stored).headers.is_empty(),
            "headers left out are removed"
        );
    }

    #[test]
    fn templates_name_only_known_fields() {
        let t = |body: &str| ChannelOptions {
            body: Some(body.into()),
            ..Default::default()
        };
        assert!(
            t(r#"{"text": "{{ job }} {{summary}}"}"#)
                .validate_template()
                .is_ok()
        );
        let e = t("{{jobb}}").validate_template().unwrap_err();
        assert_eq!(e.field, "options.body");
        assert!(
            e.problem.contains("{{jobb}} is not a field"),
            "{}",
            e.problem
        );
        let e = t("x {{job").validate_template().unwrap_err();
        assert!(e.problem.contains("never closed"), "{}", e.problem);
        let mut bad = t("{{job}}");
        bad.method = Some("DELETE".into());
        assert_eq!(bad.validate_template().unwrap_err().field, "options.method");
        bad.method = None;
        bad.headers = vec![ChannelHeader {
            name: "X-Telltale-Signature".into(),
            value: "x".into(),
        }];
        assert_eq!(
            bad.validate_template().unwrap_err().field,
            "options.headers"
        );
    }
}
