//! The service's one error type and its one mapping to gRPC statuses and HTTP responses.

use axum::response::{IntoResponse, Response};

/// What went wrong while serving a request.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The request is malformed; the message says which field and why.
    #[error("{0}")]
    InvalidArgument(String),
    /// No credentials, or credentials that do not authenticate.
    #[error("{0}")]
    Unauthenticated(String),
    /// The caller is authenticated but its role does not allow this.
    #[error("{0}")]
    PermissionDenied(String),
    /// The object does not exist or is outside the caller's companies.
    #[error("{0} not found")]
    NotFound(String),
    /// The object already exists (a unique name or e-mail is taken).
    #[error("{0}")]
    AlreadyExists(String),
    /// The system is not in a state that allows this (e.g. HMAC already enabled).
    #[error("{0}")]
    FailedPrecondition(String),
    /// The database failed; logged in full, answered generically.
    #[error("database error: {0}")]
    Database(#[from] sea_orm::DbErr),
    /// Anything else unexpected; logged in full, answered generically.
    #[error("internal error: {0}")]
    Internal(String),
}

/// Shorthand for results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// An `InvalidArgument` naming `field`.
    pub fn invalid(field: &str, why: impl std::fmt::Display) -> Self {
        Self::InvalidArgument(format!("{field}: {why}"))
    }

    fn log_if_internal(&self) {
        match self {
            Error::Database(error) => tracing::error!(%error, "database error"),
            Error::Internal(error) => tracing::error!(%error, "internal error"),
            Error::InvalidArgument(_)
            | Error::Unauthenticated(_)
            | Error::PermissionDenied(_)
            | Error::NotFound(_)
            | Error::AlreadyExists(_)
            | Error::FailedPrecondition(_) => {}
        }
    }

    /// The message a caller may see: internal details are never shown.
    fn public_message(&self) -> String {
        match self {
            Error::Database(_) | Error::Internal(_) => "internal error".to_owned(),
            Error::InvalidArgument(_)
            | Error::Unauthenticated(_)
            | Error::PermissionDenied(_)
            | Error::NotFound(_)
            | Error::AlreadyExists(_)
            | Error::FailedPrecondition(_) => self.to_string(),
        }
    }
}

impl From<Error> for tonic::Status {
    fn from(error: Error) -> Self {
        error.log_if_internal();
        let message = error.public_message();
        let code = match error {
            Error::InvalidArgument(_) => tonic::Code::InvalidArgument,
            Error::Unauthenticated(_) => tonic::Code::Unauthenticated,
            Error::PermissionDenied(_) => tonic::Code::PermissionDenied,
            Error::NotFound(_) => tonic::Code::NotFound,
            Error::AlreadyExists(_) => tonic::Code::AlreadyExists,
            Error::FailedPrecondition(_) => tonic::Code::FailedPrecondition,
            Error::Database(_) | Error::Internal(_) => tonic::Code::Internal,
        };
        tonic::Status::new(code, message)
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        self.log_if_internal();
        let message = self.public_message();
        let (status, kind) = match self {
            Error::InvalidArgument(_) => (http::StatusCode::BAD_REQUEST, "invalid_argument"),
            Error::Unauthenticated(_) => (http::StatusCode::UNAUTHORIZED, "unauthenticated"),
            Error::PermissionDenied(_) => (http::StatusCode::FORBIDDEN, "permission_denied"),
            Error::NotFound(_) => (http::StatusCode::NOT_FOUND, "not_found"),
            Error::AlreadyExists(_) => (http::StatusCode::CONFLICT, "already_exists"),
            Error::FailedPrecondition(_) => {
                (http::StatusCode::PRECONDITION_FAILED, "failed_precondition")
            }
            Error::Database(_) | Error::Internal(_) => {
                (http::StatusCode::INTERNAL_SERVER_ERROR, "internal")
            }
        };
        (
            status,
            axum::Json(serde_json::json!({ "error": kind, "message": message })),
        )
            .into_response()
    }
}
