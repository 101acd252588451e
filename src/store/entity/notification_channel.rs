//! `notification_channels`: where a company's notifications go.

use sea_orm::entity::prelude::*;

/// A channel row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "notification_channels")]
pub struct Model {
    /// Channel id.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub company_id: String,
    /// Name, unique within the company.
    pub name: String,
    /// `domain::notification::ChannelKind` number.
    pub kind: i16,
    /// Where it sends, without credentials (shown).
    pub target: String,
    /// JSON of the settings that are not secret.
    pub config: String,
    /// AEAD nonce of `ciphertext`.
    pub nonce: Option<Vec<u8>>,
    /// The channel's secret (signing secret, webhook URL, password or
    /// routing key), encrypted with the master key.
    pub ciphertext: Option<Vec<u8>>,
    /// The company's secret in AWS Secrets Manager that holds the
    /// channel's secret under the channel id, instead of `ciphertext`.
    pub secret_arn: Option<String>,
    /// Attempts before a delivery is dead-lettered.
    pub max_attempts: i32,
    /// Most messages per minute; 0 for no limit.
    pub max_per_minute: i32,
    /// Who created it.
    pub created_by: String,
    /// When (ms).
    pub created_at: i64,
}

/// Relations of `notification_channels`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
