//! The check policy an event's metadata sets on its job.

use serde_json::{Map, Value};

use super::set_text;
use crate::job::CheckPolicy;
use crate::metadata::{self, Read};

/// The policy keys an event sets, but those an operator set (`locked`):
/// an operator's value wins over a producer's. A key whose value cannot be
/// accepted (ingest listed it in `warnings`) leaves its setting as it was.
pub(super) fn apply_policy(
    policy: &mut CheckPolicy,
    meta: Option<&Map<String, Value>>,
    locked: &[String],
) {
    let Some(meta) = meta else { return };
    if locked.iter().any(|k| meta.contains_key(k)) {
        let open: Map<String, Value> = meta
            .iter()
            .filter(|(k, _)| !locked.contains(k))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        set_policy(policy, &open);
    } else {
        set_policy(policy, meta);
    }
}

/// Every policy key of `meta` that can be accepted, set on `policy`.
pub(crate) fn set_policy(policy: &mut CheckPolicy, meta: &Map<String, Value>) {
    for (key, slot) in [
        ("check_enabled", &mut policy.check_enabled),
        ("alert_on_failure", &mut policy.alert_on_failure),
        ("alert_on_miss", &mut policy.alert_on_miss),
    ] {
        if let Read::Value(v) = metadata::flag(meta, key) {
            *slot = v;
        }
    }
    if let Read::Value(v) = metadata::number(meta, "grace_seconds") {
        policy.grace_seconds = v;
    }
    if let Read::Value(v) = metadata::number(meta, "failure_threshold") {
        policy.failure_threshold = v;
    }
    // An explicit null clears an optional key; absence leaves it alone.
    for (key, slot) in [
        ("start_grace_seconds", &mut policy.start_grace_seconds),
        ("max_runtime_seconds", &mut policy.max_runtime_seconds),
        ("min_runtime_seconds", &mut policy.min_runtime_seconds),
        (
            "repeat_interval_seconds",
            &mut policy.repeat_interval_seconds,
        ),
    ] {
        match metadata::number(meta, key) {
            Read::Null => *slot = None,
            Read::Value(v) => *slot = Some(v),
            Read::Absent | Read::Bad(_) => {}
        }
    }
    // Producers often repeat their policy on every event: a schedule or
    // zone equal to the current one was checked when it was set, and is
    // not parsed again on the writer's thread.
    #[cfg(feature = "schedule")]
    let unchanged = |key: &str, current: &Option<String>| matches!(metadata::text(meta, key), Read::Value(v) if current.as_deref() == Some(v));
    #[cfg(feature = "schedule")]
    let (schedule, timezone) = (
        if unchanged("schedule", &policy.schedule) {
            Read::Absent
        } else {
            metadata::schedule(meta)
        },
        if unchanged("timezone", &policy.timezone) {
            Read::Absent
        } else {
            metadata::timezone(meta)
        },
    );
    #[cfg(not(feature = "schedule"))]
    let (schedule, timezone) = (
        metadata::text(meta, "schedule"),
        metadata::text(meta, "timezone"),
    );
    for (read, slot) in [
        (schedule, &mut policy.schedule),
        (timezone, &mut policy.timezone),
        (metadata::text(meta, "depends_on"), &mut policy.depends_on),
    ] {
        match read {
            Read::Null => *slot = None,
            Read::Value(v) => set_text(slot, v),
            Read::Absent | Read::Bad(_) => {}
        }
    }
}
