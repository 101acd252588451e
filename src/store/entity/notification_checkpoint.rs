//! `notification_checkpoints`: how far the notifier has read each company's
//! incident event log.

use sea_orm::entity::prelude::*;

/// A checkpoint row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "notification_checkpoints")]
pub struct Model {
    /// Company.
    #[sea_orm(primary_key, auto_increment = false)]
    pub company_id: String,
    /// The last log sequence turned into deliveries.
    pub sequence: i64,
}

/// Relations of `notification_checkpoints`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
