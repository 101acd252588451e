//! `api_keys`: ingest API keys, stored as SHA-256 hashes.

use sea_orm::entity::prelude::*;

/// An API key row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "api_keys")]
pub struct Model {
    /// Key id.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub company_id: String,
    /// First characters of the key, for display.
    pub prefix: String,
    /// Hex SHA-256 of the key.
    pub key_hash: String,
    pub label: String,
    /// Creation time.
    pub created_at: i64,
    /// End of validity (rotation overlap).
    pub expires_at: Option<i64>,
    /// Revocation time.
    pub revoked_at: Option<i64>,
    /// Last ingest with this key, to the minute.
    pub last_used_at: Option<i64>,
}

/// Relations of `api_keys`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
