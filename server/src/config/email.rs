//! How alert email leaves: SMTP, or Resend's HTTP API, and the sender.

use super::DEFAULT_RESEND_API_BASE;
use super::parse::{self, ConfigError, Vars};

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EmailConfig {
    /// `smtp://` or `smtps://` URL (`MONITOR_SMTP_URL`).
    pub smtp_url: Option<String>,
    /// The sender of alert email (`MONITOR_EMAIL_FROM`, else Resend's).
    pub from: Option<String>,
    /// Chief's HTTP email API, when both key and sender are set.
    pub resend: Option<ResendConfig>,
}

#[derive(Clone, PartialEq, Eq)]
pub struct ResendConfig {
    pub api_key: String,
    pub from_email: String,
    pub api_base: String,
}

impl std::fmt::Debug for ResendConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResendConfig")
            .field("api_key", &"<redacted>")
            .field("from_email", &self.from_email)
            .field("api_base", &self.api_base)
            .finish()
    }
}

/// `MONITOR_SMTP_URL`, `MONITOR_EMAIL_FROM` and the Resend settings.
pub(super) fn email_config<F: Fn(&str) -> Option<String>>(
    vars: &Vars<F>,
) -> Result<EmailConfig, ConfigError> {
    let resend = resend(vars)?;
    let smtp_url = vars.url_with_schemes("MONITOR_SMTP_URL", &["smtp", "smtps"])?;
    // SMTP needs a sender; Resend's sender serves when it is set.
    let from = vars
        .string("MONITOR_EMAIL_FROM")
        .or_else(|| resend.as_ref().map(|r| r.from_email.clone()));
    let from = match (&smtp_url, from) {
        (Some(_), None) => {
            return Err(ConfigError::new(
                "MONITOR_EMAIL_FROM",
                "is required when MONITOR_SMTP_URL is set (the sender address, \
                 e.g. Telltale <telltale@example.com>)",
            ));
        }
        (_, Some(from)) => {
            let address = from
                .rsplit_once('<')
                .map_or(from.as_str(), |(_, a)| a.trim_end_matches('>'));
            if !parse::looks_like_email(address.trim()) {
                return Err(ConfigError::new(
                    "MONITOR_EMAIL_FROM",
                    format!("{from:?} is not an email address"),
                ));
            }
            Some(from)
        }
        (None, None) => None,
    };
    Ok(EmailConfig {
        smtp_url,
        from,
        resend,
    })
}

/// Resend needs both its key and its sender: one without the other is an
/// error, not email quietly off.
fn resend<F: Fn(&str) -> Option<String>>(
    vars: &Vars<F>,
) -> Result<Option<ResendConfig>, ConfigError> {
    let resend_key = vars.string("MONITOR_RESEND_API_KEY");
    let resend_from = vars.string("MONITOR_RESEND_FROM_EMAIL");
    let resend_base = vars
        .http_url("MONITOR_RESEND_API_BASE")?
        .unwrap_or_else(|| DEFAULT_RESEND_API_BASE.to_owned());
    let resend = match (resend_key, resend_from) {
        (Some(api_key), Some(from_email)) => {
            if !parse::looks_like_email(&from_email) {
                return Err(ConfigError::new(
                    "MONITOR_RESEND_FROM_EMAIL",
                    format!("{from_email:?} is not an email address"),
                ));
            }
            Some(ResendConfig {
                api_key,
                from_email,
                api_base: resend_base,
            })
        }
        (Some(_), None) => {
            return Err(ConfigError::new(
                "MONITOR_RESEND_FROM_EMAIL",
                "is required when MONITOR_RESEND_API_KEY is set",
            ));
        }
        (None, Some(_)) => {
            return Err(ConfigError::new(
                "MONITOR_RESEND_API_KEY",
                "is required when MONITOR_RESEND_FROM_EMAIL is set",
            ));
        }
        (None, None) => None,
    };
    Ok(resend)
}
