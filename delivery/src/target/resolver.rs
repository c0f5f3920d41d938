//! The check that counts: at every send, inside the HTTP client's
//! resolver, so the address checked is the address connected to.

use std::net::SocketAddr;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use super::TargetError;
use super::address::check_ip;
use super::host::check_name;

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
}
