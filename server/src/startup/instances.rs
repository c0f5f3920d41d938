//! How this instance names itself, and how it keeps in step with the other
//! instances that share its PostgreSQL database.

use std::net::SocketAddr;
use std::sync::Arc;

use telltale_store::live::{self, ListenerConfig};
use telltale_store::{LiveHub, Outbox, Store};
use tokio::sync::Notify;
use tokio::task::JoinHandle;

use crate::engine::EngineInbox;
use crate::leader::LeaderStatus;

/// `host:port`, or `telltale:port` when the host has no name.
pub(super) fn default_instance_name(addr: SocketAddr) -> String {
    let host = hostname::get()
        .ok()
        .and_then(|h| h.into_string().ok())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "telltale".to_owned());
    format!("{host}:{}", addr.port())
}

/// Several instances on one PostgreSQL: what changes here is announced to
/// the others (`NOTIFY`), and what changes there reaches this instance's
/// live streams and, while it leads, its evaluator.
pub(super) fn link_instances(
    store: &Store,
    url: &str,
    instance: &str,
    live: &LiveHub,
    inbox: &EngineInbox,
    leader: &LeaderStatus,
) -> Vec<(&'static str, JoinHandle<()>, Arc<Notify>)> {
    // The process id makes two processes given one name still tell their
    // bulletins apart.
    let from = format!("{instance}#{}", std::process::id());
    let outbox = Outbox::new(from.clone());
    live.attach(outbox.clone());
    inbox.attach(outbox.clone());
    let stop_sender = Arc::new(Notify::new());
    let loops = store.loops();
    let sender = {
        let store = store.clone();
        supervised(
            loops.register("live_outbox", None, true),
            stop_sender.clone(),
            move |stop| live::spawn_sender(store.clone(), outbox.clone(), stop),
        )
    };
    let stop_listener = Arc::new(Notify::new());
    let (inbox, leader) = (inbox.clone(), leader.clone());
    let on_bulletin = Arc::new(move |bulletin: &telltale_store::Bulletin| {
        if !leader.is_leader() {
            return;
        }
        if bulletin.all_jobs {
            inbox.touch_all_here();
        } else {
            inbox.touch_here(bulletin.jobs.iter().map(String::as_str));
        }
    });
    let config = ListenerConfig {
        url: url.to_owned(),
        application_name: format!("telltale-live {instance}"),
        from,
    };
    let listener = {
        let live = live.clone();
        supervised(
            loops.register("live_listener", None, true),
            stop_listener.clone(),
            move |stop| {
                let on_bulletin = on_bulletin.clone();
                live::listener::spawn(config.clone(), live.clone(), move |b| on_bulletin(b), stop)
            },
        )
    };
    vec![
        ("live sender", sender, stop_sender),
        ("live listener", listener, stop_listener),
    ]
}

/// Runs a loop that handles its own errors (reconnecting, retrying) under
/// a supervisor, which starts it again should it panic.
fn supervised(
    beat: telltale_supervise::Beat,
    stop: Arc<Notify>,
    start: impl Fn(Arc<Notify>) -> JoinHandle<()> + Send + 'static,
) -> JoinHandle<()> {
    telltale_supervise::spawn(beat, stop, move |_, stop| {
        telltale_supervise::join(start(stop))
    })
}
