//! `correlation_configs`: how late an alert may arrive and still be placed as
//! if it had come in order (`lateness_seconds`, default one hour), and the
//! storm rule's gap (`storm_gap_seconds`, default 30: consecutive members of
//! a storm start at most this far apart) and its baseline factor
//! (`storm_baseline_factor`, default 4: a storm also needs more than that many
//! times the incidents its signature's last hour makes expected).
//!
//! `incidents.merged_into_id`: the incident a merge absorbed it into (a late
//! alert bridged two incidents of a key, or two storms).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{integer, string_len_null};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum Incidents {
    Table,
    MergedIntoId,
}

#[derive(DeriveIden)]
enum CorrelationConfigs {
    Table,
    LatenessSeconds,
    StormGapSeconds,
    StormBaselineFactor,
}

// async_trait's expansion needs the elided lifetime of SchemaManager.
#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per ALTER TABLE.
        for (column, default) in [
            (CorrelationConfigs::LatenessSeconds, 3600),
            (CorrelationConfigs::StormGapSeconds, 30),
            (CorrelationConfigs::StormBaselineFactor, 4),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(CorrelationConfigs::Table)
                        .add_column(integer(column).default(default))
                        .to_owned(),
                )
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Incidents::Table)
                    .add_column(string_len_null(Incidents::MergedIntoId, 64))
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Incidents::Table)
                    .drop_column(Incidents::MergedIntoId)
                    .to_owned(),
            )
            .await?;
        for column in [
            CorrelationConfigs::LatenessSeconds,
            CorrelationConfigs::StormGapSeconds,
            CorrelationConfigs::StormBaselineFactor,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(CorrelationConfigs::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
