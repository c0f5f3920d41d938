//! What a change can fail with, typed: each edge converts it once (REST to
//! an HTTP status and JSON body, server functions to their error).

use telltale_model::FieldError;
use telltale_store::StoreError;

use crate::accounts::AccountError;

#[derive(Debug, thiserror::Error)]
pub enum ChangeError {
    /// A field of the request is wrong; the message names it.
    #[error("{0}")]
    Invalid(FieldError),
    /// The thing the change is about does not exist.
    #[error("no {what} {id}")]
    NotFound { what: Resource, id: i64 },
    /// No job of that name.
    #[error("no job {0:?}")]
    JobNotFound(String),
    /// No worker of that id.
    #[error("no worker {0:?}")]
    WorkerNotFound(String),
    /// It clashes with what is stored (a job of that name exists) or
    /// cannot be done now (a run is in progress); the message says which.
    #[error("{0}")]
    Conflict(String),
    #[error(transparent)]
    Account(#[from] AccountError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What a change can be about, for a not-found that names it: the model's,
/// so every edge names it in the same words.
pub use telltale_model::Resource;
