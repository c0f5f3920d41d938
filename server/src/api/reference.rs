//! `/docs/api`: the OpenAPI document as a page a person reads, rendered
//! here from the same document `/v1/openapi.json` serves. No script, no
//! font, nothing fetched from anywhere: it works on a machine without a
//! network, and the strict Content-Security-Policy of non-page answers
//! only loosens to allow its own inline style.
//!
//! It walks the document as JSON (the OpenAPI 3.1 shape), so what it shows
//! is what a client generator would see.

use std::fmt::Write;

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use html_escape::encode_text as text;
use serde_json::Value;

const CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; \
                   base-uri 'none'; form-action 'none'";

const STYLE: &str = "body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;\
padding:0 1rem;color:#1b1f24}code,pre{font-family:ui-monospace,monospace}\
h2{margin-top:2.5rem;border-bottom:1px solid #ccd}h3{margin:1.8rem 0 .3rem}\
.method{display:inline-block;min-width:4.5rem;font-weight:700}\
table{border-collapse:collapse;margin:.4rem 0}td,th{border:1px solid #ccd;padding:.2rem .5rem;\
text-align:left;vertical-align:top}nav a{margin-right:.8rem}.muted{color:#555}";

const METHODS: [&str; 6] = ["get", "head", "post", "put", "patch", "delete"];

/// The page for `doc` (an OpenAPI document as JSON).
pub fn render(doc: &Value) -> String {
    let title = doc["info"]["title"].as_str().unwrap_or("API");
    let mut out = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>{t} API reference</title><style>{STYLE}</style></head><body>\
         <h1>{t} API reference</h1><p>{d}</p>\
         <p class=\"muted\">Version {v}. The machine-readable document: \
         <a href=\"/v1/openapi.json\"><code>/v1/openapi.json</code></a>.</p>",
        t = text(title),
        d = text(doc["info"]["description"].as_str().unwrap_or("")),
        v = text(doc["info"]["version"].as_str().unwrap_or("")),
    );
    let paths = doc["paths"].as_object().cloned().unwrap_or_default();
    out.push_str(
        "<nav><a href=\"#operations\">Operations</a><a href=\"#schemas\">Schemas</a></nav>",
    );
    out.push_str("<h2 id=\"operations\">Operations</h2>");
    for (path, item) in &paths {
        for method in METHODS {
            if let Some(op) = item.get(method) {
                operation(&mut out, method, path, op);
            }
        }
    }
    out.push_str("<h2 id=\"schemas\">Schemas</h2>");
    if let Some(schemas) = doc["components"]["schemas"].as_object() {
        for (name, schema) in schemas {
            schema_section(&mut out, name, schema);
        }
    }
    out.push_str("</body></html>");
    out
}

fn operation(out: &mut String, method: &str, path: &str, op: &Value) {
    let _ = write!(
        out,
        "<h3 id=\"{id}\"><span class=\"method\">{m}</span><code>{p}</code></h3>",
        id = text(op["operationId"].as_str().unwrap_or("")),
        m = method.to_ascii_uppercase(),
        p = text(path),
    );
    for key in ["summary", "description"] {
        if let Some(s) = op[key].as_str().filter(|s| !s.is_empty()) {
            let _ = write!(out, "<p>{}</p>", text(s));
        }
    }
    if let Some(params) = op["parameters"].as_array().filter(|p| !p.is_empty()) {
        out.push_str("<table><tr><th>parameter</th><th>in</th><th>type</th><th></th></tr>");
        for p in params {
            let _ = write!(
                out,
                "<tr><td><code>{}</code>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                text(p["name"].as_str().unwrap_or("")),
                if p["required"].as_bool() == Some(true) {
                    " (required)"
                } else {
                    ""
                },
                text(p["in"].as_str().unwrap_or("")),
                type_of(&p["schema"]),
                text(p["description"].as_str().unwrap_or("")),
            );
        }
        out.push_str("</table>");
    }
    if let Some(body) = op["requestBody"]["content"].as_object() {
        for (media, content) in body {
            let _ = write!(
                out,
                "<p>Body ({}): {}</p>",
                text(media),
                type_of(&content["schema"])
            );
        }
    }
    if let Some(responses) = op["responses"].as_object() {
        out.push_str("<table><tr><th>answer</th><th></th><th>body</th></tr>");
        for (code, r) in responses {
            let body = r["content"]
                .as_object()
                .and_then(|c| c.values().next())
                .map(|c| type_of(&c["schema"]))
                .unwrap_or_default();
            let _ = write!(
                out,
                "<tr><td>{}</td><td>{}</td><td>{body}</td></tr>",
                text(code),
                text(r["description"].as_str().unwrap_or("")),
            );
        }
        out.push_str("</table>");
    }
}

