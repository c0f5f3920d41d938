//! Where a webhook may send: not to this machine's cloud metadata service,
//! link-local or other non-unicast addresses (never), and not to loopback
//! or private networks unless the operator said so
//! (`MONITOR_WEBHOOK_ALLOW_PRIVATE=true`). Whoever can add a webhook could
//! otherwise make the server fetch its own cloud credentials or poke
//! services that only trust the local network.
//!
//! The rule is checked twice. When a webhook is saved, its URL's host is
//! parsed as reqwest will parse it (so `http://2130706433/` and
//! `http://0x7f.1/` are 127.0.0.1) and a name is resolved: any refused
//! address refuses the URL. A name that does not resolve (yet) is accepted:
//! DNS answers change, which is why the check that counts runs again at
//! every send, inside the HTTP client's resolver ([`GuardedResolver`]), so
//! a name that later points somewhere refused (DNS rebinding) is not
//! connected to. Redirects are never followed.

mod address;
mod host;
mod resolver;

use telltale_model::FieldError;

pub use address::restriction;
pub(crate) use host::check_literal;
pub use host::check_webhook_url;
pub(crate) use resolver::{GuardedResolver, refusal_in};

/// Why an address is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Restriction {
    /// Refused always: link-local, metadata, unspecified, multicast,
    /// broadcast and reserved addresses.
    Forbidden(&'static str),
    /// Refused unless `MONITOR_WEBHOOK_ALLOW_PRIVATE=true`: loopback and
    /// private networks.
    Private(&'static str),
}

/// A webhook URL that will not be sent to. Shown to the admin as the
/// reason for a 400 naming `url`, and recorded as the error of a delivery
/// refused at send time.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TargetError {
    #[error("{url:?} is not a URL: {problem}")]
    Unparsable { url: String, problem: String },
    #[error("{url:?} is not an http:// or https:// URL")]
    NotHttp { url: String },
    #[error("{url:?} has no host")]
    NoHost { url: String },
    #[error("{host} is {what}: webhooks are never sent there")]
    Forbidden { host: String, what: &'static str },
    #[error(
        "{host} is {what}: webhooks to loopback and private addresses need \
         MONITOR_WEBHOOK_ALLOW_PRIVATE=true"
    )]
    Private { host: String, what: &'static str },
}

impl TargetError {
    fn refused(host: String, restriction: Restriction) -> Self {
        match restriction {
            Restriction::Forbidden(what) => Self::Forbidden { host, what },
            Restriction::Private(what) => Self::Private { host, what },
        }
    }
}

/// The API and the settings page both answer with the field at fault.
impl From<TargetError> for FieldError {
    fn from(e: TargetError) -> Self {
        FieldError::new("url", e.to_string())
    }
}
