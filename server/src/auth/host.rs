//! DNS rebinding: a web page on `evil.example` can make its own name resolve
//! to 127.0.0.1 and then read a local Telltale as "same origin". Browsers
//! still send `Host: evil.example`, so while auth is off (nothing else would
//! stop it) only requests naming this server by an IP address, `localhost`
//! or a configured URL's host are served.

use std::net::IpAddr;

use axum::http::{HeaderMap, header};

use crate::Config;

pub fn allowed(config: &Config, headers: &HeaderMap) -> bool {
    // HTTP/1.0 clients may omit it; browsers never do.
    let Some(host) = headers.get(header::HOST).and_then(|h| h.to_str().ok()) else {
        return true;
    };
    let Ok(authority) = host.parse::<axum::http::uri::Authority>() else {
        return false;
    };
    let name = authority
        .host()
        .trim_start_matches('[')
        .trim_end_matches(']');
    if name.parse::<IpAddr>().is_ok() || name.eq_ignore_ascii_case("localhost") {
        return true;
    }
    config
        .public_url
        .iter()
        .chain(config.auth.base_url.iter())
        .chain(config.auth.trusted_origins.iter())
        .filter_map(|u| url::Url::parse(u).ok())
        .any(|u| u.host_str().is_some_and(|h| h.eq_ignore_ascii_case(name)))
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

    fn host(h: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::HOST, h.parse().unwrap());
        headers
    }

    #[test]
    fn only_addresses_localhost_and_configured_names_pass() {
        let local = config(None);
        for ok in ["127.0.0.1:7410", "[::1]:7410", "localhost:7410", "10.1.2.3"] {
            assert!(allowed(&local, &host(ok)), "{ok}");
        }
        assert!(!allowed(&local, &host("evil.example:7410")));
        let named = config(Some("http://monitor.studio.lan:7410"));
        assert!(allowed(&named, &host("monitor.studio.lan:7410")));
        assert!(!allowed(&named, &host("evil.example:7410")));
    }
}
