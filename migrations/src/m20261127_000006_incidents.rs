//! Correlation results and incidents: deduplicated alerts, incidents, each
//! alert event's outcome with the engine's reasoning, and the per-company
//! incident event log that timelines and WatchIncidents read.

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
enum Alerts {
    Table,
    Id,
    CompanyId,
    IncidentId,
    DedupKey,
    AggregationKey,
    Asset,
    Signature,
    Severity,
    Message,
    ToolSource,
    Labels,
    OccurredAt,
    ReceivedAt,
    LastOccurredAt,
    ResolvedAt,
    Status,
    Count,
    ExternalId,
    Link,
    Outcome,
    SuppressedById,
    // JSON array of this dedup key's resolve times inside the window (flapping).
    FlapHistory,
}

#[derive(DeriveIden)]
enum Incidents {
    Table,
    Id,
    CompanyId,
    AggregationKey,
    Asset,
    Signature,
    Summary,
    Status,
    Priority,
    PriorityReasons,
    AlertCount,
    FiringAlertCount,
    Tools,
    Severity,
    AssignedTechnicianId,
    ParentIncidentId,
    IsStormParent,
    ChildIncidentCount,
    OpenChildCount,
    Flapping,
    SelfHealed,
    RemediationFailed,
    Resolution,
    SearchText,
    FirstAlertAt,
    LastAlertAt,
    CreatedAt,
    AcknowledgedAt,
    FirstAcknowledgedAt,
    ResolvedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum AlertOutcomes {
    Table,
    EventId,
    CompanyId,
    AlertId,
    IncidentId,
    Outcome,
    AggregationKey,
    SuppressedById,
    Decisions,
    CorrelatedAt,
}

#[derive(DeriveIden)]
enum IncidentEvents {
    Table,
    Id,
    CompanyId,
    Sequence,
    IncidentId,
    Kind,
    Actor,
    Message,
    CreatedAt,
    // JSON of the incident right after the change (what WatchIncidents sends).
    Snapshot,
}

#[derive(DeriveIden)]
enum IncidentSequences {
    Table,
    CompanyId,
    Sequence,
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
                    .table(Incidents::Table)
                    .col(string_len(Incidents::Id, 64).primary_key())
                    .col(string_len(Incidents::CompanyId, 64))
                    .col(string_len(Incidents::AggregationKey, 4096))
                    .col(string_len(Incidents::Asset, 255))
                    .col(string_len(Incidents::Signature, 255))
                    .col(text(Incidents::Summary))
                    .col(small_integer(Incidents::Status))
                    .col(small_integer(Incidents::Priority))
                    .col(text(Incidents::PriorityReasons))
                    .col(big_integer(Incidents::AlertCount))
                    .col(big_integer(Incidents::FiringAlertCount))
                    .col(text(Incidents::Tools))
                    .col(small_integer(Incidents::Severity))
                    .col(string_len_null(Incidents::AssignedTechnicianId, 64))
                    .col(string_len_null(Incidents::ParentIncidentId, 64))
                    .col(boolean(Incidents::IsStormParent))
                    .col(integer(Incidents::ChildIncidentCount))
                    .col(integer(Incidents::OpenChildCount))
                    .col(boolean(Incidents::Flapping))
                    .col(boolean(Incidents::SelfHealed))
                    .col(boolean(Incidents::RemediationFailed))
                    .col(text(Incidents::Resolution))
                    .col(text(Incidents::SearchText))
                    .col(big_integer(Incidents::FirstAlertAt))
                    .col(big_integer(Incidents::LastAlertAt))
                    .col(big_integer(Incidents::CreatedAt))
                    .col(big_integer_null(Incidents::AcknowledgedAt))
                    .col(big_integer_null(Incidents::FirstAcknowledgedAt))
                    .col(big_integer_null(Incidents::ResolvedAt))
                    .col(big_integer(Incidents::UpdatedAt))
                    .foreign_key(&mut company_fk(Incidents::Table, Incidents::CompanyId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Alerts::Table)
                    .col(string_len(Alerts::Id, 64).primary_key())
                    .col(string_len(Alerts::CompanyId, 64))
                    .col(string_len_null(Alerts::IncidentId, 64))
                    .col(string_len(Alerts::DedupKey, 512))
                    .col(string_len(Alerts::AggregationKey, 4096))
                    .col(string_len(Alerts::Asset, 255))
                    .col(string_len(Alerts::Signature, 255))
                    .col(small_integer(Alerts::Severity))
                    .col(text(Alerts::Message))
                    .col(string_len(Alerts::ToolSource, 100))
                    .col(text(Alerts::Labels))
                    .col(big_integer(Alerts::OccurredAt))
                    .col(big_integer(Alerts::ReceivedAt))
                    .col(big_integer(Alerts::LastOccurredAt))
                    .col(big_integer_null(Alerts::ResolvedAt))
                    .col(small_integer(Alerts::Status))
                    .col(big_integer(Alerts::Count))
                    .col(string_len(Alerts::ExternalId, 255))
                    .col(string_len(Alerts::Link, 2048))
                    .col(small_integer(Alerts::Outcome))
                    .col(string_len_null(Alerts::SuppressedById, 64))
                    .col(text(Alerts::FlapHistory))
                    .foreign_key(&mut company_fk(Alerts::Table, Alerts::CompanyId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AlertOutcomes::Table)
                    .col(string_len(AlertOutcomes::EventId, 64).primary_key())
                    .col(string_len(AlertOutcomes::CompanyId, 64))
                    .col(string_len(AlertOutcomes::AlertId, 64))
                    .col(string_len_null(AlertOutcomes::IncidentId, 64))
                    .col(small_integer(AlertOutcomes::Outcome))
                    .col(string_len(AlertOutcomes::AggregationKey, 4096))
                    .col(string_len_null(AlertOutcomes::SuppressedById, 64))
                    .col(text(AlertOutcomes::Decisions))
                    .col(big_integer(AlertOutcomes::CorrelatedAt))
                    .foreign_key(&mut company_fk(
                        AlertOutcomes::Table,
                        AlertOutcomes::CompanyId,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(IncidentEvents::Table)
                    .col(string_len(IncidentEvents::Id, 64).primary_key())
                    .col(string_len(IncidentEvents::CompanyId, 64))
                    .col(big_integer(IncidentEvents::Sequence))
                    .col(string_len(IncidentEvents::IncidentId, 64))
                    .col(small_integer(IncidentEvents::Kind))
                    .col(string_len(IncidentEvents::Actor, 512))
                    .col(text(IncidentEvents::Message))
                    .col(big_integer(IncidentEvents::CreatedAt))
                    .col(text(IncidentEvents::Snapshot))
                    .foreign_key(&mut company_fk(
                        IncidentEvents::Table,
                        IncidentEvents::CompanyId,
                    ))
                    .to_owned(),
            )
            .await?;
        // The per-company sequence row doubles as the company's correlation
        // lock: every change of a company's incidents updates it first, so
        // replicas on one PostgreSQL serialise on it (a row lock, not timing).
        manager
            .create_table(
                Table::create()
                    .table(IncidentSequences::Table)
                    .col(string_len(IncidentSequences::CompanyId, 64).primary_key())
                    .col(big_integer(IncidentSequences::Sequence))
                    .foreign_key(&mut company_fk(
                        IncidentSequences::Table,
                        IncidentSequences::CompanyId,
                    ))
                    .to_owned(),
            )
            .await?;
        let indexes: [(&str, DynIden, Vec<DynIden>, bool); 9] = [
            (
                "idx_incidents_company_key",
                Incidents::Table.into_iden(),
                vec![
                    Incidents::CompanyId.into_iden(),
                    Incidents::AggregationKey.into_iden(),
                    Incidents::LastAlertAt.into_iden(),
                ],
                false,
            ),
            (
                "idx_incidents_company_signature",
                Incidents::Table.into_iden(),
                vec![
                    Incidents::CompanyId.into_iden(),
                    Incidents::Signature.into_iden(),
                    Incidents::LastAlertAt.into_iden(),
                ],
                false,
            ),
            (
                "idx_incidents_company_created",
                Incidents::Table.into_iden(),
                vec![
                    Incidents::CompanyId.into_iden(),
                    Incidents::CreatedAt.into_iden(),
                ],
                false,
            ),
            (
                "idx_incidents_status",
                Incidents::Table.into_iden(),
                vec![
                    Incidents::CompanyId.into_iden(),
                    Incidents::Status.into_iden(),
                ],
                false,
            ),
            (
                "idx_alerts_company_dedup",
                Alerts::Table.into_iden(),
                vec![
                    Alerts::CompanyId.into_iden(),
                    Alerts::DedupKey.into_iden(),
                    Alerts::OccurredAt.into_iden(),
                ],
                false,
            ),
            (
                "idx_alerts_incident",
                Alerts::Table.into_iden(),
                vec![
                    Alerts::IncidentId.into_iden(),
                    Alerts::LastOccurredAt.into_iden(),
                ],
                false,
            ),
            (
                "idx_alerts_company_status",
                Alerts::Table.into_iden(),
                vec![Alerts::CompanyId.into_iden(), Alerts::Status.into_iden()],
                false,
            ),
            (
                "idx_alert_outcomes_alert",
                AlertOutcomes::Table.into_iden(),
                vec![AlertOutcomes::AlertId.into_iden()],
                false,
            ),
            (
                "idx_incident_events_sequence",
                IncidentEvents::Table.into_iden(),
                vec![
                    IncidentEvents::CompanyId.into_iden(),
                    IncidentEvents::Sequence.into_iden(),
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
        let mut index = Index::create();
        index
            .name("idx_incident_events_incident")
            .table(IncidentEvents::Table)
            .col(IncidentEvents::IncidentId)
            .col(IncidentEvents::Sequence);
        manager.create_index(index.to_owned()).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            IncidentSequences::Table.into_iden(),
            IncidentEvents::Table.into_iden(),
            AlertOutcomes::Table.into_iden(),
            Alerts::Table.into_iden(),
            Incidents::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
