use crate::{ChangeError, Core};

impl Core {
    /// Whether a job's status badge is served without credentials.
    pub async fn set_public_badge(&self, job: &str, public: bool) -> Result<(), ChangeError> {
        if !self.store().set_public_badge(job, public).await? {
            return Err(ChangeError::JobNotFound(job.to_owned()));
        }
        tracing::info!(job, public, "badge visibility changed");
        Ok(())
    }
}
