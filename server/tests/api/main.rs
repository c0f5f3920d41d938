//! Black-box tests: a real server on a random port with a temporary SQLite
//! file, spoken to over HTTP only.

mod auth;
mod badge;
mod changes;
mod cli;
mod client;
mod delivery;
mod edges;
mod export;
mod fuzz;
mod helpers;
mod hostile_rows;
mod ingest;
mod maintenance;
mod metrics;
mod openapi;
mod pages;
mod read;
#[path = "../receivers/mod.rs"]
#[allow(dead_code)]
mod receivers;
mod runs;
mod settings_page;
#[path = "../common/sse.rs"]
mod sse;
mod status;
mod stream;
