//! Which of several processes on one database runs the background loops.

mod status;

pub use status::LeaderStatus;
