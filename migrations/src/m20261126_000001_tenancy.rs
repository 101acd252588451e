//! Companies (tenants), their ingest API keys and HMAC secrets, technicians,
//! operator tokens and the audit log.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum Companies {
    Table,
    Id,
    Name,
    // Equal to `name` while the company is live, NULL once deleted: the unique
    // index on it keeps live names unique and lets a deleted name be reused.
    LiveName,
    Website,
    ContactEmail,
    HmacEnabled,
    AwsRoleArn,
    AwsExternalId,
    CreatedAt,
    UpdatedAt,
    DeletedAt,
}

#[derive(DeriveIden)]
enum ApiKeys {
    Table,
    Id,
    CompanyId,
    Prefix,
    KeyHash,
    Label,
    CreatedAt,
    ExpiresAt,
    RevokedAt,
    LastUsedAt,
}

#[derive(DeriveIden)]
enum HmacSecrets {
    Table,
    Id,
    CompanyId,
    Nonce,
    Ciphertext,
    CreatedAt,
    ExpiresAt,
}

#[derive(DeriveIden)]
enum Technicians {
    Table,
    Id,
    CompanyId,
    Name,
    Email,
    Skills,
    OnDuty,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum OperatorTokens {
    Table,
    Id,
    Name,
    Role,
    Prefix,
    TokenHash,
    CreatedAt,
    ExpiresAt,
    RevokedAt,
}

#[derive(DeriveIden)]
enum OperatorTokenCompanies {
    Table,
    TokenId,
    CompanyId,
}

#[derive(DeriveIden)]
enum AuditEvents {
    Table,
    Id,
    CompanyId,
    Actor,
    Action,
    TargetType,
    TargetId,
    Details,
    CreatedAt,
}

fn company_fk(table: impl IntoIden, column: impl IntoIden) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(table.into_iden(), column.into_iden())
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
                    .table(Companies::Table)
                    .col(string_len(Companies::Id, 64).primary_key())
                    .col(string_len(Companies::Name, 200))
                    .col(string_len_null(Companies::LiveName, 200).unique_key())
                    .col(string_len(Companies::Website, 500))
                    .col(string_len(Companies::ContactEmail, 320))
                    .col(boolean(Companies::HmacEnabled))
                    .col(string_len_null(Companies::AwsRoleArn, 2048))
                    .col(string_len_null(Companies::AwsExternalId, 1224))
                    .col(big_integer(Companies::CreatedAt))
                    .col(big_integer(Companies::UpdatedAt))
                    .col(big_integer_null(Companies::DeletedAt))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ApiKeys::Table)
                    .col(string_len(ApiKeys::Id, 64).primary_key())
                    .col(string_len(ApiKeys::CompanyId, 64))
                    .col(string_len(ApiKeys::Prefix, 32))
                    .col(string_len(ApiKeys::KeyHash, 64).unique_key())
                    .col(string_len(ApiKeys::Label, 200))
                    .col(big_integer(ApiKeys::CreatedAt))
                    .col(big_integer_null(ApiKeys::ExpiresAt))
                    .col(big_integer_null(ApiKeys::RevokedAt))
                    .col(big_integer_null(ApiKeys::LastUsedAt))
                    .foreign_key(&mut company_fk(ApiKeys::Table, ApiKeys::CompanyId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_api_keys_company_id")
                    .table(ApiKeys::Table)
                    .col(ApiKeys::CompanyId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(HmacSecrets::Table)
                    .col(string_len(HmacSecrets::Id, 64).primary_key())
                    .col(string_len(HmacSecrets::CompanyId, 64))
                    .col(blob(HmacSecrets::Nonce))
                    .col(blob(HmacSecrets::Ciphertext))
                    .col(big_integer(HmacSecrets::CreatedAt))
                    .col(big_integer_null(HmacSecrets::ExpiresAt))
                    .foreign_key(&mut company_fk(HmacSecrets::Table, HmacSecrets::CompanyId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_hmac_secrets_company_id")
                    .table(HmacSecrets::Table)
                    .col(HmacSecrets::CompanyId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Technicians::Table)
                    .col(string_len(Technicians::Id, 64).primary_key())
                    .col(string_len(Technicians::CompanyId, 64))
                    .col(string_len(Technicians::Name, 200))
                    .col(string_len(Technicians::Email, 320))
                    .col(text(Technicians::Skills))
                    .col(boolean(Technicians::OnDuty))
                    .col(big_integer(Technicians::CreatedAt))
                    .col(big_integer(Technicians::UpdatedAt))
                    .foreign_key(&mut company_fk(Technicians::Table, Technicians::CompanyId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_technicians_company_email")
                    .table(Technicians::Table)
                    .col(Technicians::CompanyId)
                    .col(Technicians::Email)
                    .unique()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(OperatorTokens::Table)
                    .col(string_len(OperatorTokens::Id, 64).primary_key())
                    .col(string_len(OperatorTokens::Name, 200))
                    .col(string_len(OperatorTokens::Role, 32))
                    .col(string_len(OperatorTokens::Prefix, 32))
                    .col(string_len(OperatorTokens::TokenHash, 64).unique_key())
                    .col(big_integer(OperatorTokens::CreatedAt))
                    .col(big_integer_null(OperatorTokens::ExpiresAt))
                    .col(big_integer_null(OperatorTokens::RevokedAt))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(OperatorTokenCompanies::Table)
                    .col(string_len(OperatorTokenCompanies::TokenId, 64))
                    .col(string_len(OperatorTokenCompanies::CompanyId, 64))
                    .primary_key(
                        Index::create()
                            .col(OperatorTokenCompanies::TokenId)
                            .col(OperatorTokenCompanies::CompanyId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(
                                OperatorTokenCompanies::Table,
                                OperatorTokenCompanies::TokenId,
                            )
                            .to(OperatorTokens::Table, OperatorTokens::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(&mut company_fk(
                        OperatorTokenCompanies::Table,
                        OperatorTokenCompanies::CompanyId,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_operator_token_companies_company_id")
                    .table(OperatorTokenCompanies::Table)
                    .col(OperatorTokenCompanies::CompanyId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(AuditEvents::Table)
                    .col(string_len(AuditEvents::Id, 64).primary_key())
                    .col(string_len_null(AuditEvents::CompanyId, 64))
                    .col(string_len(AuditEvents::Actor, 300))
                    .col(string_len(AuditEvents::Action, 200))
                    .col(string_len(AuditEvents::TargetType, 64))
                    .col(string_len(AuditEvents::TargetId, 64))
                    .col(text(AuditEvents::Details))
                    .col(big_integer(AuditEvents::CreatedAt))
                    .foreign_key(&mut company_fk(AuditEvents::Table, AuditEvents::CompanyId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_audit_events_company_id")
                    .table(AuditEvents::Table)
                    .col(AuditEvents::CompanyId)
                    .col(AuditEvents::Id)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            AuditEvents::Table.into_iden(),
            OperatorTokenCompanies::Table.into_iden(),
            OperatorTokens::Table.into_iden(),
            Technicians::Table.into_iden(),
            HmacSecrets::Table.into_iden(),
            ApiKeys::Table.into_iden(),
            Companies::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
