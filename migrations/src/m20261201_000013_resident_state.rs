//! Correlation state resident in memory, a durable ingest log, the tables as
//! its projection (see docs/architecture.md).
//!
//! - `projector_checkpoints`: per company, the last ingest-log position the
//!   tables reflect; the projector moves it in the transaction that writes
//!   the rows, so recovery knows where the log's replay starts.
//! - `company_leases` (used on PostgreSQL): which replica owns a company, at
//!   which epoch, until when. The epoch fences a replica whose lease was
//!   taken over: its appends check it.
//! - `ingest_log`: the log itself, in this database on PostgreSQL (where
//!   replicas share it); on SQLite it lives in a file of its own (created by
//!   [`crate::LogMigrator`]) so that its commits never wait for the
//!   projector's write lock.
//! - `alert_events`: the owner of a company now recognises retried deliveries
//!   in memory (within the idempotency window), so the unique indexes that
//!   did it in the database go; an index by receive time serves the
//!   reload of those keys and the KPI counts.
//! - `inhibition_sources` goes: the owner indexes inhibition sources in
//!   memory.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{big_integer, boolean, string_len, text};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum ProjectorCheckpoints {
    Table,
    CompanyId,
    Position,
}

#[derive(DeriveIden)]
enum CompanyLeases {
    Table,
    CompanyId,
    OwnerId,
    Address,
    Epoch,
    ExpiresAt,
}

#[derive(DeriveIden)]
enum AlertEvents {
    Table,
    CompanyId,
    OccurredAt,
    IdempotencyKey,
    DeliveryId,
    ReceivedAt,
}

#[derive(DeriveIden)]
enum InhibitionSources {
    Table,
    RuleId,
    EqualKey,
    AlertId,
    CompanyId,
}

#[derive(DeriveIden)]
enum InhibitionRules {
    Table,
    SourcesIndexed,
}

const IDEMPOTENCY: &str = "idx_alert_events_company_idempotency";
const DELIVERY: &str = "idx_alert_events_company_delivery_id";
const RECEIVED: &str = "idx_alert_events_company_received";
const SOURCES_BY_ALERT: &str = "idx_inhibition_sources_alert";

// async_trait's expansion needs the elided lifetime of SchemaManager.
#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ProjectorCheckpoints::Table)
                    .col(string_len(ProjectorCheckpoints::CompanyId, 64).primary_key())
                    .col(big_integer(ProjectorCheckpoints::Position))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(CompanyLeases::Table)
                    .col(string_len(CompanyLeases::CompanyId, 64).primary_key())
                    .col(string_len(CompanyLeases::OwnerId, 64))
                    .col(string_len(CompanyLeases::Address, 255))
                    .col(big_integer(CompanyLeases::Epoch))
                    .col(big_integer(CompanyLeases::ExpiresAt))
                    .to_owned(),
            )
            .await?;
        if manager.get_database_backend() == sea_orm::DbBackend::Postgres {
            crate::ingest_log::create(manager).await?;
        }
        manager
            .create_index(
                Index::create()
                    .name(RECEIVED)
                    .table(AlertEvents::Table)
                    .col(AlertEvents::CompanyId)
                    .col(AlertEvents::ReceivedAt)
                    .to_owned(),
            )
            .await?;
        for name in [IDEMPOTENCY, DELIVERY] {
            manager
                .drop_index(
                    Index::drop()
                        .name(name)
                        .table(AlertEvents::Table)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .drop_table(Table::drop().table(InhibitionSources::Table).to_owned())
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(InhibitionRules::Table)
                    .drop_column(InhibitionRules::SourcesIndexed)
                    .to_owned(),
            )
            .await
    }

    // Restoring the unique indexes fails if the log recorded an event twice
    // (a retry after the idempotency window): that is the trade the owner's
    // window makes, and the error names the index.
    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(InhibitionRules::Table)
                    .add_column(boolean(InhibitionRules::SourcesIndexed).default(false))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(InhibitionSources::Table)
                    .col(string_len(InhibitionSources::RuleId, 64))
                    .col(text(InhibitionSources::EqualKey))
                    .col(string_len(InhibitionSources::AlertId, 64))
                    .col(string_len(InhibitionSources::CompanyId, 64))
                    .primary_key(
                        Index::create()
                            .col(InhibitionSources::RuleId)
                            .col(InhibitionSources::EqualKey)
                            .col(InhibitionSources::AlertId),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name(SOURCES_BY_ALERT)
                    .table(InhibitionSources::Table)
                    .col(InhibitionSources::AlertId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name(DELIVERY)
                    .table(AlertEvents::Table)
                    .col(AlertEvents::CompanyId)
                    .col(AlertEvents::DeliveryId)
                    .unique()
                    .and_where(Expr::col(AlertEvents::DeliveryId).is_not_null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name(IDEMPOTENCY)
                    .table(AlertEvents::Table)
                    .col(AlertEvents::CompanyId)
                    .col(AlertEvents::OccurredAt)
                    .col(AlertEvents::IdempotencyKey)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name(RECEIVED)
                    .table(AlertEvents::Table)
                    .to_owned(),
            )
            .await?;
        if manager.get_database_backend() == sea_orm::DbBackend::Postgres {
            crate::ingest_log::drop(manager).await?;
        }
        manager
            .drop_table(Table::drop().table(CompanyLeases::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(ProjectorCheckpoints::Table).to_owned())
            .await
    }
}
