use chrono::{DateTime, SecondsFormat, Utc};
use leptos::prelude::*;

/// A timestamp: machine-readable in `datetime`, exact UTC on hover.
#[component]
pub fn Time(at: DateTime<Utc>) -> impl IntoView {
    let iso = at.to_rfc3339_opts(SecondsFormat::Millis, true);
    let shown = at.format("%Y-%m-%d %H:%M:%S UTC").to_string();
    view! {
        <time datetime=iso.clone() title=iso>
            {shown}
        </time>
    }
}
