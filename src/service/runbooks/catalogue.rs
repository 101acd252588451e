//! The runbook catalogue: the built-in runbooks, which every company may use
//! and nobody may change, and each company's custom runbooks, which an admin
//! creates, changes and deletes. Each change is audited in the store's
//! transaction; a changed runbook has every owner reload its remediation
//! rules, which may run it.

use std::time::Duration;

use crate::app::AppState;
use crate::auth::Operator;
use crate::domain::runbook::{Parameter, RunbookKind, RunbookSpec, Targets};
use crate::domain::tenant::Role;
use crate::error::Result;
use crate::owner::command::Reload;
use crate::store::Page;
use crate::store::entity::runbook;
use crate::store::runbook::spec_of;
use crate::store::tenant::Audit;

/// A runbook of the catalogue.
#[derive(Debug, Clone)]
pub struct Runbook {
    pub id: String,
    /// None for a built-in.
    pub company_id: Option<String>,
    pub spec: RunbookSpec,
    pub built_in: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

impl From<runbook::Model> for Runbook {
    fn from(model: runbook::Model) -> Self {
        Self {
            spec: spec_of(&model),
            id: model.id,
            company_id: model.company_id,
            built_in: model.built_in,
            created_at: model.created_at,
            updated_at: model.updated_at,
        }
    }
}

/// A runbook's definition as a request gives it, its shape checked (the
/// parameters' types, the platform types, the timeout): completed with the
/// defaults and validated into a [`RunbookSpec`] when it is stored.
#[derive(Debug, Clone)]
pub struct RunbookFields {
    pub name: String,
    pub description: String,
    pub document_name: String,
    /// Empty for `$DEFAULT`.
    pub document_version: String,
    pub parameters: Vec<Parameter>,
    /// The instances it runs on when a run names none; None for none.
    pub targets: Option<Targets>,
    /// None for 10 minutes.
    pub timeout: Option<Duration>,
    /// SSM's MaxConcurrency; empty for 10.
    pub max_concurrency: String,
    /// SSM's MaxErrors; empty for 0.
    pub max_errors: String,
    pub platform_types: Vec<i32>,
    pub kind: RunbookKind,
    /// An Automation runbook's document parameter that receives the target
    /// instance ids.
    pub target_parameter: String,
}

/// A stored definition as fields: what an update changes some of.
impl From<RunbookSpec> for RunbookFields {
    fn from(spec: RunbookSpec) -> Self {
        Self {
            name: spec.name,
            description: spec.description,
            document_name: spec.document_name,
            document_version: spec.document_version,
            parameters: spec.parameters,
            targets: Some(spec.targets),
            timeout: Some(spec.timeout),
            max_concurrency: spec.max_concurrency,
            max_errors: spec.max_errors,
            platform_types: spec.platform_types,
            kind: spec.kind,
            target_parameter: spec.target_parameter,
        }
    }
}

impl RunbookFields {
    /// The definition: texts trimmed, defaults filled in, then validated
    /// (INVALID_ARGUMENT naming the field).
    fn into_spec(self) -> Result<RunbookSpec> {
        let document_version = self.document_version.trim();
        let spec = RunbookSpec {
            name: self.name.trim().to_owned(),
            description: self.description.trim().to_owned(),
            document_name: self.document_name.trim().to_owned(),
            document_version: if document_version.is_empty() {
                "$DEFAULT".to_owned()
            } else {
                document_version.to_owned()
            },
            parameters: self.parameters,
            targets: self.targets.unwrap_or_default(),
            timeout: self.timeout.unwrap_or(Duration::from_secs(600)),
            max_concurrency: if self.max_concurrency.is_empty() {
                "10".to_owned()
            } else {
                self.max_concurrency
            },
            max_errors: if self.max_errors.is_empty() {
                "0".to_owned()
            } else {
                self.max_errors
            },
            platform_types: self.platform_types,
            kind: self.kind,
            target_parameter: self.target_parameter.trim().to_owned(),
        };
        spec.validate()?;
        Ok(spec)
    }
}

/// CreateRunbook (admin): a custom runbook of the company; audited.
pub async fn create_runbook(
    state: &AppState,
    operator: &Operator,
    company_id: &str,
    fields: RunbookFields,
) -> Result<Runbook> {
    operator.require(Role::Admin)?;
    let spec = fields.into_spec()?;
    let created = state
        .store
        .create_runbook(
            &Audit::new(operator.actor(), "RunbookService.CreateRunbook"),
            &operator.scope,
            company_id,
            &spec,
        )
        .await?;
    Ok(created.into())
}

/// ListRunbooks: one page of the runbooks the company may use, by id (the
/// built-ins too unless `custom_only`), and the next page's token.
pub async fn list_runbooks(
    state: &AppState,
    operator: &Operator,
    company_id: &str,
    custom_only: bool,
    page: &Page,
) -> Result<(Vec<Runbook>, String)> {
    let (rows, next_page_token) = state
        .store
        .list_runbooks(&operator.scope, company_id, custom_only, page)
        .await?;
    Ok((
        rows.into_iter().map(Runbook::from).collect(),
        next_page_token,
    ))
}

/// GetRunbook: a built-in, or a custom runbook of a company in the caller's
/// scope (NOT_FOUND otherwise).
pub async fn get_runbook(state: &AppState, operator: &Operator, id: &str) -> Result<Runbook> {
    let row = state.store.get_runbook(&operator.scope, id).await?;
    Ok(row.into())
}

/// UpdateRunbook (admin): `change` makes the new fields from the current
/// ones, once the runbook is found (NOT_FOUND comes before any complaint
/// about the request's fields); built-ins are refused (FAILED_PRECONDITION).
/// Audited; the owners reload their rules, which may run it.
pub async fn update_runbook(
    state: &AppState,
    operator: &Operator,
    id: &str,
    change: impl FnOnce(RunbookFields) -> Result<RunbookFields>,
) -> Result<Runbook> {
    operator.require(Role::Admin)?;
    let current = spec_of(&state.store.get_runbook(&operator.scope, id).await?);
    let spec = change(current.into())?.into_spec()?;
    let updated = state
        .store
        .update_runbook(
            &Audit::new(operator.actor(), "RunbookService.UpdateRunbook"),
            &operator.scope,
            id,
            &spec,
        )
        .await?;
    // Rules of any company may run it: their owners reload their rules.
    state.owners.reload_all(Reload::Remediation).await?;
    Ok(updated.into())
}

/// DeleteRunbook (admin): a custom runbook no rule or unfinished execution
/// uses (FAILED_PRECONDITION otherwise, and for a built-in); audited.
pub async fn delete_runbook(state: &AppState, operator: &Operator, id: &str) -> Result<()> {
    operator.require(Role::Admin)?;
    state
        .store
        .delete_runbook(
            &Audit::new(operator.actor(), "RunbookService.DeleteRunbook"),
            &operator.scope,
            id,
        )
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields() -> RunbookFields {
        RunbookFields {
            name: " Restart nginx ".to_owned(),
            description: String::new(),
            document_name: "AWS-RunShellScript".to_owned(),
            document_version: " ".to_owned(),
            parameters: Vec::new(),
            targets: None,
            timeout: None,
            max_concurrency: String::new(),
            max_errors: String::new(),
            platform_types: Vec::new(),
            kind: RunbookKind::RunCommand,
            target_parameter: String::new(),
        }
    }

    #[test]
    fn fields_get_the_defaults_and_keep_a_stored_definition() {
        let spec = fields().into_spec().expect("valid");
        assert_eq!(spec.name, "Restart nginx");
        assert_eq!(spec.document_version, "$DEFAULT");
        assert_eq!(spec.timeout, Duration::from_secs(600));
        assert_eq!(spec.max_concurrency, "10");
        assert_eq!(spec.max_errors, "0");
        assert_eq!(spec.targets, Targets::default());
        assert_eq!(
            RunbookFields::from(spec.clone())
                .into_spec()
                .expect("valid"),
            spec
        );
    }

    #[test]
    fn invalid_fields_are_refused() {
        let error = RunbookFields {
            document_name: "x".to_owned(),
            ..fields()
        }
        .into_spec()
        .expect_err("short document name");
        assert!(error.to_string().contains("document_name"), "{error}");
    }
}
