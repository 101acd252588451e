//! `runbooks`: built-in (company_id NULL) and custom runbooks.

use sea_orm::entity::prelude::*;

/// A runbook row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "runbooks")]
pub struct Model {
    /// Runbook id (`builtin-…` for built-ins).
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// Owning company; NULL for built-ins.
    pub company_id: Option<String>,
    pub name: String,
    pub description: String,
    /// SSM document name.
    pub document_name: String,
    /// SSM document version.
    pub document_version: String,
    pub parameters: String,
    pub targets: String,
    /// Timeout in seconds.
    pub timeout_seconds: i32,
    /// SSM MaxConcurrency.
    pub max_concurrency: String,
    /// SSM MaxErrors.
    pub max_errors: String,
    /// JSON platform type numbers.
    pub platform_types: String,
    /// JSON Automation settings (`{"target_parameter": …}`); NULL for a Run
    /// Command runbook.
    pub automation: Option<String>,
    /// Built in (read-only).
    pub built_in: bool,
    /// Creation (ms).
    pub created_at: i64,
    /// Last change (ms).
    pub updated_at: i64,
}

/// Relations of `runbooks`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
