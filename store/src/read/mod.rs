//! What pages and the API read: the event log, runs, workers, job status
//! and check state, throughput, exports and badges.

mod badges;
mod checks;
pub(crate) mod events;
pub(crate) mod export;
mod job_page;
mod overview;
pub(crate) mod runs;
mod status;
pub(crate) mod throughput;
mod workers;
