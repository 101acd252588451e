//! Authenticated identities: operators (bearer tokens) and ingest callers (API keys).

use crate::domain::tenant::Role;
use crate::error::{Error, Result};
use crate::store::Scope;

/// An operator authenticated by a bearer token.
#[derive(Debug, Clone)]
pub struct Operator {
    /// Id of the token used.
    pub token_id: String,
    /// The token's name.
    pub name: String,
    /// The token's role.
    pub role: Role,
    /// The companies the token may see.
    pub scope: Scope,
}

impl Operator {
    /// How the operator appears in the audit log.
    pub fn actor(&self) -> String {
        format!("token:{} ({})", self.token_id, self.name)
    }

    /// Fails with PERMISSION_DENIED unless the role is at least `role`.
    pub fn require(&self, role: Role) -> Result<()> {
        if self.role >= role {
            Ok(())
        } else {
            Err(Error::PermissionDenied(format!(
                "the {} role cannot do this; it needs the {} role",
                self.role.as_str(),
                role.as_str()
            )))
        }
    }

    /// Fails with PERMISSION_DENIED unless the operator is an admin of every company.
    pub fn require_unlimited_admin(&self) -> Result<()> {
        self.require(Role::Admin)?;
        if self.scope.is_all() {
            Ok(())
        } else {
            Err(Error::PermissionDenied(
                "this needs an admin token that is not limited to some companies".to_owned(),
            ))
        }
    }
}

/// A caller of the ingest API, authenticated by a company's API key.
#[derive(Debug, Clone)]
pub struct IngestCaller {
    /// The company the key belongs to.
    pub company_id: String,
    /// The key's id.
    pub api_key_id: String,
}

impl IngestCaller {
    /// The key's company: an authenticated identity's, so scoped.
    pub fn company(&self) -> crate::store::ScopedCompany {
        crate::store::ScopedCompany::system(self.company_id.clone())
    }
}

/// Extracts the token from an `authorization: Bearer <token>` value.
pub fn bearer_token(value: Option<&str>) -> Result<&str> {
    let value = value.ok_or_else(|| {
        Error::Unauthenticated("missing authorization: Bearer <operator token>".to_owned())
    })?;
    let token = value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))
        .map(str::trim)
        .filter(|token| !token.is_empty())
        .ok_or_else(|| {
            Error::Unauthenticated("authorization must be \"Bearer <operator token>\"".to_owned())
        })?;
    Ok(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn operator(role: Role, scope: Scope) -> Operator {
        Operator {
            token_id: "t".into(),
            name: "n".into(),
            role,
            scope,
        }
    }

    #[test]
    fn viewer_cannot_mutate_and_limited_admin_is_not_unlimited() {
        assert!(
            operator(Role::Viewer, Scope::All)
                .require(Role::Technician)
                .is_err()
        );
        assert!(
            operator(Role::Admin, Scope::All)
                .require_unlimited_admin()
                .is_ok()
        );
        let limited = operator(Role::Admin, Scope::Companies(vec!["a".into()].into()));
        assert!(limited.require(Role::Admin).is_ok());
        assert!(matches!(
            limited.require_unlimited_admin(),
            Err(Error::PermissionDenied(_))
        ));
    }

    #[test]
    fn bearer_token_is_parsed() {
        assert_eq!(bearer_token(Some("Bearer abc")).expect("ok"), "abc");
        assert!(bearer_token(None).is_err());
        assert!(bearer_token(Some("Basic abc")).is_err());
        assert!(bearer_token(Some("Bearer ")).is_err());
    }
}
