//! Real listeners on loopback that alert deliveries go to: an SMTP server
//! that records messages and can refuse, and an HTTP receiver that checks
//! the webhook signature and can fail, refuse or hang.

pub mod http;
pub mod smtp;
