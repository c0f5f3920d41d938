//! What the reader typed into a section's forms and has not sent, kept
//! across a swap of the section's markup. A section is read again after
//! an answer to one of its forms, and `/alerts` on every live change: the
//! reason half-typed into one alert's close form, or the email typed into
//! "Add user" while the answer to a row's "Set" arrives, would otherwise be
//! wiped by markup that knows nothing of it.
//!
//! A field counts as typed when its value differs from the one the markup
//! gave it (`defaultValue`, `defaultChecked`, the option marked
//! `selected`). A form whose post succeeded is reset first
//! (`FormAction::post_inside`), so what was sent is not put back. Fields are
//! matched by their form (its action and hidden fields, such as the row's
//! id, then its place among forms alike) and their name; a field whose form
//! is gone from the new markup is dropped with it.

use wasm_bindgen::{JsCast, JsValue};
use web_sys::Element;
use web_sys::js_sys::Reflect;

use super::elements;

/// One field's typed state: a value, or a box's tick.
enum Value {
    Text(JsValue),
    Checked(JsValue),
}

/// The typed fields of a section, by key, and the key of the field that
/// had the focus.
pub(super) struct Typed {
    fields: Vec<(String, Value)>,
    focused: Option<String>,
}

impl Typed {
    pub(super) fn read(root: &Element) -> Self {
        let active = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.active_element());
        // Most redraws find nothing typed and no focus inside: the keys are
        // made only when needed.
        let needed = elements(root, "input, textarea, select")
            .iter()
            .any(|f| active.as_ref() == Some(f) || typed(f).is_some());
        let mut fields = Vec::new();
        let mut focused = None;
        if !needed {
            return Self { fields, focused };
        }
        for (key, field) in keyed_fields(root) {
            if active.as_ref() == Some(&field) {
                focused = Some(key.clone());
            }
            if let Some(value) = typed(&field) {
                fields.push((key, value));
            }
        }
        Self { fields, focused }
    }

    pub(super) fn put_back(mut self, root: &Element) {
        if self.fields.is_empty() && self.focused.is_none() {
            return;
        }
        for (key, field) in keyed_fields(root) {
            if let Some(at) = self.fields.iter().position(|(k, _)| *k == key) {
                let (property, value) = match self.fields.swap_remove(at).1 {
                    Value::Text(v) => ("value", v),
                    Value::Checked(v) => ("checked", v),
                };
                let _ = Reflect::set(&field, &property.into(), &value);
            }
            if self.focused.as_ref() == Some(&key)
                && let Some(field) = field.dyn_ref::<web_sys::HtmlElement>()
            {
                let _ = field.focus();
            }
        }
    }
}

/// Every named field of every form under `root`, with its key.
fn keyed_fields(root: &Element) -> Vec<(String, Element)> {
    // Forms alike (same action and hidden fields) are told apart by place.
    let mut seen: Vec<(String, usize)> = Vec::new();
    let mut keyed = Vec::new();
    for form in elements(root, "form") {
        let mut key = form.get_attribute("action").unwrap_or_default();
        for hidden in elements(&form, "input[type=hidden]") {
            key.push_str(&format!(
                "\u{1f}{}={}",
                hidden.get_attribute("name").unwrap_or_default(),
                hidden.get_attribute("value").unwrap_or_default()
            ));
        }
        let nth = match seen.iter_mut().find(|(k, _)| *k == key) {
            Some((_, n)) => {
                *n += 1;
                *n
            }
            None => {
                seen.push((key.clone(), 0));
                0
            }
        };
        key.push_str(&format!("\u{1f}#{nth}"));
        for field in elements(&form, "input, textarea, select") {
            let Some(name) = field.get_attribute("name") else {
                continue;
            };
            // A radio group is one name with a field per value.
            let value = match field.get_attribute("type").as_deref() {
                Some("radio") => field.get_attribute("value").unwrap_or_default(),
                _ => String::new(),
            };
            keyed.push((format!("{key}\u{1f}{name}\u{1f}{value}"), field));
        }
    }
    keyed
}

/// A property of the element, as the browser holds it.
fn property(field: &Element, name: &str) -> JsValue {
    Reflect::get(field, &name.into()).unwrap_or(JsValue::UNDEFINED)
}

/// The field's state if the reader changed it from the markup's. Read as
/// properties, the one way for inputs, text areas and selects alike.
fn typed(field: &Element) -> Option<Value> {
    let kind = field.get_attribute("type").unwrap_or_default();
    match kind.to_ascii_lowercase().as_str() {
        "hidden" | "submit" | "button" | "reset" | "image" | "file" => None,
        "checkbox" | "radio" => {
            let checked = property(field, "checked");
            (checked != property(field, "defaultChecked")).then_some(Value::Checked(checked))
        }
        _ => {
            let value = property(field, "value");
            (value != default_value(field)).then_some(Value::Text(value))
        }
    }
}

/// The value the markup gave: an input's or text area's `defaultValue`, a
/// select's option marked `selected` (else its first).
fn default_value(field: &Element) -> JsValue {
    if field.tag_name() != "SELECT" {
        return property(field, "defaultValue");
    }
    let options = elements(field, "option");
    options
        .iter()
        .find(|o| o.has_attribute("selected"))
        .or(options.first())
        .map(|o| property(o, "value"))
        .unwrap_or(JsValue::UNDEFINED)
}
