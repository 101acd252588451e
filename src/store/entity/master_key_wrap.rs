//! `master_key_wraps`: the master key wrapped by an AWS KMS key (envelope
//! encryption), one row per deployment.

use sea_orm::entity::prelude::*;

/// A wrapped master key.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "master_key_wraps")]
pub struct Model {
    /// Always [`crate::store::master_key::MASTER_KEY_WRAP_ID`].
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// The KMS key that wrapped it (as configured when it was wrapped).
    pub kms_key_id: String,
    /// KMS's ciphertext blob of the 32-byte key.
    pub wrapped_key: Vec<u8>,
    /// When it was wrapped.
    pub created_at: i64,
}

/// Relations of `master_key_wraps`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
