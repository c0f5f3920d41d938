//! Who gets alert email, about which alert types (Chief §7.4), and how
//! the settings page shows it.

use serde::{Deserialize, Serialize};

use crate::check::AlertType;
use crate::{FieldError, looks_like_email};

/// Chief §7.4: who gets email, about which alert types.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EmailSettings {
    pub recipients: Vec<String>,
    pub enabled_alert_types: Vec<AlertType>,
}

impl EmailSettings {
    /// Checks the settings; the error names the field (`recipients[2]`).
    pub fn validate(&self) -> Result<(), FieldError> {
        if self.recipients.len() > 100 {
            return Err(FieldError::new("recipients", "at most 100 recipients"));
        }
        for (i, r) in self.recipients.iter().enumerate() {
            if !looks_like_email(r.trim()) {
                return Err(FieldError::new(
                    format!("recipients[{i}]"),
                    format!("{r:?} is not an email address"),
                ));
            }
        }
        Ok(())
    }

    /// Trimmed, without repeats, in the order given.
    pub fn normalized(mut self) -> Self {
        let mut seen = std::collections::HashSet::new();
        self.recipients = self
            .recipients
            .iter()
            .map(|r| r.trim().to_owned())
            .filter(|r| seen.insert(r.to_lowercase()))
            .collect();
        let mut types = Vec::new();
        for t in self.enabled_alert_types {
            if !types.contains(&t) {
                types.push(t);
            }
        }
        self.enabled_alert_types = types;
        self
    }
}

/// `GET /v1/settings/alerts/email`: the settings and how mail leaves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct EmailChannel {
    pub recipients: Vec<String>,
    pub enabled_alert_types: Vec<AlertType>,
    /// `smtp://host:port`, `resend` or `None` when no transport is set up
    /// (`MONITOR_SMTP_URL`, or `MONITOR_RESEND_API_KEY` with
    /// `MONITOR_RESEND_FROM_EMAIL`): email is then recorded as failed.
    pub transport: Option<String>,
}

impl EmailChannel {
    /// The stored settings as the API and the settings page show them,
    /// with the transport mail would leave by.
    pub fn new(settings: EmailSettings, transport: Option<String>) -> Self {
        Self {
            recipients: settings.recipients,
            enabled_alert_types: settings.enabled_alert_types,
            transport,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_settings_name_the_bad_recipient() {
        let s = EmailSettings {
            recipients: vec!["ops@example.com".into(), "not an address".into()],
            enabled_alert_types: vec![AlertType::Failure],
        };
        assert_eq!(s.validate().unwrap_err().field, "recipients[1]");
    }

    #[test]
    fn email_settings_drop_repeats() {
        let s = EmailSettings {
            recipients: vec![" a@x.io".into(), "A@x.io".into(), "b@x.io".into()],
            enabled_alert_types: vec![AlertType::Failure, AlertType::Failure],
        }
        .normalized();
        assert_eq!(s.recipients, vec!["a@x.io", "b@x.io"]);
        assert_eq!(s.enabled_alert_types, vec![AlertType::Failure]);
    }

    #[test]
    fn unknown_alert_types_are_refused_by_the_parser() {
        let e = serde_json::from_str::<EmailSettings>(
            r#"{"recipients":[],"enabledAlertTypes":["FAILURE","SOMETIMES"]}"#,
        )
        .unwrap_err();
        assert!(e.to_string().contains("SOMETIMES"), "{e}");
    }
}
