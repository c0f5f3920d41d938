//! Maintenance windows: times when a job (or every job) is expected to be
//! broken or quiet, so its alerts are recorded as suppressed, not notified.
//! A window is either one span (`startsAt`..`endsAt`) or recurring (a cron
//! `schedule` in a `timezone`, each time lasting `durationSeconds`).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct MaintenanceWindow {
    pub id: i64,
    /// The job it covers; every job when absent.
    pub job_name: Option<String>,
    pub schedule: Option<String>,
    pub duration_seconds: Option<u32>,
    pub timezone: Option<String>,
    pub starts_at: Option<DateTime<Utc>>,
    pub ends_at: Option<DateTime<Utc>>,
    pub reason: String,
    pub created_at: DateTime<Utc>,
}

/// `POST /v1/maintenance-windows`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewMaintenanceWindow {
    pub job_name: Option<String>,
    pub schedule: Option<String>,
    pub duration_seconds: Option<u32>,
    pub timezone: Option<String>,
    pub starts_at: Option<DateTime<Utc>>,
    pub ends_at: Option<DateTime<Utc>>,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MaintenanceWindowList {
    pub windows: Vec<MaintenanceWindow>,
}

/// A window with what it means now, for the dashboard's list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MaintenanceWindowState {
    pub window: MaintenanceWindow,
    /// When the current stretch ends, while it is active.
    pub active_until: Option<DateTime<Utc>>,
    /// A one-off window whose end has passed: it holds nothing back again.
    pub over: bool,
}

impl MaintenanceWindow {
    /// Whether it covers `job`.
    pub fn covers(&self, job: &str) -> bool {
        self.job_name.as_deref().is_none_or(|j| j == job)
    }

    /// In words, for an alert's suppression reason.
    pub fn describe(&self) -> String {
        let scope = self
            .job_name
            .as_deref()
            .map_or_else(|| "all jobs".to_owned(), |j| format!("job {j}"));
        format!("maintenance: window {} ({scope}): {}", self.id, self.reason)
    }
}

#[cfg(feature = "schedule")]
mod active {
    use chrono::{DateTime, Duration, Utc};

    use super::{MaintenanceWindow, NewMaintenanceWindow};
    use crate::schedule::Schedule;

    impl MaintenanceWindow {
        /// When the window covering `now` ends; `None` when it is not active.
        pub fn active_until(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
            if let (Some(start), Some(end)) = (self.starts_at, self.ends_at) {
                return (start <= now && now < end).then_some(end);
            }
            let schedule = Schedule::parse(self.schedule.as_deref()?, self.timezone.as_deref());
            let length = Duration::seconds(i64::from(self.duration_seconds?));
            // Active when a start fell in (now - length, now].
            let start = schedule.ok()?.next_after(now.checked_sub_signed(length)?)?;
            (start <= now).then(|| start.checked_add_signed(length))?
        }
    }

    impl NewMaintenanceWindow {
        /// Checks the request; the error names the field.
        pub fn validate(&self) -> Result<(), (&'static str, String)> {
            if self.reason.trim().is_empty() {
                return Err((
                    "reason",
                    "say why (it is shown on suppressed alerts)".into(),
                ));
            }
            if self
                .job_name
                .as_deref()
                .is_some_and(|j| j.trim().is_empty())
            {
                return Err(("jobName", "must not be blank; omit it for all jobs".into()));
            }
            match (self.starts_at, self.ends_at, &self.schedule) {
                (Some(start), Some(end), None) => {
                    if end <= start {
                        return Err(("endsAt", "must be after startsAt".into()));
                    }
                    if self.duration_seconds.is_some() || self.timezone.is_some() {
                        return Err((
                            "durationSeconds",
                            "a window is either startsAt/endsAt or schedule/durationSeconds".into(),
                        ));
                    }
                }
                (None, None, Some(schedule)) => {
                    Schedule::parse(schedule, self.timezone.as_deref()).map_err(|e| {
                        let field = if e.to_string().contains("time zone") {
                            "timezone"
                        } else {
                            "schedule"
                        };
                        (field, e.to_string())
                    })?;
                    if self.duration_seconds.is_none_or(|d| d == 0) {
                        return Err((
                            "durationSeconds",
                            "a recurring window needs a duration in seconds (> 0)".into(),
                        ));
                    }
                }
                (Some(_), None, None) => return Err(("endsAt", "required with startsAt".into())),
                (None, Some(_), None) => {
                    return Err(("startsAt", "required with endsAt".into()));
                }
                (None, None, None) => {
                    return Err((
                        "schedule",
                        "give startsAt and endsAt, or a schedule with durationSeconds".into(),
                    ));
                }
                (_, _, Some(_)) => {
                    return Err((
                        "schedule",
                        "a window is either startsAt/endsAt or schedule/durationSeconds".into(),
                    ));
                }
            }
            Ok(())
        }
    }
}

