//! Who is on the other end of the connection: the client's address (for
//! login throttling) and whether it reached us over TLS (for the cookie's
//! `Secure` flag). `X-Forwarded-*` headers are believed only from a proxy
//! listed in `MONITOR_TRUSTED_PROXIES`; from anyone else they are ignored,
//! since any client can send them.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use axum::extract::ConnectInfo;
use axum::http::HeaderMap;
use axum::http::request::Parts;

use crate::Config;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Client {
    /// The client, as far as trusted proxies let us see.
    pub ip: IpAddr,
    /// The TCP peer itself (the proxy, when there is one).
    pub peer: IpAddr,
    pub https: bool,
}

impl Client {
    pub fn of(parts: &Parts, config: &Config) -> Client {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip())
            // Only a test harness serves without connect info.
            .unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST));
        Self::from_peer(peer, &parts.headers, config)
    }

    pub fn from_peer(peer: IpAddr, headers: &HeaderMap, config: &Config) -> Client {
        let public_https = config
            .public_url
            .as_deref()
            .is_some_and(|u| u.starts_with("https://"));
        let trusted = |ip: &IpAddr| config.auth.trusted_proxies.iter().any(|n| n.contains(ip));
        if !trusted(&peer) {
            return Client {
                ip: peer,
                peer,
                https: public_https,
            };
        }
        // The nearest address that is not one of our proxies is the client:
        // entries further left were written by whoever sent the request.
        let forwarded: Vec<IpAddr> = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .filter_map(|s| s.trim().parse().ok())
            .collect();
        let ip = forwarded
            .iter()
            .rev()
            .find(|ip| !trusted(ip))
            .or(forwarded.first())
            .copied()
            .unwrap_or(peer);
        let proto_https = headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .is_some_and(|p| p.trim().eq_ignore_ascii_case("https"));
        Client {
            ip,
            peer,
            https: public_https || proto_https,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(proxies: &str) -> Config {
        crate::auth::test_config(&[("MONITOR_TRUSTED_PROXIES", proxies)])
    }

    fn headers(xff: &str, proto: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", xff.parse().unwrap());
        h.insert("x-forwarded-proto", proto.parse().unwrap());
        h
    }

    #[test]
    fn forwarded_headers_count_only_from_trusted_proxies() {
        let c = config("10.0.0.0/8");
        let h = headers("1.2.3.4, 203.0.113.9, 10.0.0.2", "https");
        let from_proxy = Client::from_peer("10.0.0.1".parse().unwrap(), &h, &c);
        assert_eq!(from_proxy.ip.to_string(), "203.0.113.9");
        assert!(from_proxy.https);
        let direct = Client::from_peer("198.51.100.7".parse().unwrap(), &h, &c);
        assert_eq!(direct.ip.to_string(), "198.51.100.7");
        assert!(!direct.https, "anyone can send X-Forwarded-Proto");
    }
}
