//! Which alerts a channel is told of, and how: routing by alert type,
//! severity, job tag and job-name pattern; grouping, a rate limit and
//! quiet hours.

use serde::{Deserialize, Serialize};

use crate::FieldError;
use crate::check::AlertType;

/// How urgent an alert is, from its type: a FAILURE, MISSED or
/// SCHEDULER_OFFLINE is critical, a WORKER_OFFLINE a warning, a RECOVERY
/// information.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    #[default]
    Info,
    Warning,
    Critical,
}

impl Severity {
    pub fn of(t: AlertType) -> Self {
        match t {
            AlertType::Failure | AlertType::Missed | AlertType::SchedulerOffline => Self::Critical,
            AlertType::WorkerOffline => Self::Warning,
            AlertType::Recovery => Self::Info,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Info => "info",
            Self::Warning => "warning",
            Self::Critical => "critical",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Info, Self::Warning, Self::Critical]
            .into_iter()
            .find(|v| v.as_str() == s)
    }
}

/// The default group window, as Alertmanager's `group_wait`.
pub const DEFAULT_GROUP_SECONDS: u32 = 30;

/// A channel's routing and pacing. Every condition set must hold; an
/// empty list holds for every alert.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ChannelRouting {
    /// Alerts of jobs carrying one of these tags (set by operators, or a
    /// run's metadata `tags`).
    #[serde(default)]
    pub tags: Vec<String>,
    /// Alerts of jobs whose name matches one of these patterns (`*` any
    /// run of characters, `?` one character).
    #[serde(default)]
    pub jobs: Vec<String>,
    /// Alerts at least this severe.
    #[serde(default)]
    pub min_severity: Severity,
    /// Alerts that open within this many seconds of the first go out as
    /// one message listing them (0: each alone).
    #[serde(default = "default_group")]
    pub group_seconds: u32,
    /// At most this many messages an hour; later ones wait (0: no limit).
    #[serde(default)]
    pub max_per_hour: u32,
    /// Hours in which nothing is sent; what opened meanwhile is sent when
    /// they end, if still open.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quiet_hours: Option<QuietHours>,
}

fn default_group() -> u32 {
    DEFAULT_GROUP_SECONDS
}

impl Default for ChannelRouting {
    fn default() -> Self {
        Self {
            tags: Vec::new(),
            jobs: Vec::new(),
            min_severity: Severity::Info,
            group_seconds: DEFAULT_GROUP_SECONDS,
            max_per_hour: 0,
            quiet_hours: None,
        }
    }
}

/// `from` to `to` each day (`to` before `from` spans midnight), in an IANA
/// time zone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct QuietHours {
    /// `HH:MM`, 24-hour.
    pub from: String,
    /// `HH:MM`, 24-hour.
    pub to: String,
    /// Such as `Europe/Berlin`.
    pub timezone: String,
}

/// Minutes after midnight of `HH:MM`.
pub fn clock_minutes(s: &str) -> Option<u32> {
    let (h, m) = s.trim().split_once(':')?;
    let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
    (h < 24 && m < 60 && s.trim().len() == 5).then_some(h * 60 + m)
}

