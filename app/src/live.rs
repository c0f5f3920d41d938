//! Live updates. The server names what changed on `/v1/stream` (Server-Sent
//! Events); each kind of change bumps its own counter, and pages put the
//! counters of what they show into their resources' keys, so they re-read
//! their data in place — the filter, the scroll position and the rest of
//! the page stay as they are (and a page is not re-read for changes it does
//! not show: a close reason being typed on /alerts survives new events). When the
//! stream cannot be kept open the page polls instead, and while the tab is
//! hidden it does neither.

use leptos::prelude::*;
use telltale_model::Change;

/// What the indicator in the top bar says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LiveMode {
    /// Server-rendered, not hydrated (or JavaScript off): nothing updates.
    Static,
    Connecting,
    Live,
    Reconnecting,
    Polling,
    Paused,
}

impl LiveMode {
    pub fn label(self) -> &'static str {
        match self {
            Self::Static => "",
            Self::Connecting => "connecting",
            Self::Live => "live",
            Self::Reconnecting => "reconnecting",
            Self::Polling => "polling",
            Self::Paused => "paused",
        }
    }

    /// What the indicator's tooltip explains.
    fn title(self) -> &'static str {
        match self {
            Self::Static => "",
            Self::Connecting => "opening the live stream",
            Self::Live => "changes arrive as they happen",
            Self::Reconnecting => "the live stream dropped; trying again",
            Self::Polling => "the live stream is unavailable; re-reading every 5 s",
            Self::Paused => "the tab is hidden; updates resume when it is shown",
        }
    }
}

#[derive(Clone, Copy)]
pub struct Live {
    /// One counter per [`Change`], in the order of `Change::ALL`.
    versions: [RwSignal<u64>; Change::ALL.len()],
    mode: RwSignal<LiveMode>,
}

// Only the browser bumps.
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
impl Live {
    /// Bumps the counter of `change`, or all of them for `None` (a resync,
    /// a poll, the tab shown again).
    fn bump(self, change: Option<Change>) {
        for (c, version) in Change::ALL.into_iter().zip(self.versions) {
            if change.is_none_or(|wanted| wanted == c) {
                version.update(|v| *v += 1);
            }
        }
    }
}

/// Puts [`Live`] into the context and, once hydrated, connects.
pub fn provide_live() {
    let live = Live {
        versions: std::array::from_fn(|_| RwSignal::new(0)),
        mode: RwSignal::new(LiveMode::Static),
    };
    provide_context(live);
    // Effects run only in the browser, after hydration.
    Effect::new(move |_| {
        #[cfg(feature = "hydrate")]
        browser::start(live);
    });
}

/// Grows whenever one of `topics` may have changed; 0 on the server, so the
/// keys of hydrating resources match the server's.
pub fn use_live(topics: &'static [Change]) -> Signal<u64> {
    match use_context::<Live>() {
        Some(live) => Signal::derive(move || {
            Change::ALL
                .into_iter()
                .zip(live.versions)
                .filter(|(c, _)| topics.contains(c))
                .map(|(_, v)| v.get())
                .sum()
        }),
        None => Signal::stored(0),
    }
}

/// "live", "reconnecting", "polling" or "paused", in words.
#[component]
pub fn LiveIndicator() -> impl IntoView {
    let mode = use_context::<Live>().map(|l| l.mode);
    let mode = move || mode.map_or(LiveMode::Static, |m| m.get());
    view! {
        <span
            class="live-indicator"
            data-live=move || mode().label()
            title=move || mode().title()
            role="status"
            aria-live="polite"
        >
            {move || mode().label()}
        </span>
    }
}

#[cfg(feature = "hydrate")]
mod browser {
    use std::cell::RefCell;
    use std::rc::Rc;
    use std::time::Duration;

    use leptos::prelude::*;
    use telltale_model::Change;
    use wasm_bindgen::JsCast;
    use wasm_bindgen::closure::Closure;
    use web_sys::{EventSource, VisibilityState};

    use super::{Live, LiveMode};

    /// Several changes in a burst cause one re-read.
    const DEBOUNCE: Duration = Duration::from_millis(200);
    /// How long the stream may stay broken before the page polls.
    const GIVE_UP: Duration = Duration::from_secs(3);
    const POLL: Duration = Duration::from_secs(5);
    /// While polling, how often the stream is tried again.
    const RETRY: Duration = Duration::from_secs(30);

