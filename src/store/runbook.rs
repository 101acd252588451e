//! The runbook catalogue: built-ins (seeded at start, read-only, visible to
//! every company) and each company's custom runbooks.

use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};

use super::entity::{execution, remediation_rule, runbook};
use super::error::{Error, Result};
use super::tenant::{Audit, find_company};
use super::{Page, Scope, Store, new_id, now_ms, to_json};
use crate::domain::execution::ExecStatus;
use crate::domain::runbook::{RunbookKind, RunbookSpec, built_in_runbooks};
use serde::{Deserialize, Serialize};

fn columns(spec: &RunbookSpec, model: &mut runbook::ActiveModel) -> Result<()> {
    model.name = Set(spec.name.clone());
    model.description = Set(spec.description.clone());
    model.document_name = Set(spec.document_name.clone());
    model.document_version = Set(spec.document_version.clone());
    model.parameters = Set(to_json(&spec.parameters)?);
    model.targets = Set(to_json(&spec.targets)?);
    model.timeout_seconds = Set(i32::try_from(spec.timeout.as_secs()).unwrap_or(i32::MAX));
    model.max_concurrency = Set(spec.max_concurrency.clone());
    model.max_errors = Set(spec.max_errors.clone());
    model.platform_types = Set(to_json(&spec.platform_types)?);
    model.automation = Set(match spec.kind {
        RunbookKind::RunCommand => None,
        RunbookKind::Automation => Some(to_json(&AutomationColumn {
            target_parameter: spec.target_parameter.clone(),
        })?),
    });
    Ok(())
}

/// The `automation` column of an Automation runbook.
#[derive(Debug, Serialize, Deserialize)]
struct AutomationColumn {
    /// The document parameter that receives the target instance ids.
    #[serde(default)]
    target_parameter: String,
}

/// The definition stored in a row.
pub fn spec_of(row: &runbook::Model) -> RunbookSpec {
    let automation: Option<AutomationColumn> = row.automation.as_deref().map(|text| {
        serde_json::from_str(text).unwrap_or(AutomationColumn {
            target_parameter: String::new(),
        })
    });
    RunbookSpec {
        name: row.name.clone(),
        description: row.description.clone(),
        document_name: row.document_name.clone(),
        document_version: row.document_version.clone(),
        parameters: serde_json::from_str(&row.parameters).unwrap_or_default(),
        targets: serde_json::from_str(&row.targets).unwrap_or_default(),
        timeout: std::time::Duration::from_secs(u64::try_from(row.timeout_seconds).unwrap_or(600)),
        max_concurrency: row.max_concurrency.clone(),
        max_errors: row.max_errors.clone(),
        platform_types: serde_json::from_str(&row.platform_types).unwrap_or_default(),
        kind: if automation.is_some() {
            RunbookKind::Automation
        } else {
            RunbookKind::RunCommand
        },
        target_parameter: automation
            .map(|column| column.target_parameter)
            .unwrap_or_default(),
    }
}

impl Store {
    /// Writes the built-in runbooks as this version defines them (idempotent).
    pub async fn seed_built_in_runbooks(&self) -> Result<()> {
        let now = now_ms();
        for (id, spec) in built_in_runbooks() {
            let mut model = runbook::ActiveModel {
                id: Set(id.to_owned()),
                company_id: Set(None),
                built_in: Set(true),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            };
            columns(&spec, &mut model)?;
            runbook::Entity::insert(model)
                .on_conflict(
                    OnConflict::column(runbook::Column::Id)
                        .update_columns([
                            runbook::Column::Name,
                            runbook::Column::Description,
                            runbook::Column::DocumentName,
                            runbook::Column::DocumentVersion,
                            runbook::Column::Parameters,
                            runbook::Column::Targets,
                            runbook::Column::TimeoutSeconds,
                            runbook::Column::MaxConcurrency,
                            runbook::Column::MaxErrors,
                            runbook::Column::PlatformTypes,
                            runbook::Column::Automation,
                            runbook::Column::UpdatedAt,
                        ])
                        .to_owned(),
                )
                .exec(self.connection())
                .await?;
        }
        Ok(())
    }

    /// A runbook the scope may see: a built-in, or a custom one of its companies.
    pub async fn get_runbook(&self, scope: &Scope, id: &str) -> Result<runbook::Model> {
        let row = runbook::Entity::find_by_id(id.to_owned())
            .filter(
                Condition::any()
                    .add(runbook::Column::CompanyId.is_null())
                    .add(scope.condition(runbook::Column::CompanyId)),
            )
            .one(self.connection())
            .await?
            .ok_or_else(|| Error::NotFound(format!("runbook {id}")))?;
        if let Some(company_id) = &row.company_id {
            find_company(self.connection(), scope, company_id)
                .await
                .map_err(|_| Error::NotFound(format!("runbook {id}")))?;
        }
        Ok(row)
    }

