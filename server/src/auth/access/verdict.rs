//! Which callers may enter which area: the access table itself.

use telltale_model::{KeyScope, Role};

use super::Area;
use crate::auth::caller::Caller;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Allow,
    /// 401: credentials missing or wrong.
    Unauthorized,
    /// 403: known caller, not allowed here.
    Forbidden(&'static str),
    /// A page without a session: off to the login form.
    SignIn,
}

/// The access table. With auth off (local single-user use), only
/// `MONITOR_API_KEY`, when set, guards `/v1`, as in Chief.
pub fn verdict(area: Area, caller: &Caller, auth_enabled: bool, env_key_set: bool) -> Verdict {
    use Verdict::*;
    if matches!(area, Area::Open | Area::Ping) {
        return Allow;
    }
    // `/metrics` is read like the API; the metrics token opens it alone.
    let area = match (area, caller) {
        (Area::Metrics, Caller::MetricsToken) => return Allow,
        (Area::Metrics, _) => Area::Read,
        (area, _) => area,
    };
    if !auth_enabled {
        return match area {
            Area::Ingest | Area::Read | Area::Badge | Area::Admin if env_key_set => match caller {
                Caller::EnvKey => Allow,
                _ => Unauthorized,
            },
            _ => Allow,
        };
    }
    match (area, caller) {
        (_, Caller::BadKey) => Unauthorized,
        (_, Caller::MetricsToken) => Forbidden("the metrics token opens /metrics only"),
        (Area::Page, Caller::User(_)) => Allow,
        (Area::Page, _) => SignIn,
        (Area::ServerFn, Caller::User(_)) => Allow,
        (Area::ServerFn, _) => Unauthorized,
        (_, Caller::Nobody) => Unauthorized,
        (Area::Ingest, Caller::EnvKey) => Allow,
        (Area::Ingest, Caller::Key(k)) if k.scope == KeyScope::Ingest => Allow,
        (Area::Ingest, _) => Forbidden("ingest needs an ingest-scoped API key"),
        (Area::Read | Area::Badge, Caller::EnvKey | Caller::User(_)) => Allow,
        (Area::Read | Area::Badge, Caller::Key(k)) if k.scope == KeyScope::Read => Allow,
        (Area::Read | Area::Badge, _) => {
            Forbidden("reading needs a read-scoped API key or a session")
        }
        (Area::Admin, Caller::User(u)) if u.role == Role::Admin => Allow,
        (Area::Admin, _) => Forbidden("this needs an admin"),
        (Area::Open | Area::Ping | Area::Metrics, _) => Allow,
    }
}

#[cfg(test)]
mod tests {
    use chrono::Utc;
    use telltale_model::{ApiKey, User};

    use super::*;

    #[test]
    fn the_table() {
        let user = |role| {
            Caller::User(User {
                id: 1,
                email: "a@example.com".into(),
                role,
                created_at: Utc::now(),
            })
        };
        let key = |scope| {
            Caller::Key(ApiKey {
                id: 1,
                name: "k".into(),
                scope,
                prefix: "tt_".into(),
                created_at: Utc::now(),
                last_used_at: None,
                revoked_at: None,
            })
        };
        use Verdict::*;
        let f = Forbidden("");
        let callers = [
            Caller::Nobody,
            user(Role::Viewer),
            user(Role::Admin),
            key(KeyScope::Ingest),
            key(KeyScope::Read),
            Caller::EnvKey,
            Caller::BadKey,
            Caller::MetricsToken,
        ];
        // Columns: nobody, viewer, admin, ingest key, read key, env key, bad
        // key (or wrong metrics token), metrics token.
        let table = [
            (
                Area::Open,
                [Allow, Allow, Allow, Allow, Allow, Allow, Allow, Allow],
            ),
            (
                Area::Ingest,
                [
                    Unauthorized,
                    f.clone(),
                    f.clone(),
                    Allow,
                    f.clone(),
                    Allow,
                    Unauthorized,
                    f.clone(),
                ],
            ),
            (
                Area::Read,
                [
                    Unauthorized,
                    Allow,
                    Allow,
                    f.clone(),
                    Allow,
                    Allow,
                    Unauthorized,
                    f.clone(),
                ],
            ),
            (
                Area::Metrics,
                [
                    Unauthorized,
                    Allow,
                    Allow,
                    f.clone(),
                    Allow,
                    Allow,
                    Unauthorized,
                    Allow,
                ],
            ),
            (
                Area::Admin,
                [
                    Unauthorized,
                    f.clone(),
                    Allow,
                    f.clone(),
                    f.clone(),
                    f.clone(),
                    Unauthorized,
                    f.clone(),
                ],
            ),
            (
                Area::ServerFn,
                [
                    Unauthorized,
                    Allow,
                    Allow,
                    Unauthorized,
                    Unauthorized,
                    Unauthorized,
                    Unauthorized,
                    f.clone(),
                ],
            ),
            (
                Area::Page,
                [
                    SignIn,
                    Allow,
                    Allow,
                    SignIn,
                    SignIn,
                    SignIn,
                    Unauthorized,
                    f.clone(),
                ],
            ),
        ];
        for (area, row) in table {
            for (caller, want) in callers.iter().zip(row) {
                let got = verdict(area, caller, true, true);
                let same = match (&got, &want) {
                    (Forbidden(_), Forbidden(_)) => true,
                    (a, b) => a == b,
                };
                assert!(
                    same,
                    "{area:?} × {}: got {got:?}, want {want:?}",
                    caller.describe()
                );
            }
        }
        // An unresolved badge is judged as a read.
        for caller in &callers {
            assert_eq!(
                verdict(Area::Badge, caller, true, true),
                verdict(Area::Read, caller, true, true)
            );
        }
        // Auth off: MONITOR_API_KEY alone guards /v1, pages are open.
        assert_eq!(
            verdict(Area::Read, &Caller::Nobody, false, true),
            Unauthorized
        );
        assert_eq!(verdict(Area::Read, &Caller::EnvKey, false, true), Allow);
        assert_eq!(verdict(Area::Admin, &Caller::Nobody, false, false), Allow);
        assert_eq!(verdict(Area::Page, &Caller::Nobody, false, true), Allow);
        // /metrics with auth off: like the read API, or the metrics token.
        assert_eq!(
            verdict(Area::Metrics, &Caller::Nobody, false, true),
            Unauthorized
        );
        assert_eq!(
            verdict(Area::Metrics, &Caller::MetricsToken, false, true),
            Allow
        );
        assert_eq!(
            verdict(Area::Metrics, &Caller::BadKey, false, true),
            Unauthorized
        );
        assert_eq!(verdict(Area::Metrics, &Caller::Nobody, false, false), Allow);
        // A ping key opens the ping URLs only; the ping URLs need no header.
        let ping_key = key(KeyScope::Ping);
        for area in [Area::Ingest, Area::Read, Area::Badge, Area::Admin] {
            assert!(
                matches!(verdict(area, &ping_key, true, true), Forbidden(_)),
                "{area:?}"
            );
        }
        for caller in callers.iter().chain([&ping_key]) {
            assert_eq!(verdict(Area::Ping, caller, true, true), Allow);
        }
    }
}
