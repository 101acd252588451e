//! The notifier's due-deliveries index also holds `claimed_until` and
//! `channel_id`, the other two conditions of its query, so that a channel
//! whose receiver hangs and whose backlog is skipped (every slot taken) is
//! skipped in the index alone, without reading each of its rows at every
//! look.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum NotificationDeliveries {
    Table,
    Status,
    NextAttemptAt,
    ClaimedUntil,
    ChannelId,
}

const DUE_INDEX: &str = "idx_notification_deliveries_due";

fn due_index(covering: bool) -> IndexCreateStatement {
    let mut index = Index::create();
    index
        .name(DUE_INDEX)
        .table(NotificationDeliveries::Table)
        .col(NotificationDeliveries::Status)
        .col(NotificationDeliveries::NextAttemptAt);
    if covering {
        index
            .col(NotificationDeliveries::ClaimedUntil)
            .col(NotificationDeliveries::ChannelId);
    }
    index.to_owned()
}

fn drop_due_index() -> IndexDropStatement {
    Index::drop()
        .name(DUE_INDEX)
        .table(NotificationDeliveries::Table)
        .to_owned()
}

// async_trait's expansion needs the elided lifetime of SchemaManager.
#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_index(drop_due_index()).await?;
        manager.create_index(due_index(true)).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_index(drop_due_index()).await?;
        manager.create_index(due_index(false)).await
    }
}
