//! Every background loop and thread of Telltale is supervised: a panic or a
//! run of errors is logged, counted, and the loop starts again after a
//! backoff; what each loop is doing, and since when, is kept in one
//! registry that `/v1/health` and `/metrics` read.
//!
//! A loop that is dead, restarting, or silent for three of its intervals
//! while it should run means alerting is not running: health says so
//! instead of `ok`.

mod registry;
mod task;

pub use registry::{Beat, LoopReport, LoopStatus, Loops};
pub use task::{Exit, join, panic_text, spawn};
