//! The live hub: ingest, the engine and closing an alert publish what
//! changed; every open `/v1/stream` hears it. It lives beside the store so
//! the REST handlers and the dashboard's server functions share one type.

use telltale_model::Change;
use tokio::sync::broadcast;

/// Messages queued per listener before it is told to re-read everything.
const BACKLOG: usize = 256;

/// Cheap to clone; all clones share one channel.
#[derive(Clone)]
pub struct LiveHub {
    /// `None` ends every stream: the server is shutting down and graceful
    /// shutdown must not wait for browsers to hang up.
    tx: broadcast::Sender<Option<Change>>,
}

impl Default for LiveHub {
    fn default() -> Self {
        Self {
            tx: broadcast::channel(BACKLOG).0,
        }
    }
}

impl LiveHub {
    /// Tells every listener; nobody listening is fine.
    pub fn publish(&self, changes: impl IntoIterator<Item = Change>) {
        for change in changes {
            let _ = self.tx.send(Some(change));
        }
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Option<Change>> {
        self.tx.subscribe()
    }

    /// Ends every open stream.
    pub fn close(&self) {
        let _ = self.tx.send(None);
    }
}
