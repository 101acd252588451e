//! Remediation rules and runbook executions as the tables hold them. An
//! execution changes only through its company's owner (a compare-and-set on
//! the version it knows, logged with the change's events), so two replicas
//! never both move one execution, and never both send its command.

use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Set,
};

use super::entity::{execution, remediation_rule, silence};
use super::error::{Error, Result};
use super::runbook::spec_of;
use super::tenant::{Audit, find_company};
use super::{Page, Scope, Store, new_id, now_ms, to_json};
use crate::domain::correlation::{Matcher, SilenceState, all_match, silence_state};
use crate::domain::execution::{AlertView, ExecStatus, Execution};
use crate::domain::remediation::RuleSpec;

/// A stored remediation rule.
#[derive(Debug, Clone)]
pub struct RuleRow {
    pub id: String,
    pub company_id: String,
    /// Created (ms).
    pub created_at: i64,
    pub spec: RuleSpec,
}

fn rule_of(row: remediation_rule::Model) -> Result<RuleRow> {
    let spec: RuleSpec = serde_json::from_str(&row.data)
        .map_err(|error| Error::Internal(format!("remediation rule {}: {error}", row.id)))?;
    Ok(RuleRow {
        id: row.id,
        company_id: row.company_id,
        created_at: row.created_at,
        spec: spec.restored(),
    })
}

fn execution_of(row: &execution::Model) -> Result<Execution> {
    serde_json::from_str(&row.data)
        .map_err(|error| Error::Internal(format!("execution {}: {error}", row.id)))
}

/// An execution with the version it was read at.
#[derive(Debug, Clone)]
pub struct Versioned {
    pub execution: Execution,
    /// Row version (for compare-and-set).
    pub version: i64,
}

/// ListExecutions filters.
#[derive(Debug, Clone, Default)]
pub struct ExecutionFilter {
    /// Only this company.
    pub company_id: Option<String>,
    /// Only these statuses.
    pub statuses: Vec<i16>,
    /// Only this runbook.
    pub runbook_id: Option<String>,
    /// Only this rule.
    pub rule_id: Option<String>,
    /// Only this incident.
    pub incident_id: Option<String>,
    /// Created at or after (ms).
    pub created_after: Option<i64>,
    /// Created before (ms).
    pub created_before: Option<i64>,
}

/// When the executor should next look at an execution in its current status.
pub fn next_check(execution: &Execution, now: i64) -> Option<i64> {
    match execution.status {
        ExecStatus::PendingApproval => execution.approval_expires_at.or(Some(now)),
        ExecStatus::Queued => Some(now),
        ExecStatus::Running | ExecStatus::Cancelling => {
            Some(now + Ord::max(execution.poll_interval_ms, 0))
        }
        _ if execution.owes_incident() => Some(now),
        _ => None,
    }
}

/// Whether an active silence of the company matches the alert at `now`;
/// answers its id.
async fn silencing(
    conn: &impl ConnectionTrait,
    company_id: &str,
    alert: &AlertView,
    now: i64,
) -> Result<Option<String>> {
    let rows = silence::Entity::find()
        .filter(silence::Column::CompanyId.eq(company_id))
        .filter(silence::Column::EndsAt.gt(now))
        .filter(silence::Column::StartsAt.lte(now))
        .all(conn)
        .await?;
    for row in rows {
        if silence_state(row.starts_at, row.ends_at, now) != SilenceState::Active {
            continue;
        }
        let matchers: Vec<Matcher> = serde_json::from_str::<Vec<Matcher>>(&row.matchers)
            .unwrap_or_default()
            .into_iter()
            .map(Matcher::restored)
            .collect();
        if !matchers.is_empty() && all_match(&matchers, alert) {
            return Ok(Some(row.id));
        }
    }
    Ok(None)
}

impl Store {
    /// Creates a remediation rule for a company, checked against its runbook.
    pub async fn create_rule(
        &self,
        audit: &Audit,
        scope: &Scope,
        company_id: &str,
        spec: RuleSpec,
    ) -> Result<RuleRow> {
        let runbook = self.get_runbook(scope, &spec.runbook_id).await?;
        if runbook
            .company_id
            .as_deref()
            .is_some_and(|owner| owner != company_id)
        {
            return Err(Error::NotFound(format!("runbook {}", spec.runbook_id)));
        }
        spec.validate(&spec_of(&runbook))?;
        let txn = self.begin_write().await?;
        find_company(&txn, scope, company_id).await?;
        let row = remediation_rule::ActiveModel {
            id: Set(new_id()),
            company_id: Set(company_id.to_owned()),
            runbook_id: Set(spec.runbook_id.clone()),
            created_at: Set(now_ms()),
            data: Set(to_json(&spec)?),
        }
        .insert(&txn)
        .await?;
        audit
            .record(
                &txn,
                Some(company_id),
                "remediation_rule",
                &row.id,
                serde_json::json!({ "name": spec.name, "runbook_id": spec.runbook_id }),
            )
            .await?;
        txn.commit().await?;
        rule_of(row)
    }

