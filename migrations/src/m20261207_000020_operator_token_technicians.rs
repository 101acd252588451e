//! `operator_tokens.technician_id`: the technician an operator token is linked
//! to (the person who uses it), so that a caller can learn whose incidents are
//! "mine". Optional; no foreign key (SQLite cannot add one to an existing
//! table): deleting a technician clears the links in the same transaction.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::string_len_null;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum OperatorTokens {
    Table,
    TechnicianId,
}

// async_trait's expansion needs the elided lifetime of SchemaManager.
#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(OperatorTokens::Table)
                    .add_column(string_len_null(OperatorTokens::TechnicianId, 64))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(OperatorTokens::Table)
                    .drop_column(OperatorTokens::TechnicianId)
                    .to_owned(),
            )
            .await
    }
}
