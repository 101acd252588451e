//! `hmac_secrets`: webhook signing secrets, encrypted with the master key.

use sea_orm::entity::prelude::*;

/// An HMAC secret row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "hmac_secrets")]
pub struct Model {
    /// Secret id.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// Owning company.
    pub company_id: String,
    /// AEAD nonce.
    pub nonce: Vec<u8>,
    /// Encrypted secret.
    pub ciphertext: Vec<u8>,
    /// Creation time.
    pub created_at: i64,
    /// End of validity (rotation overlap).
    pub expires_at: Option<i64>,
}

/// Relations of `hmac_secrets`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
