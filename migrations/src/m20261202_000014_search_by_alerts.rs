//! Search through alerts, and the incident indexes only the old correlation
//! pass read.
//!
//! - `alerts.search_text`: the lower-case asset, signature and message of
//!   the alert, written by the projector with the row. `ListIncidents`
//!   matches a search word against the texts of an incident's alerts (and of
//!   its children's, for a storm parent), so the text lives with the alert
//!   that has it. Existing rows are filled from their columns (SQL `LOWER`,
//!   which on SQLite lower-cases ASCII only; rows written after the upgrade
//!   are lower-cased in full).
//! - `incidents.search_text` goes. It collected up to 8 KiB per incident in
//!   the resident state, in every log record that changed the incident and
//!   in every rewrite of its row.
//! - `idx_incidents_parent`: a storm parent's children, for that search.
//! - `idx_incidents_company_key` and `idx_incidents_company_signature_roots`
//!   go: they served the correlation pass's look-ups of joinable incidents
//!   and storm candidates, which the resident state answers now, and every
//!   incident insert and update kept them up to date.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::text;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum Alerts {
    Table,
    SearchText,
}

#[derive(DeriveIden)]
enum Incidents {
    Table,
    CompanyId,
    AggregationKey,
    Signature,
    LastAlertAt,
    ParentIncidentId,
    SearchText,
}

const KEY: &str = "idx_incidents_company_key";
const ROOTS: &str = "idx_incidents_company_signature_roots";
const PARENT: &str = "idx_incidents_parent";

// async_trait's expansion needs the elided lifetime of SchemaManager.
#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Alerts::Table)
                    .add_column(text(Alerts::SearchText).default(""))
                    .to_owned(),
            )
            .await?;
        manager
            .exec_stmt(
                Query::update()
                    .table(Alerts::Table)
                    .value(
                        Alerts::SearchText,
                        Expr::cust(
                            "LOWER(\"asset\" || ' ' || \"signature\" || ' ' || \"message\")",
                        ),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Incidents::Table)
                    .drop_column(Incidents::SearchText)
                    .to_owned(),
            )
            .await?;
        for name in [KEY, ROOTS] {
            manager
                .drop_index(Index::drop().name(name).table(Incidents::Table).to_owned())
                .await?;
        }
        manager
            .create_index(
                Index::create()
                    .name(PARENT)
                    .table(Incidents::Table)
                    .col(Incidents::ParentIncidentId)
                    .and_where(Expr::col(Incidents::ParentIncidentId).is_not_null())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name(PARENT)
                    .table(Incidents::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name(ROOTS)
                    .table(Incidents::Table)
                    .col(Incidents::CompanyId)
                    .col(Incidents::Signature)
                    .col(Incidents::LastAlertAt)
                    .and_where(Expr::col(Incidents::ParentIncidentId).is_null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name(KEY)
                    .table(Incidents::Table)
                    .col(Incidents::CompanyId)
                    .col(Incidents::AggregationKey)
                    .col(Incidents::LastAlertAt)
                    .to_owned(),
            )
            .await?;
        // The texts come back empty: the alerts hold them now.
        manager
            .alter_table(
                Table::alter()
                    .table(Incidents::Table)
                    .add_column(text(Incidents::SearchText).default(""))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Alerts::Table)
                    .drop_column(Alerts::SearchText)
                    .to_owned(),
            )
            .await
    }
}
