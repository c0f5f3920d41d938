//! Connecting to the database (SQLite or PostgreSQL, migrated) and the read
//! pool's accounting.

pub(crate) mod connect;
pub(crate) mod pool;