/// Whether `name` matches `pattern` (`*` any run, `?` one character).
pub fn glob_match(pattern: &str, name: &str) -> bool {
    let (p, n): (Vec<char>, Vec<char>) = (pattern.chars().collect(), name.chars().collect());
    let (mut pi, mut ni) = (0, 0);
    let mut back: Option<(usize, usize)> = None;
    while ni < n.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == n[ni]) {
            pi += 1;
            ni += 1;
        } else if pi < p.len() && p[pi] == '*' {
            back = Some((pi, ni));
            pi += 1;
        } else if let Some((bp, bn)) = back {
            pi = bp + 1;
            ni = bn + 1;
            back = Some((bp, bn + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

/// What routing knows of one alert.
#[derive(Debug, Clone, Copy)]
pub struct RouteFacts<'a> {
    pub alert_type: AlertType,
    pub job: Option<&'a str>,
    pub tags: &'a [String],
    /// Channels the job names: its operator's setting and a run's
    /// metadata `channels`.
    pub named: &'a [String],
}

impl ChannelRouting {
    /// Why a channel named `name`, for `types`, is told of an alert: the
    /// rule that matched, in words; `None` when it is not.
    pub fn matches(&self, name: &str, types: &[AlertType], f: RouteFacts) -> Option<String> {
        if !types.contains(&f.alert_type) {
            return None;
        }
        if f.named.iter().any(|n| n == name) {
            return Some(format!("the job names channel {name}"));
        }
        if Severity::of(f.alert_type) < self.min_severity {
            return None;
        }
        let mut why = vec![format!("type {}", f.alert_type.as_str())];
        if self.min_severity > Severity::Info {
            why.push(format!("severity ≥ {}", self.min_severity.as_str()));
        }
        if !self.tags.is_empty() {
            let tag = self.tags.iter().find(|t| f.tags.contains(t))?;
            why.push(format!("tag {tag}"));
        }
        if !self.jobs.is_empty() {
            let job = f.job?;
            let pattern = self.jobs.iter().find(|p| glob_match(p, job))?;
            why.push(format!("job {pattern}"));
        }
        Some(why.join(", "))
    }

    pub fn validate(&self) -> Result<(), FieldError> {
        let list = |field: &str, items: &[String], max: usize| {
            if items.len() > 20 {
                return Err(FieldError::new(field, "at most 20"));
            }
            match items
                .iter()
                .find(|t| t.trim().is_empty() || t.len() > max || t.contains(','))
            {
                Some(bad) => Err(FieldError::new(
                    field,
                    format!("{bad:?}: 1 to {max} characters, no commas"),
                )),
                None => Ok(()),
            }
        };
        list("routing.tags", &self.tags, 64)?;
        list("routing.jobs", &self.jobs, 200)?;
        if self.group_seconds > 3_600 {
            return Err(FieldError::new("routing.groupSeconds", "0 to 3600"));
        }
        if self.max_per_hour > 10_000 {
            return Err(FieldError::new("routing.maxPerHour", "0 to 10000"));
        }
        if let Some(q) = &self.quiet_hours {
            for (field, v) in [
                ("routing.quietHours.from", &q.from),
                ("routing.quietHours.to", &q.to),
            ] {
                if clock_minutes(v).is_none() {
                    return Err(FieldError::new(field, format!("{v:?} is not HH:MM")));
                }
            }
            if q.from.trim() == q.to.trim() {
                return Err(FieldError::new("routing.quietHours.to", "the same as from"));
            }
            #[cfg(feature = "schedule")]
            if q.timezone.parse::<chrono_tz::Tz>().is_err() {
                return Err(FieldError::new(
                    "routing.quietHours.timezone",
                    format!("{:?} is not an IANA time zone", q.timezone),
                ));
            }
        }
        Ok(())
    }

    /// The routing in a line of words, for the channel list.
    pub fn summary(&self) -> String {
        let mut parts = Vec::new();
        if !self.tags.is_empty() {
            parts.push(format!("tags {}", self.tags.join(", ")));
        }
        if !self.jobs.is_empty() {
            parts.push(format!("jobs {}", self.jobs.join(", ")));
        }
        if self.min_severity > Severity::Info {
            parts.push(format!("{} and above", self.min_severity.as_str()));
        }
        parts.push(match self.group_seconds {
            0 => "each alert alone".to_owned(),
            s => format!("grouped over {s} s"),
        });
        if self.max_per_hour > 0 {
            parts.push(format!("at most {} an hour", self.max_per_hour));
        }
        if let Some(q) = &self.quiet_hours {
            parts.push(format!("quiet {}–{} {}", q.from, q.to, q.timezone));
        }
        parts.join("; ")
    }

    /// Trimmed, empty entries dropped.
    pub fn normalized(mut self) -> Self {
        for list in [&mut self.tags, &mut self.jobs] {
            *list = list
                .iter()
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
                .collect();
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_match_as_shell_globs() {
        assert!(glob_match("etl-*", "etl-nightly"));
        assert!(glob_match("*-db-?", "pg-db-1"));
        assert!(!glob_match("*-db-?", "pg-db-10"));
        assert!(glob_match("*", ""));
        assert!(!glob_match("etl", "etl-x"));
        assert!(glob_match("a*b*c", "aXXbYYc"));
    }

    #[test]
    fn every_condition_must_hold_and_the_reason_says_which() {
        let r = ChannelRouting {
            tags: vec!["db".into()],
            jobs: vec!["pg-*".into()],
            min_severity: Severity::Warning,
            ..Default::default()
        };
        let tags = vec!["db".to_owned(), "nightly".to_owned()];
        let facts = |t, job| RouteFacts {
            alert_type: t,
            job,
            tags: &tags,
            named: &[],
        };
        let all = AlertType::ALL;
        assert_eq!(
            r.matches("dba", &all, facts(AlertType::Failure, Some("pg-backup")))
                .as_deref(),
            Some("type FAILURE, severity ≥ warning, tag db, job pg-*")
        );
        assert_eq!(
            r.matches("dba", &all, facts(AlertType::Failure, Some("render"))),
            None
        );
        assert_eq!(
            r.matches("dba", &all, facts(AlertType::Recovery, Some("pg-backup"))),
            None
        );
        assert_eq!(
            r.matches(
                "dba",
                &[AlertType::Missed],
                facts(AlertType::Failure, Some("pg-x"))
            ),
            None
        );
        let named = vec!["dba".to_owned()];
        let f = RouteFacts {
            named: &named,
            ..facts(AlertType::Recovery, Some("render"))
        };
        assert_eq!(
            r.matches("dba", &all, f).as_deref(),
            Some("the job names channel dba")
        );
    }

    #[test]
    fn quiet_hours_must_be_clock_times() {
        let r = ChannelRouting {
            quiet_hours: Some(QuietHours {
                from: "22:00".into(),
                to: "7:00".into(),
                timezone: "Europe/Berlin".into(),
            }),
            ..Default::default()
        };
        assert_eq!(r.validate().unwrap_err().field, "routing.quietHours.to");
        assert_eq!(clock_minutes("07:30"), Some(450));
        assert_eq!(clock_minutes("24:00"), None);
    }
}
