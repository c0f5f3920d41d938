//! [`Core`]: the one handle both edges hold. Each change is a method on it
//! (in `change/`); reads go straight to the store.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use telltale_delivery::Deliverer;
use telltale_store::{IngestQueue, LiveHub, Store};

use crate::accounts::Accounts;
use crate::engine::{Clock, EngineInbox};

/// Everything a change needs; cheap to clone (one reference count).
#[derive(Clone)]
pub struct Core(Arc<CoreParts>);

/// What a [`Core`] is made of.
pub struct CoreParts {
    pub store: Store,
    /// Every ingest goes through the group-commit writer.
    pub ingest: IngestQueue,
    /// Tells the check engine which jobs a change touched.
    pub engine: EngineInbox,
    /// What changed, for live pages here and on the other instances.
    pub live: LiveHub,
    /// The one clock every change is stamped by (tests inject theirs).
    pub clock: Arc<dyn Clock>,
    /// Sends alert deliveries and checks webhook targets.
    pub deliverer: Deliverer,
    /// Passwords, tokens and account rules.
    pub accounts: Accounts,
}

impl Core {
    pub fn new(parts: CoreParts) -> Self {
        Self(Arc::new(parts))
    }

    pub fn store(&self) -> &Store {
        &self.0.store
    }

    pub fn ingest_queue(&self) -> &IngestQueue {
        &self.0.ingest
    }

    pub fn engine(&self) -> &EngineInbox {
        &self.0.engine
    }

    pub fn live(&self) -> &LiveHub {
        &self.0.live
    }

    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.0.clock
    }

    pub fn deliverer(&self) -> &Deliverer {
        &self.0.deliverer
    }

    pub fn accounts(&self) -> &Accounts {
        &self.0.accounts
    }

    /// Now, by the injected clock: the time every change is stamped with.
    pub fn now(&self) -> DateTime<Utc> {
        self.0.clock.now()
    }
}
