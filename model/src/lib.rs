//! The one typed model of Telltale.
//!
//! These types travel unchanged from the store to the REST API, the server
//! functions and the Leptos components. The crate compiles for the server and
//! for `wasm32`, so it holds no database or HTTP code.

pub mod event;
pub mod health;
pub mod ingest;

pub use event::{Event, EventFilter, Level, NewEvent, SourceType};
pub use health::{Health, HealthStatus};
pub use ingest::{Dropped, FieldError, IngestResponse};
