//! `telltale backup`, `restore` and `migrate-to`, run as the real binary
//! against real SQLite files, a real server and (under CI=true) a real
//! PostgreSQL.

#[allow(dead_code)]
#[path = "../api/helpers.rs"]
mod helpers;
#[allow(dead_code)]
#[path = "../../../store/tests/support/mod.rs"]
mod store_support;
mod support;

mod backup;
mod config_check;
mod migrate_to;
mod restore;
