use telltale_model::{Change, NewEvent};
use telltale_store::{EventOutcome, QueueError};
use tracing::Instrument;

use crate::Core;

/// What one ingest did: each event's outcome, in the order sent, and what
/// the stored ones changed (a duplicate changes nothing).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct IngestReport {
    pub outcomes: Vec<EventOutcome>,
    pub changed: Vec<Change>,
}

impl IngestReport {
    pub fn inserted(&self) -> usize {
        self.outcomes
            .iter()
            .filter(|o| matches!(o, EventOutcome::Inserted(_)))
            .count()
    }

    pub fn duplicates(&self) -> usize {
        self.outcomes.len() - self.inserted()
    }
}

/// What kinds of thing an event names, kept while the event itself moves
/// into the queue.
struct Names {
    job: bool,
    run: bool,
    worker: bool,
}

impl Core {
    /// Stores `events` through the group-commit queue; answers once they
    /// are committed. Then the engine looks at their jobs, and live pages
    /// hear what the stored ones changed, here and on the other instances.
    ///
    /// The effects run in a task of their own: a request dropped while its
    /// events are committed (a client that hung up, the request timeout)
    /// must not leave them stored but unseen by the engine. A duplicate
    /// touches its jobs too: it may be the retry of a request whose answer
    /// was lost, and a look at a job that did not change costs little.
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
        let names: Vec<Names> = events
            .iter()
            .map(|e| Names {
                job: e.job_name.is_some(),
                run: e.run_id.is_some(),
                worker: e.worker_id.is_some(),
            })
            .collect();
        // A batch's events come run by run: one name per stretch of a job.
        let mut jobs: Vec<String> = Vec::new();
        for job in events.iter().filter_map(|e| e.job_name.as_ref()) {
            if jobs.last() != Some(job) {
                jobs.push(job.clone());
            }
        }
        let outcomes = self.ingest_queue().submit(events).await?;
        self.engine().touch(jobs.iter().map(String::as_str));
        let stored: Vec<&Names> = names
            .iter()
            .zip(&outcomes)
            .filter(|(_, o)| matches!(o, EventOutcome::Inserted(_)))
            .map(|(n, _)| n)
            .collect();
        let changed = changes_of(&stored);
        if !changed.is_empty() {
            self.live().publish(changed.iter().copied());
        }
        Ok(IngestReport { outcomes, changed })
    }
}

/// The kinds of thing the stored events changed, for live pages.
fn changes_of(stored: &[&Names]) -> Vec<Change> {
    let mut out = Vec::new();
    if stored.is_empty() {
        return out;
    }
    out.push(Change::Events);
    for (any, change) in [
        (stored.iter().any(|n| n.run), Change::Runs),
        (stored.iter().any(|n| n.job), Change::Jobs),
        (stored.iter().any(|n| n.worker), Change::Workers),
    ] {
        if any {
            out.push(change);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn named(job: bool, run: bool, worker: bool) -> Names {
        Names { job, run, worker }
    }

    #[test]
    fn stored_events_name_what_they_change() {
        assert_eq!(changes_of(&[]), vec![]);
        let beat = named(false, false, true);
        assert_eq!(changes_of(&[&beat]), vec![Change::Events, Change::Workers]);
        let run = named(true, true, false);
        assert_eq!(changes_of(&[&beat, &run]), Change::ALL[..4].to_vec());
    }
}
