//! Alert delivery: telling people and systems that an alert opened, is
//! still open, or closed — by email (SMTP through lettre, or Resend's HTTP
//! API), signed webhooks, and the chat, push and incident services each
//! channel's provider names (`channels`).
//!
//! The queue lives in the database (`alert_deliveries`, written by the
//! store in the same transaction as the alert change). [`Deliverer`] claims
//! due rows, sends them concurrently with a timeout, records each attempt
//! and schedules retries with exponential backoff and jitter. Nothing here
//! runs on the ingest or evaluation path.

mod channels;
mod compose;
mod config;
mod email;
mod error;
mod metrics;
mod sender;
mod target;
mod webhook;

pub use compose::{EmailContent, alert_link};
pub use config::{ConfigError, DeliveryConfig, EmailConfig};
pub use email::Mailer;
pub use error::SendError;
pub use metrics::DeliveryMetrics;
pub use sender::{Deliverer, spawn};
pub use target::{Restriction, TargetError, check_webhook_url, restriction};
pub use webhook::{DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, sign};

/// A new webhook signing secret (256 random bits, hex).
pub fn new_secret() -> String {
    format!("whsec_{}", hex::encode(rand::random::<[u8; 32]>()))
}
