//! `audit_events`: who changed what, when, in which company.

use sea_orm::entity::prelude::*;

/// An audit row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_events")]
pub struct Model {
    /// Event id (UUIDv7: ordered by time).
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// Company concerned, if any.
    pub company_id: Option<String>,
    pub actor: String,
    /// What (RPC or command).
    pub action: String,
    /// Kind of object.
    pub target_type: String,
    pub target_id: String,
    /// JSON details (never secrets).
    pub details: String,
    pub created_at: i64,
}

/// Relations of `audit_events`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
