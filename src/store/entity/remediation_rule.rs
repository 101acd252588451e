//! `remediation_rules`: auto-remediation rules (matchers → runbook).

use sea_orm::entity::prelude::*;

/// A rule row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "remediation_rules")]
pub struct Model {
    /// Rule id (UUIDv7).
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub company_id: String,
    /// Runbook it runs.
    pub runbook_id: String,
    /// When it was created (ms).
    pub created_at: i64,
    /// JSON of the rule (`domain::execution::RuleSpec` plus its name and author).
    pub data: String,
}

/// Relations of `remediation_rules`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
