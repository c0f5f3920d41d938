//! Times are stored as integer microseconds since the Unix epoch (UTC).

use chrono::{DateTime, Utc};

pub fn to_us(t: DateTime<Utc>) -> i64 {
    t.timestamp_micros()
}

pub fn from_us(us: i64) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp_micros(us)
}
