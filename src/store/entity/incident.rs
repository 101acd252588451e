//! `incidents`: alerts of one company grouped by aggregation key.

use sea_orm::entity::prelude::*;

/// An incident row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "incidents")]
pub struct Model {
    /// Incident id (UUIDv7).
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub company_id: String,
    /// Aggregation key value.
    pub aggregation_key: String,
    /// Asset of the first alert.
    pub asset: String,
    /// Signature of the first alert.
    pub signature: String,
    /// Message of the latest alert.
    pub summary: String,
    /// 1 open, 2 acknowledged, 3 resolved.
    pub status: i16,
    /// 1 (P1) to 4 (P4).
    pub priority: i16,
    /// JSON array of reasons.
    pub priority_reasons: String,
    /// Alerts, counting repeats.
    pub alert_count: i64,
    /// Alerts not resolved.
    pub firing_alert_count: i64,
    /// JSON array of tools, sorted.
    pub tools: String,
    pub severity: i16,
    pub assigned_technician_id: Option<String>,
    pub parent_incident_id: Option<String>,
    /// Whether this is a storm parent.
    pub is_storm_parent: bool,
    /// Children folded under it.
    pub child_incident_count: i32,
    /// Children not resolved.
    pub open_child_count: i32,
    pub flapping: bool,
    /// Resolved by a runbook.
    pub self_healed: bool,
    /// A runbook run for it failed.
    pub remediation_failed: bool,
    pub resolution: String,
    /// First alert (ms).
    pub first_alert_at: i64,
    /// Latest alert (ms).
    pub last_alert_at: i64,
    /// Created (ms).
    pub created_at: i64,
    /// Last acknowledged (ms).
    pub acknowledged_at: Option<i64>,
    /// First acknowledged (ms), for MTTA.
    pub first_acknowledged_at: Option<i64>,
    /// Resolved (ms).
    pub resolved_at: Option<i64>,
    /// Last change (ms).
    pub updated_at: i64,
    /// The incident a merge absorbed it into (its resolution says so too).
    pub merged_into_id: Option<String>,
}

/// Relations of `incidents`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
