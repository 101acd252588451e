//! Per-company correlation configuration, silences and inhibition rules.

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
enum CorrelationConfigs {
    Table,
    CompanyId,
    WindowSeconds,
    AggregationKey,
    AutoCorrelate,
    AutoResolve,
    AutoAssign,
    FlappingEnabled,
    FlappingThreshold,
    StormEnabled,
    StormMinAssets,
    // JSON object: asset name → criticality number.
    AssetCriticality,
    UpdatedAt,
    UpdatedBy,
}

#[derive(DeriveIden)]
enum Silences {
    Table,
    Id,
    CompanyId,
    // JSON array of matchers.
    Matchers,
    StartsAt,
    EndsAt,
    Comment,
    CreatedBy,
    CreatedAt,
    SuppressedCount,
}

#[derive(DeriveIden)]
enum InhibitionRules {
    Table,
    Id,
    CompanyId,
    SourceMatchers,
    TargetMatchers,
    // JSON array of references whose values must be equal.
    EqualRefs,
    Comment,
    CreatedBy,
    CreatedAt,
    SuppressedCount,
}

fn company_fk(table: impl IntoIden, column: impl IntoIden) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(table.into_iden(), column.into_iden())
        .to(Companies::Table, Companies::Id)
        .on_delete(ForeignKeyAction::Restrict)
        .to_owned()
}

// async_trait's expansion needs the elided lifetime of SchemaManager.
#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(CorrelationConfigs::Table)
                    .col(string_len(CorrelationConfigs::CompanyId, 64).primary_key())
                    .col(integer(CorrelationConfigs::WindowSeconds))
                    .col(string_len(CorrelationConfigs::AggregationKey, 2000))
                    .col(boolean(CorrelationConfigs::AutoCorrelate))
                    .col(boolean(CorrelationConfigs::AutoResolve))
                    .col(boolean(CorrelationConfigs::AutoAssign))
                    .col(boolean(CorrelationConfigs::FlappingEnabled))
                    .col(integer(CorrelationConfigs::FlappingThreshold))
                    .col(boolean(CorrelationConfigs::StormEnabled))
                    .col(integer(CorrelationConfigs::StormMinAssets))
                    .col(text(CorrelationConfigs::AssetCriticality))
                    .col(big_integer(CorrelationConfigs::UpdatedAt))
                    .col(string_len(CorrelationConfigs::UpdatedBy, 300))
                    .foreign_key(&mut company_fk(
                        CorrelationConfigs::Table,
                        CorrelationConfigs::CompanyId,
                    ))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Silences::Table)
                    .col(string_len(Silences::Id, 64).primary_key())
                    .col(string_len(Silences::CompanyId, 64))
                    .col(text(Silences::Matchers))
                    .col(big_integer(Silences::StartsAt))
                    .col(big_integer(Silences::EndsAt))
                    .col(string_len(Silences::Comment, 1000))
                    .col(string_len(Silences::CreatedBy, 300))
                    .col(big_integer(Silences::CreatedAt))
                    .col(big_integer(Silences::SuppressedCount))
                    .foreign_key(&mut company_fk(Silences::Table, Silences::CompanyId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_silences_company_ends")
                    .table(Silences::Table)
                    .col(Silences::CompanyId)
                    .col(Silences::EndsAt)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(InhibitionRules::Table)
                    .col(string_len(InhibitionRules::Id, 64).primary_key())
                    .col(string_len(InhibitionRules::CompanyId, 64))
                    .col(text(InhibitionRules::SourceMatchers))
                    .col(text(InhibitionRules::TargetMatchers))
                    .col(text(InhibitionRules::EqualRefs))
                    .col(string_len(InhibitionRules::Comment, 1000))
                    .col(string_len(InhibitionRules::CreatedBy, 300))
                    .col(big_integer(InhibitionRules::CreatedAt))
                    .col(big_integer(InhibitionRules::SuppressedCount))
                    .foreign_key(&mut company_fk(
                        InhibitionRules::Table,
                        InhibitionRules::CompanyId,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_inhibition_rules_company")
                    .table(InhibitionRules::Table)
                    .col(InhibitionRules::CompanyId)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            InhibitionRules::Table.into_iden(),
            Silences::Table.into_iden(),
            CorrelationConfigs::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
