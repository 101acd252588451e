//! The audit log: who changed what, written in the transaction of the
//! change (or on its own for a change made outside the database), and read
//! back with filters.

use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

use super::find_company;
use crate::store::entity::audit_event;
use crate::store::error::Result;
use crate::store::{Page, Scope, Store, new_id, now_ms};

/// Who made a change, for the audit log.
#[derive(Debug, Clone)]
pub struct Audit {
    /// The actor ("token:<id> (<name>)", "cli", "system").
    pub actor: String,
    /// The action ("TenantService.CreateCompany").
    pub action: &'static str,
}

impl Audit {
    /// An audit context.
    pub fn new(actor: impl Into<String>, action: &'static str) -> Self {
        Self {
            actor: actor.into(),
            action,
        }
    }

    pub(in crate::store) async fn record(
        &self,
        txn: &DatabaseTransaction,
        company_id: Option<&str>,
        target_type: &str,
        target_id: &str,
        details: serde_json::Value,
    ) -> Result<()> {
        audit_event::ActiveModel {
            id: Set(new_id()),
            company_id: Set(company_id.map(str::to_owned)),
            actor: Set(self.actor.clone()),
            action: Set(self.action.to_owned()),
            target_type: Set(target_type.to_owned()),
            target_id: Set(target_id.to_owned()),
            details: Set(details.to_string()),
            created_at: Set(now_ms()),
        }
        .insert(txn)
        .await?;
        Ok(())
    }
}

/// Filters of the audit log.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// Only this company.
    pub company_id: Option<String>,
    /// Only this action.
    pub action: Option<String>,
    /// Only this actor.
    pub actor: Option<String>,
    /// At or after (ms).
    pub start_ms: Option<i64>,
    /// Before (ms).
    pub end_ms: Option<i64>,
}

impl Store {
    /// Records an audit event on its own, for changes made outside the
    /// database (e.g. an AWS activation created in a company's account).
    pub async fn record_audit(
        &self,
        audit: &Audit,
        company_id: Option<&str>,
        target_type: &str,
        target_id: &str,
        details: serde_json::Value,
    ) -> Result<()> {
        let txn = self.begin_write().await?;
        audit
            .record(&txn, company_id, target_type, target_id, details)
            .await?;
        txn.commit().await?;
        Ok(())
    }

    /// One page of audit events visible to `scope`, newest first. Global events
    /// (no company) are visible only to unlimited callers.
    pub async fn list_audit_events(
        &self,
        scope: &Scope,
        filter: &AuditFilter,
        page: &Page,
    ) -> Result<(Vec<audit_event::Model>, String)> {
        let mut query = audit_event::Entity::find();
        query = match scope {
            Scope::All => query,
            Scope::Companies(_) => query
                .filter(audit_event::Column::CompanyId.is_not_null())
                .filter(scope.condition(audit_event::Column::CompanyId)),
        };
        if let Some(company_id) = &filter.company_id {
            find_company(self.connection(), scope, company_id).await?;
            query = query.filter(audit_event::Column::CompanyId.eq(company_id.clone()));
        }
        if let Some(action) = &filter.action {
            query = query.filter(audit_event::Column::Action.eq(action.clone()));
        }
        if let Some(actor) = &filter.actor {
            query = query.filter(audit_event::Column::Actor.eq(actor.clone()));
        }
        if let Some(start) = filter.start_ms {
            query = query.filter(audit_event::Column::CreatedAt.gte(start));
        }
        if let Some(end) = filter.end_ms {
            query = query.filter(audit_event::Column::CreatedAt.lt(end));
        }
        if let Some(after) = &page.after {
            query = query.filter(audit_event::Column::Id.lt(after.clone()));
        }
        let rows = query
            .order_by_desc(audit_event::Column::Id)
            .limit(page.size + 1)
            .all(self.connection())
            .await?;
        Ok(page.finish(rows, |row| &row.id))
    }
}
