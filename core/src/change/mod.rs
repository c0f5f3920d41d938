//! The changes, one concern a file. Each writes through the store and
//! derives its effects (engine, live pages, log) from what the store says
//! changed, never from the request.

mod accounts;
mod alerts;
mod badges;
mod delivery;
mod ingest;
mod jobs;
mod maintenance;
mod pings;

pub use alerts::DEFAULT_CLOSE_REASON;
pub use ingest::IngestReport;
pub use pings::{Ping, PingAnswer, PingTarget};
