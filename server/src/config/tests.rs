use std::collections::HashMap;

use super::*;

fn config(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
    let map: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    Config::from_lookup(|k| map.get(k).cloned())
}

const LOCAL: (&str, &str) = ("MONITOR_AUTH_ENABLED", "false");

fn err_var(pairs: &[(&str, &str)]) -> (&'static str, String) {
    let e = config(pairs).expect_err("should be rejected");
    (e.var, e.problem)
}

#[test]
fn defaults_are_chiefs() {
    let c = config(&[LOCAL]).unwrap();
    assert_eq!(c.socket_addr().to_string(), "127.0.0.1:7410");
    assert_eq!(
        c.database,
        DatabaseTarget::Sqlite {
            path: "./monitor.sqlite".into()
        }
    );
    assert_eq!(c.retention_days, 30);
    assert_eq!(c.evaluator_interval, Duration::from_secs(15));
    assert_eq!(c.retention_interval, Duration::from_secs(3600));
    assert_eq!(c.ingest.max_body_bytes, 1024 * 1024);
    assert_eq!(c.ingest.ping_body_bytes, 100 * 1024);
    assert_eq!(c.ingest.max_batch_events, 1000);
    assert_eq!(c.log_format, LogFormat::Human);
    assert!(!c.access_log, "one line per request is opt-in");
    assert!(!c.exposed());
    assert_eq!(c.email.resend, None);
}

#[test]
fn port_falls_back_to_port_and_monitor_port_wins() {
    assert_eq!(config(&[LOCAL, ("PORT", "8080")]).unwrap().port, 8080);
    assert_eq!(
        config(&[LOCAL, ("PORT", "8080"), ("MONITOR_PORT", "9000")])
            .unwrap()
            .port,
        9000
    );
}

#[test]
fn lan_flag_exposes_unless_host_is_explicit() {
    let c = config(&[
        LOCAL,
        ("FORGE_MONITOR_LAN", "true"),
        ("MONITOR_ALLOW_INSECURE", "true"),
    ])
    .unwrap();
    assert_eq!(c.host.to_string(), "0.0.0.0");
    assert!(c.exposed());
    let c = config(&[
        LOCAL,
        ("FORGE_MONITOR_LAN", "true"),
        ("MONITOR_HOST", "127.0.0.1"),
    ])
    .unwrap();
    assert!(!c.exposed());
}

#[test]
fn database_url_selects_postgres() {
    let c = config(&[
        LOCAL,
        ("MONITOR_DATABASE_URL", "postgres://u:p@db/telltale"),
    ])
    .unwrap();
    assert_eq!(
        c.database,
        DatabaseTarget::Postgres {
            url: "postgres://u:p@db/telltale".into()
        }
    );
    let c = config(&[LOCAL, ("MONITOR_DB_PATH", "/var/lib/telltale/db.sqlite")]).unwrap();
    assert_eq!(
        c.database,
        DatabaseTarget::Sqlite {
            path: "/var/lib/telltale/db.sqlite".into()
        }
    );
}

#[test]
fn empty_values_count_as_unset() {
    let c = config(&[LOCAL, ("MONITOR_API_KEY", ""), ("MONITOR_PORT", "  ")]).unwrap();
    assert_eq!(c.api_key, None);
    assert_eq!(c.port, DEFAULT_PORT);
}

#[test]
fn auth_on_requires_the_admin_seed() {
    let (var, problem) = err_var(&[]);
    assert_eq!(var, "MONITOR_AUTH_ADMIN_EMAIL");
    assert!(problem.contains("MONITOR_AUTH_ENABLED"), "{problem}");
    let (var, _) = err_var(&[("MONITOR_AUTH_ADMIN_EMAIL", "ops@example.com")]);
    assert_eq!(var, "MONITOR_AUTH_ADMIN_PASSWORD");
    let c = config(&[
        ("MONITOR_AUTH_ADMIN_EMAIL", "ops@example.com"),
        ("MONITOR_AUTH_ADMIN_PASSWORD", "correct horse battery"),
    ])
    .unwrap();
    assert!(c.auth.enabled);
    assert_eq!(
        c.auth.admin.as_ref().map(|a| a.email.as_str()),
        Some("ops@example.com")
    );
    assert!(
        !format!("{c:?}").contains("correct horse"),
        "password is redacted in Debug"
    );
}

