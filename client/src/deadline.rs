//! Points in time a caller's duration away. Durations come from flags
//! (`--timeout`, `--interval`), environment variables and callers of the
//! library, and `Instant + Duration` panics past what the clock can hold:
//! `telltale flush --timeout 99999999999999999` is a wait without end, not
//! a crash.

use std::time::{Duration, Instant};

/// A century: longer than any process waits for anything.
const FOREVER: Duration = Duration::from_secs(100 * 365 * 24 * 3600);

/// `wait` from now; a century at most.
pub(crate) fn after(wait: Duration) -> Instant {
    let now = Instant::now();
    now.checked_add(wait.min(FOREVER)).unwrap_or(now)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_endless_wait_is_a_century_away() {
        let now = Instant::now();
        assert!(after(Duration::MAX) >= now + FOREVER);
        let soon = after(Duration::from_secs(5));
        assert!(soon >= now + Duration::from_secs(5) && soon < now + Duration::from_secs(60));
    }
}
