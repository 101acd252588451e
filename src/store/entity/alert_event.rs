//! `alert_events`: every accepted alert event, the durable log that
//! correlation consumes.

use sea_orm::entity::prelude::*;

/// An alert event row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "alert_events")]
pub struct Model {
    /// Event id (UUIDv7).
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub company_id: String,
    /// The API key that delivered it.
    pub api_key_id: String,
    /// The sender's delivery id.
    pub delivery_id: Option<String>,
    /// Hex SHA-256 of dedup key, occurrence time and action.
    pub idempotency_key: String,
    pub asset: String,
    pub signature: String,
    /// Severity 1 (info) to 5 (critical).
    pub severity: i16,
    pub message: String,
    pub tool_source: String,
    /// Labels as a JSON object.
    pub labels: String,
    /// Occurrence time (ms).
    pub occurred_at: i64,
    /// Receive time (ms).
    pub received_at: i64,
    /// 1 trigger, 2 acknowledge, 3 resolve.
    pub action: i16,
    pub dedup_key: String,
    /// Sender's alert id.
    pub external_id: String,
    /// Link to the source.
    pub link: String,
    /// Format it arrived in (grpc, seed, alertmanager, …).
    pub source: String,
    /// When correlation processed it; NULL while pending.
    pub correlated_at: Option<i64>,
}

/// Relations of `alert_events`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// What correlation did with it.
    #[sea_orm(has_one = "super::alert_outcome::Entity")]
    Outcome,
}

impl Related<super::alert_outcome::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Outcome.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
