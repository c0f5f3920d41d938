//! The supervisor of one async loop: it runs the loop in a task of its own,
//! and when that task panics or gives up, logs it, counts it and starts a
//! new one after a backoff, until it is told to stop.

use std::any::Any;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::Notify;
use tokio::task::JoinHandle;

use crate::Beat;

/// How one run of a loop ended by itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Exit {
    /// It was told to stop and did.
    Stopped,
    /// It cannot go on (errors in a row); start it afresh.
    Failed(String),
}

/// How long a stopping loop may take to finish its round.
const GRACE: Duration = Duration::from_secs(10);
/// The first wait before a restart; doubled for each restart in a row.
const FIRST_BACKOFF: Duration = Duration::from_secs(1);
const MAX_BACKOFF: Duration = Duration::from_secs(60);
/// A run that lasted this long was healthy: its failure starts the
/// backoff from the beginning again.
const HEALTHY_RUN: Duration = Duration::from_secs(600);

/// Runs `make(beat, stop)` until `stop` is notified, starting it again
/// whenever it panics or returns [`Exit::Failed`] (or returns at all
/// without being asked). Aborting the returned task aborts the loop too.
pub fn spawn<F, Fut>(beat: Beat, stop: Arc<Notify>, mut make: F) -> JoinHandle<()>
where
    F: FnMut(Beat, Arc<Notify>) -> Fut + Send + 'static,
    Fut: Future<Output = Exit> + Send + 'static,
{
    tokio::spawn(async move {
        let mut backoff = FIRST_BACKOFF;
        loop {
            beat.running();
            let inner_stop = Arc::new(Notify::new());
            let started = Instant::now();
            let mut run = AbortOnDrop(tokio::spawn(make(beat.clone(), inner_stop.clone())));
            let ended = tokio::select! {
                ended = &mut run.0 => ended,
                () = stop.notified() => {
                    inner_stop.notify_one();
                    if tokio::time::timeout(GRACE, &mut run.0).await.is_err() {
                        tracing::warn!(task = beat.name(), "background loop did not stop in time; dropped");
                    }
                    beat.stopped();
                    return;
                }
            };
            let why = match ended {
                Ok(Exit::Failed(error)) => error,
                Ok(Exit::Stopped) => "it ended without being asked to".to_owned(),
                Err(e) if e.is_panic() => format!("panicked: {}", panic_text(e.into_panic())),
                Err(_) => "it was cancelled".to_owned(),
            };
            if started.elapsed() > HEALTHY_RUN {
                backoff = FIRST_BACKOFF;
            }
            beat.restarting(&why);
            tracing::error!(task = beat.name(), error = %why, backoff_ms = backoff.as_millis() as u64, "background loop failed; restarting after a backoff");
            tokio::select! {
                () = tokio::time::sleep(backoff) => {}
                () = stop.notified() => {
                    beat.stopped();
                    return;
                }
            }
            backoff = (backoff * 2).min(MAX_BACKOFF);
        }
    })
}

/// Waits for a loop that spawned its own task and says how it ended, for
/// [`spawn`]. Dropping the wait (the supervisor aborted: leadership lost)
/// aborts that task too, so no loop outlives its supervisor.
pub async fn join(task: JoinHandle<()>) -> Exit {
    let mut task = AbortOnDrop(task);
    match (&mut task.0).await {
        Ok(()) => Exit::Stopped,
        Err(e) if e.is_panic() => Exit::Failed(format!("panicked: {}", panic_text(e.into_panic()))),
        Err(e) => Exit::Failed(e.to_string()),
    }
}

/// A panic's message, as far as it is text.
pub fn panic_text(payload: Box<dyn Any + Send>) -> String {
    match payload.downcast::<String>() {
        Ok(s) => *s,
        Err(payload) => match payload.downcast::<&'static str>() {
            Ok(s) => (*s).to_owned(),
            Err(_) => "a panic without a message".to_owned(),
        },
    }
}

/// The loop's task, aborted when its supervisor is dropped (a lost
/// leadership aborts the supervisor; the loop must not live on).
struct AbortOnDrop<T>(JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::*;
    use crate::{LoopStatus, Loops};

    #[tokio::test(start_paused = true)]
    async fn a_panicking_loop_is_restarted_after_a_backoff_and_stops_when_told() {
        let loops = Loops::default();
        let beat = loops.register("evaluator", None, true);
        let stop = Arc::new(Notify::new());
        let runs = Arc::new(AtomicU32::new(0));
        let counted = runs.clone();
        let task = spawn(beat, stop.clone(), move |beat, stop| {
            let n = counted.fetch_add(1, Ordering::SeqCst);
            async move {
                if n < 2 {
                    panic!("injected {n}");
                }
                beat.tick();
                stop.notified().await;
                Exit::Stopped
            }
        });
        tokio::time::sleep(Duration::from_millis(100)).await;
        let r = &loops.report()["evaluator"];
        assert_eq!(r.status, LoopStatus::Restarting);
        assert_eq!(r.last_error.as_deref(), Some("panicked: injected 0"));
        // 1 s, then 2 s of backoff.
        tokio::time::sleep(Duration::from_secs(4)).await;
        assert_eq!(runs.load(Ordering::SeqCst), 3);
        let r = &loops.report()["evaluator"];
        assert_eq!((r.status, r.restarts), (LoopStatus::Running, 2));
        stop.notify_one();
        task.await.unwrap();
        assert_eq!(loops.report()["evaluator"].status, LoopStatus::Stopped);
    }

    #[tokio::test(start_paused = true)]
    async fn aborting_the_supervisor_aborts_the_loop() {
        let loops = Loops::default();
        let alive = Arc::new(AtomicU32::new(0));
        let counter = alive.clone();
        let task = spawn(
            loops.register("retention", None, false),
            Arc::new(Notify::new()),
            move |_, _| {
                let counter = counter.clone();
                async move {
                    loop {
                        counter.fetch_add(1, Ordering::SeqCst);
                        tokio::time::sleep(Duration::from_millis(10)).await;
                    }
                }
            },
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
        task.abort();
        let _ = task.await;
        let seen = alive.load(Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert_eq!(
            alive.load(Ordering::SeqCst),
            seen,
            "the loop outlived its supervisor"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn aborting_the_supervisor_aborts_a_loop_that_spawned_its_own_task() {
        let loops = Loops::default();
        let alive = Arc::new(AtomicU32::new(0));
        let counter = alive.clone();
        let task = spawn(
            loops.register("delivery", None, true),
            Arc::new(Notify::new()),
            move |_, _| {
                let counter = counter.clone();
                join(tokio::spawn(async move {
                    loop {
                        counter.fetch_add(1, Ordering::SeqCst);
                        tokio::time::sleep(Duration::from_millis(10)).await;
                    }
                }))
            },
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
        task.abort();
        let _ = task.await;
        tokio::time::sleep(Duration::from_millis(1)).await;
        let seen = alive.load(Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert_eq!(
            alive.load(Ordering::SeqCst),
            seen,
            "the sender outlived its supervisor"
        );
    }
}
