//! `alerts`: deduplicated alerts (a repeat of a firing alert raises its count).

use sea_orm::entity::prelude::*;

/// An alert row; its id is the id of the alert event that created it.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "alerts")]
pub struct Model {
    /// Alert id (the creating event's id).
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub company_id: String,
    /// Incident it belongs to; NULL when suppressed.
    pub incident_id: Option<String>,
    pub dedup_key: String,
    /// Aggregation key value.
    pub aggregation_key: String,
    pub asset: String,
    pub signature: String,
    /// Severity 1 (info) to 5 (critical), of the latest occurrence.
    pub severity: i16,
    /// Message of the latest occurrence.
    pub message: String,
    pub tool_source: String,
    /// Labels as a JSON object.
    pub labels: String,
    /// First occurrence (ms).
    pub occurred_at: i64,
    /// Received (ms).
    pub received_at: i64,
    /// Latest occurrence (ms).
    pub last_occurred_at: i64,
    /// Resolved (ms).
    pub resolved_at: Option<i64>,
    /// 1 firing, 2 acknowledged, 3 resolved.
    pub status: i16,
    pub count: i64,
    /// Sender's id.
    pub external_id: String,
    pub link: String,
    /// Outcome (proto AlertOutcome number) of the creating event.
    pub outcome: i16,
    /// Silence or inhibition rule that suppressed it.
    pub suppressed_by_id: Option<String>,
    /// JSON array of recent resolve times of its dedup key (ms).
    pub flap_history: String,
    /// Lower-case asset, signature and message, space-separated (search).
    pub search_text: String,
}

/// Relations of `alerts`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
