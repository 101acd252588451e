//! The `ingest_log` table: the durable log every decision of a company's
//! owner is appended to before it is answered (see docs/architecture.md).
//! One row per decision: the company, its position in the company's log, when
//! it was appended, and the encoded record. Rows are deleted once the
//! projector has written them into the tables.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{big_integer, blob, string_len};

#[derive(DeriveIden)]
enum IngestLog {
    Table,
    CompanyId,
    Position,
    AppendedAt,
    Payload,
}

/// Creates the table.
pub(crate) async fn create(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(IngestLog::Table)
                .if_not_exists()
                .col(string_len(IngestLog::CompanyId, 64))
                .col(big_integer(IngestLog::Position))
                .col(big_integer(IngestLog::AppendedAt))
                .col(blob(IngestLog::Payload))
                .primary_key(
                    Index::create()
                        .col(IngestLog::CompanyId)
                        .col(IngestLog::Position),
                )
                .to_owned(),
        )
        .await
}

/// Drops the table.
pub(crate) async fn drop(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .drop_table(Table::drop().table(IngestLog::Table).to_owned())
        .await
}

/// The one migration of the SQLite ingest-log file.
#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

// async_trait's expansion needs the elided lifetime of SchemaManager.
#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        create(manager).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop(manager).await
    }
}