fn schema_section(out: &mut String, name: &str, schema: &Value) {
    let _ = write!(
        out,
        "<h3 id=\"schema-{n}\"><code>{n}</code></h3>",
        n = text(name)
    );
    if let Some(d) = schema["description"].as_str() {
        let _ = write!(out, "<p>{}</p>", text(d));
    }
    if let Some(values) = schema["enum"].as_array() {
        let list: Vec<String> = values
            .iter()
            .map(|v| format!("<code>{}</code>", text(&v.to_string())))
            .collect();
        let _ = write!(out, "<p>One of {}.</p>", list.join(", "));
    }
    let Some(props) = schema["properties"].as_object() else {
        if schema.get("properties").is_none() && schema.get("enum").is_none() {
            let _ = write!(out, "<p>{}</p>", type_of(schema));
        }
        return;
    };
    let required: Vec<&str> = schema["required"]
        .as_array()
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    out.push_str("<table><tr><th>field</th><th>type</th><th></th></tr>");
    for (field, p) in props {
        let _ = write!(
            out,
            "<tr><td><code>{}</code>{}</td><td>{}</td><td>{}</td></tr>",
            text(field),
            if required.contains(&field.as_str()) {
                " (required)"
            } else {
                ""
            },
            type_of(p),
            text(p["description"].as_str().unwrap_or("")),
        );
    }
    out.push_str("</table>");
}

/// A schema in a few words: a link to a named schema, `array of …`, a type
/// (with its format), or the choices of a `oneOf`.
fn type_of(schema: &Value) -> String {
    if let Some(r) = schema["$ref"].as_str() {
        let name = r.rsplit('/').next().unwrap_or(r);
        return format!(
            "<a href=\"#schema-{n}\"><code>{n}</code></a>",
            n = text(name)
        );
    }
    for key in ["oneOf", "anyOf", "allOf"] {
        if let Some(choices) = schema[key].as_array() {
            let parts: Vec<String> = choices.iter().map(type_of).collect();
            return parts.join(if key == "allOf" { " and " } else { " or " });
        }
    }
    let kind = match &schema["type"] {
        Value::String(s) => s.clone(),
        Value::Array(kinds) => kinds
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(" or "),
        _ => String::new(),
    };
    if kind.starts_with("array") {
        return format!("array of {}", type_of(&schema["items"]));
    }
    match schema["format"].as_str() {
        Some(f) => format!("{} ({})", text(&kind), text(f)),
        None if kind.is_empty() => "any".to_owned(),
        None => text(&kind).into_owned(),
    }
}

/// The answer of `GET /docs/api`.
pub fn page(html: &str) -> Response {
    let mut response = (
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        html.to_owned(),
    )
        .into_response();
    response.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_operation_and_schema_of_the_document_is_on_the_page() {
        let doc = serde_json::to_value(crate::api::openapi()).expect("document as JSON");
        let html = render(&doc);
        let paths = doc["paths"].as_object().expect("paths");
        assert!(paths.len() > 20, "{} paths", paths.len());
        for (path, item) in paths {
            for method in METHODS {
                if item.get(method).is_some() {
                    let heading = format!(
                        "<span class=\"method\">{}</span><code>{}</code>",
                        method.to_ascii_uppercase(),
                        text(path)
                    );
                    assert!(html.contains(&heading), "{method} {path} is missing");
                }
            }
        }
        for name in doc["components"]["schemas"]
            .as_object()
            .expect("schemas")
            .keys()
        {
            assert!(
                html.contains(&format!("id=\"schema-{name}\"")),
                "{name} is missing"
            );
        }
        assert!(!html.contains("<script"), "the page runs no script");
    }

    #[test]
    fn text_from_the_document_is_escaped() {
        let doc = serde_json::json!({
            "info": {"title": "T", "description": "<script>x</script>", "version": "1"},
            "paths": {"/v1/x": {"get": {"summary": "a < b & c", "responses": {}}}},
        });
        let html = render(&doc);
        assert!(html.contains("&lt;script&gt;x&lt;/script&gt;"));
        assert!(html.contains("a &lt; b &amp; c"));
    }
}