    #[derive(Default)]
    struct Conn {
        source: Option<EventSource>,
        poll: Option<IntervalHandle>,
        /// Changes heard but not yet applied (`None`: everything).
        pending: Vec<Option<Change>>,
        /// Grows on every stop, so timers of an older connection do nothing.
        generation: u64,
    }

    type Shared = Rc<RefCell<Conn>>;

    pub fn start(live: Live) {
        // The sign-in page has nothing live, and without a session the
        // stream would only answer 401.
        let on_login = web_sys::window()
            .and_then(|w| w.location().pathname().ok())
            .is_some_and(|p| p == "/login");
        if on_login {
            return;
        }
        let conn: Shared = Rc::default();
        if hidden() {
            live.mode.set(LiveMode::Paused);
        } else {
            connect(live, &conn);
        }
        let on_visibility = Closure::<dyn Fn()>::new(move || {
            if hidden() {
                stop(&conn);
                live.mode.set(LiveMode::Paused);
            } else {
                // Catch up on what happened while hidden, then listen again.
                bump(live);
                connect(live, &conn);
            }
        });
        if let Some(doc) = document() {
            let _ = doc.add_event_listener_with_callback(
                "visibilitychange",
                on_visibility.as_ref().unchecked_ref(),
            );
        }
        // Lives as long as the page.
        on_visibility.forget();
    }

    fn document() -> Option<web_sys::Document> {
        web_sys::window()?.document()
    }

    fn hidden() -> bool {
        document().is_some_and(|d| d.visibility_state() == VisibilityState::Hidden)
    }

    fn bump(live: Live) {
        live.bump(None);
    }

    fn stop(conn: &Shared) {
        let mut c = conn.borrow_mut();
        c.generation += 1;
        if let Some(source) = c.source.take() {
            source.close();
        }
        if let Some(poll) = c.poll.take() {
            poll.clear();
        }
    }

    fn connect(live: Live, conn: &Shared) {
        let recovering = matches!(
            live.mode.get_untracked(),
            LiveMode::Reconnecting | LiveMode::Polling
        );
        stop(conn);
        let Ok(source) = EventSource::new("/v1/stream") else {
            poll(live, conn);
            return;
        };
        live.mode.set(LiveMode::Connecting);
        let generation = conn.borrow().generation;

        let on_open = Closure::<dyn Fn()>::new(move || {
            live.mode.set(LiveMode::Live);
            if recovering {
                bump(live);
            }
        });
        source.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        on_open.forget();

        for name in Change::ALL
            .map(Change::as_str)
            .into_iter()
            .chain(["resync"])
        {
            let conn = conn.clone();
            let change = Change::parse(name);
            let on_change = Closure::<dyn Fn()>::new(move || debounced_bump(live, &conn, change));
            let _ =
                source.add_event_listener_with_callback(name, on_change.as_ref().unchecked_ref());
            on_change.forget();
        }

        // The browser retries by itself; if it has not got through after
        // GIVE_UP, poll instead.
        let on_error = {
            let conn = conn.clone();
            Closure::<dyn Fn()>::new(move || {
                if conn.borrow().generation != generation {
                    return;
                }
                live.mode.set(LiveMode::Reconnecting);
                let conn = conn.clone();
                set_timeout(
                    move || {
                        let c = conn.borrow();
                        let broken = c.generation == generation
                            && c.source
                                .as_ref()
                                .is_some_and(|s| s.ready_state() != EventSource::OPEN);
                        drop(c);
                        if broken {
                            poll(live, &conn);
                        }
                    },
                    GIVE_UP,
                );
            })
        };
        source.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        on_error.forget();
        conn.borrow_mut().source = Some(source);
    }

    fn debounced_bump(live: Live, conn: &Shared, change: Option<Change>) {
        let first = {
            let mut c = conn.borrow_mut();
            let first = c.pending.is_empty();
            if !c.pending.contains(&change) {
                c.pending.push(change);
            }
            first
        };
        if !first {
            return;
        }
        let conn = conn.clone();
        set_timeout(
            move || {
                let pending = std::mem::take(&mut conn.borrow_mut().pending);
                for change in pending {
                    live.bump(change);
                }
            },
            DEBOUNCE,
        );
    }

    fn poll(live: Live, conn: &Shared) {
        stop(conn);
        live.mode.set(LiveMode::Polling);
        bump(live);
        let generation = conn.borrow().generation;
        conn.borrow_mut().poll = set_interval_with_handle(move || bump(live), POLL).ok();
        let conn = conn.clone();
        set_timeout(
            move || {
                if conn.borrow().generation == generation && !hidden() {
                    connect(live, &conn);
                }
            },
            RETRY,
        );
    }
}
