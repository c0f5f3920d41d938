//! The one error of every server function, typed: what kind of failure it
//! is travels to the browser, so a page can say "no alert 42" or "sign in"
//! rather than show a string it cannot tell apart. Built once at the edge
//! from the service layer's and the store's errors ([`ssr`]); the details
//! of a failure stay in the server's log.

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};
use telltale_model::Resource;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "kind", rename_all = "snake_case", from = "Wire")]
pub enum AppError {
    /// The thing asked about does not exist (`id` as the caller named it).
    #[error("no {resource} {id}")]
    NotFound { resource: Resource, id: String },
    /// A field of the request is wrong; the message names it.
    #[error("{field}: {problem}")]
    BadInput { field: String, problem: String },
    /// The request clashes with what is stored (an email taken, the last
    /// admin); said plainly, as retrying it unchanged cannot help.
    #[error("{message}")]
    Conflict { message: String },
    #[error("forbidden: this needs an admin")]
    Forbidden,
    #[error("sign in to see this")]
    Unauthenticated,
    /// The store does not answer; retrying later may work.
    #[error("the store is unavailable; retry later")]
    Unavailable,
    /// A bug or a broken dependency: the server log has the details.
    #[error("internal error; the server log has the details")]
    Internal,
    /// The call itself failed (the network, or an answer that could not be
    /// read), before or after the server function ran.
    #[error("the call to the server failed: {message}")]
    Call { message: String },
}

/// The same JSON read as one flat struct. An internally tagged enum is read
/// through serde's buffered `Content`, generic code that every page's
/// bundle carried for this one type; a struct of options is read directly.
#[derive(Deserialize)]
struct Wire {
    kind: Kind,
    resource: Option<Resource>,
    id: Option<String>,
    field: Option<String>,
    problem: Option<String>,
    message: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum Kind {
    NotFound,
    BadInput,
    Conflict,
    Forbidden,
    Unauthenticated,
    Unavailable,
    Internal,
    Call,
}

impl From<Wire> for AppError {
    fn from(w: Wire) -> Self {
        let text = |v: Option<String>| v.unwrap_or_default();
        match w.kind {
            Kind::NotFound => match w.resource {
                Some(resource) => Self::NotFound {
                    resource,
                    id: text(w.id),
                },
                None => Self::Call {
                    message: "a not-found error without its resource".into(),
                },
            },
            Kind::BadInput => Self::BadInput {
                field: text(w.field),
                problem: text(w.problem),
            },
            Kind::Conflict => Self::Conflict {
                message: text(w.message),
            },
            Kind::Forbidden => Self::Forbidden,
            Kind::Unauthenticated => Self::Unauthenticated,
            Kind::Unavailable => Self::Unavailable,
            Kind::Internal => Self::Internal,
            Kind::Call => Self::Call {
                message: text(w.message),
            },
        }
    }
}

impl AppError {
    pub fn not_found(resource: Resource, id: impl ToString) -> Self {
        Self::NotFound {
            resource,
            id: id.to_string(),
        }
    }

    pub fn bad_input(field: impl Into<String>, problem: impl Into<String>) -> Self {
        Self::BadInput {
            field: field.into(),
            problem: problem.into(),
        }
    }

