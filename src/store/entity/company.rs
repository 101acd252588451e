//! `companies`: the tenants.

use sea_orm::entity::prelude::*;

/// A company row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "companies")]
pub struct Model {
    /// Company id.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub name: String,
    /// `name` while live, NULL once deleted (unique).
    pub live_name: Option<String>,
    pub website: String,
    pub contact_email: String,
    /// Whether webhooks must be signed.
    pub hmac_enabled: bool,
    /// Cross-account role ARN.
    pub aws_role_arn: Option<String>,
    /// External ID for the role.
    pub aws_external_id: Option<String>,
    /// Creation time.
    pub created_at: i64,
    /// Last change.
    pub updated_at: i64,
    /// Soft-deletion time.
    pub deleted_at: Option<i64>,
}

/// Relations of `companies`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
