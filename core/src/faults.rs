//! Faults a test can arm in a running server, to prove that what must
//! survive them does: a background loop that panics, a handler that panics.
//! Nothing arms them outside tests; unarmed, each check is one atomic load.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};

#[derive(Clone, Debug, Default)]
pub struct Faults(Arc<Armed>);

#[derive(Debug, Default)]
struct Armed {
    /// Evaluator ticks still to panic.
    evaluator_panics: AtomicU32,
    /// Whether the next request's handler panics.
    request_panic: AtomicBool,
}

impl Faults {
    /// The next `times` evaluator ticks panic.
    pub fn panic_evaluator(&self, times: u32) {
        self.0.evaluator_panics.store(times, Ordering::SeqCst);
    }

    /// Whether this evaluator tick is to panic (counts it down).
    pub fn evaluator_should_panic(&self) -> bool {
        self.0
            .evaluator_panics
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok()
    }

    /// The next request to reach a handler panics there.
    pub fn panic_next_request(&self) {
        self.0.request_panic.store(true, Ordering::SeqCst);
    }

    /// Whether this request is to panic (disarms it).
    pub fn request_should_panic(&self) -> bool {
        self.0.request_panic.swap(false, Ordering::SeqCst)
    }
}
