use telltale_model::{ApiKey, CreatedApiKey, NewApiKey, NewUser, Role, User};

use crate::error::Resource;
use crate::{ChangeError, Core};

/// A change about `what` number `id` that found nothing.
fn missing(what: Resource, id: i64) -> ChangeError {
    ChangeError::NotFound { what, id }
}

impl Core {
    /// A new API key; the answer holds the secret, the only time it is seen.
    pub async fn create_api_key(&self, request: &NewApiKey) -> Result<CreatedApiKey, ChangeError> {
        Ok(self.accounts().create_api_key(request, self.now()).await?)
    }

    pub async fn revoke_api_key(&self, id: i64) -> Result<ApiKey, ChangeError> {
        self.accounts()
            .revoke_api_key(id, self.now())
            .await?
            .ok_or(missing(Resource::ApiKey, id))
    }

    pub async fn add_user(&self, request: &NewUser) -> Result<User, ChangeError> {
        Ok(self.accounts().add_user(request, self.now()).await?)
    }

    /// Removes a user and their sessions; never the last admin.
    pub async fn remove_user(&self, id: i64) -> Result<(), ChangeError> {
        match self.accounts().remove_user(id).await? {
            true => Ok(()),
            false => Err(missing(Resource::User, id)),
        }
    }

    /// Sets a new password and ends every session of that user.
    pub async fn reset_password(&self, id: i64, password: &str) -> Result<(), ChangeError> {
        match self.accounts().reset_password(id, password).await? {
            true => Ok(()),
            false => Err(missing(Resource::User, id)),
        }
    }

    /// Makes a user an admin or a viewer (never the last admin a viewer).
    pub async fn set_role(&self, id: i64, role: Role) -> Result<User, ChangeError> {
        self.accounts()
            .set_role(id, role)
            .await?
            .ok_or(missing(Resource::User, id))
    }
}
