//! What a webhook URL's host says before any connection: its scheme, its
//! spelling as reqwest reads it, its name, and (when a webhook is saved)
//! every address the name resolves to now.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use url::{Host, Url};

use super::TargetError;
use super::address::check_ip;

/// Names of cloud metadata services, refused before any lookup (their
/// addresses are refused too; the name is refused so that a resolver that
/// answers something else for them cannot matter).
const METADATA_NAMES: &[&str] = &[
    "metadata",
    "metadata.google.internal",
    "metadata.goog",
    "instance-data",
    "instance-data.ec2.internal",
];

/// What a host name alone says, before any lookup.
pub(super) fn check_name(name: &str, allow_private: bool) -> Result<(), TargetError> {
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    if METADATA_NAMES.contains(&name.as_str()) {
        return Err(TargetError::Forbidden {
            host: name,
            what: "a cloud metadata service",
        });
    }
    // RFC 6761: these are loopback whatever a resolver says.
    if !allow_private && (name == "localhost" || name.ends_with(".localhost")) {
        return Err(TargetError::Private {
            host: name,
            what: "a loopback address",
        });
    }
    Ok(())
}

/// The URL's scheme and host, without any lookup: an IP literal is judged
/// here, a name returned for resolving (with the URL's port).
pub(crate) fn check_literal(
    url: &str,
    allow_private: bool,
) -> Result<Option<(String, u16)>, TargetError> {
    let trimmed = url.trim();
    let parsed = Url::parse(trimmed).map_err(|e| TargetError::Unparsable {
        url: trimmed.to_owned(),
        problem: e.to_string(),
    })?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(TargetError::NotHttp {
            url: trimmed.to_owned(),
        });
    }
    let port = parsed.port_or_known_default().unwrap_or(80);
    let ip = match parsed.host() {
        None => {
            return Err(TargetError::NoHost {
                url: trimmed.to_owned(),
            });
        }
        Some(Host::Domain(name)) => {
            check_name(name, allow_private)?;
            return Ok(Some((name.to_owned(), port)));
        }
        Some(Host::Ipv4(ip)) => IpAddr::V4(ip),
        Some(Host::Ipv6(ip)) => IpAddr::V6(ip),
    };
    check_ip(ip, allow_private).map_err(|r| TargetError::refused(ip.to_string(), r))?;
    Ok(None)
}

/// How long saving a webhook waits for its name to resolve.
const LOOKUP_TIMEOUT: Duration = Duration::from_secs(3);

