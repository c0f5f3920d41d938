//! The channel form as typed: one struct for adding and editing a channel,
//! its fields flat (`name`, `token`, `tags`, one per alert-type checkbox)
//! so the form works without JavaScript. Filled from a channel as every
//! reader sees it: secrets masked, which a save sent back unchanged keeps.

use serde::{Deserialize, Serialize};
use telltale_model::{AlertType, Webhook};

/// Every field optional: a missing one is named by the service layer's
/// checks, as over the API.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ChannelForm {
    pub name: Option<String>,
    pub url: Option<String>,
    pub format: Option<String>,
    pub token: Option<String>,
    pub to: Option<String>,
    pub method: Option<String>,
    /// `Name: value`, one header a line.
    pub headers: Option<String>,
    pub body: Option<String>,
    /// Comma-separated.
    pub tags: Option<String>,
    /// Comma-separated globs.
    pub jobs: Option<String>,
    pub min_severity: Option<String>,
    pub group_seconds: Option<String>,
    pub max_per_hour: Option<String>,
    pub quiet_from: Option<String>,
    pub quiet_to: Option<String>,
    pub quiet_timezone: Option<String>,
    /// Checkboxes: present (`on`) when ticked.
    pub failure: Option<String>,
    pub missed: Option<String>,
    pub recovery: Option<String>,
    pub worker_offline: Option<String>,
    pub scheduler_offline: Option<String>,
    pub enabled: Option<String>,
}

impl ChannelForm {
    /// The form of `w` as shown to change it: its URL and secrets masked,
    /// its token left out (kept unless a new one is typed).
    pub fn of(w: &Webhook) -> Self {
        let text = |s: &str| Some(s.to_owned()).filter(|s| !s.is_empty());
        let on = |t: AlertType| w.enabled_alert_types.contains(&t).then(|| "on".to_owned());
        let r = &w.routing;
        let o = &w.options;
        ChannelForm {
            name: Some(w.name.clone()),
            url: text(&w.url),
            format: Some(w.format.as_str().to_owned()),
            token: None,
            to: o.to.clone(),
            method: o.method.clone(),
            headers: text(
                &o.headers
                    .iter()
                    .map(|h| format!("{}: {}", h.name, h.value))
                    .collect::<Vec<_>>()
                    .join("\n"),
            ),
            body: o.body.clone(),
            tags: text(&r.tags.join(", ")),
            jobs: text(&r.jobs.join(", ")),
            min_severity: Some(r.min_severity.as_str().to_owned()),
            group_seconds: Some(r.group_seconds.to_string()),
            max_per_hour: Some(r.max_per_hour.to_string()),
            quiet_from: r.quiet_hours.as_ref().map(|q| q.from.clone()),
            quiet_to: r.quiet_hours.as_ref().map(|q| q.to.clone()),
            quiet_timezone: r.quiet_hours.as_ref().map(|q| q.timezone.clone()),
            failure: on(AlertType::Failure),
            missed: on(AlertType::Missed),
            recovery: on(AlertType::Recovery),
            worker_offline: on(AlertType::WorkerOffline),
            scheduler_offline: on(AlertType::SchedulerOffline),
            enabled: w.enabled.then(|| "on".to_owned()),
        }
    }

    /// A new channel's form: every alert type, grouped for the default
    /// window.
    pub fn blank() -> Self {
        let on = Some("on".to_owned());
        ChannelForm {
            group_seconds: Some(telltale_model::DEFAULT_GROUP_SECONDS.to_string()),
            max_per_hour: Some("0".to_owned()),
            failure: on.clone(),
            missed: on.clone(),
            recovery: on.clone(),
            worker_offline: on.clone(),
            scheduler_offline: on.clone(),
            enabled: on,
            ..ChannelForm::default()
        }
    }

    /// The alert types ticked.
    pub fn types(&self) -> Vec<AlertType> {
        [
            (&self.failure, AlertType::Failure),
            (&self.missed, AlertType::Missed),
            (&self.recovery, AlertType::Recovery),
            (&self.worker_offline, AlertType::WorkerOffline),
            (&self.scheduler_offline, AlertType::SchedulerOffline),
        ]
        .into_iter()
        .filter_map(|(v, t)| v.as_ref().map(|_| t))
        .collect()
    }
}

