//! `ingest_log`: every decision of a company's owner, appended before it is
//! answered; deleted once projected into the tables.

use sea_orm::entity::prelude::*;

/// A log row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "ingest_log")]
pub struct Model {
    /// Company.
    #[sea_orm(primary_key, auto_increment = false)]
    pub company_id: String,
    /// Position in the company's log (1, 2, …).
    #[sea_orm(primary_key, auto_increment = false)]
    pub position: i64,
    /// When it was appended (ms).
    pub appended_at: i64,
    /// The encoded record (`owner::record::Record`).
    pub payload: Vec<u8>,
}

/// Relations of `ingest_log`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
