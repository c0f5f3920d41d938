//! The Telltale server: configuration, HTTP API, pages and background loops
//! around the store. `main.rs` is only the command line.

pub mod admin;
pub mod api;
pub mod auth;
pub mod badge;
pub mod config;
pub mod edge;
pub mod error;
pub mod leader;
pub mod metrics;
pub mod ping;
pub mod site;
pub mod startup;
pub mod state;
pub mod telemetry;

// The engine and the faults tests arm live in the service layer.
pub use telltale_core::{engine, faults};

pub use config::Config;
pub use startup::Application;
