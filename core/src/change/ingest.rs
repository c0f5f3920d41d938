use telltale_model::NewEvent;
pub use telltale_store::IngestReport;
use telltale_store::{PingLookup, QueueError};
use tracing::Instrument;

use crate::Core;

impl Core {
    /// Stores `events` through the group-commit queue; answers once they
    /// are committed. Then the engine looks at the jobs they changed, and
    /// live pages hear what changed, here and on the other instances: both
    /// as the store's fold reports it, not as the request names it (a
    /// duplicate changes nothing).
    ///
    /// The effects run in a task of their own: a request dropped while its
    /// events are committed (a client that hung up, the request timeout)
    /// must not leave them stored but unseen by the engine.
    pub async fn ingest(&self, events: Vec<NewEvent>) -> Result<IngestReport, QueueError> {
        if events.is_empty() {
            return Ok(IngestReport::default());
        }
        let core = self.clone();
        detached(async move {
            let report = core.ingest_queue().submit(events).await?;
            core.after_ingest(&report);
            Ok(report)
        })
        .await
    }

    /// A ping's event, stored once the writer has found its job as
    /// `lookup` says ([`IngestReport::ping`]), with the same effects as
    /// [`Core::ingest`].
    pub async fn ingest_ping(
        &self,
        event: NewEvent,
        lookup: PingLookup,
    ) -> Result<IngestReport, QueueError> {
        let core = self.clone();
        detached(async move {
            let report = core.ingest_queue().submit_ping(event, lookup).await?;
            core.after_ingest(&report);
            Ok(report)
        })
        .await
    }

    /// The engine looks at the jobs a commit changed; live pages hear it.
    fn after_ingest(&self, report: &IngestReport) {
        self.engine()
            .touch(report.changed.jobs.iter().map(String::as_str));
        let changes = report.changes();
        if !changes.is_empty() {
            self.live().publish(changes);
        }
    }
}

/// Runs `work` in a task of its own, so it ends even when the request that
/// awaits it is dropped.
async fn detached(
    work: impl Future<Output = Result<IngestReport, QueueError>> + Send + 'static,
) -> Result<IngestReport, QueueError> {
    tokio::spawn(work.instrument(tracing::Span::current()))
        .await
        .unwrap_or(Err(QueueError::Stopped))
}
