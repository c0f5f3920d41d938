//! `POST /v1/events` (one event) and `POST /v1/events/batch` (many).
//!
//! A 2xx is sent only after the events are committed. A bad single event is a
//! 400 naming the field; in a batch, bad events are listed in `dropped` with
//! their index and reason while the good ones are stored.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, StatusCode, header};
use chrono::{DateTime, Utc};
use serde_json::Value;
use telltale_core::change::IngestReport;
use telltale_model::{CheckPolicy, Dropped, IngestResponse, NewEvent, Warning, metadata};
use tracing::Instrument;

use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;

/// Store one event. Answered after it is committed.
#[utoipa::path(post, path = "/events", tag = "ingest",
    request_body(content = NewEvent, description = "One event (camelCase JSON)"),
    params(("x-api-key" = Option<String>, Header, description = "Required when MONITOR_API_KEY is set")),
    responses(
        (status = 200, description = "Stored, or a duplicate of a stored eventId", body = IngestResponse),
        (status = 400, description = "Malformed JSON or an invalid field (named in `field`)", body = ErrorBody),
        (status = 401, description = "Missing or wrong x-api-key", body = ErrorBody),
        (status = 413, description = "Body over MONITOR_MAX_BODY_BYTES", body = ErrorBody),
        (status = 415, description = "Content type is not application/json", body = ErrorBody),
        (status = 503, description = "Not stored; retry later", body = ErrorBody),
    ))]
pub async fn ingest_one(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<IngestResponse>, ApiError> {
    require_json(&headers)?;
    let value = parse_body(&state, body)?;
    let now = Utc::now();
    let event = NewEvent::from_value(value, now).map_err(|e| {
        state.metrics.dropped(&e.field);
        ApiError::InvalidEvent(e)
    })?;
    let mut warnings = warnings_of(0, &event, now);
    warnings.extend(operator_warnings(&state, [(0, &event)]).await?);
    let span = tracing::info_span!(
        "ingest",
        event_type = %event.event_type,
        job = event.job_name.as_deref(),
        run = event.run_id.as_deref(),
        worker = event.worker_id.as_deref(),
    );
    let report = state
        .core
        .ingest(vec![event])
        .instrument(span.clone())
        .await?;
    span.in_scope(|| tracing::debug!(outcomes = ?report.outcomes, "event handled"));
    Ok(Json(response(&state, &report, Vec::new(), warnings)))
}

/// Store many events: `{"events": [...]}` or a bare array. Invalid events are
/// listed in `dropped` with their index and reason; the rest are stored.
#[utoipa::path(post, path = "/events/batch", tag = "ingest",
    request_body(content = Vec<NewEvent>, description = "A JSON array of events, or {\"events\": [...]}"),
    params(("x-api-key" = Option<String>, Header, description = "Required when MONITOR_API_KEY is set")),
    responses(
        (status = 200, description = "Valid events stored; invalid ones listed in `dropped`", body = IngestResponse),
        (status = 400, description = "Malformed JSON or not a batch", body = ErrorBody),
        (status = 401, description = "Missing or wrong x-api-key", body = ErrorBody),
        (status = 413, description = "Body or batch over its limit", body = ErrorBody),
        (status = 415, description = "Content type is not application/json", body = ErrorBody),
        (status = 503, description = "Not stored; retry later", body = ErrorBody),
    ))]
