use leptos::prelude::*;
use telltale_model::BadgeSetting;

use crate::error::AppError;

/// A job's badge: where it is served, whether it is public, and the
/// Markdown that shows it, written for the address the page was asked at.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct BadgeLinks {
    pub setting: BadgeSetting,
    pub markdown: String,
}

/// `public` as stored for `job` (`None` for an unknown job: the job page
/// already says it is missing, so the badge section shows nothing).
#[server(prefix = "/api", endpoint = "badges/get")]
pub async fn get_badge(job: String) -> Result<Option<BadgeLinks>, AppError> {
    use super::ssr::store;
    let origin = request_origin();
    let Some(status) = store()?.job_with_state(&job).await? else {
        return Ok(None);
    };
    Ok(Some(links(
        BadgeSetting::new(&job, status.public_badge),
        &origin,
    )))
}

/// Makes a job's badge public or private, like `PUT /v1/jobs/{name}/badge`.
/// Posted by a plain HTML form, so it works without JavaScript. Admins
/// only; the access layer has already checked the session and Origin.
#[server(prefix = "/api", endpoint = "badges/set")]
pub async fn set_badge_public(job: String, public: bool) -> Result<BadgeLinks, AppError> {
    use super::ssr::{core, require_admin};
    require_admin()?;
    let origin = request_origin();
    core()?.set_public_badge(&job, public).await?;
    Ok(links(BadgeSetting::new(&job, public), &origin))
}

/// The host this request came in on (behind a proxy, its forwarded scheme
/// and host), for the Markdown snippet. Read before the function's first
/// `.await`: after it the future may be polled outside the request's
/// reactive owner, where the request is not in the context.
#[cfg(feature = "ssr")]
fn request_origin() -> String {
    use_context::<http::request::Parts>()
        .and_then(|parts| {
            let header = |name: &str| {
                parts
                    .headers
                    .get(name)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned)
            };
            let host = header("x-forwarded-host").or_else(|| header("host"))?;
            let scheme = header("x-forwarded-proto").unwrap_or_else(|| "http".into());
            Some(format!("{scheme}://{host}"))
        })
        .unwrap_or_default()
}

#[cfg(feature = "ssr")]
fn links(setting: BadgeSetting, origin: &str) -> BadgeLinks {
    BadgeLinks {
        markdown: setting.markdown(origin),
        setting,
    }
}
