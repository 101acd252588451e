//! `notification_deliveries`: the outbox, one notification to one channel
//! with the outcome of its latest attempt.

use sea_orm::entity::prelude::*;

/// A delivery row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "notification_deliveries")]
pub struct Model {
    /// Delivery id, also the idempotency id of every attempt.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub company_id: String,
    pub channel_id: String,
    /// Route; empty for a test message.
    pub route_id: String,
    pub incident_id: String,
    /// `NotifyEvent` number.
    pub event: i16,
    /// Route level, 1 first.
    pub level: i16,
    /// 0 for the level's first sending, 1… for repeats of the last level.
    pub round: i16,
    /// Incident event log sequence of the change.
    pub event_sequence: i64,
    /// `DeliveryStatus` number.
    pub status: i16,
    pub attempts: i32,
    /// When the next attempt is due (ms).
    pub next_attempt_at: i64,
    /// A notifier holds it until then (ms); 0 when free.
    pub claimed_until: i64,
    /// Latest attempt's HTTP status or SMTP reply code.
    pub last_status_code: i32,
    /// Latest attempt's error.
    pub last_error: String,
    /// Latest attempt's duration (ms).
    pub last_latency_ms: i64,
    /// When made (ms).
    pub created_at: i64,
    /// When the receiver took it (ms).
    pub delivered_at: Option<i64>,
    /// Deliveries the latest attempt carried together (a digest); 0 before one.
    pub digest_size: i32,
    /// JSON of what it tells (`domain::notification::Notice`).
    pub payload: String,
}

/// Relations of `notification_deliveries`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
