use chrono::Utc;
use serde_json::json;
use telltale_model::Level;

use super::*;

#[test]
fn suffixes_as_healthchecks_reads_them() {
    assert_eq!(PingKind::parse(None).unwrap(), PingKind::Success);
    assert_eq!(PingKind::parse(Some("start")).unwrap(), PingKind::Start);
    assert_eq!(PingKind::parse(Some("fail")).unwrap(), PingKind::Fail);
    assert_eq!(PingKind::parse(Some("log")).unwrap(), PingKind::Log);
    assert_eq!(PingKind::parse(Some("0")).unwrap(), PingKind::Exit(0));
    assert_eq!(PingKind::parse(Some("255")).unwrap(), PingKind::Exit(255));
    assert_eq!(PingKind::parse(Some("007")).unwrap(), PingKind::Exit(7));
    for bad in [
        "256",
        "1000",
        "99999999999999999999",
        "-1",
        "1.5",
        "Start",
        "x",
    ] {
        let err = PingKind::parse(Some(bad)).unwrap_err();
        assert!(
            err.to_string().starts_with("invalid url format"),
            "{bad}: {err}"
        );
    }
    assert!(PingKind::Exit(3).failed() && !PingKind::Exit(0).failed());
    assert!(PingKind::Fail.ends_run() && !PingKind::Start.ends_run() && !PingKind::Log.ends_run());
}

#[test]
fn uuids_only_in_canonical_form() {
    assert_eq!(
        canonical_uuid("5BF66975-D4C7-4BF5-BCC8-B8D8A82EA278").as_deref(),
        Some("5bf66975-d4c7-4bf5-bcc8-b8d8a82ea278")
    );
    for bad in [
        "5bf66975d4c74bf5bcc8b8d8a82ea278",
        "{5bf66975-d4c7-4bf5-bcc8-b8d8a82ea278}",
        "5bf66975-d4c7-4bf5-bcc8-b8d8a82ea27g",
        "5bf66975-d4c7-4bf5-bcc8-b8d8a82ea2788",
        "",
    ] {
        assert_eq!(canonical_uuid(bad), None, "{bad}");
    }
    assert!(canonical_uuid(&new_uuid()).is_some());
    assert_ne!(new_uuid(), new_uuid());
}

#[test]
fn a_body_is_kept_as_text_cut_on_a_character_or_as_base64() {
    let body = PingBody::new("héllo".as_bytes(), 6);
    assert_eq!(
        (body.text.as_str(), body.truncated, body.base64),
        ("héllo", false, false)
    );
    // Cut inside the two bytes of "é": the half character goes.
    let body = PingBody::new(&"héllo".as_bytes()[..2], 6);
    assert_eq!(
        (body.text.as_str(), body.truncated, body.bytes),
        ("h", true, 6)
    );
    let body = PingBody::new(&[0xff, 0x00, 0x41], 3);
    assert!(body.base64 && !body.truncated);
    assert_eq!(body.text, "/wBB");
}

#[test]
fn a_failed_exit_status_carries_the_body_as_its_reason() {
    let from = PingFrom {
        method: "POST".into(),
        remote_addr: Some("192.0.2.7".into()),
        user_agent: Some("curl/8.5.0".into()),
    };
    let body = PingBody::new(b"disk full\n", 10);
    let event = ping_event(
        "backup",
        Some("r1".into()),
        PingKind::Exit(3),
        &from,
        &body,
        Utc::now(),
    );
    assert_eq!(event.event_type, "job.failed");
    assert_eq!(event.level, Level::Error);
    assert_eq!(event.job_name.as_deref(), Some("backup"));
    assert_eq!(event.metadata["failure_reason"], json!("disk full\n"));
    assert_eq!(event.metadata["exit_code"], json!(3));
    assert_eq!(event.metadata["ping"]["remoteAddr"], json!("192.0.2.7"));
    assert_eq!(event.metadata["ping"]["userAgent"], json!("curl/8.5.0"));
    assert_eq!(event.metadata["body"], json!("disk full\n"));

    // Without a body, the URL's words are the reason.
    let bare = ping_event(
        "backup",
        None,
        PingKind::Fail,
        &from,
        &PingBody::default(),
        Utc::now(),
    );
    assert_eq!(bare.metadata["failure_reason"], json!("Failed (ping)"));
    assert!(bare.metadata.get("body").is_none());
    let ok = ping_event(
        "backup",
        None,
        PingKind::Exit(0),
        &from,
        &PingBody::default(),
        Utc::now(),
    );
    assert_eq!(ok.event_type, "job.completed");
    assert!(ok.metadata.get("failure_reason").is_none());
}

#[test]
fn new_job_names_are_checked() {
    assert!(check_new_job_name("nightly-backup").is_ok());
    for bad in ["", "  ", " x", "a/b", "a\u{7}b", &"x".repeat(513)] {
        assert!(check_new_job_name(bad).is_err(), "{bad:?}");
    }
}
