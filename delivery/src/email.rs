//! Email transports: SMTP (lettre) or Resend's HTTP API.

use std::time::Duration;

use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::compose::EmailContent;
use crate::config::{ConfigError, EmailConfig};
use crate::error::{SendError, with_sources};

pub enum Mailer {
    Smtp {
        transport: AsyncSmtpTransport<Tokio1Executor>,
        from: Mailbox,
        /// `smtp://host:port`, without credentials, for people.
        shown: String,
    },
    Resend {
        client: reqwest::Client,
        base: String,
        api_key: String,
        from: String,
    },
}

impl Mailer {
    pub fn new(config: &EmailConfig, timeout: Duration) -> Result<Self, ConfigError> {
        match config {
            EmailConfig::Smtp { url, from } => {
                let from: Mailbox = from.parse().map_err(|e| ConfigError {
                    variable: "MONITOR_EMAIL_FROM",
                    problem: format!("{from:?} is not an email address: {e}"),
                })?;
                let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                    .map_err(|e| ConfigError {
                        variable: "MONITOR_SMTP_URL",
                        problem: format!(
                            "{e} (expected smtp://[user:pass@]host[:port][?tls=required|opportunistic] or smtps://…)"
                        ),
                    })?
                    .timeout(Some(timeout))
                    .build();
                Ok(Self::Smtp {
                    transport,
                    from,
                    shown: shown_url(url),
                })
            }
            EmailConfig::Resend {
                api_key,
                from,
                base,
            } => {
                let client = reqwest::Client::builder()
                    .timeout(timeout)
                    .build()
                    .map_err(|e| ConfigError {
                        variable: "MONITOR_RESEND_API_BASE",
                        problem: e.to_string(),
                    })?;
                Ok(Self::Resend {
                    client,
                    base: base.trim_end_matches('/').to_owned(),
                    api_key: api_key.clone(),
                    from: from.clone(),
                })
            }
        }
    }

    /// How mail leaves, without secrets: `smtp://host:587`, `resend (https://…)`.
    pub fn describe(&self) -> String {
        match self {
            Self::Smtp { shown, .. } => shown.clone(),
            Self::Resend { base, .. } => format!("resend ({base})"),
        }
    }

    pub async fn send(&self, to: &str, content: &EmailContent) -> Result<(), SendError> {
        match self {
            Self::Smtp {
                transport, from, ..
            } => {
                let to: Mailbox = to.parse().map_err(|e| {
                    SendError::permanent(format!("{to:?} is not an email address: {e}"))
                })?;
                let message = Message::builder()
                    .from(from.clone())
                    .to(to)
                    .subject(&content.subject)
                    .multipart(MultiPart::alternative_plain_html(
                        content.text.clone(),
                        content.html.clone(),
                    ))
                    .map_err(|e| SendError::permanent(format!("message not built: {e}")))?;
                transport.send(message).await.map(|_| ()).map_err(|e| {
                    if e.is_permanent() {
                        SendError::permanent(with_sources(&e))
                    } else {
                        SendError::transient(with_sources(&e))
                    }
                })
            }
            Self::Resend {
                client,
                base,
                api_key,
                from,
            } => {
                let response = client
                    .post(format!("{base}/emails"))
                    .bearer_auth(api_key)
                    .json(&serde_json::json!({
                        "from": from,
                        "to": [to],
                        "subject": content.subject,
                        "text": content.text,
                        "html": content.html,
                    }))
                    .send()
                    .await
                    .map_err(|e| SendError::transient(crate::webhook::network_error_text(&e)))?;
                crate::webhook::judge(response).await
            }
        }
    }
}

fn shown_url(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => {
            let host = rest.rsplit_once('@').map_or(rest, |(_, h)| h);
            let host = host.split(['/', '?']).next().unwrap_or(host);
            format!("{scheme}://{host}")
        }
        None => "smtp".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn shown_url_hides_credentials() {
        assert_eq!(
            super::shown_url("smtp://me:secret@mail.example:587?tls=required"),
            "smtp://mail.example:587"
        );
    }
}
