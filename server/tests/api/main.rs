//! Black-box tests: a real server on a random port with a temporary SQLite
//! file, spoken to over HTTP only.

mod cli;
mod client;
mod helpers;
mod ingest;
mod maintenance;
mod openapi;
mod pages;
mod read;
mod runs;
mod status;
mod stream;
