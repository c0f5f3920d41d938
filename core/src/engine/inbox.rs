//! The check engine's inbox: which jobs changed since its last tick.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use telltale_store::Outbox;
use tokio::sync::Notify;

/// How ingest tells the engine which jobs just changed. With several
/// instances, what ingest touches here also goes to the others (the leader
/// runs the engine), and the leader's listener touches its inbox with
/// [`EngineInbox::touch_here`].
#[derive(Clone, Default)]
pub struct EngineInbox {
    pending: Arc<Mutex<HashSet<String>>>,
    all: Arc<AtomicBool>,
    pub(super) wake: Arc<Notify>,
    outbox: Arc<OnceLock<Outbox>>,
}

impl EngineInbox {
    /// Sends what is touched here to the other instances too.
    pub fn attach(&self, outbox: Outbox) {
        let _ = self.outbox.set(outbox);
    }

    pub fn touch<'a>(&self, jobs: impl IntoIterator<Item = &'a str> + Clone) {
        if let Some(outbox) = self.outbox.get() {
            outbox.jobs(jobs.clone());
        }
        self.touch_here(jobs);
    }

    /// Touches this instance's engine only.
    pub fn touch_here<'a>(&self, jobs: impl IntoIterator<Item = &'a str>) {
        let mut any = false;
        if let Ok(mut pending) = self.pending.lock() {
            for job in jobs {
                any |= pending.insert(job.to_owned());
            }
        }
        if any {
            self.wake.notify_one();
        }
    }

    /// Asks for every job to be evaluated (a maintenance window changed).
    pub fn touch_all(&self) {
        if let Some(outbox) = self.outbox.get() {
            outbox.all_jobs();
        }
        self.touch_all_here();
    }

    pub fn touch_all_here(&self) {
        self.all.store(true, Ordering::Relaxed);
        self.wake.notify_one();
    }

    pub(crate) fn take(&self) -> (Vec<String>, bool) {
        let jobs = self
            .pending
            .lock()
            .map(|mut p| p.drain().collect())
            .unwrap_or_default();
        (jobs, self.all.swap(false, Ordering::Relaxed))
    }
}
