//! Drops `idx_incidents_company_signature` (company, signature, last alert).
//! Its one query, the storm candidates of a correlation pass, asks only for
//! incidents not folded under a storm parent and has used the partial
//! `idx_incidents_company_signature_roots` since migration 8. The full index
//! was still kept up to date: every incident insert, and every update (the
//! last alert time is part of its key), dirtied a page of it. In a webhook
//! run that was about 8 % of the pages each group commit wrote to the WAL.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum Incidents {
    Table,
    CompanyId,
    Signature,
    LastAlertAt,
}

const SIGNATURE: &str = "idx_incidents_company_signature";

// async_trait's expansion needs the elided lifetime of SchemaManager.
#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name(SIGNATURE)
                    .table(Incidents::Table)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name(SIGNATURE)
                    .table(Incidents::Table)
                    .col(Incidents::CompanyId)
                    .col(Incidents::Signature)
                    .col(Incidents::LastAlertAt)
                    .to_owned(),
            )
            .await
    }
}
