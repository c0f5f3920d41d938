//! The worker side of Telltale.
//!
//! Workers report what happened as [`telltale_model::NewEvent`]s — the same
//! type the server validates and stores. This crate gives each event an
//! `eventId`, writes it to an on-disk spool first, and delivers the spool in
//! order, in batches, retrying with backoff; the server's `eventId`
//! idempotency makes a repeat harmless, so an event is stored exactly once
//! however often the network or the worker failed in between.
//!
//! ```no_run
//! use std::time::Duration;
//! use telltale_client::{Client, Config, Level};
//!
//! let client = Client::start(Config::from_env()?, "proxy-render")?;
//! let mut event = client.event("progress_update", Level::Info, "encoding");
//! event.run_id = Some("run-0042".into());
//! event.metadata = serde_json::json!({"progress": 40});
//! client.emit(event)?;
//! let report = client.close(Duration::from_secs(10));
//! assert!(report.is_complete() || report.last_error.is_some());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod backoff;
pub mod client;
pub mod config;
mod deadline;
mod delivery;
pub mod heartbeat;
pub mod spool;
pub mod transport;

pub use client::{Client, ClientError, FlushReport, new_event_id};
pub use config::{Config, ConfigError, Context};
pub use heartbeat::{Heartbeat, HeartbeatError, start_heartbeat};
pub use telltale_model::{IngestResponse, Level, NewEvent, SourceType};

#[cfg(feature = "cli")]
pub mod cli;