/// Whether a webhook may be saved with `url`: the scheme, the host as
/// reqwest reads it, and every address the host resolves to now.
pub async fn check_webhook_url(url: &str, allow_private: bool) -> Result<(), TargetError> {
    let Some((name, port)) = check_literal(url, allow_private)? else {
        return Ok(());
    };
    let addrs: Vec<SocketAddr> = match tokio::time::timeout(
        LOOKUP_TIMEOUT,
        tokio::net::lookup_host((name.as_str(), port)),
    )
    .await
    {
        Ok(Ok(addrs)) => addrs.collect(),
        // Not resolvable from here now: every send checks again.
        Ok(Err(e)) => {
            tracing::info!(host = %name, error = %e, "webhook host does not resolve now; it is checked again at each send");
            return Ok(());
        }
        Err(_) => {
            tracing::info!(host = %name, "webhook host lookup timed out; it is checked again at each send");
            return Ok(());
        }
    };
    for addr in addrs {
        check_ip(addr.ip(), allow_private)
            .map_err(|r| TargetError::refused(format!("{name} ({})", addr.ip()), r))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use telltale_model::FieldError;

    /// Every case: (host as written in a URL, with allow-private off, on).
    /// `F` forbidden always, `P` refused unless private is allowed, `-`
    /// allowed.
    const TABLE: &[(&str, char)] = &[
        // Cloud metadata and link-local.
        ("169.254.169.254", 'F'),
        ("169.254.0.1", 'F'),
        ("[fd00:ec2::254]", 'F'),
        ("100.100.100.200", 'F'),
        ("[fe80::1]", 'F'),
        ("[febf:ffff::1]", 'F'),
        // Unspecified, multicast, broadcast, reserved.
        ("0.0.0.0", 'F'),
        ("0.1.2.3", 'F'),
        ("[::]", 'F'),
        ("224.0.0.1", 'F'),
        ("239.255.255.250", 'F'),
        ("255.255.255.255", 'F'),
        ("240.0.0.1", 'F'),
        ("[ff02::1]", 'F'),
        // The same, spelled as IPv4-mapped, IPv4-compatible or NAT64.
        ("[::ffff:169.254.169.254]", 'F'),
        ("[::ffff:a9fe:a9fe]", 'F'),
        ("[::169.254.169.254]", 'F'),
        ("[64:ff9b::169.254.169.254]", 'F'),
        ("[::ffff:0.0.0.0]", 'F'),
        // Spellings the URL parser turns into 169.254.169.254.
        ("2852039166", 'F'),
        ("0xa9fea9fe", 'F'),
        ("0251.0376.0251.0376", 'F'),
        ("169.254.43518", 'F'),
        ("169.254.169.254.", 'F'),
        ("0", 'F'),
        // Loopback and private networks.
        ("127.0.0.1", 'P'),
        ("127.8.9.10", 'P'),
        ("[::1]", 'P'),
        ("10.0.0.1", 'P'),
        ("172.16.0.1", 'P'),
        ("172.31.255.255", 'P'),
        ("192.168.1.1", 'P'),
        ("100.64.0.1", 'P'),
        ("100.127.255.254", 'P'),
        ("[fc00::1]", 'P'),
        ("[fd12:3456::1]", 'P'),
        ("[::ffff:127.0.0.1]", 'P'),
        ("[::ffff:10.1.2.3]", 'P'),
        ("[::127.0.0.1]", 'P'),
        ("[64:ff9b::10.0.0.1]", 'P'),
        ("2130706433", 'P'),
        ("0x7f.1", 'P'),
        ("0177.0.0.1", 'P'),
        ("127.1", 'P'),
        ("127.0.0.1.", 'P'),
        ("localhost", 'P'),
        ("LOCALHOST.", 'P'),
        ("api.localhost", 'P'),
        // Metadata service names.
        ("metadata.google.internal", 'F'),
        ("METADATA.google.internal.", 'F'),
        ("metadata", 'F'),
        ("metadata.goog", 'F'),
        ("instance-data.ec2.internal", 'F'),
        // Public: allowed.
        ("93.184.215.14", '-'),
        ("172.32.0.1", '-'),
        ("100.63.255.255", '-'),
        ("100.128.0.1", '-'),
        ("169.253.1.1", '-'),
        ("[2606:4700::1111]", '-'),
        ("[::ffff:8.8.8.8]", '-'),
        ("[64:ff9b::8.8.8.8]", '-'),
        ("hooks.slack.com", '-'),
    ];

    #[test]
    fn the_address_table() {
        for (host, want) in TABLE {
            let url = format!("http://{host}/hook");
            for allow_private in [false, true] {
                let got = check_literal(&url, allow_private);
                let refused = match &got {
                    Err(TargetError::Forbidden { .. }) => 'F',
                    Err(TargetError::Private { .. }) => 'P',
                    Ok(_) => '-',
                    Err(e) => panic!("{url}: {e}"),
                };
                let expected = match (want, allow_private) {
                    ('P', true) => '-',
                    (w, _) => *w,
                };
                assert_eq!(
                    refused, expected,
                    "{url} with allow_private={allow_private}: {got:?}"
                );
            }
        }
    }

    #[test]
    fn the_refusal_names_the_address_and_the_setting() {
        let e = check_literal("http://169.254.169.254/latest/meta-data/", true).unwrap_err();
        assert!(
            e.to_string().starts_with("169.254.169.254 is a link-local"),
            "{e}"
        );
        let e = check_literal("https://[::ffff:7f00:1]:8443/x", false).unwrap_err();
        assert!(
            e.to_string().contains("MONITOR_WEBHOOK_ALLOW_PRIVATE=true"),
            "{e}"
        );
        let field = FieldError::from(e);
        assert_eq!(field.field, "url");
    }

    #[test]
    fn only_http_urls_with_a_host() {
        for url in [
            "ftp://example.com/",
            "file:///etc/passwd",
            "gopher://x",
            "hooks.example/x",
        ] {
            assert!(check_literal(url, true).is_err(), "{url}");
        }
        assert_eq!(
            check_literal(" https://Hooks.Example.com:8443/a ", false).unwrap(),
            Some(("hooks.example.com".to_owned(), 8443))
        );
    }

    #[tokio::test]
    async fn saving_checks_every_address_a_name_has() {
        // "localhost" is refused by name; a literal loopback by address.
        assert!(
            check_webhook_url("http://localhost:9/x", false)
                .await
                .is_err()
        );
        assert!(
            check_webhook_url("http://127.0.0.1:9/x", true)
                .await
                .is_ok()
        );
        // A name that cannot resolve is accepted (checked at each send).
        assert!(
            check_webhook_url("http://does-not-exist.invalid/x", false)
                .await
                .is_ok()
        );
    }
}
