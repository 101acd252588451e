//! The optional AWS secrets backend (docs/secrets.md).
//!
//! `hmac_secrets.secret_arn` and `hmac_secrets.secret_version_id`: where a
//! secret kept in AWS Secrets Manager lives (the company's secret and the
//! version that first held it); such a row keeps no secret material (empty
//! `nonce` and `ciphertext`), only this reference and its validity.
//!
//! `notification_channels.secret_arn`: the same for a channel's credential
//! (its `nonce` and `ciphertext` are then NULL).
//!
//! `master_key_wraps`: the master key as AWS KMS wrapped it (envelope
//! encryption), one row per deployment, so that every replica unwraps the
//! same key with KMS Decrypt at start.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{big_integer, blob, string_len, string_len_null};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum HmacSecrets {
    Table,
    SecretArn,
    SecretVersionId,
}

#[derive(DeriveIden)]
enum NotificationChannels {
    Table,
    SecretArn,
}

#[derive(DeriveIden)]
enum MasterKeyWraps {
    Table,
    Id,
    KmsKeyId,
    WrappedKey,
    CreatedAt,
}

// async_trait's expansion needs the elided lifetime of SchemaManager.
#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per ALTER TABLE.
        for column in [HmacSecrets::SecretArn, HmacSecrets::SecretVersionId] {
            manager
                .alter_table(
                    Table::alter()
                        .table(HmacSecrets::Table)
                        .add_column(string_len_null(column, 2048))
                        .to_owned(),
                )
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(NotificationChannels::Table)
                    .add_column(string_len_null(NotificationChannels::SecretArn, 2048))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(MasterKeyWraps::Table)
                    .col(string_len(MasterKeyWraps::Id, 64).primary_key())
                    .col(string_len(MasterKeyWraps::KmsKeyId, 2048))
                    .col(blob(MasterKeyWraps::WrappedKey))
                    .col(big_integer(MasterKeyWraps::CreatedAt))
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(MasterKeyWraps::Table).to_owned())
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(NotificationChannels::Table)
                    .drop_column(NotificationChannels::SecretArn)
                    .to_owned(),
            )
            .await?;
        for column in [HmacSecrets::SecretVersionId, HmacSecrets::SecretArn] {
            manager
                .alter_table(
                    Table::alter()
                        .table(HmacSecrets::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
