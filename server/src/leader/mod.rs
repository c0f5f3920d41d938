//! Which of several processes on one database runs the background loops
//! (evaluator, retention, delivery). On SQLite there is one process and it
//! always leads. On PostgreSQL every instance serves ingest, the API and
//! the pages, and the one holding an advisory lock runs the loops; the
//! others try again every `MONITOR_LEADER_RETRY_SECONDS`.

mod loops;
mod status;

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;
use tokio::task::JoinHandle;

pub use loops::{LEADER_LOOPS, Loops};
pub use status::LeaderStatus;
pub use telltale_store::leader_lock::{LEADER_APPLICATION, LOCK_KEY, LockConfig};

use telltale_store::leader_lock::{LockConnection, LockError};

/// How often the leader checks that its lock connection is alive: how long
/// at most it may go on after losing it.
const CHECK_EVERY: Duration = Duration::from_millis(500);
/// A leader whose loops have been down this long (or three evaluator
/// intervals, if longer) gives up its lock, so that an instance whose loops
/// can run leads instead.
const GIVE_UP_AFTER: Duration = Duration::from_secs(15);

#[derive(Clone)]
pub enum Election {
    /// The only process on the database (SQLite).
    Sole,
    /// One of several on a PostgreSQL database.
    Postgres(LockConfig),
}

/// Runs `loops` whenever this instance leads, until `stop` is notified.
pub fn spawn(
    election: Election,
    loops: Loops,
    status: LeaderStatus,
    stop: Arc<Notify>,
) -> JoinHandle<()> {
    // The only process leads from the start: no request may see it not
    // leading while the task has yet to run.
    if matches!(election, Election::Sole) {
        status.set(true);
    }
    let beat = loops.registry().register(
        "leadership",
        None,
        matches!(election, Election::Postgres(_)),
    );
    telltale_supervise::spawn(beat, stop, move |_, stop| {
        let (election, loops, status) = (election.clone(), loops.clone(), status.clone());
        async move {
            match election {
                Election::Sole => {
                    status.set(true);
                    let running = loops.start();
                    stop.notified().await;
                    running.stop().await;
                    status.set(false);
                }
                Election::Postgres(config) => {
                    loops.standby();
                    elect(config, &loops, &status, &stop).await;
                    status.set(false);
                }
            }
            telltale_supervise::Exit::Stopped
        }
    })
}

async fn elect(config: LockConfig, loops: &Loops, status: &LeaderStatus, stop: &Notify) {
    let mut conn: Option<LockConnection> = None;
    let mut said_follow = false;
    loop {
        let mut wait = config.retry;
        match attempt(&config, &mut conn).await {
            Ok(true) => {
                if let Some(held) = conn.take() {
                    tracing::info!(instance = %config.instance, "leader: this instance leads; it runs the evaluator, retention and delivery");
                    status.set(true);
                    let running = loops.start();
                    let give_up = GIVE_UP_AFTER.max(loops.evaluator_interval * 3);
                    match hold(held, &config, stop, loops, give_up).await {
                        Held::Stopping(held) => {
                            running.stop().await;
                            status.set(false);
                            held.close().await;
                            return;
                        }
                        Held::Lost(reason) => {
                            status.set(false);
                            running.abort().await;
                            loops.standby();
                            tracing::error!(instance = %config.instance, %reason, "leader: lost the lock connection; stopped the loops, trying to lead again");
                            said_follow = false;
                        }
                        Held::GaveUp(held, why) => {
                            status.set(false);
                            running.abort().await;
                            loops.standby();
                            held.close().await;
                            tracing::error!(instance = %config.instance, %why, "leader: its loops cannot run; gave up the lock so that another instance leads");
                            said_follow = false;
                            // Long enough for a follower to take the lock.
                            wait = config.retry * 3;
                        }
                    }
                }
            }
            Ok(false) => {
                if !said_follow {
                    tracing::info!(instance = %config.instance, "leader: another instance leads; this one serves and waits");
                    said_follow = true;
                }
            }
            Err(e) => {
                tracing::warn!(instance = %config.instance, error = %e, "leader: cannot try the lock; trying again");
                conn = None;
            }
        }
        tokio::select! {
            () = tokio::time::sleep(wait) => {}
            () = stop.notified() => {
                if let Some(c) = conn.take() {
                    c.close().await;
                }
                return;
            }
        }
    }
}

/// Tries the lock once, opening a connection first if there is none.
async fn attempt(
    config: &LockConfig,
    conn: &mut Option<LockConnection>,
) -> Result<bool, LockError> {
    let c = match conn {
        Some(c) => c,
        None => conn.insert(LockConnection::open(config).await?),
    };
    c.try_lock().await
}

enum Held {
    Stopping(LockConnection),
    Lost(LockError),
    /// The loops have been down for too long: the lock is handed back.
    GaveUp(LockConnection, String),
}

/// Holds the lock until shutdown, until its connection fails, or until the
/// loops it is held for have been down for `give_up`.
async fn hold(
    mut conn: LockConnection,
    config: &LockConfig,
    stop: &Notify,
    loops: &Loops,
    give_up: Duration,
) -> Held {
    loop {
        tokio::select! {
            () = stop.notified() => return Held::Stopping(conn),
            () = tokio::time::sleep(CHECK_EVERY) => {}
        }
        if let Err(reason) = conn.check(config.retry).await {
            return Held::Lost(reason);
        }
        let now = chrono::Utc::now();
        let report = loops.registry().report();
        let stuck = LEADER_LOOPS.iter().find_map(|name| {
            let r = report.get(name)?;
            let down_for = (now - r.since).to_std().unwrap_or_default();
            (r.critical && r.is_down() && down_for > give_up).then(|| {
                format!(
                    "{name} has been down since {} ({})",
                    r.since,
                    r.last_error.as_deref().unwrap_or("no round completed")
                )
            })
        });
        if let Some(why) = stuck {
            return Held::GaveUp(conn, why);
        }
    }
}
