//! Trust: no event, credential, burst or fault silences alerting. Each test
//! attacks a real server (SQLite, and PostgreSQL where one answers) over
//! HTTP, then proves alerting still works: a canary job fails and its
//! FAILURE alert must open and be delivered to a webhook receiver.

mod burst;
mod canary;
mod delivery;
mod edges;
mod loops;
mod managed;
mod markup;
mod numbers;
mod pings;
#[path = "../receivers/mod.rs"]
#[allow(dead_code)]
mod receivers;
mod scheduler;
mod sticky;
#[path = "../../../store/tests/support/mod.rs"]
#[allow(dead_code)]
mod store_support;
// Shared by every trust test: not each uses all of it.
#[allow(dead_code)]
mod support;
mod times;
