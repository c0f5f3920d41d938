//! Pings in the manner of healthchecks.io: a URL says what happened
//! (success, start, fail, log or an exit status) to which job, and becomes
//! an ordinary event on that job's timeline.
//!
//! The URL grammar and the event a ping becomes live here, free of HTTP, so
//! both are tested without a server; `change::pings` resolves the job and
//! stores the event through the one ingest path.

mod body;
mod event;

pub use body::PingBody;
pub use event::{PingFrom, ping_event};

/// What a ping says happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PingKind {
    Success,
    Start,
    Fail,
    Log,
    /// `/<exit-status>`: 0 is a success, 1–255 a failure.
    Exit(u8),
}

impl PingKind {
    /// The suffix after the job's part of the URL (none: success).
    pub fn parse(suffix: Option<&str>) -> Result<Self, PingError> {
        Ok(match suffix {
            None | Some("") => Self::Success,
            Some("start") => Self::Start,
            Some("fail") => Self::Fail,
            Some("log") => Self::Log,
            Some(s) if !s.is_empty() && s.len() <= 3 && s.bytes().all(|b| b.is_ascii_digit()) => {
                match s.parse::<u16>() {
                    Ok(n) if n <= 255 => Self::Exit(n as u8),
                    _ => {
                        return Err(PingError::InvalidUrl(format!(
                            "exit status {s} is not in 0-255"
                        )));
                    }
                }
            }
            Some(s) if s.bytes().all(|b| b.is_ascii_digit()) => {
                return Err(PingError::InvalidUrl(format!(
                    "exit status {s} is not in 0-255"
                )));
            }
            Some(other) => {
                return Err(PingError::InvalidUrl(format!(
                    "{other:?} is not start, fail, log or an exit status"
                )));
            }
        })
    }

    /// True for a ping that ends a run (success, fail, exit status).
    pub fn ends_run(self) -> bool {
        matches!(self, Self::Success | Self::Fail | Self::Exit(_))
    }

    pub fn failed(self) -> bool {
        matches!(self, Self::Fail | Self::Exit(1..))
    }

    /// As the `ping.kind` of the event's metadata and the metrics label.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Success | Self::Exit(0) => "success",
            Self::Start => "start",
            Self::Fail | Self::Exit(_) => "fail",
            Self::Log => "log",
        }
    }
}

/// A UUID in its canonical text form (8-4-4-4-12 hex digits), lower-cased;
/// `None` for anything else. Ping UUIDs and run ids (`rid`) take this form.
pub fn canonical_uuid(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let hyphens = [8, 13, 18, 23];
    let ok = b.len() == 36
        && b.iter().enumerate().all(|(i, c)| {
            if hyphens.contains(&i) {
                *c == b'-'
            } else {
                c.is_ascii_hexdigit()
            }
        });
    ok.then(|| s.to_ascii_lowercase())
}

/// A fresh random (version 4) UUID in canonical form: a ping URL's
/// secret, 122 random bits.
pub fn new_uuid() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// The id of a run a ping opens without `rid`: a time-ordered (version 7)
/// UUID, so new runs land at the end of the run-id index instead of at
/// random places in it (a success ping is a new run each time).
pub fn new_run_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// Why a ping is refused. Each answer is the one healthchecks gives, in
/// its words, so clients written for it read it the same way.
#[derive(Debug, thiserror::Error)]
pub enum PingError {
    /// 400 `invalid url format` (and what is wrong with it).
    #[error("invalid url format: {0}")]
    InvalidUrl(String),
    /// 400: `rid` is not a UUID.
    #[error("invalid uuid format: rid must be a UUID such as 123e4567-e89b-12d3-a456-426614174000")]
    InvalidRunId,
    /// 400: `?create=1` with a name no job can have.
    #[error("invalid job name: {0}")]
    InvalidJobName(String),
    /// 404 `not found`.
    #[error("not found")]
    NotFound,
    /// 401: the ping key of a slug URL is wrong or revoked.
    #[error("unauthorized: the ping key is wrong or revoked")]
    BadKey,
    /// 403: the key in the URL is an API key of another scope.
    #[error("forbidden: this key cannot ping; make a key of scope ping")]
    WrongScope,
    /// 413: the body broke off or passed the request limit.
    #[error("body too large: {0}")]
    BodyTooLarge(String),
    /// 503: not stored; the client retries.
    #[error("not stored, retry later: {0}")]
    Unavailable(String),
}

/// Checks a job name that `?create=1` would create.
pub fn check_new_job_name(name: &str) -> Result<(), PingError> {
    let bad = |why: &str| Err(PingError::InvalidJobName(format!("{name:?} {why}")));
    if name.trim().is_empty() {
        return bad("is blank");
    }
    if name.len() > telltale_model::event::MAX_ID_LEN {
        return bad(&format!(
            "is longer than {} bytes",
            telltale_model::event::MAX_ID_LEN
        ));
    }
    if name
        .chars()
        .any(|c| c.is_control() || c == '/' || c == '\\')
    {
        return bad("has a control character or a slash");
    }
    if name != name.trim() {
        return bad("starts or ends with white space");
    }
    Ok(())
}

#[cfg(test)]
mod tests;
