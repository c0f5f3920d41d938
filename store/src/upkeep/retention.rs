//! Retention: what is older than `MONITOR_RETENTION_DAYS` goes, table by
//! table, in bounded batches — events, runs that ended, refused
//! transitions, check transitions, and closed alerts with their
//! deliveries. Never an open alert, a run still in progress, or a job.
//!
//! What keeps a hand-closed alert closed lives on the job and worker rows
//! (SPEC §2's stickiness), and in the newest SCHEDULER_OFFLINE alert, which
//! is never pruned (nor the newest of any kind of any job or worker).

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use telltale_model::{AlertStatus, RunStatus};

use crate::time::to_us;
use crate::{Store, StoreError};

/// Rows deleted per statement, so the write lock is held briefly and ingest
/// interleaves with a large prune.
const BATCH: i64 = 10_000;

/// How many rows one pass pruned, by table.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pruned {
    pub events: u64,
    pub runs: u64,
    pub rejected_transitions: u64,
    pub check_transitions: u64,
    pub alert_deliveries: u64,
    pub alerts: u64,
    pub audit_log: u64,
    /// Jobs retired before the cutoff (their ping URLs with them).
    pub retired_jobs: u64,
}

impl Pruned {
    /// Each table's name and count, for logs and metrics.
    pub fn by_table(&self) -> [(&'static str, u64); 8] {
        [
            ("events", self.events),
            ("runs", self.runs),
            ("rejected_transitions", self.rejected_transitions),
            ("check_transitions", self.check_transitions),
            ("alert_deliveries", self.alert_deliveries),
            ("alerts", self.alerts),
            ("audit_log", self.audit_log),
            ("jobs", self.retired_jobs),
        ]
    }

    pub fn total(&self) -> u64 {
        self.by_table().iter().map(|(_, n)| n).sum()
    }
}

/// `DELETE FROM {table} WHERE {key} IN (SELECT {key} … {rest} ORDER BY
/// {key} LIMIT ?)`: `rest` is the FROM and WHERE of the rows to go, with
/// the cutoff as its first placeholder.
struct Prune {
    table: &'static str,
    key: &'static str,
    rest: String,
}

impl Prune {
    fn sql(&self, backend: DbBackend) -> String {
        let sql = format!(
            "DELETE FROM {table} WHERE {key} IN (SELECT {key} {rest} ORDER BY {key} LIMIT ?)",
            table = self.table,
            key = self.key,
            rest = self.rest,
        );
        match backend {
            DbBackend::Postgres => {
                let mut n = 0;
                sql.chars()
                    .fold(String::with_capacity(sql.len()), |mut out, c| {
                        if c == '?' {
                            n += 1;
                            out.push_str(&format!("${n}"));
                        } else {
                            out.push(c);
                        }
                        out
                    })
            }
            _ => sql,
        }
    }
}

impl Store {
    /// Deletes events received before `cutoff`; returns how many.
    pub async fn prune_events(&self, cutoff: DateTime<Utc>) -> Result<u64, StoreError> {
        // Ids follow arrival: the oldest events are at the start of the key.
        let prune = Prune {
            table: "events",
            key: "id",
            rest: "FROM events WHERE received_at_us < ?".into(),
        };
        let pruned = self.prune_batches(&prune, cutoff).await?;
        if pruned > 0 && self.backend() == DbBackend::Sqlite {
            self.prune_search_index().await?;
        }
        Ok(pruned)
    }

    /// SQLite's search index holds only ids, so what retention took from
    /// the log goes from the index too: every id below the oldest kept.
    /// (On PostgreSQL a foreign key takes an event's row with it.)
    async fn prune_search_index(&self) -> Result<(), StoreError> {
        let sql = "DELETE FROM event_search WHERE rowid IN (SELECT rowid FROM event_search \
                   WHERE rowid < COALESCE((SELECT min(id) FROM events), \
                   (SELECT indexed_through + 1 FROM search_progress)) ORDER BY rowid LIMIT ?)";
        loop {
            let result = self
                .db
                .execute_raw(Statement::from_sql_and_values(
                    DbBackend::Sqlite,
                    sql,
                    [BATCH.into()],
                ))
                .await?;
            if result.rows_affected() < BATCH as u64 {
                return Ok(());
            }
        }
    }

