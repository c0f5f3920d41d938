//! Every table of Telltale's schema, as the copy into PostgreSQL must know
//! them. A table in a database that is not listed here stops the copy: a
//! later migration that adds one cannot be skipped silently (a test checks
//! this list against a freshly migrated database).

/// One table and the column its rows are ordered by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TableSpec {
    pub name: &'static str,
    /// The single-column primary key.
    pub key: &'static str,
}

const fn t(name: &'static str, key: &'static str) -> TableSpec {
    TableSpec { name, key }
}

/// Parents before children: `sessions` references `users`, the only foreign
/// key (the copy also checks this order against the file's foreign keys).
pub const KNOWN_TABLES: &[TableSpec] = &[
    t("users", "id"),
    t("sessions", "id_hash"),
    t("api_keys", "id"),
    t("events", "id"),
    t("runs", "seq"),
    t("jobs", "name"),
    t("workers", "worker_id"),
    t("rejected_transitions", "id"),
    t("check_transitions", "id"),
    t("alerts", "id"),
    t("maintenance_windows", "id"),
    t("engine_state", "name"),
    t("settings", "key"),
    t("webhooks", "id"),
    t("alert_deliveries", "id"),
    t("job_pings", "job_name"),
    t("audit_log", "id"),
];

/// The full-text search index and its progress: derived from `events`,
/// never copied or counted. A server started on a copy rebuilds the index
/// from its log (the progress of a new database starts at 0). FTS5 keeps
/// the SQLite index in shadow tables named after it.
const DERIVED_TABLES: &[&str] = &["event_search", "search_progress"];

/// Whether `name` is one of [`DERIVED_TABLES`] or an FTS5 shadow table of the index.
pub fn derived(name: &str) -> bool {
    DERIVED_TABLES.contains(&name) || name.starts_with("event_search_")
}

/// sea-orm's record of applied migrations (not copied: the target runs its
/// own migrations).
pub const MIGRATIONS_TABLE: &str = "seaql_migrations";

pub(crate) fn known(name: &str) -> Option<&'static TableSpec> {
    KNOWN_TABLES.iter().find(|t| t.name == name)
}

/// `"name"`: every identifier in generated SQL is quoted.
pub(crate) fn quoted(ident: &str) -> String {
    format!("\"{}\"", ident.replace('"', "\"\""))
}
