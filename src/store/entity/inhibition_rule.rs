//! `inhibition_rules`: while a source alert fires, matching target alerts with
//! equal values are suppressed.

use sea_orm::entity::prelude::*;

/// An inhibition rule row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "inhibition_rules")]
pub struct Model {
    /// Rule id.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub company_id: String,
    /// JSON array of source matchers.
    pub source_matchers: String,
    /// JSON array of target matchers.
    pub target_matchers: String,
    /// JSON array of references that must be equal.
    pub equal_refs: String,
    pub comment: String,
    pub created_by: String,
    /// When created (ms).
    pub created_at: i64,
    /// Alerts suppressed so far.
    pub suppressed_count: i64,
}

/// Relations of `inhibition_rules`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
