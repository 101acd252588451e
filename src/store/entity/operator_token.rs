//! `operator_tokens`: bearer tokens of the control-plane API, stored as hashes.

use sea_orm::entity::prelude::*;

/// An operator token row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "operator_tokens")]
pub struct Model {
    /// Token id.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// Name given at creation.
    pub name: String,
    /// `admin`, `technician` or `viewer`.
    pub role: String,
    /// First characters of the token.
    pub prefix: String,
    /// Hex SHA-256 of the token.
    pub token_hash: String,
    /// Creation time.
    pub created_at: i64,
    /// End of validity.
    pub expires_at: Option<i64>,
    /// Revocation time.
    pub revoked_at: Option<i64>,
    /// The technician the token is linked to (migration 20); cleared when
    /// the technician is deleted.
    pub technician_id: Option<String>,
}

/// Relations of `operator_tokens`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
