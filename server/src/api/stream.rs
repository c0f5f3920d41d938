//! `GET /v1/stream`: Server-Sent Events naming what changed (`events`,
//! `runs`, `jobs`, `workers`, `alerts`), so the dashboard re-reads only
//! what it shows. `resync` means messages were missed: re-read everything.

use std::convert::Infallible;

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use tokio_stream::StreamExt;
use tokio_stream::wrappers::BroadcastStream;
use tokio_stream::wrappers::errors::BroadcastStreamRecvError;

use telltale_store::LiveSignal;

use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;

/// Changes as they happen, until the server shuts down.
#[utoipa::path(get, path = "/stream", tag = "live", responses(
    (status = 200, description = "text/event-stream; event names: events, runs, jobs, workers, alerts, resync"),
    (status = 401, body = ErrorBody),
))]
/// Authenticated like every read of `/v1` by the access table (a session
/// cookie for the dashboard's EventSource, or a read key).
pub async fn stream(
    State(state): State<AppState>,
) -> Result<Sse<impl tokio_stream::Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let changes = BroadcastStream::new(state.core.live().subscribe())
        .take_while(|m| !matches!(m, Ok(LiveSignal::Closed)))
        .map(|m| {
            let name = match m {
                Ok(LiveSignal::Change(change)) => change.as_str(),
                // Closed ends the stream above; a lagging stream or a lost
                // link to the other instances has missed changes.
                Ok(LiveSignal::Resync | LiveSignal::Closed)
                | Err(BroadcastStreamRecvError::Lagged(_)) => "resync",
            };
            Ok(Event::default().event(name).data(name))
        });
    Ok(Sse::new(changes).keep_alive(KeepAlive::default()))
}
