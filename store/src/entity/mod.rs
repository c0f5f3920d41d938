//! sea-orm entities: the rows as the database holds them. They convert into
//! the shared model types; nothing outside this crate sees them.

pub mod alert;
pub mod alert_delivery;
pub mod api_key;
pub mod audit_entry;
pub mod check_transition;
pub mod engine_state;
pub mod event;
pub mod job;
pub mod job_ping;
pub mod maintenance_window;
pub mod rejected_transition;
pub mod run;
pub mod session;
pub mod setting;
pub mod user;
pub mod webhook;
pub mod worker;
