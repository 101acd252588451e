//! `company_leases` (PostgreSQL replicas): which replica owns a company, at
//! which epoch, until when.

use sea_orm::entity::prelude::*;

/// A lease row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "company_leases")]
pub struct Model {
    /// Company.
    #[sea_orm(primary_key, auto_increment = false)]
    pub company_id: String,
    /// The owning replica's id.
    pub owner_id: String,
    /// Where the owner takes forwarded requests (its advertised URL).
    pub address: String,
    /// Bumped by every takeover; appends check it (fencing).
    pub epoch: i64,
    /// When the lease ends unless renewed (the database's clock, ms).
    pub expires_at: i64,
}

/// Relations of `company_leases`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
