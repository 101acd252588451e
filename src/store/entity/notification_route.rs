//! `notification_routes`: which incident changes notify which channels.

use sea_orm::entity::prelude::*;

/// A route row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "notification_routes")]
pub struct Model {
    /// Route id.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub company_id: String,
    /// Name, unique within the company.
    pub name: String,
    /// JSON array of `NotifyEvent` numbers.
    pub events: String,
    /// The least urgent priority it notifies for (1–4).
    pub max_priority: i16,
    /// JSON array of matchers on the incident.
    pub matchers: String,
    /// JSON array of escalation levels.
    pub levels: String,
    /// JSON array of time windows; `[]` for always.
    pub windows: String,
    /// IANA time zone of the windows.
    pub time_zone: String,
    /// Seconds between repeats of the last level; 0 for none.
    pub repeat_interval_seconds: i32,
    /// Repeats of the last level.
    pub repeat_count: i32,
    /// Who created it.
    pub created_by: String,
    /// When (ms).
    pub created_at: i64,
}

/// Relations of `notification_routes`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
