use telltale_model::{Change, CloseAlertResponse};

use crate::{ChangeError, Core};

/// The reason kept with an alert closed without one.
pub const DEFAULT_CLOSE_REASON: &str = "closed by hand";

/// How long a close reason may be, in characters.
const MAX_REASON_CHARS: usize = 1000;

impl Core {
    /// Closes an alert by hand. A blank reason is the default one; closing
    /// a closed alert changes nothing (`updated: false`); an unknown id is
    /// `found: false`. A close is announced to every live page, here and on
    /// the other instances.
    pub async fn close_alert(
        &self,
        id: i64,
        reason: Option<&str>,
    ) -> Result<CloseAlertResponse, ChangeError> {
        let reason = reason
            .map(str::trim)
            .filter(|r| !r.is_empty())
            .unwrap_or(DEFAULT_CLOSE_REASON);
        if reason.chars().count() > MAX_REASON_CHARS {
            return Err(ChangeError::Invalid(telltale_model::FieldError::new(
                "reason",
                format!("must be at most {MAX_REASON_CHARS} characters"),
            )));
        }
        let outcome = self.store().close_alert(id, reason, self.now()).await?;
        if outcome.updated {
            tracing::info!(alert = id, reason, "alert closed by hand");
            self.live().publish([Change::Alerts]);
        }
        Ok(CloseAlertResponse {
            found: outcome.found,
            updated: outcome.updated,
            reason: reason.to_owned(),
            alert: outcome.alert,
        })
    }
}
