//! Keeping the database in shape: retention of old events, and SQLite's WAL
//! checkpoints off the ingest path.

pub(crate) mod checkpoint;
pub(crate) mod retention;
