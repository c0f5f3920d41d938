//! The templated webhook: an admin's method, headers and body, with the
//! alert's fields put in place of `{{field}}`. In a JSON body each value is
//! JSON-escaped (quotes, backslashes, control characters), so producer text
//! cannot end the string it sits in and add fields of its own.

use telltale_model::{ChannelOptions, placeholders};

use super::{Message, Outgoing};

pub(super) fn request(url: &str, o: &ChannelOptions, m: &Message) -> Outgoing {
    let content_type = o
        .headers
        .iter()
        .find(|h| h.name.eq_ignore_ascii_case("content-type"))
        .map_or_else(|| "application/json".to_owned(), |h| h.value.clone());
    let json = content_type.to_ascii_lowercase().contains("json");
    let body = render(o.body.as_deref().unwrap_or_default(), m, json);
    Outgoing {
        method: o
            .method
            .as_deref()
            .and_then(|v| reqwest::Method::from_bytes(v.as_bytes()).ok())
            .unwrap_or(reqwest::Method::POST),
        url: url.to_owned(),
        headers: o
            .headers
            .iter()
            .filter(|h| !h.name.eq_ignore_ascii_case("content-type"))
            .map(|h| (h.name.clone(), h.value.clone()))
            .collect(),
        content_type,
        body: body.into_bytes(),
        empty_fails: None,
    }
}

/// `template` with each `{{field}}` replaced; an unknown one (refused when
/// saved) becomes empty.
pub(crate) fn render(template: &str, m: &Message, json: bool) -> String {
    let mut out = String::with_capacity(template.len() + 256);
    let mut rest = template;
    for name in placeholders(template) {
        let Ok(name) = name else { break };
        let Some(open) = rest.find("{{") else { break };
        let Some(close) = rest[open..].find("}}") else {
            break;
        };
        out.push_str(&rest[..open]);
        let value = m
            .fields
            .iter()
            .find(|(k, _)| *k == name)
            .map_or("", |(_, v)| v.as_str());
        if json {
            let quoted = serde_json::to_string(value).unwrap_or_default();
            out.push_str(&quoted[1..quoted.len() - 1]);
        } else {
            out.push_str(value);
        }
        rest = &rest[open + close + 2..];
    }
    out.push_str(rest);
    out
}
