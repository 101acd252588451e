//! `instance_compliance`: one instance's patch state in a snapshot.

use sea_orm::entity::prelude::*;

/// An instance row of a snapshot.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "instance_compliance")]
pub struct Model {
    /// Row id (UUIDv7).
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub snapshot_id: String,
    pub company_id: String,
    pub instance_id: String,
    pub name: String,
    /// Platform type (proto number).
    pub platform_type: i16,
    pub platform_name: String,
    /// Compliance status (proto number).
    pub status: i16,
    pub installed: i32,
    /// Installed patches outside the baseline.
    pub installed_other: i32,
    /// Installed, pending reboot.
    pub installed_pending_reboot: i32,
    /// Installed but rejected.
    pub installed_rejected: i32,
    pub missing: i32,
    pub failed: i32,
    pub not_applicable: i32,
    pub critical_non_compliant: i32,
    pub security_non_compliant: i32,
    pub other_non_compliant: i32,
    /// Last operation (proto number).
    pub operation: i16,
    /// Operation start (ms).
    pub operation_start_at: Option<i64>,
    /// Operation end (ms).
    pub operation_end_at: Option<i64>,
    pub baseline_id: String,
    pub patch_group: String,
}

/// Relations of `instance_compliance`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
