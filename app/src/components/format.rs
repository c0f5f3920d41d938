//! Plain words for numbers the pages show: ages, durations, rates. Pure, so
//! they are tested without a browser.

use chrono::{DateTime, Datelike, FixedOffset, NaiveDateTime, Timelike, Utc};

/// "just now", "42 s ago", "4 min ago", "3 h ago", "2 d ago"; a time in the
/// future reads "in 4 min".
pub fn relative_age(at: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let secs = (now - at).num_seconds();
    if secs.abs() < 5 {
        return "just now".to_owned();
    }
    let span = short_span(secs.unsigned_abs());
    if secs > 0 {
        format!("{span} ago")
    } else {
        format!("in {span}")
    }
}

/// The largest whole unit of a span: "42 s", "4 min", "3 h", "2 d".
fn short_span(secs: u64) -> String {
    match secs {
        0..60 => format!("{secs} s"),
        60..3600 => format!("{} min", secs / 60),
        3600..86_400 => format!("{} h", secs / 3600),
        _ => format!("{} d", secs / 86_400),
    }
}

/// A time as the viewer's clock shows it, given the offset of the viewer's
/// zone at that instant (minutes east of UTC): `2026-11-25 20:04:05`. The
/// offset goes in the tooltip ([`zone_offset`]), keeping tables narrow.
pub fn local_time(at: DateTime<Utc>, offset_minutes: i32) -> String {
    match FixedOffset::east_opt(offset_minutes * 60) {
        Some(zone) => clock(at.with_timezone(&zone).naive_local()),
        None => utc_time(at),
    }
}

/// `2026-11-25 20:04:05`. Written by hand: chrono's `format` parses its
/// pattern at run time, and that parser was a few KB of every page's
/// WASM.
fn clock(t: NaiveDateTime) -> String {
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
        t.year(),
        t.month(),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// The viewer's offset from UTC in words: `UTC+01:00`.
pub fn zone_offset(offset_minutes: i32) -> String {
    let sign = if offset_minutes < 0 { '-' } else { '+' };
    let m = offset_minutes.unsigned_abs();
    format!("UTC{sign}{:02}:{:02}", m / 60, m % 60)
}

/// A time in UTC, to the second: what the server renders.
pub fn utc_time(at: DateTime<Utc>) -> String {
    format!("{} UTC", clock(at.naive_utc()))
}

/// A run's duration: "0.4 s", "42 s", "3 min 12 s", "1 h 04 min".
pub fn duration(secs: f64) -> String {
    if !secs.is_finite() || secs < 0.0 {
        return "—".to_owned();
    }
    if secs < 10.0 {
        return format!("{} s", fixed(secs, 1));
    }
    let whole = secs.round() as u64;
    match whole {
        0..60 => format!("{whole} s"),
        60..3600 => format!("{} min {} s", whole / 60, whole % 60),
        _ => format!("{} h {:02} min", whole / 3600, (whole % 3600) / 60),
    }
}

/// A policy's whole seconds in words: "300 s (5 min)" keeps the exact
/// figure the producer sent next to the readable one.
pub fn seconds(secs: u32) -> String {
    let s = u64::from(secs);
    if s < 60 {
        format!("{s} s")
    } else {
        format!("{s} s ({})", short_span(s))
    }
}

/// A fraction as a whole percentage: "97 %".
pub fn percent(rate: f64) -> String {
    format!("{} %", fixed(rate * 100.0, 0))
}

/// `x` rounded half away from zero to `decimals` places (at most 6), with
/// integer arithmetic: `format!("{:.1}")` would ship core's float printer
/// (Grisu with a Dragon4 fallback) in the browser bundle of every page that
/// draws a chart or a duration. Not-a-number and infinities read as 0.
pub fn fixed(x: f64, decimals: u32) -> String {
    let places = decimals.min(6);
    let scale = 10_u64.pow(places);
    // `as` saturates: a value beyond i64 prints as the largest one.
    let scaled = if x.is_finite() {
        (x * scale as f64).round() as i64
    } else {
        0
    };
    let sign = if scaled < 0 { "-" } else { "" };
    let n = scaled.unsigned_abs();
    if places == 0 {
        return format!("{sign}{n}");
    }
    let width = places as usize;
    format!("{sign}{}.{:0width$}", n / scale, n % scale)
}

/// A path segment with the characters a URL would misread escaped.
pub fn encode(segment: &str) -> String {
    telltale_model::badge::path_segment(segment)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn ages_use_the_largest_whole_unit() {
        let now = t("2026-11-25T12:00:00Z");
        let ago = |s: i64| relative_age(now - Duration::seconds(s), now);
        assert_eq!(ago(2), "just now");
        assert_eq!(ago(42), "42 s ago");
        assert_eq!(ago(4 * 60 + 59), "4 min ago");
        assert_eq!(ago(3 * 3600 + 10), "3 h ago");
        assert_eq!(ago(2 * 86_400), "2 d ago");
        assert_eq!(ago(-240), "in 4 min");
    }

    #[test]
    fn local_time_applies_the_viewers_offset() {
        let at = t("2026-11-25T19:04:05Z");
        assert_eq!(local_time(at, 60), "2026-11-25 20:04:05");
        assert_eq!(local_time(at, -300), "2026-11-25 14:04:05");
        assert_eq!(zone_offset(60), "UTC+01:00");
        assert_eq!(zone_offset(-330), "UTC-05:30");
        assert_eq!(utc_time(at), "2026-11-25 19:04:05 UTC");
    }

    #[test]
    fn durations_and_policy_seconds_read_plainly() {
        assert_eq!(duration(0.42), "0.4 s");
        assert_eq!(duration(42.2), "42 s");
        assert_eq!(duration(192.0), "3 min 12 s");
        assert_eq!(duration(3840.0), "1 h 04 min");
        assert_eq!(seconds(30), "30 s");
        assert_eq!(seconds(300), "300 s (5 min)");
        assert_eq!(percent(0.966), "97 %");
        assert_eq!(encode("nightly etl/α"), "nightly%20etl%2F%CE%B1");
    }

    #[test]
    fn fixed_points_round_half_away_from_zero_without_a_float_printer() {
        assert_eq!(fixed(0.0, 1), "0.0");
        assert_eq!(fixed(12.25, 1), "12.3");
        assert_eq!(fixed(0.05, 0), "0");
        assert_eq!(fixed(899.96, 1), "900.0");
        assert_eq!(fixed(-1.23456, 2), "-1.23");
        assert_eq!(fixed(-0.04, 1), "0.0", "no negative zero");
        assert_eq!(fixed(7.0, 3), "7.000");
        assert_eq!(fixed(1.5, 9), "1.500000", "at most six places");
        assert_eq!(fixed(f64::NAN, 1), "0.0");
        assert_eq!(fixed(f64::INFINITY, 0), "0");
        assert_eq!(fixed(1e300, 0), i64::MAX.to_string());
        // The same text as the float printer wherever no tie is involved.
        for x in [0.42, 9.99, 140.0, 33.333, 1234.5678, -7.77] {
            assert_eq!(fixed(x, 1), format!("{x:.1}"), "{x}");
            assert_eq!(fixed(x, 0), format!("{x:.0}"), "{x}");
        }
    }
}
