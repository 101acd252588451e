//! Notification limits and paging: a channel's `max_per_minute` (0: no
//! limit), a route's repeats of its last level (`repeat_interval_seconds`,
//! `repeat_count`), a delivery's `round` (0 for a level's first sending, 1…
//! for repeats) and `digest_size` (how many deliveries its latest attempt
//! carried together), and a technician's `slack_member_id`.
//!
//! A delivery becomes unique per (company, event sequence, route, level,
//! round, channel): the repeats of one level are deliveries of their own.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{integer, small_integer, string};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum NotificationChannels {
    Table,
    MaxPerMinute,
}

#[derive(DeriveIden)]
enum NotificationRoutes {
    Table,
    RepeatIntervalSeconds,
    RepeatCount,
}

#[derive(DeriveIden)]
enum NotificationDeliveries {
    Table,
    CompanyId,
    EventSequence,
    RouteId,
    Level,
    Round,
    ChannelId,
    DigestSize,
}

#[derive(DeriveIden)]
enum Technicians {
    Table,
    SlackMemberId,
}

const CHANGE_INDEX: &str = "idx_notification_deliveries_change";

fn change_index(with_round: bool) -> IndexCreateStatement {
    let mut index = Index::create();
    index
        .name(CHANGE_INDEX)
        .table(NotificationDeliveries::Table)
        .col(NotificationDeliveries::CompanyId)
        .col(NotificationDeliveries::EventSequence)
        .col(NotificationDeliveries::RouteId)
        .col(NotificationDeliveries::Level);
    if with_round {
        index.col(NotificationDeliveries::Round);
    }
    index.col(NotificationDeliveries::ChannelId).unique();
    index.to_owned()
}

/// The added columns, one ALTER each (SQLite takes one change per ALTER).
fn columns() -> Vec<(DynIden, ColumnDef)> {
    vec![
        (
            NotificationChannels::Table.into_iden(),
            integer(NotificationChannels::MaxPerMinute)
                .default(0)
                .to_owned(),
        ),
        (
            NotificationRoutes::Table.into_iden(),
            integer(NotificationRoutes::RepeatIntervalSeconds)
                .default(0)
                .to_owned(),
        ),
        (
            NotificationRoutes::Table.into_iden(),
            integer(NotificationRoutes::RepeatCount)
                .default(0)
                .to_owned(),
        ),
        (
            NotificationDeliveries::Table.into_iden(),
            small_integer(NotificationDeliveries::Round)
                .default(0)
                .to_owned(),
        ),
        (
            NotificationDeliveries::Table.into_iden(),
            integer(NotificationDeliveries::DigestSize)
                .default(0)
                .to_owned(),
        ),
        (
            Technicians::Table.into_iden(),
            string(Technicians::SlackMemberId).default("").to_owned(),
        ),
    ]
}

// async_trait's expansion needs the elided lifetime of SchemaManager.
#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (table, mut column) in columns() {
            manager
                .alter_table(
                    Table::alter()
                        .table(table)
                        .add_column(&mut column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .drop_index(
                Index::drop()
                    .name(CHANGE_INDEX)
                    .table(NotificationDeliveries::Table)
                    .to_owned(),
            )
            .await?;
        manager.create_index(change_index(true)).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name(CHANGE_INDEX)
                    .table(NotificationDeliveries::Table)
                    .to_owned(),
            )
            .await?;
        manager.create_index(change_index(false)).await?;
        for (table, column) in columns() {
            manager
                .alter_table(
                    Table::alter()
                        .table(table)
                        .drop_column(column.get_column_name())
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
