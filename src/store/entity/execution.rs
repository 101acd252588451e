//! `executions`: runbook executions, their status and the executor's schedule.

use sea_orm::entity::prelude::*;

/// An execution row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "executions")]
pub struct Model {
    /// Execution id (UUIDv7).
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub company_id: String,
    /// Proto ExecutionStatus number.
    pub status: i16,
    pub runbook_id: String,
    /// Remediation rule that created it.
    pub rule_id: Option<String>,
    /// Incident it remediates.
    pub incident_id: Option<String>,
    /// Asset (cooldown key with the runbook).
    pub asset: String,
    /// When it was created (ms).
    pub created_at: i64,
    /// When the executor next looks at it (ms); None when nothing is left to do.
    pub next_check_at: Option<i64>,
    /// Bumped by every change (compare-and-set between replicas).
    pub version: i64,
    /// JSON of the execution (`domain::execution::Execution`).
    pub data: String,
}

/// Relations of `executions`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
