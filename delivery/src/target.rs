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

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use telltale_model::FieldError;
use url::{Host, Url};

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

/// What stops `ip` from being a webhook target, if anything.
pub fn restriction(ip: IpAddr) -> Option<Restriction> {
    match ip {
        IpAddr::V4(v4) => restriction_v4(v4),
        IpAddr::V6(v6) => restriction_v6(v6),
    }
}

fn restriction_v4(ip: Ipv4Addr) -> Option<Restriction> {
    use Restriction::{Forbidden, Private};
    Some(match ip.octets() {
        [0, ..] => Forbidden("an unspecified address (0.0.0.0/8)"),
        [169, 254, ..] => {
            Forbidden("a link-local address (169.254.0.0/16, where cloud metadata services answer)")
        }
        [100, 100, 100, 200] => Forbidden("a cloud metadata address"),
        [224..=239, ..] => Forbidden("a multicast address"),
        [255, 255, 255, 255] => Forbidden("the broadcast address"),
        [240..=255, ..] => Forbidden("a reserved address (240.0.0.0/4)"),
        [127, ..] => Private("a loopback address"),
        [10, ..] => Private("a private address (10.0.0.0/8)"),
        [172, 16..=31, ..] => Private("a private address (172.16.0.0/12)"),
        [192, 168, ..] => Private("a private address (192.168.0.0/16)"),
        [100, 64..=127, ..] => Private("a shared address (100.64.0.0/10)"),
        _ => return None,
    })
}

fn restriction_v6(ip: Ipv6Addr) -> Option<Restriction> {
    use Restriction::{Forbidden, Private};
    // The same host by another spelling: ::ffff:169.254.169.254 reaches
    // 169.254.169.254, and so do the IPv4-compatible form (::a.b.c.d) and
    // NAT64's well-known prefix (64:ff9b::/96) through a NAT64 gateway.
    if let Some(v4) = ip.to_ipv4_mapped() {
        return restriction_v4(v4);
    }
    if ip.is_unspecified() {
        return Some(Forbidden("the unspecified address (::)"));
    }
    if ip.is_loopback() {
        return Some(Private("a loopback address"));
    }
    let s = ip.segments();
    if s[..6] == [0; 6] || s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        let o = ip.octets();
        return restriction_v4(Ipv4Addr::new(o[12], o[13], o[14], o[15]));
    }
    Some(match s[0] {
        _ if ip == Ipv6Addr::new(0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254) => {
            Forbidden("a cloud metadata address")
        }
        x if x & 0xffc0 == 0xfe80 => Forbidden("a link-local address (fe80::/10)"),
        x if x & 0xff00 == 0xff00 => Forbidden("a multicast address"),
        x if x & 0xfe00 == 0xfc00 => Private("a private address (fc00::/7)"),
        x if x & 0xffc0 == 0xfec0 => Private("a site-local address (fec0::/10)"),
        _ => return None,
    })
}

/// `Ok` when `ip` may be sent to.
pub fn check_ip(ip: IpAddr, allow_private: bool) -> Result<(), Restriction> {
    match restriction(ip) {
        None => Ok(()),
        Some(Restriction::Private(_)) if allow_private => Ok(()),
        Some(r) => Err(r),
    }
}

/// What a host name alone says, before any lookup.
fn check_name(name: &str, allow_private: bool) -> Result<(), TargetError> {
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

/// The addresses of `name` that may be connected to; an error when none
/// may (naming the first refused one).
fn keep_permitted(
    name: &str,
    addrs: impl IntoIterator<Item = SocketAddr>,
    allow_private: bool,
) -> Result<Vec<SocketAddr>, TargetError> {
    let mut refused = None;
    let kept: Vec<SocketAddr> = addrs
        .into_iter()
        .filter(|a| match check_ip(a.ip(), allow_private) {
            Ok(()) => true,
            Err(r) => {
                refused.get_or_insert((a.ip(), r));
                false
            }
        })
        .collect();
    match (kept.is_empty(), refused) {
        (true, Some((ip, r))) => Err(TargetError::refused(format!("{name} ({ip})"), r)),
        _ => Ok(kept),
    }
}

/// The webhook client's resolver: the system's lookup, minus every address
/// a webhook may not reach. It runs at connect time, so the address
/// checked is the address connected to.
#[derive(Debug, Clone, Copy)]
pub(crate) struct GuardedResolver {
    pub allow_private: bool,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow_private = self.allow_private;
        let name = name.as_str().to_owned();
        Box::pin(async move {
            check_name(&name, allow_private)?;
            let found = tokio::net::lookup_host((name.as_str(), 0)).await?;
            let kept = keep_permitted(&name, found, allow_private)?;
            Ok(Box::new(kept.into_iter()) as Addrs)
        })
    }
}

/// The refusal inside a send error, if the guard is what stopped it.
pub(crate) fn refusal_in<'a>(e: &'a (dyn std::error::Error + 'static)) -> Option<&'a TargetError> {
    let mut source: Option<&'a (dyn std::error::Error + 'static)> = Some(e);
    while let Some(s) = source {
        if let Some(refused) = s.downcast_ref::<TargetError>() {
            return Some(refused);
        }
        source = s.source();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn resolved_addresses_are_filtered_and_all_refused_is_an_error() {
        let a = |s: &str| SocketAddr::new(s.parse().unwrap(), 0);
        let kept = keep_permitted(
            "mixed.example",
            [a("169.254.169.254"), a("93.184.215.14"), a("10.0.0.1")],
            false,
        )
        .unwrap();
        assert_eq!(kept, vec![a("93.184.215.14")]);
        let kept = keep_permitted("lan.example", [a("10.0.0.1"), a("::1")], true).unwrap();
        assert_eq!(kept.len(), 2);
        let e = keep_permitted(
            "rebound.example",
            [a("169.254.169.254"), a("fd00:ec2::254")],
            true,
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "rebound.example (169.254.169.254) is a link-local address (169.254.0.0/16, \
             where cloud metadata services answer): webhooks are never sent there"
        );
    }

    #[tokio::test]
    async fn the_resolver_refuses_names_before_looking_them_up() {
        let r = GuardedResolver {
            allow_private: true,
        };
        let name: Name = "metadata.google.internal".parse().unwrap();
        let e = match r.resolve(name).await {
            Ok(_) => panic!("resolved a metadata name"),
            Err(e) => e,
        };
        assert!(refusal_in(&*e).is_some(), "{e}");
        let r = GuardedResolver {
            allow_private: false,
        };
        let name: Name = "localhost".parse().unwrap();
        assert!(r.resolve(name).await.is_err());
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
