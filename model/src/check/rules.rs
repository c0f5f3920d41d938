//! The rules: given a job, what the engine knows around it, its open alerts
//! and the time, say what the job's state is and which alerts open, close,
//! repeat or stop being suppressed. Level-triggered: evaluating twice at the
//! same time changes nothing, so a restart or a repeated tick cannot open an
//! alert twice.

mod context;
mod deadline;
mod job;
mod state;
mod worker;

use chrono::{DateTime, Duration, Utc};

pub use context::{Acks, Blind, Evaluation, JobContext, Maintenance, RunningRun};
pub use deadline::deadline;
pub use job::evaluate_job;
pub use state::check_state;
pub use worker::evaluate_worker;

fn secs(n: u32) -> Duration {
    Duration::seconds(i64::from(n))
}

/// `t + d`, saturating at the ends of time instead of panicking: no time or
/// number a producer sends can make the rules panic.
pub(crate) fn plus(t: DateTime<Utc>, d: Duration) -> DateTime<Utc> {
    t.checked_add_signed(d).unwrap_or(if d < Duration::zero() {
        DateTime::<Utc>::MIN_UTC
    } else {
        DateTime::<Utc>::MAX_UTC
    })
}
