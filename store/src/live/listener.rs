//! Hears the other instances' bulletins (PostgreSQL `LISTEN`) and passes
//! them on: kinds of change to this hub's streams, touched jobs to whoever
//! asked (the evaluator, when this instance leads).

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sea_orm::sqlx::postgres::{PgConnectOptions, PgListener, PgPoolOptions};
use tokio::sync::Notify;
use tokio::task::JoinHandle;

use super::outbox::CHANNEL;
use super::{Bulletin, LiveHub};

/// Between attempts to reach PostgreSQL after the listening connection
/// failed.
const RECONNECT: Duration = Duration::from_secs(1);

/// Where and as whom to listen.
#[derive(Clone)]
pub struct ListenerConfig {
    pub url: String,
    /// Shown in `pg_stat_activity.application_name`, so an operator can tell
    /// the connections of each instance apart.
    pub application_name: String,
    /// This process's name in bulletins: its own are ignored.
    pub from: String,
}

/// Listens until `stop` is notified. `on_bulletin` gets every bulletin from
/// another instance after its changes went to `hub`; after a lost
/// connection it gets one asking for every job, and `hub` tells its
/// streams to re-read everything, since bulletins sent meanwhile are gone.
pub fn spawn(
    config: ListenerConfig,
    hub: LiveHub,
    on_bulletin: impl Fn(&Bulletin) + Send + Sync + 'static,
    stop: Arc<Notify>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        // Every way back to the top of this loop loses the connection.
        let mut missed_some = false;
        loop {
            let listening = tokio::select! {
                r = listen(&config) => r,
                () = stop.notified() => return,
            };
            let mut listener = match listening {
                Ok(l) => l,
                Err(e) => {
                    tracing::warn!(error = %e, "live: cannot listen for the other instances; trying again");
                    missed_some = true;
                    tokio::select! {
                        () = tokio::time::sleep(RECONNECT) => continue,
                        () = stop.notified() => return,
                    }
                }
            };
            if missed_some {
                tracing::info!("live: listening again; telling open pages to re-read");
                resync(&hub, &on_bulletin, &config.from);
            }
            loop {
                let received = tokio::select! {
                    r = listener.try_recv() => r,
                    () = stop.notified() => return,
                };
                match received {
                    Ok(Some(notification)) => {
                        let Some(bulletin) = Bulletin::from_payload(notification.payload()) else {
                            tracing::warn!(
                                payload = notification.payload(),
                                "live: unreadable bulletin"
                            );
                            continue;
                        };
                        if bulletin.from == config.from {
                            continue;
                        }
                        hub.publish_here(bulletin.changes.iter().copied());
                        on_bulletin(&bulletin);
                    }
                    // sqlx has connected again (and listens again).
                    Ok(None) => {
                        tracing::warn!(
                            "live: the listening connection was lost and is back; telling open pages to re-read"
                        );
                        resync(&hub, &on_bulletin, &config.from);
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "live: the listening connection failed");
                        missed_some = true;
                        break;
                    }
                }
            }
        }
    })
}

async fn listen(config: &ListenerConfig) -> Result<PgListener, sea_orm::sqlx::Error> {
    let options =
        PgConnectOptions::from_str(&config.url)?.application_name(&config.application_name);
    // A pool of one that never times out its connection: the listener uses
    // it to connect again after a loss.
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .max_lifetime(None)
        .idle_timeout(None)
        .acquire_timeout(Duration::from_secs(10))
        .connect_with(options)
        .await?;
    let mut listener = PgListener::connect_with(&pool).await?;
    listener.listen(CHANNEL).await?;
    Ok(listener)
}

fn resync(hub: &LiveHub, on_bulletin: &impl Fn(&Bulletin), from: &str) {
    hub.resync();
    on_bulletin(&Bulletin {
        from: from.to_owned(),
        all_jobs: true,
        ..Bulletin::default()
    });
}
