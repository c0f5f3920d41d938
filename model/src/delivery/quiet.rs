//! Quiet hours: when the hours `now` falls in end, in their time zone.

use super::routing::{QuietHours, clock_minutes};

impl QuietHours {
    /// When the quiet hours `now` falls in end; `None` outside them (or
    /// when the zone or times cannot be read: nothing is held then).
    pub fn until(
        &self,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Option<chrono::DateTime<chrono::Utc>> {
        use chrono::{Duration, LocalResult, TimeZone, Timelike};
        let tz: chrono_tz::Tz = self.timezone.parse().ok()?;
        let (from, to) = (clock_minutes(&self.from)?, clock_minutes(&self.to)?);
        let local = now.with_timezone(&tz);
        let minute = local.hour() * 60 + local.minute();
        let inside = if from < to {
            (from..to).contains(&minute)
        } else {
            minute >= from || minute < to
        };
        if !inside {
            return None;
        }
        let day = if minute >= to {
            local.date_naive() + Duration::days(1)
        } else {
            local.date_naive()
        };
        let end = day.and_hms_opt(to / 60, to % 60, 0)?;
        // A wall time skipped by a DST change ends the hours an hour later.
        let end = match tz.from_local_datetime(&end) {
            LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => t,
            LocalResult::None => tz
                .from_local_datetime(&(end + Duration::hours(1)))
                .earliest()?,
        };
        Some(end.with_timezone(&chrono::Utc))
    }
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, Utc};

    use super::QuietHours;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().to_utc()
    }

    #[test]
    fn quiet_hours_span_midnight_in_their_zone() {
        let q = QuietHours {
            from: "22:00".into(),
            to: "07:00".into(),
            timezone: "Europe/Berlin".into(),
        };
        // 23:30 in Berlin (UTC+1 in December): quiet until 07:00 Berlin.
        assert_eq!(
            q.until(at("2026-12-04T22:30:00Z")),
            Some(at("2026-12-05T06:00:00Z"))
        );
        // 05:00 Berlin: quiet until 07:00 the same day.
        assert_eq!(
            q.until(at("2026-12-05T04:00:00Z")),
            Some(at("2026-12-05T06:00:00Z"))
        );
        assert_eq!(
            q.until(at("2026-12-05T06:00:00Z")),
            None,
            "the end is not quiet"
        );
        assert_eq!(q.until(at("2026-12-05T12:00:00Z")), None);
        let day = QuietHours {
            from: "09:00".into(),
            to: "17:00".into(),
            timezone: "UTC".into(),
        };
        assert_eq!(
            day.until(at("2026-12-05T12:00:00Z")),
            Some(at("2026-12-05T17:00:00Z"))
        );
    }
}
