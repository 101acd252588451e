//! The audit log: who changed what, read within the operator's scope.

use super::page_of;
use crate::app::AppState;
use crate::auth::Operator;
use crate::error::Result;
use crate::store::Page;
use crate::store::entity::audit_event;
use crate::store::tenant::AuditFilter;

/// One entry of the audit log.
#[derive(Debug, Clone)]
pub struct AuditEvent {
    pub id: String,
    /// The company concerned, if any.
    pub company_id: Option<String>,
    /// Who ("token:<id> (<name>)", "cli", "system").
    pub actor: String,
    /// What ("TenantService.CreateCompany").
    pub action: String,
    pub target_type: String,
    pub target_id: String,
    /// Details as JSON text (never secrets).
    pub details: String,
    pub created_at: i64,
}

impl From<audit_event::Model> for AuditEvent {
    fn from(model: audit_event::Model) -> Self {
        Self {
            id: model.id,
            company_id: model.company_id,
            actor: model.actor,
            action: model.action,
            target_type: model.target_type,
            target_id: model.target_id,
            details: model.details,
            created_at: model.created_at,
        }
    }
}

/// One page of the audit entries the operator may see that match `filter`,
/// newest first, with the next page's token.
pub async fn list_audit_events(
    state: &AppState,
    operator: &Operator,
    filter: &AuditFilter,
    page: &Page,
) -> Result<(Vec<AuditEvent>, String)> {
    Ok(page_of(
        state
            .store
            .list_audit_events(&operator.scope, filter, page)
            .await?,
    ))
}