pub async fn ingest_batch(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<IngestResponse>, ApiError> {
    require_json(&headers)?;
    let value = parse_body(&state, body)?;
    let items = match value {
        Value::Array(items) => items,
        Value::Object(mut obj) => match obj.remove("events") {
            Some(Value::Array(items)) => items,
            _ => return Err(ApiError::BatchShape),
        },
        _ => return Err(ApiError::BatchShape),
    };
    let limit = state.config.ingest.max_batch_events;
    if items.len() > limit {
        return Err(ApiError::BatchTooLarge {
            count: items.len(),
            limit,
        });
    }

    let now = Utc::now();
    let mut valid = Vec::with_capacity(items.len());
    let mut dropped = Vec::new();
    let mut dropped_fields = Vec::new();
    let mut warnings = Vec::new();
    let size = items.len();
    // Each item moves into its event: the parsed JSON is gone once the
    // events are made, and does not wait for the commit beside them.
    let mut indices = Vec::with_capacity(items.len());
    for (index, item) in items.into_iter().enumerate() {
        match NewEvent::from_value(item, now) {
            Ok(event) => {
                warnings.extend(warnings_of(index, &event, now));
                indices.push(index);
                valid.push(event);
            }
            Err(e) => {
                dropped.push(Dropped {
                    index,
                    reason: e.to_string(),
                });
                dropped_fields.push(e.field);
            }
        }
    }
    warnings.extend(operator_warnings(&state, indices.into_iter().zip(&valid)).await?);
    let span = tracing::info_span!("ingest_batch", size, dropped = dropped.len());
    let report = state.core.ingest(valid).instrument(span).await?;
    // Counted once answered: a batch that failed (503) is sent again.
    for field in &dropped_fields {
        state.metrics.dropped(field);
    }
    Ok(Json(response(&state, &report, dropped, warnings)))
}

/// The metadata keys of `event` (item `index`) that Telltale reads and
/// cannot accept. The event is stored all the same, and the fold ignores
/// exactly these keys (it reads them through the same functions).
fn warnings_of(index: usize, event: &NewEvent, now: DateTime<Utc>) -> Vec<Warning> {
    let Some(meta) = event.metadata.as_object() else {
        return Vec::new();
    };
    metadata::problems(&event.event_type, meta, now)
        .into_iter()
        .map(|(field, reason)| Warning {
            index,
            field,
            reason,
        })
        .collect()
}

/// Policy keys in the events' metadata that an operator set on their job:
/// the event is stored, the fold leaves those keys to the operator, and the
/// answer says so. One query, and only for events that carry policy keys.
async fn operator_warnings<'a>(
    state: &AppState,
    events: impl IntoIterator<Item = (usize, &'a NewEvent)>,
) -> Result<Vec<Warning>, ApiError> {
    let with_policy: Vec<(usize, &NewEvent, &str)> = events
        .into_iter()
        .filter_map(|(i, e)| {
            let job = e.job_name.as_deref()?;
            let meta = e.metadata.as_object()?;
            CheckPolicy::keys()
                .any(|k| meta.contains_key(k))
                .then_some((i, e, job))
        })
        .collect();
    if with_policy.is_empty() {
        return Ok(Vec::new());
    }
    let mut names: Vec<String> = with_policy
        .iter()
        .map(|(_, _, j)| (*j).to_owned())
        .collect();
    names.sort();
    names.dedup();
    let locked = state.core.store().operator_keys_of(&names).await?;
    if locked.is_empty() {
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    for (index, event, job) in with_policy {
        let Some((_, keys)) = locked.iter().find(|(name, _)| name == job) else {
            continue;
        };
        let meta = event.metadata.as_object();
        for key in keys
            .iter()
            .filter(|k| meta.is_some_and(|m| m.contains_key(*k)))
        {
            out.push(Warning {
                index,
                field: format!("metadata.{key}"),
                reason: format!(
                    "set by an operator on job {job:?}; the producer's value is ignored"
                ),
            });
        }
    }
    Ok(out)
}

/// The answer, counted in the metrics.
fn response(
    state: &AppState,
    report: &IngestReport,
    dropped: Vec<Dropped>,
    warnings: Vec<Warning>,
) -> IngestResponse {
    let (inserted, duplicates) = (report.inserted(), report.duplicates());
    state.metrics.ingested(inserted, duplicates);
    for w in &warnings {
        state.metrics.ignored(&w.field);
    }
    IngestResponse {
        inserted,
        duplicates,
        dropped,
        warnings,
    }
}

/// Ingest takes JSON only: a form-encoded body (what `curl -d` sends without
/// a content type) is refused with 415 rather than guessed at.
fn require_json(headers: &HeaderMap) -> Result<(), ApiError> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let mime = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if mime == "application/json" || (mime.starts_with("application/") && mime.ends_with("+json")) {
        Ok(())
    } else {
        Err(ApiError::UnsupportedMediaType(content_type.to_owned()))
    }
}

fn parse_body(state: &AppState, body: Result<Bytes, BytesRejection>) -> Result<Value, ApiError> {
    let body = body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::BodyTooLarge {
                limit: state.config.ingest.max_body_bytes,
            }
        } else {
            ApiError::BodyUnreadable(rejection.body_text())
        }
    })?;
    serde_json::from_slice(&body).or_else(|e| {
        // JSON sets no limit on numbers; the parser does (f64). A number
        // past it (`1e400`) in one event's metadata must not cost that
        // event, or a whole batch: it is kept as the text it was sent as,
        // which no key Telltale reads accepts (a warning, not a 400).
        let Some(text) = quote_overflowing_numbers(&body) else {
            return Err(ApiError::MalformedJson(e.to_string()));
        };
        serde_json::from_slice(&text).map_err(|_| ApiError::MalformedJson(e.to_string()))
    })
}

/// `body` with every number literal that overflows an `f64` written as a
/// string instead (`1e400` → `"1e400"`); `None` when there is none.
fn quote_overflowing_numbers(body: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(body.len() + 16);
    let (mut in_string, mut escaped, mut changed) = (false, false, false);
    let mut i = 0;
    while i < body.len() {
        let b = body[i];
        if in_string {
            out.push(b);
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            i += 1;
            continue;
        }
        if b == b'"' {
            in_string = true;
            out.push(b);
            i += 1;
            continue;
        }
        if b == b'-' || b.is_ascii_digit() {
            // Outside strings, only a number has these characters.
            let end = body[i..]
                .iter()
                .position(|c| !matches!(c, b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E'))
                .map_or(body.len(), |n| i + n);
            let token = &body[i..end];
            let overflows = std::str::from_utf8(token)
                .ok()
                .and_then(|t| t.parse::<f64>().ok())
                .is_some_and(f64::is_infinite);
            if overflows {
                out.push(b'"');
                out.extend_from_slice(token);
                out.push(b'"');
                changed = true;
            } else {
                out.extend_from_slice(token);
            }
            i = end;
            continue;
        }
        out.push(b);
        i += 1;
    }
    changed.then_some(out)
}

#[cfg(test)]
mod tests {
    use super::quote_overflowing_numbers;

    #[test]
    fn only_numbers_past_f64_become_strings() {
        let body = br#"{"a":1e400,"b":[-1E+999, 2.5e3, 7],"c":"1e400 \" 1e999","d":-1}"#;
        let out = quote_overflowing_numbers(body).expect("changed");
        let v: serde_json::Value = serde_json::from_slice(&out).expect("valid JSON");
        assert_eq!(v["a"], "1e400");
        assert_eq!(v["b"], serde_json::json!(["-1E+999", 2500.0, 7]));
        assert_eq!(v["c"], "1e400 \" 1e999");
        assert_eq!(v["d"], -1);
        assert_eq!(
            quote_overflowing_numbers(br#"{"a":1e300,"s":"1e999"}"#),
            None
        );
    }
}
