//! The runbook catalogue: built-in runbooks (company_id NULL, visible to every
//! company, read-only) and each company's custom runbooks.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum Companies {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Runbooks {
    Table,
    Id,
    CompanyId,
    Name,
    Description,
    DocumentName,
    DocumentVersion,
    // JSON: typed parameters.
    Parameters,
    // JSON: instance ids and tag selectors.
    Targets,
    TimeoutSeconds,
    MaxConcurrency,
    MaxErrors,
    // JSON: platform type numbers.
    PlatformTypes,
    BuiltIn,
    CreatedAt,
    UpdatedAt,
}

// async_trait's expansion needs the elided lifetime of SchemaManager.
#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Runbooks::Table)
                    .col(string_len(Runbooks::Id, 64).primary_key())
                    .col(string_len_null(Runbooks::CompanyId, 64))
                    .col(string_len(Runbooks::Name, 200))
                    .col(string_len(Runbooks::Description, 2000))
                    .col(string_len(Runbooks::DocumentName, 128))
                    .col(string_len(Runbooks::DocumentVersion, 32))
                    .col(text(Runbooks::Parameters))
                    .col(text(Runbooks::Targets))
                    .col(integer(Runbooks::TimeoutSeconds))
                    .col(string_len(Runbooks::MaxConcurrency, 8))
                    .col(string_len(Runbooks::MaxErrors, 8))
                    .col(text(Runbooks::PlatformTypes))
                    .col(boolean(Runbooks::BuiltIn))
                    .col(big_integer(Runbooks::CreatedAt))
                    .col(big_integer(Runbooks::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Runbooks::Table, Runbooks::CompanyId)
                            .to(Companies::Table, Companies::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_runbooks_company")
                    .table(Runbooks::Table)
                    .col(Runbooks::CompanyId)
                    .col(Runbooks::Id)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Runbooks::Table).to_owned())
            .await
    }
}
