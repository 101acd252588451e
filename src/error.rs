//! The service layer's error, what every transport answers: the domain's and
//! the store's errors map onto it here (`From`), and it maps onto gRPC statuses
//! and HTTP responses here, each match exhaustive so a new variant cannot be
//! left unanswered.

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
    /// A credential check failed at the webhook: `check` names it (`api_key`,
    /// `signature`), `reason` says how (`missing`, `unknown`, `malformed`,
    /// `expired`, `mismatch`, `replay`).
    #[error("{message}")]
    CredentialRejected {
        /// Which check failed.
        check: &'static str,
        /// How it failed.
        reason: &'static str,
        /// Human-readable detail.
        message: String,
    },
    /// The company sent more than its rate allows; retry after the given time.
    #[error("rate limit exceeded; retry in {} ms", .0.as_millis())]
    RateLimited(std::time::Duration),
    /// The request body is larger than the configured limit (bytes).
    #[error("request body larger than {0} bytes")]
    PayloadTooLarge(usize),
    /// The request body has a content type the route does not take.
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// An upstream service (AWS) failed; the message says which call and why.
    #[error("{0}")]
    Upstream(String),
    /// The server cannot take this request now for a reason of its own (for
    /// example, ingest stopped after its log could not be synced); shown to
    /// the caller, who may retry elsewhere or later.
    #[error("{0}")]
    Unavailable(String),
    /// The database failed; logged in full, answered generically.
    #[error("database error: {0}")]
    Database(#[from] sea_orm::DbErr),
    /// Anything else unexpected; logged in full, answered generically.
    #[error("internal error: {0}")]
    Internal(String),
}

/// Most characters of an error message a caller is answered.
const MAX_PUBLIC_MESSAGE_CHARS: usize = 1000;

/// Shorthand for results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl From<crate::domain::error::Error> for Error {
    fn from(error: crate::domain::error::Error) -> Self {
        use crate::domain::error::Error as Domain;
        match error {
            error @ Domain::Invalid { .. } => Error::InvalidArgument(error.to_string()),
            Domain::NotAllowed(message) => Error::FailedPrecondition(message),
            Domain::NotFound(what) => Error::NotFound(what),
            Domain::Corrupt(message) => Error::Internal(message),
        }
    }
}

impl From<crate::store::error::Error> for Error {
    fn from(error: crate::store::error::Error) -> Self {
        use crate::store::error::Error as Store;
        match error {
            Store::Database(error) => Error::Database(error),
            Store::NotFound(what) => Error::NotFound(what),
            Store::AlreadyExists(message) => Error::AlreadyExists(message),
            Store::Conflict(message) => Error::FailedPrecondition(message),
            error @ Store::Invalid { .. } => Error::InvalidArgument(error.to_string()),
            Store::Internal(message) => Error::Internal(message),
            Store::Domain(error) => error.into(),
        }
    }
}

impl From<crate::domain::error::Error> for tonic::Status {
    fn from(error: crate::domain::error::Error) -> Self {
        Error::from(error).into()
    }
}

impl From<crate::store::error::Error> for tonic::Status {
    fn from(error: crate::store::error::Error) -> Self {
        Error::from(error).into()
    }
}

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
            | Error::CredentialRejected { .. }
            | Error::RateLimited(_)
            | Error::PayloadTooLarge(_)
            | Error::UnsupportedMediaType(_)
            | Error::PermissionDenied(_)
            | Error::NotFound(_)
            | Error::AlreadyExists(_)
            | Error::FailedPrecondition(_) => {}
            Error::Upstream(error) => tracing::warn!(%error, "upstream error"),
            // The cause is logged once where it arises (ingest logs its stop
            // at error); each refused request would flood the log.
            Error::Unavailable(error) => tracing::debug!(%error, "unavailable"),
        }
    }

    /// The message a caller may see: internal details are never shown, and
    /// what it echoes of the input is cut to [`MAX_PUBLIC_MESSAGE_CHARS`]
    /// (a 20,000-character id must not push a NOT_FOUND past what gRPC
    /// trailers hold, which turns it into another error).
    fn public_message(&self) -> String {
        let message = self.full_public_message();
        match message.char_indices().nth(MAX_PUBLIC_MESSAGE_CHARS) {
            Some((end, _)) => format!("{}… (cut)", &message[..end]),
            None => message,
        }
    }

    fn full_public_message(&self) -> String {
        match self {
            Error::Database(_) | Error::Internal(_) => "internal error".to_owned(),
            Error::InvalidArgument(_)
            | Error::Unauthenticated(_)
            | Error::CredentialRejected { .. }
            | Error::RateLimited(_)
            | Error::PayloadTooLarge(_)
            | Error::UnsupportedMediaType(_)
            | Error::PermissionDenied(_)
            | Error::NotFound(_)
            | Error::AlreadyExists(_)
            | Error::FailedPrecondition(_)
            | Error::Upstream(_)
            | Error::Unavailable(_) => self.to_string(),
        }
    }
}

