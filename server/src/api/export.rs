//! Exports: `GET /v1/export/runs.csv` and `GET /v1/export/events.ndjson`,
//! the filters of `/v1/runs` and `/v1/events`, everything they match.
//!
//! The body is streamed from the store in keyset pages of
//! [`EXPORT_PAGE_ROWS`]: hyper asks for the next chunk only when the client
//! has taken the last, so a million rows pass through one page of memory.
//! The first page is read before the answer starts, so a bad filter or an
//! unreachable store is still a JSON error. A store error later can no
//! longer change the status: it is logged and the body is cut off (the
//! chunked encoding ends without its final chunk, so curl and other
//! clients report a transfer error, and the file lacks its last rows).

use std::future::Future;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use futures_util::stream;
use serde_json::Value;
use telltale_model::{Event, Level, Run};
use telltale_store::{EXPORT_PAGE_ROWS, EventExport, RunExport, StoreError};

use super::query::{Params, RawQuery, row_cap};
use super::runs::{RunQuery, parse_run_query};
use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;

/// The CSV columns: every field of [`Run`], named as in its JSON.
pub const RUN_COLUMNS: [&str; 19] = [
    "seq",
    "runId",
    "jobName",
    "jobType",
    "engine",
    "status",
    "createdAt",
    "startTime",
    "endTime",
    "failureReason",
    "burninPresetId",
    "lutId",
    "workerId",
    "verificationRunId",
    "sourcePath",
    "outputPath",
    "progress",
    "updatedAt",
    "metadata",
];

/// Every run the filters match, as CSV, newest first.
#[utoipa::path(get, path = "/export/runs.csv", tag = "export",
    params(RunQuery),
    description = "RFC 4180 CSV (CRLF line ends, quotes only where needed) with a header row; \
        one column per field of `Run`, times in RFC 3339 UTC, `metadata` as JSON text, an \
        absent value as an empty cell. A text cell that starts with `=`, `+`, `-`, `@`, tab \
        or CR gets a leading `'`, so spreadsheets do not run it as a formula. Newest first. \
        `before` is where the export starts; `limit` caps the number of rows (no upper \
        bound; default everything). Streamed: an export cut short by a server-side error ends \
        without the final chunk.",
    responses(
        (status = 200, content_type = "text/csv", body = String,
            description = "Sent as an attachment (`Content-Disposition`)"),
        (status = 400, description = "A query parameter is invalid (named in `field`)", body = ErrorBody),
        (status = 401, body = ErrorBody),
    ))]
pub async fn runs_csv(
    State(state): State<AppState>,
    query: RawQuery,
) -> Result<Response, ApiError> {
    let (filter, cap) = parse_run_query(query)?;
    let export = state
        .core
        .store()
        .export_runs(filter, cap, EXPORT_PAGE_ROWS);
    let mut head = csv_writer(Vec::new());
    head.write_record(RUN_COLUMNS).map_err(csv_error)?;
    let head = head.into_inner().map_err(|e| csv_error(e.into_error()))?;
    attachment(
        export,
        head,
        "text/csv; charset=utf-8; header=present",
        "runs",
        "csv",
        runs_to_csv,
    )
    .await
}

/// Every event the filters match, one JSON object a line, newest first.
#[utoipa::path(get, path = "/export/events.ndjson", tag = "export",
    params(
        ("job" = Option<String>, Query, description = "Job name"),
        ("run" = Option<String>, Query, description = "Run id (also Forge's `job_id`)"),
        ("worker" = Option<String>, Query, description = "Worker id"),
        ("level" = Option<Level>, Query, description = "debug, info, warn or error"),
        ("type" = Option<String>, Query, description = "Event type"),
        ("since" = Option<String>, Query, description = "RFC 3339; events at or after"),
        ("until" = Option<String>, Query, description = "RFC 3339; events before"),
        ("q" = Option<String>, Query, description = "Full-text search, as for `GET /events`: only events whose message or metadata hold every word"),
        ("before" = Option<i64>, Query, description = "Start below this event id"),
        ("limit" = Option<u64>, Query, description = "At most this many events (default all)"),
    ),
    description = "Newline-delimited JSON: each line one `Event` as `GET /v1/events` returns \
        it, newest first, every line ending in `\\n`. Streamed: an export cut short by a \
        server-side error ends without the final chunk, usually mid-line.",
    responses(
        (status = 200, content_type = "application/x-ndjson", body = Event,
            description = "One `Event` per line, sent as an attachment"),
        (status = 400, description = "A query parameter is invalid (named in `field`)", body = ErrorBody),
        (status = 401, body = ErrorBody),
    ))]
pub async fn events_ndjson(
    State(state): State<AppState>,
    query: RawQuery,
) -> Result<Response, ApiError> {
    let params = Params::from_query(query)?;
    let filter = super::events::parse_filter(&params)?;
    let cap = row_cap(params.text("limit"))?;
    let export = state
        .core
        .store()
        .export_events(filter, cap, EXPORT_PAGE_ROWS);
    attachment(
        export,
        Vec::new(),
        "application/x-ndjson",
        "events",
        "ndjson",
        events_to_ndjson,
    )
    .await
}

/// A store export read page by page.
trait Pages: Send + 'static {
    type Row: Send + 'static;
    fn next(&mut self) -> impl Future<Output = Result<Option<Vec<Self::Row>>, StoreError>> + Send;
}

