//! A ping's request body: kept up to a limit, cut beyond it.

use base64::Engine;

/// What a ping's body holds, as stored on its event.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PingBody {
    /// The body up to the limit: the text itself when it is UTF-8,
    /// otherwise its bytes in base64.
    pub text: String,
    pub base64: bool,
    /// How many bytes were sent in all.
    pub bytes: u64,
    /// More was sent than is kept.
    pub truncated: bool,
}

impl PingBody {
    /// `kept` are the first bytes of a body of `total` bytes.
    pub fn new(kept: &[u8], total: u64) -> Self {
        let truncated = total > kept.len() as u64;
        match std::str::from_utf8(kept) {
            Ok(text) => Self {
                text: text.to_owned(),
                base64: false,
                bytes: total,
                truncated,
            },
            // Text cut inside a character is still text: drop the part.
            Err(e) if truncated && e.error_len().is_none() => Self {
                text: String::from_utf8_lossy(&kept[..e.valid_up_to()]).into_owned(),
                base64: false,
                bytes: total,
                truncated,
            },
            Err(_) => Self {
                text: base64::engine::general_purpose::STANDARD.encode(kept),
                base64: true,
                bytes: total,
                truncated,
            },
        }
    }

    pub fn is_empty(&self) -> bool {
        self.bytes == 0
    }
}
