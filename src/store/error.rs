//! What the store answers when it cannot: the database failed, a row is not
//! in the caller's scope, a unique value is taken, the stored state refuses a
//! change, or a stored value cannot be read back. The service layer maps these
//! onto its own [`crate::error::Error`] in one place.

/// Why a store call did not do what it was asked.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The database failed (connection, constraint we did not expect, I/O).
    #[error("database error: {0}")]
    Database(#[from] sea_orm::DbErr),
    /// No such row in the caller's scope; the text names what was looked for.
    #[error("{0} not found")]
    NotFound(String),
    /// A unique value (a name, an e-mail) is taken.
    #[error("{0}")]
    AlreadyExists(String),
    /// What is stored refuses the change (a runbook still used by a rule, HMAC
    /// already enabled).
    #[error("{0}")]
    Conflict(String),
    /// An argument the store itself interprets is malformed (a page token, a
    /// page size); `field` names it.
    #[error("{field}: {reason}")]
    Invalid { field: String, reason: String },
    /// A stored value cannot be read back, or the database cannot be set up
    /// (a directory that cannot be created): a fault of ours.
    #[error("{0}")]
    Internal(String),
    /// The domain refused a value or a change the store was asked to apply.
    #[error(transparent)]
    Domain(#[from] crate::domain::error::Error),
}

/// Shorthand for the store's results.
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
