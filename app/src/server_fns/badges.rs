use leptos::prelude::*;
use telltale_model::BadgeSetting;

use crate::components::server_html::Markup;
use crate::error::AppError;

/// A job's badge: where it is served, whether it is public, and the
/// Markdown that shows it, written for the address the page was asked at.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct BadgeLinks {
    pub setting: BadgeSetting,
    pub markdown: String,
}

/// Makes a job's badge public or private, like `PUT /v1/jobs/{name}/badge`.
/// Posted by a plain HTML form, so it works without JavaScript. Admins
/// only; the access layer has already checked the session and Origin.
/// Answers the job page's badge section as it is now, as server markup
/// ([`crate::pages::job_badge::BadgeView`]).
#[server(prefix = "/api", endpoint = "badges/set")]
pub async fn set_badge_public(job: String, public: bool) -> Result<Markup, AppError> {
    use super::ssr::{core, request_origin, require_admin};
    require_admin()?;
    let origin = request_origin();
    core()?.set_public_badge(&job, public).await?;
    let links = links(BadgeSetting::new(&job, public), &origin);
    Ok(crate::components::server_html::render(move || {
        view! { <crate::pages::job_badge::BadgeView links admin=true /> }
    }))
}

#[cfg(feature = "ssr")]
pub(super) fn links(setting: BadgeSetting, origin: &str) -> BadgeLinks {
    BadgeLinks {
        markdown: setting.markdown(origin),
        setting,
    }
}
