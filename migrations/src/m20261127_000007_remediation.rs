//! Self-healing: auto-remediation rules, runbook executions (SSM Run Command)
//! and the executions' event log, whose sequences share each company's counter
//! (`incident_sequences`) with the incident log.

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
enum RemediationRules {
    Table,
    Id,
    CompanyId,
    RunbookId,
    CreatedAt,
    // JSON: the rule (matchers, templates, targets, mode, cooldown, approval timeout).
    Data,
}

#[derive(DeriveIden)]
enum Executions {
    Table,
    Id,
    CompanyId,
    Status,
    RunbookId,
    RuleId,
    IncidentId,
    Asset,
    CreatedAt,
    // When the executor next looks at it; NULL when nothing is left to do.
    NextCheckAt,
    // Bumped by every change: replicas change a row only at the version they read.
    Version,
    // JSON: the whole execution (parameters, targets, invocations, people, times).
    Data,
}

#[derive(DeriveIden)]
enum ExecutionEvents {
    Table,
    Id,
    CompanyId,
    Sequence,
    ExecutionId,
    Kind,
    Actor,
    Message,
    CreatedAt,
    Snapshot,
}

fn company_fk<T: IntoIden + 'static>(table: T, column: T) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(table, column)
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
                    .table(RemediationRules::Table)
                    .col(string_len(RemediationRules::Id, 64).primary_key())
                    .col(string_len(RemediationRules::CompanyId, 64))
                    .col(string_len(RemediationRules::RunbookId, 64))
                    .col(big_integer(RemediationRules::CreatedAt))
                    .col(text(RemediationRules::Data))
                    .foreign_key(&mut company_fk(
                        RemediationRules::Table,
                        RemediationRules::CompanyId,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Executions::Table)
                    .col(string_len(Executions::Id, 64).primary_key())
                    .col(string_len(Executions::CompanyId, 64))
                    .col(small_integer(Executions::Status))
                    .col(string_len(Executions::RunbookId, 64))
                    .col(string_len_null(Executions::RuleId, 64))
                    .col(string_len_null(Executions::IncidentId, 64))
                    .col(string_len(Executions::Asset, 255))
                    .col(big_integer(Executions::CreatedAt))
                    .col(big_integer_null(Executions::NextCheckAt))
                    .col(big_integer(Executions::Version))
                    .col(text(Executions::Data))
                    .foreign_key(&mut company_fk(Executions::Table, Executions::CompanyId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ExecutionEvents::Table)
                    .col(string_len(ExecutionEvents::Id, 64).primary_key())
                    .col(string_len(ExecutionEvents::CompanyId, 64))
                    .col(big_integer(ExecutionEvents::Sequence))
                    .col(string_len(ExecutionEvents::ExecutionId, 64))
                    .col(small_integer(ExecutionEvents::Kind))
                    .col(string_len(ExecutionEvents::Actor, 512))
                    .col(text(ExecutionEvents::Message))
                    .col(big_integer(ExecutionEvents::CreatedAt))
                    .col(text(ExecutionEvents::Snapshot))
                    .foreign_key(&mut company_fk(
                        ExecutionEvents::Table,
                        ExecutionEvents::CompanyId,
                    ))
                    .to_owned(),
            )
            .await?;
        let indexes: [(&str, DynIden, Vec<DynIden>, bool); 7] = [
            (
                "idx_remediation_rules_company",
                RemediationRules::Table.into_iden(),
                vec![
                    RemediationRules::CompanyId.into_iden(),
                    RemediationRules::CreatedAt.into_iden(),
                ],
                false,
            ),
            (
                "idx_remediation_rules_runbook",
                RemediationRules::Table.into_iden(),
                vec![RemediationRules::RunbookId.into_iden()],
                false,
            ),
            (
                "idx_executions_company_created",
                Executions::Table.into_iden(),
                vec![
                    Executions::CompanyId.into_iden(),
                    Executions::CreatedAt.into_iden(),
                ],
                false,
            ),
            (
                "idx_executions_due",
                Executions::Table.into_iden(),
                vec![Executions::NextCheckAt.into_iden()],
                false,
            ),
            (
                // The cooldown lookup: the last run of a runbook on an asset.
                "idx_executions_cooldown",
                Executions::Table.into_iden(),
                vec![
                    Executions::CompanyId.into_iden(),
                    Executions::RunbookId.into_iden(),
                    Executions::Asset.into_iden(),
                    Executions::CreatedAt.into_iden(),
                ],
                false,
            ),
            (
                // Never twice for the same incident and rule (NULLs are distinct:
                // manual executions are not limited).
                "idx_executions_incident_rule",
                Executions::Table.into_iden(),
                vec![
                    Executions::IncidentId.into_iden(),
                    Executions::RuleId.into_iden(),
                ],
                true,
            ),
            (
                "idx_execution_events_sequence",
                ExecutionEvents::Table.into_iden(),
                vec![
                    ExecutionEvents::CompanyId.into_iden(),
                    ExecutionEvents::Sequence.into_iden(),
                ],
                true,
            ),
        ];
        for (name, table, columns, unique) in indexes {
            let mut index = Index::create();
            index.name(name).table(table);
            for column in columns {
                index.col(column);
            }
            if unique {
                index.unique();
            }
            manager.create_index(index.to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            ExecutionEvents::Table.into_iden(),
            Executions::Table.into_iden(),
            RemediationRules::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
