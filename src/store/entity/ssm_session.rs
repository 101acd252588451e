//! `ssm_sessions`: Session Manager sessions started from incidents, kept
//! until their end is on the incident's timeline.

use sea_orm::entity::prelude::*;

/// A session row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "ssm_sessions")]
pub struct Model {
    /// SSM's session id.
    #[sea_orm(primary_key, auto_increment = false)]
    pub session_id: String,
    pub company_id: String,
    /// The incident it was started from (its timeline gets the end).
    pub incident_id: String,
    pub instance_id: String,
    /// The operator who started it.
    pub started_by: String,
    pub started_at: i64,
    /// When its end was recorded; None while it is open.
    pub ended_at: Option<i64>,
}

/// Relations of `ssm_sessions`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