    /// One page of the runbooks a company may use (built-ins first unless
    /// `custom_only`), ordered by id.
    pub async fn list_runbooks(
        &self,
        scope: &Scope,
        company_id: &str,
        custom_only: bool,
        page: &Page,
    ) -> Result<(Vec<runbook::Model>, String)> {
        find_company(self.connection(), scope, company_id).await?;
        let own = Condition::all()
            .add(scope.condition(runbook::Column::CompanyId))
            .add(runbook::Column::CompanyId.eq(company_id));
        let visible = if custom_only {
            own
        } else {
            Condition::any()
                .add(runbook::Column::CompanyId.is_null())
                .add(own)
        };
        let mut query = runbook::Entity::find().filter(visible);
        if let Some(after) = &page.after {
            query = query.filter(runbook::Column::Id.gt(after.clone()));
        }
        let rows = query
            .order_by_asc(runbook::Column::Id)
            .limit(page.size + 1)
            .all(self.connection())
            .await?;
        Ok(page.finish(rows, |row| &row.id))
    }

    /// Creates a company's custom runbook (validated by the caller).
    pub async fn create_runbook(
        &self,
        audit: &Audit,
        scope: &Scope,
        company_id: &str,
        spec: &RunbookSpec,
    ) -> Result<runbook::Model> {
        let txn = self.begin_write().await?;
        find_company(&txn, scope, company_id).await?;
        let now = now_ms();
        let mut model = runbook::ActiveModel {
            id: Set(new_id()),
            company_id: Set(Some(company_id.to_owned())),
            built_in: Set(false),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        };
        columns(spec, &mut model)?;
        let created = model.insert(&txn).await?;
        audit
            .record(
                &txn,
                Some(company_id),
                "runbook",
                &created.id,
                serde_json::json!({ "name": created.name, "document_name": created.document_name }),
            )
            .await?;
        txn.commit().await?;
        Ok(created)
    }

    /// Replaces a custom runbook's definition; built-ins are read-only.
    pub async fn update_runbook(
        &self,
        audit: &Audit,
        scope: &Scope,
        id: &str,
        spec: &RunbookSpec,
    ) -> Result<runbook::Model> {
        let txn = self.begin_write().await?;
        let current = self.get_runbook(scope, id).await?;
        let Some(company_id) = current.company_id.clone() else {
            return Err(Error::Conflict(format!(
                "runbook {id} is built in and read-only; create a custom runbook instead"
            )));
        };
        let mut model: runbook::ActiveModel = current.into();
        columns(spec, &mut model)?;
        model.updated_at = Set(now_ms());
        let updated = model.update(&txn).await?;
        audit
            .record(
                &txn,
                Some(&company_id),
                "runbook",
                id,
                serde_json::json!({ "name": updated.name, "document_name": updated.document_name }),
            )
            .await?;
        txn.commit().await?;
        Ok(updated)
    }

    /// Deletes a custom runbook; built-ins are read-only.
    pub async fn delete_runbook(&self, audit: &Audit, scope: &Scope, id: &str) -> Result<()> {
        let txn = self.begin_write().await?;
        let current = self.get_runbook(scope, id).await?;
        let Some(company_id) = current.company_id.clone() else {
            return Err(Error::Conflict(format!(
                "runbook {id} is built in and cannot be deleted"
            )));
        };
        // Checked in the deleting transaction, among the runbook's own
        // company's rules and executions: a built-in runbook is refused
        // above, so no other tenant's rule can be named here.
        if let Some(user) = runbook_in_use(&txn, &company_id, id).await? {
            return Err(Error::Conflict(format!(
                "runbook {id} is used by {user}; delete the rule (or let the execution finish) first"
            )));
        }
        runbook::Entity::delete_by_id(id.to_owned())
            .exec(&txn)
            .await?;
        audit
            .record(
                &txn,
                Some(&company_id),
                "runbook",
                id,
                serde_json::json!({ "name": current.name }),
            )
            .await?;
        txn.commit().await?;
        Ok(())
    }
}

/// What of the company still uses a runbook: a remediation rule or an
/// unfinished execution.
async fn runbook_in_use(
    db: &impl ConnectionTrait,
    company_id: &str,
    runbook_id: &str,
) -> Result<Option<String>> {
    if let Some(rule) = remediation_rule::Entity::find()
        .filter(remediation_rule::Column::CompanyId.eq(company_id))
        .filter(remediation_rule::Column::RunbookId.eq(runbook_id))
        .one(db)
        .await?
    {
        return Ok(Some(format!("remediation rule {}", rule.id)));
    }
    Ok(execution::Entity::find()
        .filter(execution::Column::CompanyId.eq(company_id))
        .filter(execution::Column::RunbookId.eq(runbook_id))
        .filter(execution::Column::Status.is_in(ExecStatus::UNFINISHED.iter().map(|s| s.as_i16())))
        .one(db)
        .await?
        .map(|row| format!("execution {}", row.id)))
}
