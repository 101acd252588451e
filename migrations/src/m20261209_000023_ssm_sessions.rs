//! `ssm_sessions`: the Session Manager sessions started from incidents, so a
//! session that ends by itself (idle timeout, the client closing) is noticed
//! and put on its incident's timeline. `ended_at` is set once, by whoever
//! records the end first (TerminateSession or the session watcher of any
//! replica).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum SsmSessions {
    Table,
    SessionId,
    CompanyId,
    IncidentId,
    InstanceId,
    StartedBy,
    StartedAt,
    EndedAt,
}

// async_trait's expansion needs the elided lifetime of SchemaManager.
#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(SsmSessions::Table)
                    .col(string_len(SsmSessions::SessionId, 200).primary_key())
                    .col(string_len(SsmSessions::CompanyId, 64))
                    .col(string_len(SsmSessions::IncidentId, 64))
                    .col(string_len(SsmSessions::InstanceId, 32))
                    .col(text(SsmSessions::StartedBy))
                    .col(big_integer(SsmSessions::StartedAt))
                    .col(big_integer_null(SsmSessions::EndedAt))
                    .to_owned(),
            )
            .await?;
        // The watcher reads the sessions not yet ended.
        manager
            .create_index(
                Index::create()
                    .name("idx_ssm_sessions_open")
                    .table(SsmSessions::Table)
                    .col(SsmSessions::EndedAt)
                    .col(SsmSessions::CompanyId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(SsmSessions::Table).to_owned())
            .await
    }
}
