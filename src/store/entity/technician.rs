//! `technicians`: people who work a company's incidents.

use sea_orm::entity::prelude::*;

/// A technician row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "technicians")]
pub struct Model {
    /// Technician id.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub company_id: String,
    pub name: String,
    /// E-mail, unique within the company.
    pub email: String,
    /// Skills as a JSON array of strings.
    pub skills: String,
    /// On duty for automatic assignment.
    pub on_duty: bool,
    /// Slack member id mentioned when the technician is paged; empty if none.
    pub slack_member_id: String,
    /// Open (not resolved) incidents assigned to them, kept by triggers on
    /// `incidents` (migration 11); automatic assignment reads it.
    pub open_incident_count: i64,
    /// Creation time.
    pub created_at: i64,
    /// Last change.
    pub updated_at: i64,
}

/// Relations of `technicians`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
