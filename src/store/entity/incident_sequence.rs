//! `incident_sequences`: each company's last projected event-log sequence.

use sea_orm::entity::prelude::*;

/// A sequence row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "incident_sequences")]
pub struct Model {
    /// Company.
    #[sea_orm(primary_key, auto_increment = false)]
    pub company_id: String,
    /// Last sequence used.
    pub sequence: i64,
}

/// Relations of `incident_sequences`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
