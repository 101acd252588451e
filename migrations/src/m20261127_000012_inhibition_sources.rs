//! An index of the alerts that can inhibit: `inhibition_sources` holds one row
//! per inhibition rule and unresolved alert that matches the rule's source
//! matchers, keyed by the alert's values of the rule's `equal` references.
//!
//! Before this migration a correlation pass of a company with inhibition rules
//! loaded every unresolved alert of the company to look for sources: its cost
//! grew with the number of firing alerts. Now a pass looks up, for each rule
//! whose target matchers an event matches, only the rows under that rule and
//! the event's equal values (a search of the primary key).
//!
//! The rows are written by the correlation passes (which see every alert that
//! starts firing or changes) and removed when an alert resolves. Matchers can
//! be regular expressions, so a rule's rows cannot be computed in SQL: rules
//! start with `sources_indexed` false, and the first pass that loads such a
//! rule indexes the company's unresolved alerts for it once, under the
//! company's lock, and sets the flag. That covers the rules this migration
//! finds as well as new ones.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{boolean, string_len, text};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum InhibitionSources {
    Table,
    RuleId,
    EqualKey,
    AlertId,
    CompanyId,
}

#[derive(DeriveIden)]
enum InhibitionRules {
    Table,
    SourcesIndexed,
}

const BY_ALERT: &str = "idx_inhibition_sources_alert";

// async_trait's expansion needs the elided lifetime of SchemaManager.
#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(InhibitionSources::Table)
                    .col(string_len(InhibitionSources::RuleId, 64))
                    .col(text(InhibitionSources::EqualKey))
                    .col(string_len(InhibitionSources::AlertId, 64))
                    .col(string_len(InhibitionSources::CompanyId, 64))
                    .primary_key(
                        Index::create()
                            .col(InhibitionSources::RuleId)
                            .col(InhibitionSources::EqualKey)
                            .col(InhibitionSources::AlertId),
                    )
                    .to_owned(),
            )
            .await?;
        // Rows are removed by alert when alerts change or resolve.
        manager
            .create_index(
                Index::create()
                    .name(BY_ALERT)
                    .table(InhibitionSources::Table)
                    .col(InhibitionSources::AlertId)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(InhibitionRules::Table)
                    .add_column(boolean(InhibitionRules::SourcesIndexed).default(false))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(InhibitionRules::Table)
                    .drop_column(InhibitionRules::SourcesIndexed)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(InhibitionSources::Table).to_owned())
            .await
    }
}
