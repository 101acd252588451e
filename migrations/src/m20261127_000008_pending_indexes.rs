//! Partial indexes that keep the correlation pass's two lookups proportional
//! to what they return, not to what is stored:
//!
//! - the pending alert events of a company, in the pass's order: only events
//!   not yet correlated are in the index (before, SQLite walked every event of
//!   the company through the idempotency index, because it also sorts by
//!   occurred_at, and filtered on correlated_at row by row);
//! - the open incidents of a signature not folded under a storm parent (before,
//!   every child of a storm inside the window was read and then dropped).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum AlertEvents {
    Table,
    CompanyId,
    OccurredAt,
    DedupKey,
    Action,
    CorrelatedAt,
}

#[derive(DeriveIden)]
enum Incidents {
    Table,
    CompanyId,
    Signature,
    LastAlertAt,
    ParentIncidentId,
}

const PENDING: &str = "idx_alert_events_uncorrelated";
const ROOTS: &str = "idx_incidents_company_signature_roots";
const OLD_PENDING: &str = "idx_alert_events_pending";

// async_trait's expansion needs the elided lifetime of SchemaManager.
#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name(PENDING)
                    .table(AlertEvents::Table)
                    .col(AlertEvents::CompanyId)
                    .col(AlertEvents::OccurredAt)
                    .col(AlertEvents::DedupKey)
                    .col(AlertEvents::Action)
                    .and_where(Expr::col(AlertEvents::CorrelatedAt).is_null())
                    .to_owned(),
            )
            .await?;
        // The partial index answers "which companies have pending events" too.
        manager
            .drop_index(
                Index::drop()
                    .name(OLD_PENDING)
                    .table(AlertEvents::Table)
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
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(Index::drop().name(ROOTS).table(Incidents::Table).to_owned())
            .await?;
        manager
            .create_index(
                Index::create()
                    .name(OLD_PENDING)
                    .table(AlertEvents::Table)
                    .col(AlertEvents::CorrelatedAt)
                    .col(AlertEvents::CompanyId)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name(PENDING)
                    .table(AlertEvents::Table)
                    .to_owned(),
            )
            .await
    }
}
