//! Reading a ping's body: the first bytes up to the limit are kept, the
//! rest is read and counted but not kept, so the client sees its request
//! answered rather than a connection cut mid-upload.

use axum::body::Body;
use futures_util::StreamExt;
use telltale_core::ping::{PingBody, PingError};

pub async fn read(body: Body, limit: usize) -> Result<PingBody, PingError> {
    let mut stream = body.into_data_stream();
    let mut kept: Vec<u8> = Vec::new();
    let mut total: u64 = 0;
    while let Some(chunk) = stream.next().await {
        // The request body limit of the stack (MONITOR_MAX_BODY_BYTES)
        // ends a body larger than any ping should send.
        let chunk = chunk.map_err(|e| PingError::BodyTooLarge(e.to_string()))?;
        total += chunk.len() as u64;
        let room = limit.saturating_sub(kept.len());
        kept.extend_from_slice(&chunk[..chunk.len().min(room)]);
    }
    Ok(PingBody::new(&kept, total))
}
