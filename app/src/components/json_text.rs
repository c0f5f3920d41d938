//! Metadata written out as indented JSON for people to read.
//!
//! The text is exactly `serde_json::to_string_pretty`'s (the tests compare
//! the two), written by a walk over the value instead: the serializer and
//! its formatter are otherwise the only JSON writer in the browser bundle,
//! on every page that shows an event's metadata.

use std::fmt::Write;

use serde_json::Value;

/// `value` as JSON indented by two spaces, one member or element a line.
pub fn pretty(value: &Value) -> String {
    let mut out = String::new();
    write_value(&mut out, value, 0);
    out
}

fn write_value(out: &mut String, value: &Value, depth: usize) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        // Display writes what the serializer does: itoa, or ryu for floats.
        Value::Number(n) => {
            let _ = write!(out, "{n}");
        }
        Value::String(s) => write_string(out, s),
        Value::Array(items) if items.is_empty() => out.push_str("[]"),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                out.push_str(if i == 0 { "\n" } else { ",\n" });
                indent(out, depth + 1);
                write_value(out, item, depth + 1);
            }
            out.push('\n');
            indent(out, depth);
            out.push(']');
        }
        Value::Object(members) if members.is_empty() => out.push_str("{}"),
        Value::Object(members) => {
            out.push('{');
            for (i, (key, item)) in members.iter().enumerate() {
                out.push_str(if i == 0 { "\n" } else { ",\n" });
                indent(out, depth + 1);
                write_string(out, key);
                out.push_str(": ");
                write_value(out, item, depth + 1);
            }
            out.push('\n');
            indent(out, depth);
            out.push('}');
        }
    }
}

fn indent(out: &mut String, depth: usize) {
    for _ in 0..depth {
        out.push_str("  ");
    }
}

/// A JSON string: quotes, backslashes and control characters escaped the
/// way serde_json escapes them (short forms where JSON has one, else
/// `\u00XX` in lowercase hex); everything else verbatim.
fn write_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{08}' => out.push_str("\\b"),
            '\u{0c}' => out.push_str("\\f"),
            c if c < ' ' => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::pretty;

    #[test]
    fn the_text_is_serde_jsons_pretty_text() {
        let values = [
            json!(null),
            json!(true),
            json!({}),
            json!([]),
            json!(-12),
            json!(u64::MAX),
            json!(1.5),
            json!(-0.0),
            json!(1e300),
            json!(0.1),
            json!("plain"),
            json!("quote \" backslash \\ slash / tab \t newline \n return \r"),
            json!("\u{0} \u{1f} \u{7f} \u{8} \u{c} é 日本 🚀"),
            json!({"exit": 3, "cmd": ["make", "all"], "env": {}, "list": [], "nested": {"a": [{"b": null}, [], [[1]]]}}),
            json!([1, [2, [3, {}]], {"k\"ey\n": "v"}]),
        ];
        for value in values {
            assert_eq!(
                pretty(&value),
                serde_json::to_string_pretty(&value).unwrap(),
                "{value}"
            );
        }
    }
}