impl From<Error> for tonic::Status {
    fn from(error: Error) -> Self {
        error.log_if_internal();
        let message = error.public_message();
        let code = match error {
            Error::InvalidArgument(_) => tonic::Code::InvalidArgument,
            Error::Unauthenticated(_) | Error::CredentialRejected { .. } => {
                tonic::Code::Unauthenticated
            }
            Error::RateLimited(_) => tonic::Code::ResourceExhausted,
            Error::PayloadTooLarge(_) | Error::UnsupportedMediaType(_) => {
                tonic::Code::InvalidArgument
            }
            Error::PermissionDenied(_) => tonic::Code::PermissionDenied,
            Error::NotFound(_) => tonic::Code::NotFound,
            Error::AlreadyExists(_) => tonic::Code::AlreadyExists,
            Error::FailedPrecondition(_) => tonic::Code::FailedPrecondition,
            Error::Upstream(_) | Error::Unavailable(_) => tonic::Code::Unavailable,
            Error::Database(_) | Error::Internal(_) => tonic::Code::Internal,
        };
        tonic::Status::new(code, message)
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        self.log_if_internal();
        let message = self.public_message();
        let mut body = serde_json::json!({ "message": message });
        let mut retry_after = None;
        let (status, kind) = match self {
            Error::InvalidArgument(_) => (http::StatusCode::BAD_REQUEST, "invalid_argument"),
            Error::Unauthenticated(_) => (http::StatusCode::UNAUTHORIZED, "unauthenticated"),
            Error::CredentialRejected { check, reason, .. } => {
                body["check"] = check.into();
                body["reason"] = reason.into();
                (http::StatusCode::UNAUTHORIZED, "unauthenticated")
            }
            Error::RateLimited(wait) => {
                retry_after = Some(wait.as_secs() + u64::from(wait.subsec_nanos() > 0));
                (http::StatusCode::TOO_MANY_REQUESTS, "rate_limited")
            }
            Error::PayloadTooLarge(_) => (http::StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"),
            Error::UnsupportedMediaType(_) => (
                http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
            ),
            Error::PermissionDenied(_) => (http::StatusCode::FORBIDDEN, "permission_denied"),
            Error::NotFound(_) => (http::StatusCode::NOT_FOUND, "not_found"),
            Error::AlreadyExists(_) => (http::StatusCode::CONFLICT, "already_exists"),
            Error::FailedPrecondition(_) => {
                (http::StatusCode::PRECONDITION_FAILED, "failed_precondition")
            }
            Error::Upstream(_) => (http::StatusCode::BAD_GATEWAY, "upstream"),
            Error::Unavailable(_) => (http::StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
            Error::Database(_) | Error::Internal(_) => {
                (http::StatusCode::INTERNAL_SERVER_ERROR, "internal")
            }
        };
        body["error"] = kind.into();
        let mut response = (status, axum::Json(body)).into_response();
        if let Some(seconds) = retry_after {
            response.headers_mut().insert(
                http::header::RETRY_AFTER,
                http::HeaderValue::from(seconds.max(1)),
            );
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn echoed_input_is_cut_in_both_answers() {
        let id = "é".repeat(20_000);
        let status = tonic::Status::from(Error::NotFound(format!("incident {id}")));
        assert_eq!(status.code(), tonic::Code::NotFound);
        assert!(status.message().chars().count() <= MAX_PUBLIC_MESSAGE_CHARS + 10);
        assert!(status.message().starts_with("incident éé"));
        assert!(status.message().ends_with("… (cut)"));
        let short = tonic::Status::from(Error::NotFound("incident abc".to_owned()));
        assert_eq!(short.message(), "incident abc not found");
        let response = Error::InvalidArgument(id).into_response();
        assert_eq!(response.status(), http::StatusCode::BAD_REQUEST);
    }
}
