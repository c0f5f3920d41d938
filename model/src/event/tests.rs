use super::*;
use serde_json::json;

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-25T12:00:00Z")
        .unwrap()
        .with_timezone(&Utc)
}

fn valid() -> Value {
    json!({
        "sourceType": "worker",
        "level": "error",
        "eventType": "execution_failed",
        "message": "  ffmpeg exited 1: Invalid data found when processing input  ",
    })
}

#[test]
fn minimal_event_is_normalized() {
    let e = NewEvent::from_json(&valid(), now()).unwrap();
    assert_eq!(e.source_type, SourceType::Worker);
    assert_eq!(e.level, Level::Error);
    assert_eq!(e.event_at, now(), "eventAt defaults to now");
    assert_eq!(e.metadata, json!({}));
    assert_eq!(e.job_name, None);
    // Verbatim: surrounding whitespace is the producer's and stays.
    assert_eq!(
        e.message,
        "  ffmpeg exited 1: Invalid data found when processing input  "
    );
}

#[test]
fn optional_fields_are_kept_and_empty_ones_dropped() {
    let mut raw = valid();
    raw["eventId"] = json!("evt-1");
    raw["eventAt"] = json!("2026-11-25T13:00:00+01:00");
    raw["jobName"] = json!("nightly-proxy-render");
    raw["runId"] = json!("");
    raw["workerId"] = Value::Null;
    raw["metadata"] = json!({"grace_seconds": 60});
    let e = NewEvent::from_json(&raw, now()).unwrap();
    assert_eq!(e.event_id.as_deref(), Some("evt-1"));
    assert_eq!(e.event_at, now(), "offset converted to UTC");
    assert_eq!(e.job_name.as_deref(), Some("nightly-proxy-render"));
    assert_eq!(e.run_id, None);
    assert_eq!(e.worker_id, None);
    assert_eq!(e.metadata, json!({"grace_seconds": 60}));
}

#[test]
fn a_nul_character_is_refused_naming_the_field() {
    for field in ["message", "jobName", "runId"] {
        let mut raw = valid();
        raw[field] = json!("before\u{0}after");
        let err = NewEvent::from_json(&raw, now()).unwrap_err();
        assert_eq!(err.field, field);
        assert!(err.problem.contains("NUL"), "{err:?}");
    }
    // Inside metadata it is JSON-escaped text, which both stores keep.
    let mut raw = valid();
    raw["metadata"] = json!({"stderr": "a\u{0}b"});
    assert!(NewEvent::from_json(&raw, now()).is_ok());
}

#[test]
fn metadata_that_is_not_an_object_becomes_empty() {
    for bad in [json!([1, 2]), json!("x"), json!(3), Value::Null] {
        let mut raw = valid();
        raw["metadata"] = bad;
        assert_eq!(
            NewEvent::from_json(&raw, now()).unwrap().metadata,
            json!({})
        );
    }
}

#[test]
fn each_bad_field_is_named() {
    let cases: Vec<(&str, Value, &str)> = vec![
        ("sourceType", json!("robot"), "must be one of"),
        ("sourceType", Value::Null, "is required"),
        ("level", json!("fatal"), "must be one of"),
        ("eventType", json!("   "), "must not be empty"),
        ("message", json!(""), "must not be empty"),
        ("message", json!(42), "must be a string, not a number"),
        ("eventAt", json!("yesterday"), "RFC 3339"),
        ("runId", json!({"a": 1}), "must be a string, not an object"),
        ("jobName", json!("x".repeat(MAX_ID_LEN + 1)), "at most"),
    ];
    for (field, value, expected) in cases {
        let mut raw = valid();
        raw[field] = value;
        let err = NewEvent::from_json(&raw, now()).unwrap_err();
        assert_eq!(err.field, field);
        assert!(
            err.problem.contains(expected),
            "{field}: {:?} should contain {expected:?}",
            err.problem
        );
    }
}

#[test]
fn a_serialized_event_is_valid_ingest_input() {
    // What a producer sends (the client crate serializes NewEvent) must
    // read back through the same validation the server applies.
    let mut e = NewEvent::new(
        SourceType::Worker,
        Level::Error,
        "job.failed",
        "exited with code 3\n",
        now(),
    );
    e.event_id = Some("evt-9".into());
    e.run_id = Some("run-9".into());
    e.metadata = json!({"failure_reason": "boom\n", "exit_code": 3});
    let raw = serde_json::to_value(&e).unwrap();
    assert_eq!(NewEvent::from_json(&raw, now()).unwrap(), e);
}

#[test]
fn non_object_is_rejected() {
    let err = NewEvent::from_json(&json!([1]), now()).unwrap_err();
    assert_eq!(err.field, "event");
}

#[test]
fn text_match_looks_at_every_searchable_field() {
    let e = Event {
        id: 1,
        event_id: None,
        source_type: SourceType::Worker,
        level: Level::Warn,
        event_type: "progress_update".into(),
        message: "Encoding".into(),
        event_at: now(),
        received_at: now(),
        job_name: Some("Nightly-Render".into()),
        run_id: Some("run-77".into()),
        worker_id: Some("farm-03".into()),
        script_path: None,
        metadata: json!({}),
    };
    for needle in [
        "nightly", "run-77", "farm", "progress", "encoding", "warn", "",
    ] {
        assert!(e.matches_text(needle), "{needle}");
    }
    assert!(!e.matches_text("completed"));
}

#[test]
fn text_match_folds_case_beyond_ascii() {
    let e = Event {
        id: 1,
        event_id: None,
        source_type: SourceType::Worker,
        level: Level::Error,
        event_type: "job.failed".into(),
        message: "ÉCHEC du rendu: ΣΟΦΟΣ".into(),
        event_at: now(),
        received_at: now(),
        job_name: None,
        run_id: None,
        worker_id: None,
        script_path: None,
        metadata: json!({}),
    };
    assert!(e.matches_text("échec"));
    assert!(e.matches_text("σοφος"), "final sigma as Unicode maps it");
    // The browser's lower-casing is passed in; a wrong one shows.
    assert!(!e.matches_text_by("échec", |s| s.to_ascii_lowercase()));
}
