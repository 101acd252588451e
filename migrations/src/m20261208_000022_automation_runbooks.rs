//! `runbooks.automation`: what makes a runbook an SSM Automation runbook
//! (JSON `{"target_parameter": "…"}`); NULL for the Run Command runbooks
//! every existing row is. Executions need no column: they are JSON rows and
//! read their new fields with defaults.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::text_null;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum Runbooks {
    Table,
    Automation,
}

// async_trait's expansion needs the elided lifetime of SchemaManager.
#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Runbooks::Table)
                    .add_column(text_null(Runbooks::Automation))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Runbooks::Table)
                    .drop_column(Runbooks::Automation)
                    .to_owned(),
            )
            .await
    }
}
