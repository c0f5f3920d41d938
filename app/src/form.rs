//! Reading what a plain HTML form sends: the same rules on the server (a
//! form posted without JavaScript) and in the browser (a filter in the
//! address). Every error names the field.

use chrono::{DateTime, Utc};

use crate::error::AppError;

/// RFC 3339, or a form's `datetime-local` value (`2026-12-03T14:05`, with
/// or without seconds) read as UTC: such a field carries no zone, and the
/// dashboard labels it UTC.
pub fn utc_time(field: &str, value: &str) -> Result<DateTime<Utc>, AppError> {
    let value = value.trim();
    // A zone-less value is the same text with `Z` (and the seconds) added:
    // read by the one RFC 3339 parser, rather than chrono's pattern parser,
    // which would put its pattern language into the browser's bundle.
    [
        value.to_owned(),
        format!("{value}Z"),
        format!("{value}:00Z"),
    ]
    .iter()
    .find_map(|v| DateTime::parse_from_rfc3339(v).ok())
    .map(|t| t.with_timezone(&Utc))
    .ok_or_else(|| {
        AppError::bad_input(
            field,
            format!("must be a time like 2026-12-03T14:05 in UTC (got {value:?})"),
        )
    })
}

/// The value unless it is blank, trimmed.
pub fn nonblank(value: Option<String>) -> Option<String> {
    value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_form_time_is_utc_and_a_bad_one_names_its_field() {
        let t = utc_time("since", "2026-12-03T14:05").unwrap();
        assert_eq!(t.to_rfc3339(), "2026-12-03T14:05:00+00:00");
        let t = utc_time("since", "2026-12-03T14:05:09+01:00").unwrap();
        assert_eq!(t.to_rfc3339(), "2026-12-03T13:05:09+00:00");
        let t = utc_time("since", " 2026-12-03T14:05:09 ").unwrap();
        assert_eq!(t.to_rfc3339(), "2026-12-03T14:05:09+00:00");
        for bad in [
            "2026-12-03",
            "2026-12-03T14",
            "2026-13-03T14:05",
            "2026-12-03T14:05+01:00Z",
        ] {
            assert!(utc_time("since", bad).is_err(), "{bad}");
        }
        let e = utc_time("endsAt", "tomorrow").unwrap_err();
        assert!(e.to_string().starts_with("endsAt: must be a time"), "{e}");
        assert_eq!(nonblank(Some("  ".into())), None);
    }
}
