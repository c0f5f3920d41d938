use std::sync::{Arc, Mutex};
use std::time::Duration;

use sea_orm::{ConnectionTrait, DbBackend, Statement};
use telltale_model::Change;
use tokio::sync::Notify;
use tokio::task::JoinHandle;

use super::Bulletin;
use crate::Store;

/// The PostgreSQL channel every instance of one database listens on.
pub const CHANNEL: &str = "telltale_live";
/// After a failed `NOTIFY`, wait this long before trying again.
const RETRY: Duration = Duration::from_secs(1);

/// What this instance has to tell the others, gathered until the sender
/// task takes it: under load, many ingest commits share one `NOTIFY`.
#[derive(Clone)]
pub struct Outbox {
    pending: Arc<Mutex<Bulletin>>,
    wake: Arc<Notify>,
}

impl Outbox {
    /// `from` names this process in every bulletin it sends.
    pub fn new(from: impl Into<String>) -> Outbox {
        Outbox {
            pending: Arc::new(Mutex::new(Bulletin {
                from: from.into(),
                ..Bulletin::default()
            })),
            wake: Arc::default(),
        }
    }

    pub fn from(&self) -> String {
        self.pending
            .lock()
            .map(|b| b.from.clone())
            .unwrap_or_default()
    }

    pub fn changes(&self, changes: impl IntoIterator<Item = Change>) {
        self.add(|b| b.changes.extend(changes));
    }

    pub fn jobs<'a>(&self, jobs: impl IntoIterator<Item = &'a str>) {
        self.add(|b| b.jobs.extend(jobs.into_iter().map(str::to_owned)));
    }

    pub fn all_jobs(&self) {
        self.add(|b| b.all_jobs = true);
    }

    fn add(&self, f: impl FnOnce(&mut Bulletin)) {
        if let Ok(mut pending) = self.pending.lock() {
            f(&mut pending);
        }
        self.wake.notify_one();
    }

    fn take(&self) -> Option<Bulletin> {
        let mut pending = self.pending.lock().ok()?;
        if pending.is_empty() {
            return None;
        }
        let from = pending.from.clone();
        Some(std::mem::replace(
            &mut *pending,
            Bulletin {
                from,
                ..Bulletin::default()
            },
        ))
    }

    /// Puts back a bulletin that could not be sent.
    fn restore(&self, bulletin: Bulletin) {
        self.add(|b| {
            b.changes.extend(bulletin.changes);
            b.jobs.extend(bulletin.jobs);
            b.all_jobs |= bulletin.all_jobs;
        });
    }
}

/// Sends the outbox's bulletins with `NOTIFY` until `stop` is notified;
/// what is pending then is sent first.
pub fn spawn_sender(store: Store, outbox: Outbox, stop: Arc<Notify>) -> JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            let stopping = tokio::select! {
                () = outbox.wake.notified() => false,
                () = stop.notified() => true,
            };
            if let Some(bulletin) = outbox.take()
                && let Err(e) = store.notify(CHANNEL, &bulletin.to_payload()).await
            {
                tracing::warn!(error = %e, "live: cannot tell the other instances; trying again");
                outbox.restore(bulletin);
                if !stopping {
                    tokio::time::sleep(RETRY).await;
                }
            }
            if stopping {
                return;
            }
        }
    })
}

impl Store {
    /// `NOTIFY channel, payload` (PostgreSQL only; nothing on SQLite).
    pub async fn notify(&self, channel: &str, payload: &str) -> Result<(), crate::StoreError> {
        if self.backend() != DbBackend::Postgres {
            return Ok(());
        }
        self.db
            .execute_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT pg_notify($1, $2)",
                [channel.into(), payload.into()],
            ))
            .await?;
        Ok(())
    }
}
