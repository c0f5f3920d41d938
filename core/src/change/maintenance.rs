use telltale_model::{FieldError, MaintenanceWindow, NewMaintenanceWindow};

use crate::error::Resource;
use crate::{ChangeError, Core};

impl Core {
    /// Adds a maintenance window. Alerts already open may now be covered,
    /// so the engine looks at every job again.
    pub async fn add_maintenance_window(
        &self,
        new: &NewMaintenanceWindow,
    ) -> Result<MaintenanceWindow, ChangeError> {
        new.validate()
            .map_err(|(field, problem)| ChangeError::Invalid(FieldError::new(field, problem)))?;
        let window = self.store().add_maintenance_window(new, self.now()).await?;
        tracing::info!(window = window.id, job = window.job_name.as_deref(), reason = %window.reason, "maintenance window added");
        self.engine().touch_all();
        Ok(window)
    }

    /// Removes a maintenance window; what it held back is looked at again.
    pub async fn delete_maintenance_window(&self, id: i64) -> Result<(), ChangeError> {
        if !self.store().delete_maintenance_window(id).await? {
            return Err(ChangeError::NotFound {
                what: Resource::MaintenanceWindow,
                id,
            });
        }
        tracing::info!(window = id, "maintenance window removed");
        self.engine().touch_all();
        Ok(())
    }
}
