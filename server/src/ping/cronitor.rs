//! Cronitor's simple telemetry form, for scripts written for it:
//! `/p/<ping-key>/<job>?state=run|complete|fail|ok&message=…&series=…&status_code=…`.
//! The key is a ping key, as on slug URLs; an unknown job is created, as
//! Cronitor creates a monitor on its first telemetry event.

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, Method};
use axum::response::Response;
use telltale_core::change::{Ping, PingTarget};
use telltale_core::ping::{PingBody, PingError, PingKind};

use super::{from_of, key, method_refused, refused, store};
use crate::auth::client::Client;
use crate::state::AppState;

/// What the query says.
#[derive(Debug, Default, PartialEq)]
struct Telemetry {
    state: Option<String>,
    message: Option<String>,
    series: Option<String>,
    status_code: Option<String>,
}

fn telemetry_of(query: Option<&str>) -> Telemetry {
    let mut t = Telemetry::default();
    for (k, v) in url::form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
        let slot = match k.as_ref() {
            "state" => &mut t.state,
            "message" => &mut t.message,
            "series" => &mut t.series,
            "status_code" => &mut t.status_code,
            _ => continue,
        };
        *slot = Some(v.into_owned());
    }
    t
}

/// The ping a telemetry event is: `run` starts, `complete` and `ok`
/// succeed, `fail` fails (with `status_code` as its exit status when it
/// is one).
fn kind_of(t: &Telemetry) -> Result<PingKind, PingError> {
    let code = match t.status_code.as_deref() {
        None => None,
        Some(c) => Some(
            c.parse::<u8>()
                .map_err(|_| PingError::InvalidUrl(format!("status_code {c:?} is not in 0-255")))?,
        ),
    };
    match t.state.as_deref() {
        Some("run") => Ok(PingKind::Start),
        Some("complete" | "ok") => Ok(PingKind::Success),
        Some("fail") => Ok(code
            .filter(|c| *c > 0)
            .map_or(PingKind::Fail, PingKind::Exit)),
        Some(other) => Err(PingError::InvalidUrl(format!(
            "state {other:?} is not run, complete, fail or ok"
        ))),
        None => Err(PingError::InvalidUrl(
            "state is missing: run, complete, fail or ok".into(),
        )),
    }
}

pub async fn telemetry(
    State(state): State<AppState>,
    Path((given, job)): Path<(String, String)>,
    method: Method,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    client: Option<axum::Extension<Client>>,
) -> Response {
    let limit = state.config.ingest.ping_body_bytes;
    if let Some(refused) = method_refused(&method, limit) {
        return refused;
    }
    let t = telemetry_of(query.as_deref());
    let kind = match kind_of(&t) {
        Ok(kind) => kind,
        Err(e) => return refused(&state, "unknown", &e, limit),
    };
    if let Err(e) = key::accept(&state, &given).await {
        return refused(&state, kind.as_str(), &e, limit);
    }
    let message = t.message.unwrap_or_default();
    let kept = &message.as_bytes()[..message.len().min(limit)];
    let ping = Ping {
        target: PingTarget::Job {
            name: job,
            create: true,
        },
        kind,
        rid: None,
        series: t.series,
        from: from_of(&method, &headers, client.as_ref().map(|c| &c.0)),
        body: PingBody::new(kept, message.len() as u64),
    };
    store(&state, ping, limit).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_read_as_cronitor_means_them() {
        let t = |q: &str| kind_of(&telemetry_of(Some(q)));
        assert_eq!(t("state=run").unwrap(), PingKind::Start);
        assert_eq!(t("state=complete&message=done").unwrap(), PingKind::Success);
        assert_eq!(t("state=ok").unwrap(), PingKind::Success);
        assert_eq!(t("state=fail").unwrap(), PingKind::Fail);
        assert_eq!(t("state=fail&status_code=3").unwrap(), PingKind::Exit(3));
        assert!(t("state=fail&status_code=300").is_err());
        assert!(t("state=paused").is_err());
        assert!(t("message=x").is_err());
        assert_eq!(
            telemetry_of(Some("state=run&series=abc&x=1"))
                .series
                .as_deref(),
            Some("abc")
        );
    }
}
