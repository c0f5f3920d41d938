//! Readers for the fields of a raw JSON event, each error naming its field.

use serde_json::{Map, Value};

use crate::ingest::FieldError;

/// An optional string field, checked as [`optional_str`] does (and at most
/// `max` bytes), moved out of `obj`.
pub(super) fn take_optional(
    obj: &mut Map<String, Value>,
    field: &'static str,
    max: Option<usize>,
) -> Result<Option<String>, FieldError> {
    let Some(value) = optional_str(obj, field)? else {
        return Ok(None);
    };
    if let Some(max) = max
        && value.len() > max
    {
        return Err(FieldError::new(
            field,
            format!("must be at most {max} bytes"),
        ));
    }
    Ok(take_string(obj, field))
}

pub(super) fn take_string(obj: &mut Map<String, Value>, field: &str) -> Option<String> {
    match obj.remove(field) {
        Some(Value::String(s)) => Some(s),
        _ => None,
    }
}

pub(super) fn required_str<'a>(
    obj: &'a Map<String, Value>,
    field: &'static str,
) -> Result<&'a str, FieldError> {
    match obj.get(field) {
        None | Some(Value::Null) => Err(FieldError::new(field, "is required")),
        Some(Value::String(s)) if s.trim().is_empty() => {
            Err(FieldError::new(field, "must not be empty"))
        }
        Some(Value::String(s)) if s.contains('\0') => Err(nul(field)),
        Some(Value::String(s)) => Ok(s),
        Some(other) => Err(FieldError::new(
            field,
            format!("must be a string, not {}", json_kind(other)),
        )),
    }
}

/// Text is kept verbatim, so a NUL cannot be dropped or replaced quietly;
/// and PostgreSQL text cannot hold one. Refused the same on both backends.
fn nul(field: &'static str) -> FieldError {
    FieldError::new(
        field,
        "must not contain a NUL character (\\u0000); send binary data base64-encoded in metadata",
    )
}

pub(super) fn optional_str<'a>(
    obj: &'a Map<String, Value>,
    field: &'static str,
) -> Result<Option<&'a str>, FieldError> {
    match obj.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) if s.contains('\0') => Err(nul(field)),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(other) => Err(FieldError::new(
            field,
            format!("must be a string, not {}", json_kind(other)),
        )),
    }
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
