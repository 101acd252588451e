//! `hmac_secrets`: webhook signing secrets, encrypted with the master key, or
//! references to the company's secret in AWS Secrets Manager.

use sea_orm::entity::prelude::*;

/// An HMAC secret row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "hmac_secrets")]
pub struct Model {
    /// Secret id.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub company_id: String,
    /// AEAD nonce (empty when the secret is in Secrets Manager).
    pub nonce: Vec<u8>,
    /// Encrypted secret (empty when the secret is in Secrets Manager).
    pub ciphertext: Vec<u8>,
    /// Creation time.
    pub created_at: i64,
    /// End of validity (rotation overlap).
    pub expires_at: Option<i64>,
    /// The company's secret in AWS Secrets Manager that holds this one
    /// under its id; `None` for a secret encrypted here.
    pub secret_arn: Option<String>,
    /// The Secrets Manager version that first held it.
    pub secret_version_id: Option<String>,
}

/// Relations of `hmac_secrets`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
