//! Whole-database operations for the `telltale backup|restore|migrate-to`
//! commands: an online copy of a SQLite file, the checks a file must pass
//! to be taken for a Telltale database, and the copy into PostgreSQL with
//! per-table checksums. They work on files and URLs, not on a [`Store`]
//! (crate::Store), because they run beside a server or instead of one.

mod checksum;
mod error;
mod sqlite_file;
mod tables;
mod to_postgres;

pub use error::AdminError;
pub use sqlite_file::{Inspection, SchemaAge, copy_online, inspect_file};
pub use tables::{KNOWN_TABLES, MIGRATIONS_TABLE, TableSpec, derived};
pub use to_postgres::{CopyReport, TableCopy, copy_to_postgres};
