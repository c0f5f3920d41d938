//! Exponential backoff with jitter between delivery attempts: 0.25 s, 0.5 s,
//! 1 s, … up to 30 s, each drawn from the upper half of its step so that
//! many workers cut off by the same outage do not return in lockstep.

use std::time::Duration;

const BASE: Duration = Duration::from_millis(250);
const CAP: Duration = Duration::from_secs(30);

#[derive(Debug, Default)]
pub struct Backoff {
    attempt: u32,
}

impl Backoff {
    pub fn next_delay(&mut self) -> Duration {
        let step = BASE.saturating_mul(1u32 << self.attempt.min(16)).min(CAP);
        self.attempt = self.attempt.saturating_add(1);
        let half = step / 2;
        half + half.mul_f64(fastrand::f64())
    }

    pub fn reset(&mut self) {
        self.attempt = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_grow_to_a_cap_with_jitter() {
        let mut b = Backoff::default();
        let delays: Vec<Duration> = (0..12).map(|_| b.next_delay()).collect();
        let first = delays[0];
        assert!(first >= BASE / 2 && first <= BASE, "{first:?}");
        assert!(delays[3] >= BASE * 4, "{:?}", delays[3]);
        for d in &delays {
            assert!(*d <= CAP, "{d:?}");
        }
        assert!(delays[11] >= CAP / 2);
        b.reset();
        assert!(b.next_delay() <= BASE);
    }
}
