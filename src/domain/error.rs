//! What the domain refuses. The domain does no I/O, so its errors are about
//! values and states only; the service layer maps them onto its own
//! [`crate::error::Error`] (and from there onto gRPC and HTTP) in one place.

/// A value or a state change the domain's rules refuse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// A value breaks a rule; `field` names the input it came from, so the
    /// caller can be told which part of a request to fix.
    #[error("{field}: {reason}")]
    Invalid { field: String, reason: String },
    /// The object is not in a state that allows the change (an incident
    /// already resolved, an execution no longer waiting for approval).
    #[error("{0}")]
    NotAllowed(String),
    /// The object the change names is not in the state it was asked of.
    #[error("{0} not found")]
    NotFound(String),
    /// Something the domain itself produced cannot be encoded or read back
    /// (a log record, a signing key): a fault of ours, not of the request.
    #[error("{0}")]
    Corrupt(String),
}

/// Shorthand for the domain's results.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// An [`Error::Invalid`] naming `field`.
    pub fn invalid(field: &str, why: impl std::fmt::Display) -> Self {
        Self::Invalid {
            field: field.to_owned(),
            reason: why.to_string(),
        }
    }
}
