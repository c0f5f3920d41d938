//! Telltale's service layer: what every change *does*. A change is written
//! through the store, then its effects follow from what the store reports:
//! the check engine is woken for the jobs it touched, live pages hear of it,
//! and it is logged. The REST API and the dashboard's server functions are
//! thin adapters over one [`Core`], so the two edges cannot drift apart.
//!
//! Layering: `model ← store ← delivery ← core ← {server, app[ssr]}`.

pub mod accounts;
pub mod change;
pub mod engine;
pub mod error;
pub mod faults;
pub mod ping;
mod service;

pub use error::ChangeError;
pub use service::{Core, CoreParts};