    /// The HTTP status a server function answers this error with: what is
    /// wrong with the request is a 4xx, as over the REST API, not a 500 a
    /// proxy or a log would count as the server's failure.
    pub fn status(&self) -> u16 {
        match self {
            Self::NotFound { .. } => 404,
            Self::BadInput { .. } => 400,
            Self::Conflict { .. } => 409,
            Self::Forbidden => 403,
            Self::Unauthenticated => 401,
            Self::Unavailable => 503,
            Self::Internal | Self::Call { .. } => 500,
        }
    }
}

impl From<telltale_model::FieldError> for AppError {
    fn from(e: telltale_model::FieldError) -> Self {
        Self::BadInput {
            field: e.field,
            problem: e.problem,
        }
    }
}

/// What Leptos's own machinery can fail with (the request, decoding the
/// arguments or the answer) becomes a typed error too, so a page has one
/// error type to render.
impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            ServerFnErrorErr::Args(problem) => Self::bad_input("arguments", problem),
            ServerFnErrorErr::MissingArg(field) => Self::bad_input(field, "is missing"),
            other => Self::Call {
                message: other.to_string(),
            },
        }
    }

    /// The error's JSON; on the server, where this is the answer's body
    /// being written, the answer's status too ([`AppError::status`]).
    fn ser(&self) -> leptos::server_fn::Bytes {
        #[cfg(feature = "ssr")]
        ssr::answer_with_status(self);
        <JsonEncoding as leptos::server_fn::Encodes<Self>>::encode(self)
            .unwrap_or_else(|_| leptos::server_fn::Bytes::from_static(br#"{"kind":"internal"}"#))
    }
}

/// The one conversion from the service layer's and the store's errors:
/// what is wrong with the request is said plainly; failures are logged and
/// said in general terms (no SQL, no paths).
#[cfg(feature = "ssr")]
pub(crate) mod ssr {
    use telltale_core::ChangeError;
    use telltale_core::accounts::AccountError;
    use telltale_store::StoreError;

    use super::AppError;

    /// Sets the status of the server function's answer to the error's. Not
    /// for a plain form post (a browser without JavaScript): that answer is
    /// the redirect back to the page, which shows the error from its
    /// address, and a status set here would replace the redirect's.
    pub(super) fn answer_with_status(error: &AppError) {
        use leptos::prelude::use_context;
        let Some(response) = use_context::<leptos_axum::ResponseOptions>() else {
            return;
        };
        if crate::server_fns::ssr::is_form_post() {
            return;
        }
        if let Ok(status) = http::StatusCode::from_u16(error.status()) {
            response.set_status(status);
        }
    }

    impl From<ChangeError> for AppError {
        fn from(e: ChangeError) -> Self {
            match e {
                ChangeError::Invalid(field)
                | ChangeError::Account(AccountError::Invalid(field)) => field.into(),
                ChangeError::NotFound { what, id } => AppError::not_found(what, id),
                ChangeError::JobNotFound(name) => {
                    AppError::not_found(telltale_model::Resource::Job, name)
                }
                ChangeError::WorkerNotFound(id) => {
                    AppError::not_found(telltale_model::Resource::Worker, id)
                }
                ChangeError::Conflict(message) => AppError::Conflict { message },
                ChangeError::Store(e) | ChangeError::Account(AccountError::Store(e)) => e.into(),
                ChangeError::Account(AccountError::Password(e)) => {
                    tracing::error!(error = %e, "password hashing failed");
                    AppError::Internal
                }
            }
        }
    }

    impl From<StoreError> for AppError {
        fn from(e: StoreError) -> Self {
            if let StoreError::Search(problem) = &e {
                return telltale_model::FieldError::new("q", format!("the search {problem}"))
                    .into();
            }
            if matches!(e, StoreError::DuplicateEmail | StoreError::LastAdmin) {
                return AppError::Conflict {
                    message: e.to_string(),
                };
            }
            tracing::error!(error = %e, "server function failed");
            AppError::Unavailable
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_survives_the_trip_to_the_browser() {
        let every = [
            AppError::not_found(Resource::Alert, 42),
            AppError::bad_input("format", "unknown value \"morse\""),
            AppError::Conflict {
                message: "the last admin cannot be removed".into(),
            },
            AppError::Forbidden,
            AppError::Unauthenticated,
            AppError::Unavailable,
            AppError::Internal,
            AppError::Call {
                message: "offline".into(),
            },
        ];
        for e in every {
            // `ser` falls back to a serialization error when it cannot
            // write the value (and panics if even that fails): compare.
            assert_eq!(AppError::de(e.ser()), e);
        }
        assert_eq!(
            AppError::not_found(Resource::Alert, 42).to_string(),
            "no alert 42"
        );
        // The wire form is the tagged JSON the API tests pin down.
        assert_eq!(
            serde_json::to_value(AppError::not_found(Resource::Alert, 42)).expect("json"),
            serde_json::json!({"kind": "not_found", "resource": "alert", "id": "42"})
        );
        // A body that says not_found but not of what is still an error
        // the page can show, not a failure to read it.
        let e = AppError::de(r#"{"kind":"not_found","id":"42"}"#.into());
        assert!(matches!(e, AppError::Call { .. }), "{e:?}");
        let e = AppError::de(r#"{"kind":"teapot"}"#.into());
        assert!(matches!(e, AppError::Call { .. }), "{e:?}");
    }

    #[test]
    fn leptos_failures_are_typed_too() {
        let e = AppError::from_server_fn_error(ServerFnErrorErr::MissingArg("id".into()));
        assert_eq!(e, AppError::bad_input("id", "is missing"));
        assert_eq!(e.to_string(), "id: is missing");
        let e = AppError::from_server_fn_error(ServerFnErrorErr::Request("offline".into()));
        assert!(matches!(e, AppError::Call { .. }), "{e:?}");
    }
}
