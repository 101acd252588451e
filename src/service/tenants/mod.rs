//! Tenants (TenantService): companies with their API keys, HMAC secrets and
//! AWS role, technicians, operator tokens and the audit log. Every change
//! needs an admin ([`Admin`]) and writes its audit entry in the store's
//! transaction; a change to credentials drops what the ingest path cached of
//! them, and a change to technicians has the company's owner reload them.

mod audit;
mod companies;
mod credentials;
mod operators;
mod technicians;

pub use audit::{AuditEvent, list_audit_events};
pub use companies::{
    AwsRole, Company, CompanyChange, CreatedCompany, SnsConfirmation, create_company,
    delete_company, get_company, list_companies, list_sns_confirmations, set_aws_role,
    update_company,
};
pub use credentials::{
    ApiKey, CreatedApiKey, EnabledHmac, HmacSecret, RotatedApiKey, RotatedHmacSecret,
    create_api_key, disable_hmac, enable_hmac, list_api_keys, revoke_api_key, rotate_api_key,
    rotate_hmac_secret,
};
pub use operators::{
    Caller, CreatedOperatorToken, OperatorToken, OperatorTokenFields, create_operator_token,
    get_caller, list_operator_tokens, revoke_operator_token,
};
pub use technicians::{
    Technician, TechnicianChange, create_technician, delete_technician, list_technicians,
    update_technician,
};

use crate::auth::Operator;
use crate::domain::tenant::Role;
use crate::error::Result;
use crate::store::Scope;
use crate::store::tenant::Audit;

/// An operator whose admin role was checked: what every change to tenants
/// takes. A transport checks it before it reads the request, so that a
/// caller without the role is refused (PERMISSION_DENIED) whatever it sent.
#[derive(Debug, Clone, Copy)]
pub struct Admin<'a> {
    operator: &'a Operator,
}

impl<'a> Admin<'a> {
    /// `operator` if its role is admin; PERMISSION_DENIED otherwise.
    pub fn check(operator: &'a Operator) -> Result<Self> {
        operator.require(Role::Admin)?;
        Ok(Self { operator })
    }

    /// The companies the admin may change.
    fn scope(&self) -> &'a Scope {
        &self.operator.scope
    }

    /// The audit entry of `action` ("TenantService.CreateApiKey") by this admin.
    fn audit(&self, action: &'static str) -> Audit {
        Audit::new(self.operator.actor(), action)
    }
}

/// A store's page of rows as a page of the service's records, with the next
/// page's token.
fn page_of<Row, Record: From<Row>>(
    (rows, next_page_token): (Vec<Row>, String),
) -> (Vec<Record>, String) {
    (
        rows.into_iter().map(Record::from).collect(),
        next_page_token,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;

    #[test]
    fn only_an_admin_passes_the_check() {
        for (role, admin) in [
            (Role::Viewer, false),
            (Role::Technician, false),
            (Role::Admin, true),
        ] {
            let operator = Operator {
                token_id: "t".to_owned(),
                name: "n".to_owned(),
                role,
                scope: Scope::Companies(vec!["a".to_owned()].into()),
            };
            match Admin::check(&operator) {
                Ok(checked) => {
                    assert!(admin, "{role:?} passed");
                    assert_eq!(checked.scope(), &operator.scope);
                    assert_eq!(checked.audit("A.B").actor, "token:t (n)");
                }
                Err(error) => {
                    assert!(!admin, "{role:?} refused");
                    assert!(matches!(error, Error::PermissionDenied(_)), "{error:?}");
                }
            }
        }
    }
}
