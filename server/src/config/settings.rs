//! Every variable the server reads, with its default and what it does: the
//! table `telltale serve --help` prints and `telltale config check` walks.
//! A test reads the configuration through a lookup that records each name
//! asked for, and fails when the parser asks for one missing here or one
//! here is never asked for; another holds docs/configuration.md to it.

/// One environment variable of the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Setting {
    pub var: &'static str,
    /// As shown; "—" when unset means off or none.
    pub default: &'static str,
    pub help: &'static str,
    /// Its value is never printed.
    pub secret: bool,
}

const fn s(var: &'static str, default: &'static str, help: &'static str) -> Setting {
    Setting {
        var,
        default,
        help,
        secret: false,
    }
}

const fn secret(var: &'static str, help: &'static str) -> Setting {
    Setting {
        var,
        default: "—",
        help,
        secret: true,
    }
}

/// In the order `Config::from_lookup` reads them, grouped as in
/// docs/configuration.md. One line a setting: it reads as the table it is.
#[rustfmt::skip]
pub const SETTINGS: &[Setting] = &[
    s("MONITOR_HOST", "127.0.0.1", "address to bind (an IP, or localhost)"),
    s("FORGE_MONITOR_LAN", "false", "true binds 0.0.0.0 when MONITOR_HOST is unset"),
    s("MONITOR_PORT", "PORT, else 7410", "port to listen on (0: any free port)"),
    s("PORT", "—", "the port when MONITOR_PORT is unset"),
    secret("MONITOR_DATABASE_URL", "postgres://… selects PostgreSQL; sqlite://PATH is SQLite"),
    s("MONITOR_DB_PATH", "./monitor.sqlite", "the SQLite file when no database URL is set"),
    s("MONITOR_INSTANCE_NAME", "host name and port", "this process's name in health, logs and PostgreSQL"),
    s("MONITOR_LEADER_RETRY_SECONDS", "5", "PostgreSQL: how often an instance that does not lead tries to"),
    secret("MONITOR_API_KEY", "a shared ingest and read key (at least 16 characters)"),
    secret("MONITOR_METRICS_TOKEN", "a bearer token that opens GET /metrics alone"),
    s("MONITOR_AUTH_ENABLED", "true", "login on; needs the two admin variables"),
    s("MONITOR_AUTH_ADMIN_EMAIL", "—", "the first admin, made on the first start"),
    secret("MONITOR_AUTH_ADMIN_PASSWORD", "that admin's password (at least 12 characters)"),
    s("MONITOR_ALLOW_INSECURE", "false", "true allows auth off while bound beyond loopback"),
    s("MONITOR_SESSION_IDLE_MINUTES", "30", "a session unused this long ends"),
    s("MONITOR_SESSION_MAX_HOURS", "12", "a session ends this long after login"),
    s("MONITOR_TRUSTED_PROXIES", "—", "IPs/CIDRs of proxies whose X-Forwarded-* are believed"),
    s("MONITOR_AUTH_PROXY_HEADER", "—", "a header an authenticating proxy sets to the user's email"),
    s("MONITOR_AUTH_PROXY_TRUSTED", "—", "IPs/CIDRs of that proxy (required with the header)"),
    s("MONITOR_MAX_CONCURRENT_REQUESTS", "256", "requests served at once; more wait"),
    s("MONITOR_REQUEST_TIMEOUT_SECONDS", "30", "a request not answered within this gets 503"),
    s("MONITOR_LOGIN_CONCURRENCY", "1", "password hashes computed at once"),
    s("MONITOR_LOGIN_QUEUE", "32", "sign-ins waiting for a hash; more get 503 login_busy"),
    secret("MONITOR_AUTH_SECRET", "at least 32 characters when set; not needed (sessions are server-side)"),
    s("MONITOR_AUTH_BASE_URL", "—", "an extra origin the CSRF check accepts"),
    s("MONITOR_AUTH_TRUSTED_ORIGINS", "—", "more such origins, comma-separated"),
    s("MONITOR_PUBLIC_URL", "—", "base of links in alerts; https makes the cookie Secure"),
    secret("MONITOR_SMTP_URL", "smtp://[user:pass@]host[:port] or smtps://… for alert email"),
    s("MONITOR_EMAIL_FROM", "Resend's sender", "sender of alert email (required with SMTP)"),
    s("MONITOR_DELIVERY_MAX_ATTEMPTS", "8", "attempts per delivery, the first included"),
    s("MONITOR_DELIVERY_BACKOFF_SECONDS", "30", "wait before the first retry; doubles each time"),
    s("MONITOR_DELIVERY_TIMEOUT_SECONDS", "10", "per webhook request or SMTP command"),
    s("MONITOR_DELIVERY_CONCURRENCY", "8", "sends in flight at once"),
    secret("MONITOR_RESEND_API_KEY", "the Resend email API's key (with the sender below)"),
    s("MONITOR_RESEND_FROM_EMAIL", "—", "the sender of email sent through Resend"),
    s("MONITOR_RESEND_API_BASE", "https://api.resend.com", "Resend's base URL"),
    s("MONITOR_WEBHOOK_ALLOW_PRIVATE", "false", "true lets webhooks reach loopback and private addresses"),
    s("MONITOR_RETENTION_DAYS", "30", "history older than this is pruned"),
    s("MONITOR_EVALUATOR_INTERVAL_SECONDS", "15", "how often the checks run"),
    s("MONITOR_CLOCK_SKEW_SECONDS", "300", "an eventAt further ahead than this counts as received"),
    s("MONITOR_SCHEDULER_HOLD_SECONDS", "900", "how long MISSED waits on a silent scheduler"),
    s("MONITOR_HEARTBEAT_URL", "—", "pinged after a good evaluator tick, at most once a minute"),
    secret("MONITOR_HEARTBEAT_API_KEY", "the x-api-key sent with that heartbeat"),
    s("MONITOR_RETENTION_INTERVAL_SECONDS", "3600", "how often history is pruned"),
    s("MONITOR_MAX_BODY_BYTES", "1048576", "largest ingest body"),
    s("MONITOR_MAX_BATCH_EVENTS", "1000", "largest batch"),
    s("MONITOR_PING_BODY_BYTES", "102400", "how much of a ping's body is kept"),
    s("MONITOR_LOG_FORMAT", "human", "human, or json for one JSON object a line"),
    s("MONITOR_ACCESS_LOG", "false", "true: one log line per answered request"),
    s("MONITOR_SITE_ROOT", "inside the binary", "a directory to serve the site (pkg/, favicon) from instead"),
];

