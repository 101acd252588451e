//! Notifications: a company's channels (receivers, secrets encrypted with the
//! master key), routes (which incident changes notify which channels, with
//! escalation levels), the outbox of deliveries and the notifier's checkpoint
//! in each company's incident event log.
//!
//! A delivery is unique per (company, event sequence, route, level, channel):
//! the
//! notifier writes a change's deliveries and its checkpoint in one
//! transaction, and a replica that read the same change as another inserts
//! nothing twice.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum NotificationChannels {
    Table,
    Id,
    CompanyId,
    Name,
    Kind,
    Target,
    Config,
    Nonce,
    Ciphertext,
    MaxAttempts,
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum NotificationRoutes {
    Table,
    Id,
    CompanyId,
    Name,
    Events,
    MaxPriority,
    Matchers,
    Levels,
    Windows,
    TimeZone,
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum NotificationCheckpoints {
    Table,
    CompanyId,
    Sequence,
}

#[derive(DeriveIden, Clone, Copy)]
enum NotificationDeliveries {
    Table,
    Id,
    CompanyId,
    ChannelId,
    RouteId,
    IncidentId,
    Event,
    Level,
    EventSequence,
    Status,
    Attempts,
    NextAttemptAt,
    ClaimedUntil,
    LastStatusCode,
    LastError,
    LastLatencyMs,
    CreatedAt,
    DeliveredAt,
    Payload,
}

// async_trait's expansion needs the elided lifetime of SchemaManager.
#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(NotificationChannels::Table)
                    .col(string_len(NotificationChannels::Id, 64).primary_key())
                    .col(string_len(NotificationChannels::CompanyId, 64))
                    .col(string_len(NotificationChannels::Name, 200))
                    .col(small_integer(NotificationChannels::Kind))
                    .col(text(NotificationChannels::Target))
                    .col(text(NotificationChannels::Config))
                    .col(blob_null(NotificationChannels::Nonce))
                    .col(blob_null(NotificationChannels::Ciphertext))
                    .col(integer(NotificationChannels::MaxAttempts))
                    .col(text(NotificationChannels::CreatedBy))
                    .col(big_integer(NotificationChannels::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_notification_channels_name")
                    .table(NotificationChannels::Table)
                    .col(NotificationChannels::CompanyId)
                    .col(NotificationChannels::Name)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(NotificationRoutes::Table)
                    .col(string_len(NotificationRoutes::Id, 64).primary_key())
                    .col(string_len(NotificationRoutes::CompanyId, 64))
                    .col(string_len(NotificationRoutes::Name, 200))
                    .col(text(NotificationRoutes::Events))
                    .col(small_integer(NotificationRoutes::MaxPriority))
                    .col(text(NotificationRoutes::Matchers))
                    .col(text(NotificationRoutes::Levels))
                    .col(text(NotificationRoutes::Windows).default("[]"))
                    .col(string_len(NotificationRoutes::TimeZone, 64).default("UTC"))
                    .col(text(NotificationRoutes::CreatedBy))
                    .col(big_integer(NotificationRoutes::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_notification_routes_name")
                    .table(NotificationRoutes::Table)
                    .col(NotificationRoutes::CompanyId)
                    .col(NotificationRoutes::Name)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(NotificationCheckpoints::Table)
                    .col(string_len(NotificationCheckpoints::CompanyId, 64).primary_key())
                    .col(big_integer(NotificationCheckpoints::Sequence))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(NotificationDeliveries::Table)
                    .col(string_len(NotificationDeliveries::Id, 64).primary_key())
                    .col(string_len(NotificationDeliveries::CompanyId, 64))
                    .col(string_len(NotificationDeliveries::ChannelId, 64))
                    .col(string_len(NotificationDeliveries::RouteId, 64))
                    .col(string_len(NotificationDeliveries::IncidentId, 64))
                    .col(small_integer(NotificationDeliveries::Event))
                    .col(small_integer(NotificationDeliveries::Level))
                    .col(big_integer(NotificationDeliveries::EventSequence))
                    .col(small_integer(NotificationDeliveries::Status))
                    .col(integer(NotificationDeliveries::Attempts))
                    .col(big_integer(NotificationDeliveries::NextAttemptAt))
                    .col(big_integer(NotificationDeliveries::ClaimedUntil))
                    .col(integer(NotificationDeliveries::LastStatusCode))
                    .col(text(NotificationDeliveries::LastError))
                    .col(big_integer(NotificationDeliveries::LastLatencyMs))
                    .col(big_integer(NotificationDeliveries::CreatedAt))
                    .col(big_integer_null(NotificationDeliveries::DeliveredAt))
                    .col(text(NotificationDeliveries::Payload))
                    .to_owned(),
            )
            .await?;
        for (name, columns) in [
            (
                "idx_notification_deliveries_change",
                &[
                    NotificationDeliveries::CompanyId,
                    NotificationDeliveries::EventSequence,
                    NotificationDeliveries::RouteId,
                    NotificationDeliveries::Level,
                    NotificationDeliveries::ChannelId,
                ][..],
            ),
            (
                "idx_notification_deliveries_due",
                &[
                    NotificationDeliveries::Status,
                    NotificationDeliveries::NextAttemptAt,
                ][..],
            ),
            (
                "idx_notification_deliveries_incident",
                &[
                    NotificationDeliveries::CompanyId,
                    NotificationDeliveries::IncidentId,
                ][..],
            ),
            (
                "idx_notification_deliveries_channel",
                &[
                    NotificationDeliveries::CompanyId,
                    NotificationDeliveries::ChannelId,
                ][..],
            ),
        ] {
            let mut index = Index::create();
            index.name(name).table(NotificationDeliveries::Table);
            for column in columns {
                index.col(*column);
            }
            if name.ends_with("_change") {
                index.unique();
            }
            manager.create_index(index.to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            NotificationDeliveries::Table.into_iden(),
            NotificationCheckpoints::Table.into_iden(),
            NotificationRoutes::Table.into_iden(),
            NotificationChannels::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
