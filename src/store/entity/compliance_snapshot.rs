//! `compliance_snapshots`: one patch-compliance sync of a company.

use sea_orm::entity::prelude::*;

/// A snapshot row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "compliance_snapshots")]
pub struct Model {
    /// Snapshot id (UUIDv7).
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub company_id: String,
    /// When the sync ran (ms).
    pub taken_at: i64,
    pub total_instances: i32,
    pub compliant_instances: i32,
    pub non_compliant_instances: i32,
    /// Critical patches missing, summed over instances.
    pub critical_missing: i64,
    /// Security patches missing, summed over instances.
    pub security_missing: i64,
    /// Oldest patch operation end among the instances (ms).
    pub oldest_result_at: Option<i64>,
}

/// Relations of `compliance_snapshots`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
