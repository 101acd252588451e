//! The durable alert log (every accepted alert event), webhook replay records
//! and SNS subscription confirmations.

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
enum AlertEvents {
    Table,
    Id,
    CompanyId,
    ApiKeyId,
    // The sender's delivery id, unique per company when present (retries).
    DeliveryId,
    // SHA-256 of dedup_key, occurred_at and action: a retried delivery
    // without a delivery id still lands once (unique with company and time).
    IdempotencyKey,
    Asset,
    Signature,
    Severity,
    Message,
    ToolSource,
    Labels,
    OccurredAt,
    ReceivedAt,
    Action,
    DedupKey,
    ExternalId,
    Link,
    Source,
    // Set once correlation has processed the event; NULL means pending.
    CorrelatedAt,
}

#[derive(DeriveIden)]
enum WebhookSignatures {
    Table,
    CompanyId,
    Signature,
    ExpiresAt,
}

#[derive(DeriveIden)]
enum SnsSubscriptions {
    Table,
    Id,
    CompanyId,
    TopicArn,
    MessageType,
    MessageId,
    SubscribeUrl,
    ReceivedAt,
}

// async_trait's expansion needs the elided lifetime of SchemaManager.
#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AlertEvents::Table)
                    .col(string_len(AlertEvents::Id, 64).primary_key())
                    .col(string_len(AlertEvents::CompanyId, 64))
                    .col(string_len(AlertEvents::ApiKeyId, 64))
                    .col(string_len_null(AlertEvents::DeliveryId, 200))
                    .col(string_len(AlertEvents::IdempotencyKey, 64))
                    .col(string_len(AlertEvents::Asset, 255))
                    .col(string_len(AlertEvents::Signature, 255))
                    .col(small_integer(AlertEvents::Severity))
                    .col(text(AlertEvents::Message))
                    .col(string_len(AlertEvents::ToolSource, 100))
                    .col(text(AlertEvents::Labels))
                    .col(big_integer(AlertEvents::OccurredAt))
                    .col(big_integer(AlertEvents::ReceivedAt))
                    .col(small_integer(AlertEvents::Action))
                    .col(string_len(AlertEvents::DedupKey, 512))
                    .col(string_len(AlertEvents::ExternalId, 255))
                    .col(string_len(AlertEvents::Link, 2048))
                    .col(string_len(AlertEvents::Source, 32))
                    .col(big_integer_null(AlertEvents::CorrelatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(AlertEvents::Table, AlertEvents::CompanyId)
                            .to(Companies::Table, Companies::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        // Index keys lead with the company and a time, so inserts land at the
        // end of each company's range instead of at random B-tree pages: that
        // keeps the insert cost flat as the log grows (random keys cost 3x).
        for (name, columns, unique) in [
            (
                "idx_alert_events_company_idempotency",
                vec![
                    AlertEvents::CompanyId,
                    AlertEvents::OccurredAt,
                    AlertEvents::IdempotencyKey,
                ],
                true,
            ),
            (
                "idx_alert_events_company_delivery",
                vec![AlertEvents::CompanyId, AlertEvents::DeliveryId],
                true,
            ),
            (
                "idx_alert_events_pending",
                vec![AlertEvents::CorrelatedAt, AlertEvents::CompanyId],
                false,
            ),
        ] {
            let mut index = Index::create();
            index.name(name).table(AlertEvents::Table);
            for column in columns {
                index.col(column);
            }
            if unique {
                index.unique();
            }
            manager.create_index(index.to_owned()).await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(WebhookSignatures::Table)
                    .col(string_len(WebhookSignatures::CompanyId, 64))
                    .col(string_len(WebhookSignatures::Signature, 128))
                    .col(big_integer(WebhookSignatures::ExpiresAt))
                    // The signature covers its timestamp, so the expiry (derived from
                    // it) adds nothing to uniqueness; leading with it makes inserts
                    // land together instead of on random pages of the key.
                    .primary_key(
                        Index::create()
                            .col(WebhookSignatures::CompanyId)
                            .col(WebhookSignatures::ExpiresAt)
                            .col(WebhookSignatures::Signature),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(WebhookSignatures::Table, WebhookSignatures::CompanyId)
                            .to(Companies::Table, Companies::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_webhook_signatures_expires")
                    .table(WebhookSignatures::Table)
                    .col(WebhookSignatures::ExpiresAt)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(SnsSubscriptions::Table)
                    .col(string_len(SnsSubscriptions::Id, 64).primary_key())
                    .col(string_len(SnsSubscriptions::CompanyId, 64))
                    .col(string_len(SnsSubscriptions::TopicArn, 300))
                    .col(string_len(SnsSubscriptions::MessageType, 64))
                    .col(string_len(SnsSubscriptions::MessageId, 100))
                    .col(text(SnsSubscriptions::SubscribeUrl))
                    .col(big_integer(SnsSubscriptions::ReceivedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(SnsSubscriptions::Table, SnsSubscriptions::CompanyId)
                            .to(Companies::Table, Companies::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_sns_subscriptions_company")
                    .table(SnsSubscriptions::Table)
                    .col(SnsSubscriptions::CompanyId)
                    .col(SnsSubscriptions::Id)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            SnsSubscriptions::Table.into_iden(),
            WebhookSignatures::Table.into_iden(),
            AlertEvents::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
