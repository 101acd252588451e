//! `silences`: maintenance windows; matching alerts are stored but open no incident.

use sea_orm::entity::prelude::*;

/// A silence row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "silences")]
pub struct Model {
    /// Silence id.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub company_id: String,
    /// JSON array of matchers.
    pub matchers: String,
    /// Start (ms).
    pub starts_at: i64,
    /// End (ms).
    pub ends_at: i64,
    pub comment: String,
    pub created_by: String,
    /// When created (ms).
    pub created_at: i64,
    /// Alerts suppressed so far.
    pub suppressed_count: i64,
}

/// Relations of `silences`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
