//! Parsers for flag values shared by the commands.

use std::time::Duration;

use serde_json::{Map, Value};
use telltale_model::{Level, SourceType};

/// `90`, `90s`, `5m`, `2h`, `1h 30m`: a bare number is seconds.
pub fn parse_duration(raw: &str) -> Result<Duration, String> {
    let raw = raw.trim();
    if let Ok(secs) = raw.parse::<u64>() {
        return Ok(Duration::from_secs(secs));
    }
    humantime::parse_duration(raw)
        .map_err(|e| format!("{e} (expected a duration such as 90s, 5m or 2h)"))
}

/// `key=value` or `key:=json`. With `=`, a value that reads back as the
/// very same JSON number or boolean (`40`, `2.5`, `true`) is sent as one —
/// the server reads `progress` and `grace_seconds` as numbers — and anything
/// else as a string (`1.10`, `007` and `yes` stay text). `:=` takes any
/// JSON value as it is.
pub fn parse_meta(raw: &str) -> Result<(String, Value), String> {
    let Some(eq) = raw.find('=') else {
        return Err("expected KEY=VALUE (or KEY:=JSON)".into());
    };
    let (key, v) = (&raw[..eq], &raw[eq + 1..]);
    let (key, value) = if let Some(key) = key.strip_suffix(':') {
        let value = serde_json::from_str::<Value>(v)
            .map_err(|e| format!("the value after := must be JSON ({e})"))?;
        (key, value)
    } else {
        let typed = serde_json::from_str::<Value>(v).ok().filter(|j| {
            (j.is_number() || j.is_boolean()) && serde_json::to_string(j).is_ok_and(|s| s == v)
        });
        (key, typed.unwrap_or_else(|| Value::String(v.to_owned())))
    };
    let key = key.trim();
    if key.is_empty() {
        return Err("the key before = must not be empty".into());
    }
    Ok((key.to_owned(), value))
}

pub fn parse_level(raw: &str) -> Result<Level, String> {
    Level::parse(raw).ok_or_else(|| "must be one of debug, info, warn, error".into())
}

pub fn parse_source(raw: &str) -> Result<SourceType, String> {
    SourceType::parse(raw).ok_or_else(|| "must be one of chief, worker, scheduler, system".into())
}

/// `--meta` pairs as a metadata object; a later key wins.
pub fn metadata(pairs: &[(String, Value)]) -> Map<String, Value> {
    pairs.iter().cloned().collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn durations_take_units_or_seconds() {
        assert_eq!(parse_duration("90").unwrap(), Duration::from_secs(90));
        assert_eq!(parse_duration("15s").unwrap(), Duration::from_secs(15));
        assert_eq!(parse_duration("5m").unwrap(), Duration::from_secs(300));
        assert_eq!(parse_duration("2h").unwrap(), Duration::from_secs(7200));
        assert_eq!(parse_duration("1h 30m").unwrap(), Duration::from_secs(5400));
        assert!(parse_duration("soon").is_err());
        assert!(parse_duration("-5m").is_err());
    }

    #[test]
    fn meta_values_keep_their_text_unless_they_are_plainly_numbers() {
        let cases = [
            ("progress=40", json!(40)),
            ("ratio=2.5", json!(2.5)),
            ("check_enabled=false", json!(false)),
            ("version=1.10", json!("1.10")),
            ("zip=007", json!("007")),
            ("engine=resolve", json!("resolve")),
            ("empty=", json!("")),
            ("path=/a=b", json!("/a=b")),
            ("url=http://h/x:=y", json!("http://h/x:=y")),
            ("tags:=[\"a\",\"b\"]", json!(["a", "b"])),
            ("name:=\"40\"", json!("40")),
        ];
        for (raw, expected) in cases {
            let (_, value) = parse_meta(raw).unwrap();
            assert_eq!(value, expected, "{raw}");
        }
        assert_eq!(parse_meta("a.b=c").unwrap().0, "a.b");
        assert!(parse_meta("novalue").is_err());
        assert!(parse_meta("=x").is_err());
        assert!(parse_meta("k:=nope").is_err());
    }
}