    /// One retention pass: everything before `cutoff` that may go.
    /// Deliveries go before their alerts, so none is left without one.
    pub async fn prune(&self, cutoff: DateTime<Utc>) -> Result<Pruned, StoreError> {
        let terminal = [RunStatus::Completed, RunStatus::Failed]
            .map(|s| format!("'{}'", s.as_str()))
            .join(", ");
        let closed = AlertStatus::Closed.as_str();
        let runs = Prune {
            table: "runs",
            key: "seq",
            rest: format!("FROM runs WHERE updated_at_us < ? AND status IN ({terminal})"),
        };
        let rejected = Prune {
            table: "rejected_transitions",
            key: "id",
            rest: "FROM rejected_transitions WHERE at_us < ?".into(),
        };
        let transitions = Prune {
            table: "check_transitions",
            key: "id",
            rest: "FROM check_transitions WHERE at_us < ?".into(),
        };
        // The newest alert of each kind of each job or worker stays, closed
        // or not: the scheduler's alert reads it to stay closed by hand.
        let prunable = format!(
            "closed_at_us < ? AND status = '{closed}' AND id NOT IN \
             (SELECT MAX(id) FROM alerts GROUP BY alert_type, job_name, worker_id)"
        );
        let deliveries = Prune {
            table: "alert_deliveries",
            key: "id",
            rest: format!(
                "FROM alert_deliveries WHERE alert_id IN (SELECT id FROM alerts WHERE {prunable})"
            ),
        };
        let alerts = Prune {
            table: "alerts",
            key: "id",
            rest: format!(
                "FROM alerts a WHERE {prunable} \
                 AND NOT EXISTS (SELECT 1 FROM alert_deliveries d WHERE d.alert_id = a.id)"
            ),
        };
        let audit = Prune {
            table: "audit_log",
            key: "id",
            rest: "FROM audit_log WHERE at_us < ?".into(),
        };
        let retired = Prune {
            table: "jobs",
            key: "name",
            rest: "FROM jobs WHERE retired_at_us < ?".into(),
        };
        let orphan_pings = Prune {
            table: "job_pings",
            key: "job_name",
            rest: "FROM job_pings WHERE created_at_us < ? \
                   AND job_name NOT IN (SELECT name FROM jobs)"
                .into(),
        };
        Ok(Pruned {
            events: self.prune_events(cutoff).await?,
            runs: self.prune_batches(&runs, cutoff).await?,
            rejected_transitions: self.prune_batches(&rejected, cutoff).await?,
            check_transitions: self.prune_batches(&transitions, cutoff).await?,
            alert_deliveries: self.prune_batches(&deliveries, cutoff).await?,
            alerts: self.prune_batches(&alerts, cutoff).await?,
            audit_log: self.prune_batches(&audit, cutoff).await?,
            retired_jobs: {
                let n = self.prune_batches(&retired, cutoff).await?;
                // A ping URL made before the cutoff whose job is gone.
                self.prune_batches(&orphan_pings, cutoff).await?;
                n
            },
        })
    }

    async fn prune_batches(&self, prune: &Prune, cutoff: DateTime<Utc>) -> Result<u64, StoreError> {
        let backend = self.db.get_database_backend();
        let sql = prune.sql(backend);
        let mut total = 0;
        loop {
            let result = self
                .db
                .execute_raw(Statement::from_sql_and_values(
                    backend,
                    &sql,
                    [to_us(cutoff).into(), BATCH.into()],
                ))
                .await?;
            total += result.rows_affected();
            if result.rows_affected() < BATCH as u64 {
                return Ok(total);
            }
        }
    }
}
