//! The sender's loop: claim what is due as slots free up, send each unit
//! (one delivery, or a channel's group) in a task of its own.

use std::sync::Arc;

use telltale_supervise::Beat;
use tokio::sync::{Notify, Semaphore};
use tokio::task::JoinHandle;

use super::Deliverer;

/// Runs the sender until `stop` is notified: looks at the queue every
/// poll interval and sends what is due, at most `concurrency` at once.
/// While a claim takes all the free slots could, more may be due: the
/// sender claims again as soon as a slot frees instead of at the next tick
/// (claiming at most `concurrency` a tick, a burst of 2,000 alerts took
/// four minutes to leave at 8 a second).
///
/// Each round reports to `beat` (a claim that failed counts as a failed
/// round), so a sender that is stuck shows in `/v1/health`.
pub fn spawn(deliverer: Deliverer, beat: Beat, stop: Arc<Notify>) -> JoinHandle<()> {
    tokio::spawn(async move {
        let slots = Arc::new(Semaphore::new(deliverer.config.concurrency.max(1)));
        let mut timer = tokio::time::interval(deliverer.config.poll_interval);
        timer.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut backlog = false;
        loop {
            if !backlog {
                tokio::select! {
                    () = stop.notified() => break,
                    _ = timer.tick() => {}
                }
            }
            // A slot first: with every slot busy there is nothing to claim for.
            let first = tokio::select! {
                () = stop.notified() => break,
                permit = slots.clone().acquire_owned() => permit,
            };
            let Ok(first) = first else { break };
            let wanted = slots.available_permits() + 1;
            let batch = match deliverer.claim(wanted as u64).await {
                Ok(batch) => {
                    beat.tick();
                    batch
                }
                Err(e) => {
                    beat.failed(&e.to_string());
                    tracing::error!(error = %e, "could not read the delivery queue; retrying");
                    backlog = false;
                    continue;
                }
            };
            backlog = batch.len() == wanted;
            let mut first = Some(first);
            for unit in deliverer.units(batch).await {
                let permit = match first.take() {
                    Some(permit) => permit,
                    None => match slots.clone().acquire_owned().await {
                        Ok(permit) => permit,
                        Err(_) => break,
                    },
                };
                let me = deliverer.clone();
                tokio::spawn(async move {
                    if let Err(e) = me.deliver_unit(unit).await {
                        tracing::error!(error = %e, "recording a delivery failed; it will be sent again after its lease");
                    }
                    me.publish();
                    drop(permit);
                });
            }
        }
        tracing::info!("delivery stopped");
    })
}