#[test]
fn every_bad_value_names_its_variable() {
    let cases: &[(&str, &str, &str)] = &[
        ("MONITOR_HOST", "example.com", "IP address"),
        ("MONITOR_PORT", "70000", "port number"),
        ("PORT", "http", "port number"),
        ("MONITOR_DATABASE_URL", "mysql://x/y", "postgres://"),
        (
            "MONITOR_DATABASE_URL",
            "sqlite://db.sqlite?mode=rwc",
            "no ?options",
        ),
        ("MONITOR_API_KEY", "short", "at least 16"),
        ("MONITOR_AUTH_ENABLED", "maybe", "true or false"),
        ("FORGE_MONITOR_LAN", "2", "true or false"),
        ("MONITOR_AUTH_SECRET", "tiny", "at least 32"),
        ("MONITOR_AUTH_BASE_URL", "ftp://x", "http:// or https://"),
        (
            "MONITOR_AUTH_TRUSTED_ORIGINS",
            "https://a.example, nope",
            "not a URL",
        ),
        ("MONITOR_RESEND_API_BASE", "resend", "not a URL"),
        ("MONITOR_SMTP_URL", "http://mail", "smtp:// or smtps://"),
        ("MONITOR_PUBLIC_URL", "telltale.local", "not a URL"),
        ("MONITOR_RETENTION_DAYS", "0", "greater than 0"),
        ("MONITOR_RETENTION_DAYS", "-3", "greater than 0"),
        ("MONITOR_EVALUATOR_INTERVAL_SECONDS", "15s", "whole number"),
        ("MONITOR_RETENTION_INTERVAL_SECONDS", "1.5", "whole number"),
        ("MONITOR_MAX_BODY_BYTES", "1MiB", "whole number"),
        ("MONITOR_MAX_BATCH_EVENTS", "0", "greater than 0"),
        ("MONITOR_PING_BODY_BYTES", "0", "greater than 0"),
        (
            "MONITOR_PING_BODY_BYTES",
            "2000000",
            "MONITOR_MAX_BODY_BYTES",
        ),
        ("MONITOR_LOG_FORMAT", "xml", "human or json"),
        ("MONITOR_ACCESS_LOG", "verbose", "true or false"),
    ];
    for (var, value, expected) in cases {
        let (got_var, problem) = err_var(&[LOCAL, (var, value)]);
        assert_eq!(got_var, *var, "{var}={value}");
        assert!(
            problem.contains(expected),
            "{var}={value}: {problem:?} should mention {expected:?}"
        );
    }
}

#[test]
fn resend_needs_key_and_sender_together() {
    let (var, _) = err_var(&[LOCAL, ("MONITOR_RESEND_API_KEY", "re_123")]);
    assert_eq!(var, "MONITOR_RESEND_FROM_EMAIL");
    let (var, _) = err_var(&[LOCAL, ("MONITOR_RESEND_FROM_EMAIL", "alerts@example.com")]);
    assert_eq!(var, "MONITOR_RESEND_API_KEY");
    let c = config(&[
        LOCAL,
        ("MONITOR_RESEND_API_KEY", "re_123"),
        ("MONITOR_RESEND_FROM_EMAIL", "alerts@example.com"),
    ])
    .unwrap();
    let resend = c.email.resend.unwrap();
    assert_eq!(resend.api_base, DEFAULT_RESEND_API_BASE);
}

#[test]
fn api_key_error_does_not_echo_the_secret() {
    let (_, problem) = err_var(&[LOCAL, ("MONITOR_API_KEY", "hunter2")]);
    assert!(!problem.contains("hunter2"));
}

