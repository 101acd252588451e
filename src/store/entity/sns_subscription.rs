//! `sns_subscriptions`: SNS subscription and unsubscribe confirmations received
//! on a company's CloudWatch endpoint, shown to operators.

use sea_orm::entity::prelude::*;

/// A recorded confirmation message.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sns_subscriptions")]
pub struct Model {
    /// Record id.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub company_id: String,
    /// SNS topic ARN.
    pub topic_arn: String,
    /// `SubscriptionConfirmation` or `UnsubscribeConfirmation`.
    pub message_type: String,
    /// SNS message id.
    pub message_id: String,
    /// The URL that confirms the subscription.
    pub subscribe_url: String,
    /// Receive time (ms).
    pub received_at: i64,
}

/// Relations of `sns_subscriptions`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
