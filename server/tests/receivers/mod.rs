//! Real listeners on loopback that alert deliveries go to: an SMTP server
//! that records messages and can refuse, and an HTTP receiver that checks
//! the webhook signature and can fail, refuse or hang; and one that
//! answers as each chat, push and incident provider does.

pub mod http;
pub mod providers;
pub mod smtp;
