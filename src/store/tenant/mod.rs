//! Tenant repositories: companies, API keys, HMAC secrets, technicians,
//! operator tokens and the audit log. Every finder of tenant rows takes a [`Scope`];
//! every mutation writes its audit record in the same transaction. One file
//! per aggregate; what they share (the audit record, unique-name errors,
//! credential dates, LIKE escaping) is here.

mod api_key;
mod audit;
mod company;
mod hmac;
mod operator_token;
mod technician;

use sea_orm::SqlErr;

pub use self::audit::{Audit, AuditFilter};
pub(crate) use self::company::find_company;
pub use self::company::{CompanyChanges, NewCompany};
pub use self::hmac::SecretMaterial;
pub use self::operator_token::{NewOperatorToken, OperatorTokenRecord};
pub use self::technician::{NewTechnician, TechnicianChanges};
use super::error::Error;

pub(super) fn unique_violation(error: &sea_orm::DbErr) -> bool {
    matches!(error.sql_err(), Some(SqlErr::UniqueConstraintViolation(_)))
}

pub(super) fn name_taken(error: sea_orm::DbErr, what: &str) -> Error {
    if unique_violation(&error) {
        Error::AlreadyExists(what.to_owned())
    } else {
        Error::Database(error)
    }
}

/// Whether a key or token with these dates authenticates at `now`.
pub fn credential_active(revoked_at: Option<i64>, expires_at: Option<i64>, now: i64) -> bool {
    revoked_at.is_none() && expires_at.is_none_or(|expires| expires > now)
}

fn escape_like(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Scope;
    use operator_token::token_visible;

    #[test]
    fn limited_scope_sees_only_tokens_inside_it() {
        let scope = Scope::Companies(vec!["a".to_owned(), "b".to_owned()].into());
        assert!(token_visible(&scope, &["a".to_owned()]));
        assert!(!token_visible(&scope, &["a".to_owned(), "c".to_owned()]));
        assert!(!token_visible(&scope, &[]));
        assert!(token_visible(&Scope::All, &[]));
    }

    #[test]
    fn credential_activity_follows_dates() {
        assert!(credential_active(None, None, 10));
        assert!(credential_active(None, Some(11), 10));
        assert!(!credential_active(None, Some(10), 10));
        assert!(!credential_active(Some(1), None, 10));
    }

    #[test]
    fn like_patterns_are_escaped() {
        assert_eq!(escape_like("50%_a\\"), "50\\%\\_a\\\\");
    }
}
