//! The live hub: ingest, the engine and closing an alert publish what
//! changed; every open `/v1/stream` hears it. It lives beside the store so
//! the REST handlers and the dashboard's server functions share one type.
//!
//! With several instances on one PostgreSQL, an [`Outbox`] attached to the
//! hub carries what changed here to the others (`NOTIFY`), and the
//! [`listener`] publishes what changed there to this hub's streams.

mod bulletin;
pub mod listener;
mod outbox;

use std::sync::{Arc, OnceLock};

use telltale_model::Change;
use tokio::sync::broadcast;

pub use bulletin::Bulletin;
pub use listener::ListenerConfig;
pub use outbox::{Outbox, spawn_sender};

/// Messages queued per listener before it is told to re-read everything.
const BACKLOG: usize = 256;

/// What an open stream hears.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LiveSignal {
    Change(Change),
    /// Changes may have been missed (a lost connection between instances):
    /// re-read everything.
    Resync,
    /// The server is shutting down and graceful shutdown must not wait for
    /// browsers to hang up: end the stream.
    Closed,
}

/// Cheap to clone; all clones share one channel.
#[derive(Clone)]
pub struct LiveHub {
    tx: broadcast::Sender<LiveSignal>,
    /// Set once at start-up when other instances share the database.
    outbox: Arc<OnceLock<Outbox>>,
}

impl Default for LiveHub {
    fn default() -> Self {
        Self {
            tx: broadcast::channel(BACKLOG).0,
            outbox: Arc::default(),
        }
    }
}

impl LiveHub {
    /// Sends what this hub publishes to the other instances too.
    pub fn attach(&self, outbox: Outbox) {
        if self.outbox.set(outbox).is_err() {
            tracing::warn!("live hub: an outbox was already attached; keeping the first");
        }
    }

    /// Tells every listener here and, through the outbox, on the other
    /// instances; nobody listening is fine.
    pub fn publish(&self, changes: impl IntoIterator<Item = Change>) {
        let changes: Vec<Change> = changes.into_iter().collect();
        if let Some(outbox) = self.outbox.get() {
            outbox.changes(changes.iter().copied());
        }
        self.publish_here(changes);
    }

    /// Tells this instance's listeners only: what another instance changed.
    pub fn publish_here(&self, changes: impl IntoIterator<Item = Change>) {
        for change in changes {
            let _ = self.tx.send(LiveSignal::Change(change));
        }
    }

    /// Tells every listener here to re-read everything.
    pub fn resync(&self) {
        let _ = self.tx.send(LiveSignal::Resync);
    }

    pub fn subscribe(&self) -> broadcast::Receiver<LiveSignal> {
        self.tx.subscribe()
    }

    /// Ends every open stream.
    pub fn close(&self) {
        let _ = self.tx.send(LiveSignal::Closed);
    }
}
