//! A new secret for a browser without JavaScript. Hydrated, the form's
//! answer carries the secret and the section shows it. A plain form post
//! is answered with a redirect back to the page instead, which has no
//! answer to show: so the post leaves the secret in a short-lived cookie,
//! sent only to the settings page and unreadable by script, and the next
//! render of the section shows it and deletes the cookie. Shown once, as
//! with JavaScript.
//!
//! Any host that shares the domain can plant a cookie, so the section
//! shows what one brings only when it is the secret of the key or channel
//! it names: a planted signing secret would otherwise be copied into a
//! receiver by an admin and let its planter sign deliveries.

use leptos::prelude::use_context;
use leptos_axum::ResponseOptions;

/// The page whose sections show it; the cookie goes nowhere else.
const PATH: &str = "/settings";
/// Long enough for the redirect and a slow page, short enough that a
/// secret left unshown (the page never loaded) does not linger.
const MAX_AGE_SECONDS: u64 = 300;
/// Our secrets are `tt_…` and `whsec_…` with 64 hex digits or fewer; a
/// channel's own secret may be longer or hold other characters, and its
/// admin typed it, so it is not carried.
const MAX_SECRET_CHARS: usize = 128;

/// What a secret opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Key,
    Webhook,
}

impl Kind {
    /// A cookie per kind, so each section takes only its own.
    fn cookie(self) -> &'static str {
        match self {
            Kind::Key => "telltale_new_key",
            Kind::Webhook => "telltale_new_webhook",
        }
    }
}

/// A secret a browser brought back: the id of what it opens, and itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Brought {
    pub id: i64,
    pub secret: String,
}

fn carriable(secret: &str) -> bool {
    !secret.is_empty()
        && secret.len() <= MAX_SECRET_CHARS
        && secret
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

fn encode(id: i64, secret: &str) -> String {
    format!("{id}.{secret}")
}

fn decode(value: &str) -> Option<Brought> {
    let (id, secret) = value.split_once('.')?;
    let id = id.parse().ok()?;
    carriable(secret).then(|| Brought {
        id,
        secret: secret.to_owned(),
    })
}

fn set_cookie(kind: Kind, value: &str, max_age: u64) -> Option<http::HeaderValue> {
    http::HeaderValue::from_str(&format!(
        "{}={value}; Path={PATH}; Max-Age={max_age}; HttpOnly; SameSite=Strict",
        kind.cookie()
    ))
    .ok()
}

/// Where a post leaves its secret. Taken before the server function's
/// first `.await`, while the request's context is at hand.
pub struct Offer(Option<ResponseOptions>);

impl Offer {
    /// Only a plain form post needs the cookie.
    pub fn prepare() -> Self {
        Self(
            super::ssr::is_form_post()
                .then(use_context::<ResponseOptions>)
                .flatten(),
        )
    }

    /// Leaves `secret` for the page's next render of the section.
    pub fn give(self, kind: Kind, id: i64, secret: &str) {
        let Some(response) = self.0 else { return };
        if !carriable(secret) {
            return;
        }
        if let Some(cookie) = set_cookie(kind, &encode(id, secret), MAX_AGE_SECONDS) {
            response.append_header(http::header::SET_COOKIE, cookie);
        }
    }
}

/// The secret of this kind the request brought, if any; the answer
/// deletes the cookie either way, so it is shown at most once. Call
/// before the server function's first `.await`; check the secret against
/// the store before showing it.
pub fn take(kind: Kind) -> Option<Brought> {
    let parts = use_context::<http::request::Parts>()?;
    let value = parts
        .headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == kind.cookie())
        .map(|(_, value)| value.to_owned())?;
    if let (Some(response), Some(clear)) =
        (use_context::<ResponseOptions>(), set_cookie(kind, "", 0))
    {
        response.append_header(http::header::SET_COOKIE, clear);
    }
    decode(&value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_makes_the_trip_and_nothing_odd_is_carried() {
        let brought = decode(&encode(7, "tt_0123abcd"));
        assert_eq!(
            brought,
            Some(Brought {
                id: 7,
                secret: "tt_0123abcd".into()
            })
        );
        for odd in [
            "7.",
            "x.tt_1",
            "7.tt 1",
            "7.tt;1",
            "7.<script>",
            "7",
            ".tt_1",
        ] {
            assert_eq!(decode(odd), None, "{odd}");
        }
        assert!(!carriable(&"a".repeat(MAX_SECRET_CHARS + 1)));
        assert!(carriable(&format!("whsec_{}", "f".repeat(64))));
        let cookie = set_cookie(Kind::Key, "7.tt_1", MAX_AGE_SECONDS).unwrap();
        assert_eq!(
            cookie.to_str().unwrap(),
            "telltale_new_key=7.tt_1; Path=/settings; Max-Age=300; HttpOnly; SameSite=Strict"
        );
    }
}