#[test]
fn auth_off_beyond_loopback_needs_allow_insecure() {
    for exposing in [("FORGE_MONITOR_LAN", "true"), ("MONITOR_HOST", "0.0.0.0")] {
        let (var, problem) = err_var(&[LOCAL, exposing]);
        assert_eq!(var, "MONITOR_AUTH_ENABLED");
        assert!(problem.contains("MONITOR_ALLOW_INSECURE"), "{problem}");
    }
    assert!(config(&[LOCAL, ("MONITOR_HOST", "127.0.0.1")]).is_ok());
    assert!(
        config(&[
            LOCAL,
            ("MONITOR_HOST", "0.0.0.0"),
            ("MONITOR_ALLOW_INSECURE", "true")
        ])
        .is_ok()
    );
}

#[test]
fn sessions_and_proxies_are_configurable() {
    let c = config(&[LOCAL]).unwrap();
    assert_eq!(c.auth.session_idle.as_secs(), 30 * 60);
    assert_eq!(c.auth.session_max.as_secs(), 12 * 3600);
    assert!(c.auth.trusted_proxies.is_empty());
    let c = config(&[
        LOCAL,
        ("MONITOR_SESSION_IDLE_MINUTES", "5"),
        ("MONITOR_SESSION_MAX_HOURS", "1"),
        ("MONITOR_TRUSTED_PROXIES", "10.0.0.0/8, 192.168.1.7"),
    ])
    .unwrap();
    assert_eq!(c.auth.session_idle.as_secs(), 300);
    assert_eq!(c.auth.session_max.as_secs(), 3600);
    assert_eq!(c.auth.trusted_proxies.len(), 2);
    let (var, _) = err_var(&[LOCAL, ("MONITOR_TRUSTED_PROXIES", "10.0.0.0/99")]);
    assert_eq!(var, "MONITOR_TRUSTED_PROXIES");
}

#[test]
fn the_proxy_header_needs_trusted_addresses() {
    let (var, _) = err_var(&[LOCAL, ("MONITOR_AUTH_PROXY_HEADER", "X-Forwarded-User")]);
    assert_eq!(var, "MONITOR_AUTH_PROXY_TRUSTED");
    let (var, _) = err_var(&[
        LOCAL,
        ("MONITOR_AUTH_PROXY_HEADER", "not a header"),
        ("MONITOR_AUTH_PROXY_TRUSTED", "10.0.0.1"),
    ]);
    assert_eq!(var, "MONITOR_AUTH_PROXY_HEADER");
    let c = config(&[
        LOCAL,
        ("MONITOR_AUTH_PROXY_HEADER", "X-Forwarded-User"),
        ("MONITOR_AUTH_PROXY_TRUSTED", "10.0.0.0/8"),
    ])
    .unwrap();
    let proxy = c.auth.proxy_auth.unwrap();
    assert_eq!(proxy.header, "x-forwarded-user");
    assert_eq!(proxy.trusted.len(), 1);
}

#[test]
fn metrics_token_is_checked_and_never_echoed() {
    for (bad, expected) in [
        ("short-token", "at least 16"),
        ("sixteen chars but spaces", "without spaces"),
        ("token-with-ünicode-0123456789", "visible ASCII"),
    ] {
        let (var, problem) = err_var(&[LOCAL, ("MONITOR_METRICS_TOKEN", bad)]);
        assert_eq!(var, "MONITOR_METRICS_TOKEN", "{bad}");
        assert!(problem.contains(expected), "{bad}: {problem}");
        assert!(!problem.contains(bad), "{problem} echoes the token");
    }
    // Blank is unset, as for every variable.
    assert_eq!(
        config(&[LOCAL, ("MONITOR_METRICS_TOKEN", "  ")])
            .unwrap()
            .metrics_token,
        None
    );
    let good = "prometheus-0123456789abcdef";
    assert_eq!(
        config(&[LOCAL, ("MONITOR_METRICS_TOKEN", good)])
            .unwrap()
            .metrics_token
            .as_deref(),
        Some(good)
    );
}
