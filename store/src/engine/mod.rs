//! What the check engine reads and writes, and the lock that decides which
//! instance runs it.

pub(crate) mod checks;
pub(crate) mod context;
pub mod leader_lock;
