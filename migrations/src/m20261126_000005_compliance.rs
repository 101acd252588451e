//! Patch compliance snapshots (one per sync of a company) and their
//! per-instance rows, kept for history and trends.

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
enum ComplianceSnapshots {
    Table,
    Id,
    CompanyId,
    TakenAt,
    TotalInstances,
    CompliantInstances,
    NonCompliantInstances,
    CriticalMissing,
    SecurityMissing,
    OldestResultAt,
}

#[derive(DeriveIden)]
enum InstanceCompliance {
    Table,
    Id,
    SnapshotId,
    CompanyId,
    InstanceId,
    Name,
    PlatformType,
    PlatformName,
    Status,
    Installed,
    InstalledOther,
    InstalledPendingReboot,
    InstalledRejected,
    Missing,
    Failed,
    NotApplicable,
    CriticalNonCompliant,
    SecurityNonCompliant,
    OtherNonCompliant,
    Operation,
    OperationStartAt,
    OperationEndAt,
    BaselineId,
    PatchGroup,
}

// async_trait's expansion needs the elided lifetime of SchemaManager.
#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ComplianceSnapshots::Table)
                    .col(string_len(ComplianceSnapshots::Id, 64).primary_key())
                    .col(string_len(ComplianceSnapshots::CompanyId, 64))
                    .col(big_integer(ComplianceSnapshots::TakenAt))
                    .col(integer(ComplianceSnapshots::TotalInstances))
                    .col(integer(ComplianceSnapshots::CompliantInstances))
                    .col(integer(ComplianceSnapshots::NonCompliantInstances))
                    .col(big_integer(ComplianceSnapshots::CriticalMissing))
                    .col(big_integer(ComplianceSnapshots::SecurityMissing))
                    .col(big_integer_null(ComplianceSnapshots::OldestResultAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(ComplianceSnapshots::Table, ComplianceSnapshots::CompanyId)
                            .to(Companies::Table, Companies::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_compliance_snapshots_company_taken")
                    .table(ComplianceSnapshots::Table)
                    .col(ComplianceSnapshots::CompanyId)
                    .col(ComplianceSnapshots::TakenAt)
                    .to_owned(),
            )
            .await?;

        let mut table = Table::create();
        table
            .table(InstanceCompliance::Table)
            .col(string_len(InstanceCompliance::Id, 64).primary_key())
            .col(string_len(InstanceCompliance::SnapshotId, 64))
            .col(string_len(InstanceCompliance::CompanyId, 64))
            .col(string_len(InstanceCompliance::InstanceId, 64))
            .col(string_len(InstanceCompliance::Name, 255))
            .col(small_integer(InstanceCompliance::PlatformType))
            .col(string_len(InstanceCompliance::PlatformName, 255))
            .col(small_integer(InstanceCompliance::Status));
        for count in [
            InstanceCompliance::Installed,
            InstanceCompliance::InstalledOther,
            InstanceCompliance::InstalledPendingReboot,
            InstanceCompliance::InstalledRejected,
            InstanceCompliance::Missing,
            InstanceCompliance::Failed,
            InstanceCompliance::NotApplicable,
            InstanceCompliance::CriticalNonCompliant,
            InstanceCompliance::SecurityNonCompliant,
            InstanceCompliance::OtherNonCompliant,
        ] {
            table.col(integer(count));
        }
        table
            .col(small_integer(InstanceCompliance::Operation))
            .col(big_integer_null(InstanceCompliance::OperationStartAt))
            .col(big_integer_null(InstanceCompliance::OperationEndAt))
            .col(string_len(InstanceCompliance::BaselineId, 128))
            .col(string_len(InstanceCompliance::PatchGroup, 256))
            .foreign_key(
                ForeignKey::create()
                    .from(InstanceCompliance::Table, InstanceCompliance::SnapshotId)
                    .to(ComplianceSnapshots::Table, ComplianceSnapshots::Id)
                    .on_delete(ForeignKeyAction::Cascade),
            )
            .foreign_key(
                ForeignKey::create()
                    .from(InstanceCompliance::Table, InstanceCompliance::CompanyId)
                    .to(Companies::Table, Companies::Id)
                    .on_delete(ForeignKeyAction::Restrict),
            );
        manager.create_table(table.to_owned()).await?;
        for (name, columns) in [
            (
                "idx_instance_compliance_snapshot",
                vec![InstanceCompliance::SnapshotId, InstanceCompliance::Id],
            ),
            (
                "idx_instance_compliance_company",
                vec![InstanceCompliance::CompanyId],
            ),
        ] {
            let mut index = Index::create();
            index.name(name).table(InstanceCompliance::Table);
            for column in columns {
                index.col(column);
            }
            manager.create_index(index.to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            InstanceCompliance::Table.into_iden(),
            ComplianceSnapshots::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
