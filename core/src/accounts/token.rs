//! Random tokens for session cookies and API keys. Only their SHA-256
//! digests are stored: the tokens carry 256 bits of randomness, so a fast
//! hash is enough (a slow one protects guessable secrets such as passwords).

use rand::RngCore;
use sha2::{Digest, Sha256};

/// Every API key starts with this, so secret scanners and people recognise it.
pub const API_KEY_PREFIX: &str = "tt_";
/// How much of a key is kept in the clear to recognise it in the list.
const SHOWN_CHARS: usize = 8;

/// 32 random bytes, hex-encoded. `rand::rng()` is a CSPRNG reseeded from
/// the OS.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

pub fn digest(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A new API key and the prefix shown in lists (`tt_1a2b3c4d`).
pub fn new_api_key() -> (String, String) {
    let key = format!("{API_KEY_PREFIX}{}", random_token());
    let shown = key[..API_KEY_PREFIX.len() + SHOWN_CHARS].to_owned();
    (key, shown)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_distinct_and_digests_are_stable() {
        let (a, b) = (random_token(), random_token());
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
        assert_eq!(digest(&a), digest(&a));
        assert_ne!(digest(&a), a);
        let (key, shown) = new_api_key();
        assert!(key.starts_with("tt_") && key.starts_with(&shown));
        assert_eq!(shown.len(), 11);
    }
}