#[cfg(feature = "ssr")]
mod settings {
    use telltale_model::{
        ChannelHeader, ChannelOptions, ChannelRouting, QuietHours, Severity, WebhookFormat,
        WebhookSettings,
    };

    use super::ChannelForm;
    use crate::error::AppError;

    fn text(v: Option<String>) -> Option<String> {
        v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
    }

    fn list(v: Option<String>) -> Vec<String> {
        v.unwrap_or_default()
            .split([',', '\n'])
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect()
    }

    fn number(field: &str, v: Option<String>, default: u32) -> Result<u32, AppError> {
        match text(v) {
            None => Ok(default),
            Some(s) => s
                .parse()
                .map_err(|_| AppError::bad_input(field, format!("{s:?} is not a whole number"))),
        }
    }

    impl ChannelForm {
        /// The channel this form describes; `enabled` unless a form that
        /// shows the box (editing) left it unticked.
        pub fn settings(self, shows_enabled: bool) -> Result<WebhookSettings, AppError> {
            let format = text(self.format.clone()).unwrap_or_default();
            let format = WebhookFormat::parse(&format).ok_or_else(|| {
                AppError::bad_input("format", format!("unknown value {format:?}"))
            })?;
            let enabled_alert_types = self.types();
            Ok(WebhookSettings {
                name: self.name.unwrap_or_default(),
                url: self.url.unwrap_or_default(),
                format,
                options: ChannelOptions {
                    token: self.token,
                    to: self.to,
                    method: self.method,
                    headers: header_lines(self.headers.as_deref().unwrap_or_default())?,
                    body: self.body,
                },
                routing: routing(
                    RoutingFields {
                        tags: self.tags,
                        jobs: self.jobs,
                        min_severity: self.min_severity,
                        group_seconds: self.group_seconds,
                        max_per_hour: self.max_per_hour,
                    },
                    (self.quiet_from, self.quiet_to, self.quiet_timezone),
                )?,
                enabled_alert_types,
                enabled: !shows_enabled || self.enabled.is_some(),
                secret: None,
            })
        }
    }

    struct RoutingFields {
        tags: Option<String>,
        jobs: Option<String>,
        min_severity: Option<String>,
        group_seconds: Option<String>,
        max_per_hour: Option<String>,
    }

    type Quiet = (Option<String>, Option<String>, Option<String>);

    fn routing(f: RoutingFields, quiet: Quiet) -> Result<ChannelRouting, AppError> {
        let min_severity = match text(f.min_severity) {
            None => Severity::Info,
            Some(s) => Severity::parse(&s).ok_or_else(|| {
                AppError::bad_input("routing.minSeverity", format!("unknown value {s:?}"))
            })?,
        };
        let (from, to, timezone) = quiet;
        let quiet_hours = match (text(from), text(to)) {
            (None, None) => None,
            (from, to) => Some(QuietHours {
                from: from.unwrap_or_default(),
                to: to.unwrap_or_default(),
                timezone: text(timezone).unwrap_or_else(|| "UTC".to_owned()),
            }),
        };
        Ok(ChannelRouting {
            tags: list(f.tags),
            jobs: list(f.jobs),
            min_severity,
            group_seconds: number(
                "routing.groupSeconds",
                f.group_seconds,
                telltale_model::DEFAULT_GROUP_SECONDS,
            )?,
            max_per_hour: number("routing.maxPerHour", f.max_per_hour, 0)?,
            quiet_hours,
        })
    }

    /// `Name: value`, one header a line.
    fn header_lines(text: &str) -> Result<Vec<ChannelHeader>, AppError> {
        text.lines()
            .filter(|l| !l.trim().is_empty())
            .map(|line| {
                let (name, value) = line.split_once(':').ok_or_else(|| {
                    AppError::bad_input(
                        "options.headers",
                        format!("{:?} is not a \"Name: value\" line", line.trim()),
                    )
                })?;
                Ok(ChannelHeader {
                    name: name.trim().to_owned(),
                    value: value.trim().to_owned(),
                })
            })
            .collect()
    }
}
