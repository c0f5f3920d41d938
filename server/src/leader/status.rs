use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// Whether this process runs the evaluator, retention and delivery loops
/// now. Read by `/v1/health` and the metrics; written only by the
/// leadership task.
#[derive(Clone, Debug, Default)]
pub struct LeaderStatus {
    leading: Arc<AtomicBool>,
}

impl LeaderStatus {
    pub fn is_leader(&self) -> bool {
        self.leading.load(Ordering::Relaxed)
    }

    pub(crate) fn set(&self, leading: bool) {
        self.leading.store(leading, Ordering::Relaxed);
    }
}
