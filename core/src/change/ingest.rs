use telltale_model::NewEvent;
pub use telltale_store::IngestReport;
use telltale_store::QueueError;
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
        let work = async move { core.ingest_now(events).await };
        tokio::spawn(work.instrument(tracing::Span::current()))
            .await
            .unwrap_or(Err(QueueError::Stopped))
    }

    async fn ingest_now(&self, events: Vec<NewEvent>) -> Result<IngestReport, QueueError> {
        let report = self.ingest_queue().submit(events).await?;
        self.engine()
            .touch(report.changed.jobs.iter().map(String::as_str));
        let changes = report.changes();
        if !changes.is_empty() {
            self.live().publish(changes);
        }
        Ok(report)
    }
}