#[cfg(all(test, feature = "schedule"))]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn window(schedule: Option<&str>, span: Option<(&str, &str)>) -> MaintenanceWindow {
        MaintenanceWindow {
            id: 1,
            job_name: None,
            schedule: schedule.map(str::to_owned),
            duration_seconds: schedule.map(|_| 3600),
            timezone: Some("Europe/Berlin".into()),
            starts_at: span.map(|s| utc(s.0)),
            ends_at: span.map(|s| utc(s.1)),
            reason: "backup".into(),
            created_at: utc("2026-01-01T00:00:00Z"),
        }
    }

    #[test]
    fn recurring_windows_cover_their_hour_in_local_time() {
        // Sundays 03:00-04:00 Berlin (CET: 02:00-03:00 UTC).
        let w = window(Some("0 3 * * 0"), None);
        assert_eq!(w.active_until(utc("2026-01-04T01:59:59Z")), None);
        assert_eq!(
            w.active_until(utc("2026-01-04T02:00:00Z")),
            Some(utc("2026-01-04T03:00:00Z"))
        );
        assert_eq!(
            w.active_until(utc("2026-01-04T02:59:59Z")),
            Some(utc("2026-01-04T03:00:00Z"))
        );
        assert_eq!(w.active_until(utc("2026-01-04T03:00:00Z")), None);
        assert_eq!(w.active_until(utc("2026-01-05T02:30:00Z")), None, "Monday");
    }

    #[test]
    fn one_off_windows_cover_their_span() {
        let w = window(None, Some(("2026-05-01T10:00:00Z", "2026-05-01T12:00:00Z")));
        assert_eq!(w.active_until(utc("2026-05-01T09:59:59Z")), None);
        assert_eq!(
            w.active_until(utc("2026-05-01T10:00:00Z")),
            Some(utc("2026-05-01T12:00:00Z"))
        );
        assert_eq!(w.active_until(utc("2026-05-01T12:00:00Z")), None);
        assert!(w.covers("anything"));
    }

    #[test]
    fn bad_windows_name_the_field() {
        let field = |w: NewMaintenanceWindow| w.validate().unwrap_err().0;
        let base = NewMaintenanceWindow {
            reason: "upgrade".into(),
            ..Default::default()
        };
        assert_eq!(field(base.clone()), "schedule");
        assert_eq!(
            field(NewMaintenanceWindow {
                reason: " ".into(),
                ..base.clone()
            }),
            "reason"
        );
        assert_eq!(
            field(NewMaintenanceWindow {
                schedule: Some("0 3 * * 0".into()),
                ..base.clone()
            }),
            "durationSeconds"
        );
        assert_eq!(
            field(NewMaintenanceWindow {
                schedule: Some("0 3 * * 0".into()),
                duration_seconds: Some(60),
                timezone: Some("Nowhere/Land".into()),
                ..base.clone()
            }),
            "timezone"
        );
        assert_eq!(
            field(NewMaintenanceWindow {
                starts_at: Some(utc("2026-05-01T12:00:00Z")),
                ends_at: Some(utc("2026-05-01T10:00:00Z")),
                ..base.clone()
            }),
            "endsAt"
        );
        assert!(
            NewMaintenanceWindow {
                schedule: Some("0 3 * * 0".into()),
                duration_seconds: Some(3600),
                timezone: Some("Europe/Berlin".into()),
                ..base
            }
            .validate()
            .is_ok()
        );
    }
}
