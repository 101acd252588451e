//! `correlation_configs.asset_labels`: a company's ordered list of the labels
//! that name an alert's asset for label-based webhook formats (JSON array of
//! label names; `[]`, the default, keeps each format's own order).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::text;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum CorrelationConfigs {
    Table,
    AssetLabels,
}

// async_trait's expansion needs the elided lifetime of SchemaManager.
#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(CorrelationConfigs::Table)
                    .add_column(text(CorrelationConfigs::AssetLabels).default("[]"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(CorrelationConfigs::Table)
                    .drop_column(CorrelationConfigs::AssetLabels)
                    .to_owned(),
            )
            .await
    }
}
