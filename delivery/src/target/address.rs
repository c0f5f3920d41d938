//! Which IP addresses a webhook may never reach, and which only with
//! `MONITOR_WEBHOOK_ALLOW_PRIVATE=true`.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::Restriction;

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
