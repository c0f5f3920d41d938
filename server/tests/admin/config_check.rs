//! `telltale config check` and `telltale serve --help`, as an operator runs
//! them: the real binary, only the environment given.

use crate::support::{stderr, stdout, telltale};

#[test]
fn a_good_configuration_is_printed_with_its_secrets_masked() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("t.sqlite");
    let out = telltale(
        &["config", "check"],
        &db,
        &[
            ("MONITOR_AUTH_ADMIN_EMAIL", "admin@example.com"),
            ("MONITOR_AUTH_ADMIN_PASSWORD", "correct horse battery"),
            ("MONITOR_API_KEY", "ingest-key-0123456789"),
            (
                "MONITOR_SMTP_URL",
                "smtps://mailer:s3cret@mail.example.com:465",
            ),
            ("MONITOR_EMAIL_FROM", "telltale@example.com"),
            ("MONITOR_PORT", "8123"),
        ],
    );
    let text = stdout(&out);
    assert!(out.status.success(), "{text}{}", stderr(&out));
    assert!(
        text.contains("listens on      http://127.0.0.1:8123"),
        "{text}"
    );
    assert!(
        text.contains(&format!("SQLite file {}", db.display())),
        "{text}"
    );
    assert!(text.contains("SMTP, from telltale@example.com"), "{text}");
    assert!(text.contains("MONITOR_RETENTION_DAYS"), "{text}");
    for secret in [
        "correct horse battery",
        "ingest-key-0123456789",
        "s3cret",
        "mailer",
    ] {
        assert!(!text.contains(secret), "{secret} printed:\n{text}");
    }
    assert!(text.contains("smtps://***@mail.example.com:465"), "{text}");
    // Nothing was opened or made.
    assert!(!db.exists(), "config check created the database");
}

#[test]
fn a_bad_value_exits_78_naming_the_variable() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = telltale(
        &["config", "check"],
        &dir.path().join("t.sqlite"),
        &[("MONITOR_AUTH_ENABLED", "false"), ("MONITOR_PORT", "99999")],
    );
    assert_eq!(out.status.code(), Some(78), "{}", stdout(&out));
    assert!(
        stderr(&out).contains("MONITOR_PORT: must be a port number"),
        "{}",
        stderr(&out)
    );
    // Auth on without its admin: the variable that is missing is named.
    let out = telltale(&["config", "check"], &dir.path().join("t.sqlite"), &[]);
    assert_eq!(out.status.code(), Some(78));
    assert!(
        stderr(&out).contains("MONITOR_AUTH_ADMIN_EMAIL"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn serve_help_lists_every_setting_with_its_default() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = telltale(&["serve", "--help"], &dir.path().join("t.sqlite"), &[]);
    let text = stdout(&out);
    assert!(out.status.success(), "{}", stderr(&out));
    for line in [
        "MONITOR_PORT",
        "MONITOR_DATABASE_URL",
        "MONITOR_PING_BODY_BYTES",
        "[default: 1048576]",
        "config check",
    ] {
        assert!(text.contains(line), "{line} missing from:\n{text}");
    }
}