impl Pages for EventExport {
    type Row = Event;
    fn next(&mut self) -> impl Future<Output = Result<Option<Vec<Event>>, StoreError>> + Send {
        self.next_page()
    }
}

impl Pages for RunExport {
    type Row = Run;
    fn next(&mut self) -> impl Future<Output = Result<Option<Vec<Run>>, StoreError>> + Send {
        self.next_page()
    }
}

/// Writes a page of rows after `buf`'s bytes.
type Render<R> = fn(Vec<u8>, &[R]) -> Result<Vec<u8>, String>;

/// The answer: the first page read now (its errors are JSON errors), the
/// rest streamed one page per chunk.
async fn attachment<P: Pages>(
    mut pages: P,
    head: Vec<u8>,
    content_type: &'static str,
    what: &'static str,
    extension: &str,
    render: Render<P::Row>,
) -> Result<Response, ApiError> {
    let first = pages.next().await?.unwrap_or_default();
    let first = render(head, &first).map_err(ApiError::Internal)?;
    let rest = stream::unfold(Some(pages), move |pages| async move {
        let mut pages = pages?;
        match pages.next().await {
            Ok(Some(rows)) => match render(Vec::new(), &rows) {
                Ok(bytes) => Some((Ok(Bytes::from(bytes)), Some(pages))),
                Err(e) => Some((Err(cut_off(what, e)), None)),
            },
            Ok(None) => None,
            Err(e) => Some((Err(cut_off(what, e.to_string())), None)),
        }
    });
    let body = stream::iter([Ok::<_, std::io::Error>(Bytes::from(first))]);
    let body = Body::from_stream(futures_util::StreamExt::chain(body, rest));
    let filename = format!(
        "telltale-{what}-{}.{extension}",
        Utc::now().format("%Y%m%dT%H%M%SZ")
    );
    Ok((
        [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{filename}\""),
            ),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        body,
    )
        .into_response())
}

/// Logs why an export stops early; the error makes hyper end the body
/// without its final chunk, so the client sees a broken transfer rather
/// than a complete-looking file.
fn cut_off(what: &str, problem: String) -> std::io::Error {
    tracing::error!(export = what, error = %problem, "export cut short by a store error");
    std::io::Error::other(format!("{what} export cut short"))
}

fn csv_writer(buf: Vec<u8>) -> csv::Writer<Vec<u8>> {
    // RFC 4180: CRLF after every record, quotes where a field needs them.
    csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(buf)
}

fn csv_error(e: impl std::fmt::Display) -> ApiError {
    ApiError::Internal(format!("CSV: {e}"))
}

fn runs_to_csv(buf: Vec<u8>, runs: &[Run]) -> Result<Vec<u8>, String> {
    let mut w = csv_writer(buf);
    for run in runs {
        // Through the JSON form: the cells are the API's values (times as
        // it writes them), and a field added to Run cannot be missed (a
        // test compares the columns with its keys).
        let json = serde_json::to_value(run).map_err(|e| e.to_string())?;
        w.write_record(RUN_COLUMNS.iter().map(|c| cell(&json[*c])))
            .map_err(|e| e.to_string())?;
    }
    w.into_inner().map_err(|e| e.to_string())
}

/// A JSON value as a CSV cell: strings as they are (but see
/// [`defuse_formula`]), absent as empty, numbers and objects as JSON text.
fn cell(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => defuse_formula(s),
        other => other.to_string(),
    }
}

/// Producer text a spreadsheet would run as a formula (`=HYPERLINK(…)`,
/// `+cmd|…`, `@SUM(…)`) gets a leading `'`, which spreadsheets show as text:
/// OWASP's advice against CSV injection. Only strings need it: numbers are
/// our own, and JSON text starts with `{` or `[`.
fn defuse_formula(s: &str) -> String {
    match s.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{s}"),
        _ => s.to_owned(),
    }
}

fn events_to_ndjson(mut buf: Vec<u8>, events: &[Event]) -> Result<Vec<u8>, String> {
    for e in events {
        serde_json::to_writer(&mut buf, e).map_err(|e| e.to_string())?;
        buf.push(b'\n');
    }
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_a_spreadsheet_would_run_are_text() {
        for (raw, cell) in [
            (
                "=HYPERLINK(\"http://x\",\"y\")",
                "'=HYPERLINK(\"http://x\",\"y\")",
            ),
            ("+1+cmd|' /C calc'!A0", "'+1+cmd|' /C calc'!A0"),
            ("-2+3", "'-2+3"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\t=1", "'\t=1"),
            ("\r=1", "'\r=1"),
            ("nightly-render", "nightly-render"),
            ("a=b", "a=b"),
            ("", ""),
        ] {
            assert_eq!(super::cell(&Value::from(raw)), cell, "{raw:?}");
        }
        assert_eq!(super::cell(&Value::from(-1)), "-1", "numbers are ours");
    }

    #[test]
    fn the_columns_are_every_field_of_a_run() {
        let run = Run::first_seen("r", Utc::now());
        let json = serde_json::to_value(&run).unwrap();
        let mut keys: Vec<&str> = json
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        let mut columns = RUN_COLUMNS.to_vec();
        keys.sort_unstable();
        columns.sort_unstable();
        assert_eq!(keys, columns);
    }
}
