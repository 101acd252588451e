//! `execution_events`: the per-company execution event log (WatchExecutions).

use sea_orm::entity::prelude::*;

/// An event row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "execution_events")]
pub struct Model {
    /// Event id (UUIDv7).
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub company_id: String,
    /// Position in the company's log (shared with incident events).
    pub sequence: i64,
    pub execution_id: String,
    /// Proto ExecutionEventKind number.
    pub kind: i16,
    pub actor: String,
    pub message: String,
    /// When (ms).
    pub created_at: i64,
    /// JSON of the execution right after the change.
    pub snapshot: String,
}

/// Relations of `execution_events`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
