//! Cross-site request forgery: a state-changing request that a browser
//! sends must come from one of our own pages. Browsers put `Origin` on every
//! POST (and `Referer` unless told not to); a page on another site cannot
//! forge either. The session cookie's `SameSite=Lax` is the second wall.
//!
//! Our origins are `MONITOR_PUBLIC_URL`, `MONITOR_AUTH_BASE_URL` and
//! `MONITOR_AUTH_TRUSTED_ORIGINS`; when none is set, the origin the request
//! itself names in `Host`.

use axum::http::{HeaderMap, Method, header};

use crate::Config;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// `Origin`/`Referer` names another site.
    CrossOrigin(String),
    /// A browser-bound request without either header.
    NoOrigin,
}

/// Whether `method` can change state (and so needs the check).
pub fn is_unsafe(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

fn origin_of(url: &str) -> Option<String> {
    let parsed = url::Url::parse(url).ok()?;
    match parsed.origin() {
        origin @ url::Origin::Tuple(..) => Some(origin.ascii_serialization()),
        url::Origin::Opaque(_) => None,
    }
}

fn allowed(config: &Config, headers: &HeaderMap) -> Vec<String> {
    let configured: Vec<String> = config
        .public_url
        .iter()
        .chain(config.auth.base_url.iter())
        .chain(config.auth.trusted_origins.iter())
        .filter_map(|u| origin_of(u))
        .collect();
    if !configured.is_empty() {
        return configured;
    }
    let Some(host) = headers.get(header::HOST).and_then(|h| h.to_str().ok()) else {
        return Vec::new();
    };
    ["http", "https"]
        .iter()
        .filter_map(|scheme| origin_of(&format!("{scheme}://{host}")))
        .collect()
}

/// Checks one unsafe request. `browser_bound` says the request is one that
/// only a browser makes or that rides on a cookie (server functions, login,
/// logout, anything with a `Cookie` header): for those a missing
/// `Origin`/`Referer` is refused too. Machines (workers sending events with
/// `x-api-key`) send neither and are not browsers.
pub fn check(config: &Config, headers: &HeaderMap, browser_bound: bool) -> Result<(), Refusal> {
    let claimed = headers
        .get(header::ORIGIN)
        .or_else(|| headers.get(header::REFERER))
        .map(|v| v.to_str().unwrap_or("null").to_owned());
    match claimed {
        Some(claimed) => {
            let origin = origin_of(&claimed);
            if origin.is_some_and(|o| allowed(config, headers).contains(&o)) {
                Ok(())
            } else {
                Err(Refusal::CrossOrigin(claimed))
            }
        }
        None if browser_bound => Err(Refusal::NoOrigin),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(public_url: Option<&str>) -> Config {
        let pairs: Vec<_> = public_url
            .map(|u| ("MONITOR_PUBLIC_URL", u))
            .into_iter()
            .collect();
        crate::auth::test_config(&pairs)
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn same_origin_passes_and_other_sites_do_not() {
        let local = config(None);
        let own = headers(&[
            ("host", "127.0.0.1:7410"),
            ("origin", "http://127.0.0.1:7410"),
        ]);
        assert_eq!(check(&local, &own, true), Ok(()));
        let evil = headers(&[
            ("host", "127.0.0.1:7410"),
            ("origin", "https://evil.example"),
        ]);
        assert!(matches!(
            check(&local, &evil, false),
            Err(Refusal::CrossOrigin(_))
        ));
        let null = headers(&[("host", "127.0.0.1:7410"), ("origin", "null")]);
        assert!(check(&local, &null, false).is_err());
        let referer = headers(&[
            ("host", "127.0.0.1:7410"),
            ("referer", "http://127.0.0.1:7410/login?next=/"),
        ]);
        assert_eq!(check(&local, &referer, true), Ok(()));
        let bare = headers(&[("host", "127.0.0.1:7410")]);
        assert_eq!(check(&local, &bare, true), Err(Refusal::NoOrigin));
        assert_eq!(check(&local, &bare, false), Ok(()));
    }

    #[test]
    fn a_public_url_replaces_the_host_header() {
        let public = config(Some("https://monitor.example.com/"));
        let ok = headers(&[
            ("host", "10.0.0.5"),
            ("origin", "https://monitor.example.com"),
        ]);
        assert_eq!(check(&public, &ok, true), Ok(()));
        // A forged Host does not widen what is allowed.
        let forged = headers(&[("host", "evil.example"), ("origin", "http://evil.example")]);
        assert!(check(&public, &forged, true).is_err());
    }
}