    /// One page of rules, newest first.
    pub async fn list_rules(
        &self,
        scope: &Scope,
        company_id: Option<&str>,
        runbook_id: Option<&str>,
        page: &Page,
    ) -> Result<(Vec<RuleRow>, String)> {
        let mut query = remediation_rule::Entity::find()
            .filter(scope.condition(remediation_rule::Column::CompanyId));
        if let Some(company_id) = company_id {
            find_company(self.connection(), scope, company_id).await?;
            query = query.filter(remediation_rule::Column::CompanyId.eq(company_id));
        }
        if let Some(runbook_id) = runbook_id {
            query = query.filter(remediation_rule::Column::RunbookId.eq(runbook_id));
        }
        if let Some(before) = &page.after {
            query = query.filter(remediation_rule::Column::Id.lt(before.clone()));
        }
        let rows = query
            .order_by_desc(remediation_rule::Column::Id)
            .limit(page.size + 1)
            .all(self.connection())
            .await?;
        let (rows, token) = page.finish(rows, |row| &row.id);
        Ok((rows.into_iter().map(rule_of).collect::<Result<_>>()?, token))
    }

    /// Deletes a rule (its executions stay); answers its company.
    pub async fn delete_rule(
        &self,
        audit: &Audit,
        scope: &Scope,
        id: &str,
    ) -> Result<super::ScopedCompany> {
        let txn = self.begin_write().await?;
        let row = remediation_rule::Entity::find_by_id(id.to_owned())
            .filter(scope.condition(remediation_rule::Column::CompanyId))
            .one(&txn)
            .await?
            .ok_or_else(|| Error::NotFound(format!("remediation rule {id}")))?;
        remediation_rule::Entity::delete_by_id(id.to_owned())
            .exec(&txn)
            .await?;
        audit
            .record(
                &txn,
                Some(&row.company_id),
                "remediation_rule",
                id,
                serde_json::json!({ "deleted": true }),
            )
            .await?;
        txn.commit().await?;
        Ok(super::ScopedCompany::system(row.company_id))
    }

    /// An execution the scope may see.
    pub async fn get_execution(&self, scope: &Scope, id: &str) -> Result<Versioned> {
        let row = execution::Entity::find_by_id(id.to_owned())
            .filter(scope.condition(execution::Column::CompanyId))
            .one(self.connection())
            .await?
            .ok_or_else(|| Error::NotFound(format!("execution {id}")))?;
        Ok(Versioned {
            execution: execution_of(&row)?,
            version: row.version,
        })
    }

    /// One page of executions, newest first.
    pub async fn list_executions(
        &self,
        scope: &Scope,
        filter: &ExecutionFilter,
        page: &Page,
    ) -> Result<(Vec<Execution>, String)> {
        let mut condition = Condition::all().add(scope.condition(execution::Column::CompanyId));
        if let Some(company_id) = &filter.company_id {
            find_company(self.connection(), scope, company_id).await?;
            condition = condition.add(execution::Column::CompanyId.eq(company_id));
        }
        if !filter.statuses.is_empty() {
            condition = condition.add(execution::Column::Status.is_in(filter.statuses.clone()));
        }
        for (column, value) in [
            (execution::Column::RunbookId, &filter.runbook_id),
            (execution::Column::RuleId, &filter.rule_id),
            (execution::Column::IncidentId, &filter.incident_id),
        ] {
            if let Some(value) = value {
                condition = condition.add(column.eq(value.clone()));
            }
        }
        if let Some(after) = filter.created_after {
            condition = condition.add(execution::Column::CreatedAt.gte(after));
        }
        if let Some(before) = filter.created_before {
            condition = condition.add(execution::Column::CreatedAt.lt(before));
        }
        if let Some(cursor) = &page.after {
            condition = condition.add(execution::Column::Id.lt(cursor.clone()));
        }
        let rows = execution::Entity::find()
            .filter(condition)
            .order_by_desc(execution::Column::Id)
            .limit(page.size + 1)
            .all(self.connection())
            .await?;
        let (rows, token) = page.finish(rows, |row| &row.id);
        Ok((rows.iter().map(execution_of).collect::<Result<_>>()?, token))
    }

    /// Executions the executor should look at now (oldest due first).
    pub async fn due_executions(&self, now: i64, limit: u64) -> Result<Vec<Versioned>> {
        execution::Entity::find()
            .filter(execution::Column::NextCheckAt.lte(now))
            .order_by_asc(execution::Column::NextCheckAt)
            .limit(limit)
            .all(self.connection())
            .await?
            .iter()
            .map(|row| {
                Ok(Versioned {
                    execution: execution_of(row)?,
                    version: row.version,
                })
            })
            .collect()
    }

    /// The earliest time an execution is due, if any.
    pub async fn next_due(&self) -> Result<Option<i64>> {
        Ok(execution::Entity::find()
            .select_only()
            .column_as(execution::Column::NextCheckAt.min(), "next")
            .into_tuple::<Option<i64>>()
            .one(self.connection())
            .await?
            .flatten())
    }

    /// How many of a company's executions hold a slot (sent and unfinished).
    pub async fn running_count(&self, company_id: &str) -> Result<u64> {
        Ok(execution::Entity::find()
            .filter(execution::Column::CompanyId.eq(company_id))
            .filter(execution::Column::Status.is_in([
                ExecStatus::Running.as_i16(),
                ExecStatus::Cancelling.as_i16(),
            ]))
            .count(self.connection())
            .await?)
    }

    /// The silence an execution's alert is under now, if any.
    pub async fn execution_silenced(
        &self,
        execution: &Execution,
        now: i64,
    ) -> Result<Option<String>> {
        match &execution.alert {
            Some(alert) => silencing(self.connection(), &execution.company_id, alert, now).await,
            None => Ok(None),
        }
    }
}
