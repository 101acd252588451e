//! `alert_outcomes`: what correlation did with each alert event, and why.

use sea_orm::entity::prelude::*;

/// An outcome row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "alert_outcomes")]
pub struct Model {
    /// The alert event.
    #[sea_orm(primary_key, auto_increment = false)]
    pub event_id: String,
    pub company_id: String,
    /// The alert it created or changed (its own id when it changed none).
    pub alert_id: String,
    /// Incident it joined or opened.
    pub incident_id: Option<String>,
    /// Proto AlertOutcome number.
    pub outcome: i16,
    /// Aggregation key value.
    pub aggregation_key: String,
    /// Silence or inhibition rule that suppressed it.
    pub suppressed_by_id: Option<String>,
    /// JSON array of the engine's decisions.
    pub decisions: String,
    /// When correlated (ms).
    pub correlated_at: i64,
}

/// Relations of `alert_outcomes`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// The event.
    #[sea_orm(
        belongs_to = "super::alert_event::Entity",
        from = "Column::EventId",
        to = "super::alert_event::Column::Id"
    )]
    Event,
}

impl Related<super::alert_event::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Event.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