/// The table as `telltale serve --help` ends: one setting a line.
pub fn help_text() -> String {
    let width = SETTINGS.iter().map(|s| s.var.len()).max().unwrap_or(0);
    let mut out = String::from(
        "Settings (environment variables; empty counts as unset, a bad value stops start-up):\n",
    );
    for s in SETTINGS {
        out.push_str(&format!(
            "  {:width$}  {} [default: {}]\n",
            s.var, s.help, s.default
        ));
    }
    out.push_str("  RUST_LOG  log filter [default: info]\n");
    out.push_str("\n`telltale config check` checks them without starting the server.\n");
    out
}

/// Each setting's value as `lookup` gives it (`None`: unset, its default
/// applies), a secret's masked.
pub fn effective(lookup: impl Fn(&str) -> Option<String>) -> Vec<(Setting, Option<String>)> {
    SETTINGS
        .iter()
        .map(|s| {
            let value = lookup(s.var)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
                .map(|v| if s.secret { mask(s.var, &v) } else { v });
            (*s, value)
        })
        .collect()
}

/// A secret as `config check` shows it: that it is set and how long; a
/// URL with its credentials and query (where passwords go) cut out.
fn mask(var: &str, value: &str) -> String {
    if var.ends_with("_URL")
        && let Some((scheme, rest)) = value.split_once("://")
    {
        let (credentials, place) = match rest.rsplit_once('@') {
            Some((_, place)) => ("***@", place),
            None => ("", rest),
        };
        let (place, query) = match place.split_once('?') {
            Some((place, _)) => (place, "?***"),
            None => (place, ""),
        };
        return format!("{scheme}://{credentials}{place}{query}");
    }
    format!("*** ({} characters)", value.chars().count())
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::collections::{BTreeSet, HashMap};

    use super::*;
    use crate::Config;

    /// The names `Config::from_lookup` asks for, reading `vars`.
    fn asked(vars: &[(&str, &str)]) -> BTreeSet<String> {
        let env: HashMap<&str, &str> = vars.iter().copied().collect();
        let asked = RefCell::new(BTreeSet::new());
        let parsed = Config::from_lookup(|name| {
            asked.borrow_mut().insert(name.to_owned());
            env.get(name).map(|v| (*v).to_owned())
        });
        assert!(parsed.is_ok(), "{vars:?}: {:?}", parsed.err());
        asked.into_inner()
    }

    #[test]
    fn the_table_is_every_variable_the_parser_reads() {
        let admin = [
            ("MONITOR_AUTH_ADMIN_EMAIL", "admin@example.com"),
            ("MONITOR_AUTH_ADMIN_PASSWORD", "a long enough password"),
        ];
        // Some variables are read only beside others: each branch once.
        let branches: Vec<Vec<(&str, &str)>> = vec![
            vec![("MONITOR_AUTH_ENABLED", "false")],
            vec![
                ("MONITOR_HOST", "0.0.0.0"),
                ("MONITOR_AUTH_ENABLED", "false"),
                ("MONITOR_ALLOW_INSECURE", "true"),
            ],
            admin.to_vec(),
            [
                admin.as_slice(),
                &[
                    ("MONITOR_SMTP_URL", "smtp://mail.example.com"),
                    ("MONITOR_EMAIL_FROM", "telltale@example.com"),
                    ("MONITOR_AUTH_PROXY_HEADER", "X-Forwarded-User"),
                    ("MONITOR_AUTH_PROXY_TRUSTED", "127.0.0.1"),
                    ("MONITOR_HEARTBEAT_URL", "http://127.0.0.1:9/v1/events"),
                ],
            ]
            .concat(),
            [
                admin.as_slice(),
                &[
                    ("MONITOR_RESEND_API_KEY", "re_0123456789abcdef"),
                    ("MONITOR_RESEND_FROM_EMAIL", "telltale@example.com"),
                    ("MONITOR_DATABASE_URL", "postgres://u:p@127.0.0.1/t"),
                ],
            ]
            .concat(),
        ];
        let read: BTreeSet<String> = branches.iter().flat_map(|b| asked(b)).collect();
        let listed: BTreeSet<String> = SETTINGS.iter().map(|s| s.var.to_owned()).collect();
        assert_eq!(
            read.difference(&listed).collect::<Vec<_>>(),
            Vec::<&String>::new(),
            "read by the parser but missing from SETTINGS"
        );
        assert_eq!(
            listed.difference(&read).collect::<Vec<_>>(),
            Vec::<&String>::new(),
            "in SETTINGS but never read"
        );
    }

    #[test]
    fn the_manual_lists_every_setting() {
        let manual = include_str!("../../../docs/configuration.md");
        for s in SETTINGS {
            assert!(
                manual.contains(&format!("`{}`", s.var)),
                "docs/configuration.md does not name {}",
                s.var
            );
        }
    }

    #[test]
    fn help_names_every_variable_with_its_default() {
        let help = help_text();
        for s in SETTINGS {
            let line = help
                .lines()
                .find(|l| l.trim_start().starts_with(&format!("{} ", s.var)))
                .unwrap_or_else(|| panic!("{} is not in the help", s.var));
            assert!(
                line.ends_with(&format!("[default: {}]", s.default)),
                "{line}"
            );
        }
    }

    #[test]
    fn secrets_are_masked_and_plain_values_shown() {
        let env: HashMap<&str, &str> = [
            ("MONITOR_API_KEY", "0123456789abcdef-secret"),
            (
                "MONITOR_DATABASE_URL",
                "postgres://telltale:hunter2@db:5432/telltale?password=x",
            ),
            ("MONITOR_SMTP_URL", "smtps://mailer:pw@mail.example.com:465"),
            ("MONITOR_PORT", "8080"),
        ]
        .into_iter()
        .collect();
        let shown: HashMap<&str, Option<String>> =
            effective(|v| env.get(v).map(|v| (*v).to_owned()))
                .into_iter()
                .map(|(s, v)| (s.var, v))
                .collect();
        let text = format!("{shown:?}");
        for leaked in ["secret", "hunter2", "password=x", "mailer:pw"] {
            assert!(!text.contains(leaked), "{leaked} shown in {text}");
        }
        assert_eq!(
            shown["MONITOR_API_KEY"].as_deref(),
            Some("*** (23 characters)")
        );
        assert_eq!(
            shown["MONITOR_DATABASE_URL"].as_deref(),
            Some("postgres://***@db:5432/telltale?***")
        );
        assert_eq!(shown["MONITOR_PORT"].as_deref(), Some("8080"));
        assert_eq!(shown["MONITOR_HOST"], None);
    }
}
