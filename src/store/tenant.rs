//! Tenant repositories: companies, API keys, HMAC secrets, technicians,
//! operator tokens and the audit log. Every finder of tenant rows takes a [`Scope`];
//! every mutation writes its audit record in the same transaction.

use sea_orm::sea_query::{Expr, ExprTrait, Func, LikeExpr};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseTransaction, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set, SqlErr,
};

use super::entity::{
    api_key, audit_event, company, hmac_secret, operator_token, operator_token_company, technician,
};
use super::error::{Error, Result};
use super::{Page, Scope, Store, new_id, now_ms, to_json};
use crate::domain::tenant::Role;
use crate::secrets::NewCredential;

/// Where a new HMAC secret's value is kept.
#[derive(Debug, Clone)]
pub enum SecretMaterial {
    /// In the database, encrypted with the master key.
    Encrypted {
        /// AEAD nonce.
        nonce: Vec<u8>,
        /// The encrypted secret.
        ciphertext: Vec<u8>,
    },
    /// In the company's secret in AWS Secrets Manager: the database keeps
    /// only this reference.
    SecretsManager {
        /// The secret's ARN.
        arn: String,
        /// The version that first holds it.
        version_id: String,
    },
}

/// Who made a change, for the audit log.
#[derive(Debug, Clone)]
pub struct Audit {
    /// The actor ("token:<id> (<name>)", "cli", "system").
    pub actor: String,
    /// The action ("TenantService.CreateCompany").
    pub action: &'static str,
}

impl Audit {
    /// An audit context.
    pub fn new(actor: impl Into<String>, action: &'static str) -> Self {
        Self {
            actor: actor.into(),
            action,
        }
    }

    pub(super) async fn record(
        &self,
        txn: &DatabaseTransaction,
        company_id: Option<&str>,
        target_type: &str,
        target_id: &str,
        details: serde_json::Value,
    ) -> Result<()> {
        audit_event::ActiveModel {
            id: Set(new_id()),
            company_id: Set(company_id.map(str::to_owned)),
            actor: Set(self.actor.clone()),
            action: Set(self.action.to_owned()),
            target_type: Set(target_type.to_owned()),
            target_id: Set(target_id.to_owned()),
            details: Set(details.to_string()),
            created_at: Set(now_ms()),
        }
        .insert(txn)
        .await?;
        Ok(())
    }
}

/// Fields of a new company.
#[derive(Debug, Clone)]
pub struct NewCompany {
    /// Validated name.
    pub name: String,
    /// Validated website.
    pub website: String,
    /// Validated contact e-mail.
    pub contact_email: String,
}

/// Changes to a company; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct CompanyChanges {
    /// New name.
    pub name: Option<String>,
    /// New website.
    pub website: Option<String>,
    /// New contact e-mail.
    pub contact_email: Option<String>,
}

/// Fields of a new technician.
#[derive(Debug, Clone)]
pub struct NewTechnician {
    /// Company.
    pub company_id: String,
    /// Name.
    pub name: String,
    /// E-mail.
    pub email: String,
    /// Normalised skills.
    pub skills: Vec<String>,
    /// On duty.
    pub on_duty: bool,
    /// Slack member id; empty for none.
    pub slack_member_id: String,
}

/// Changes to a technician; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct TechnicianChanges {
    /// New name.
    pub name: Option<String>,
    /// New e-mail.
    pub email: Option<String>,
    /// New skills.
    pub skills: Option<Vec<String>>,
    /// New on-duty flag.
    pub on_duty: Option<bool>,
    /// New Slack member id (empty clears it).
    pub slack_member_id: Option<String>,
}

/// An operator token with the companies it is limited to (empty: all).
#[derive(Debug, Clone)]
pub struct OperatorTokenRecord {
    /// The row.
    pub token: operator_token::Model,
    /// Granted companies.
    pub company_ids: Vec<String>,
}

/// Fields of a new operator token.
#[derive(Debug, Clone)]
pub struct NewOperatorToken {
    /// Validated name.
    pub name: String,
    /// Role.
    pub role: Role,
    /// Companies it is limited to (sorted, deduplicated); empty for all.
    pub company_ids: Vec<String>,
    /// The technician it is linked to.
    pub technician_id: Option<String>,
    /// End of validity (ms); `None` for none.
    pub expires_at: Option<i64>,
}

/// Filters of the audit log.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// Only this company.
    pub company_id: Option<String>,
    /// Only this action.
    pub action: Option<String>,
    /// Only this actor.
    pub actor: Option<String>,
    /// At or after (ms).
    pub start_ms: Option<i64>,
    /// Before (ms).
    pub end_ms: Option<i64>,
}

pub(super) fn unique_violation(error: &sea_orm::DbErr) -> bool {
    matches!(error.sql_err(), Some(SqlErr::UniqueConstraintViolation(_)))
}

pub(super) fn name_taken(error: sea_orm::DbErr, what: &str) -> Error {
    if unique_violation(&error) {
        Error::AlreadyExists(what.to_owned())
    } else {
        Error::Database(error)
    }
}

/// Whether a key or token with these dates authenticates at `now`.
pub fn credential_active(revoked_at: Option<i64>, expires_at: Option<i64>, now: i64) -> bool {
    revoked_at.is_none() && expires_at.is_none_or(|expires| expires > now)
}

impl Store {
    /// Records an audit event on its own, for changes made outside the
    /// database (e.g. an AWS activation created in a company's account).
    pub async fn record_audit(
        &self,
        audit: &Audit,
        company_id: Option<&str>,
        target_type: &str,
        target_id: &str,
        details: serde_json::Value,
    ) -> Result<()> {
        let txn = self.begin_write().await?;
        audit
            .record(&txn, company_id, target_type, target_id, details)
            .await?;
        txn.commit().await?;
        Ok(())
    }

    // ---- companies -------------------------------------------------------

    /// Creates a company and its first API key.
    pub async fn create_company(
        &self,
        audit: &Audit,
        new: NewCompany,
        key: &NewCredential,
    ) -> Result<(company::Model, api_key::Model)> {
        let txn = self.begin_write().await?;
        let now = now_ms();
        let company = company::ActiveModel {
            id: Set(new_id()),
            name: Set(new.name.clone()),
            live_name: Set(Some(new.name.clone())),
            website: Set(new.website),
            contact_email: Set(new.contact_email),
            hmac_enabled: Set(false),
            aws_role_arn: Set(None),
            aws_external_id: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
            deleted_at: Set(None),
        }
        .insert(&txn)
        .await
        .map_err(|error| {
            name_taken(
                error,
                &format!("a company named {:?} already exists", new.name),
            )
        })?;
        let api_key = insert_api_key(&txn, &company.id, "initial", key, now).await?;
        audit
            .record(
                &txn,
                Some(&company.id),
                "company",
                &company.id,
                serde_json::json!({ "name": company.name, "api_key_id": api_key.id }),
            )
            .await?;
        txn.commit().await?;
        Ok((company, api_key))
    }

    /// A live company inside the scope, or NOT_FOUND.
    pub async fn get_company(&self, scope: &Scope, id: &str) -> Result<company::Model> {
        find_company(self.connection(), scope, id).await
    }

    /// One page of live companies inside the scope, oldest first.
    pub async fn list_companies(
        &self,
        scope: &Scope,
        page: &Page,
        name_contains: &str,
    ) -> Result<(Vec<company::Model>, String)> {
        let mut query = company::Entity::find()
            .filter(scope.condition(company::Column::Id))
            .filter(company::Column::DeletedAt.is_null());
        if !name_contains.is_empty() {
            query = query.filter(
                Expr::expr(Func::lower(Expr::col(company::Column::Name))).like(
                    LikeExpr::new(format!("%{}%", escape_like(&name_contains.to_lowercase())))
                        .escape('\\'),
                ),
            );
        }
        if let Some(after) = &page.after {
            query = query.filter(company::Column::Id.gt(after.clone()));
        }
        let rows = query
            .order_by_asc(company::Column::Id)
            .limit(page.size + 1)
            .all(self.connection())
            .await?;
        Ok(page.finish(rows, |row| &row.id))
    }

    /// Live companies inside the scope that have an AWS role set.
    pub async fn companies_with_aws_roles(&self, scope: &Scope) -> Result<Vec<company::Model>> {
        Ok(company::Entity::find()
            .filter(scope.condition(company::Column::Id))
            .filter(company::Column::DeletedAt.is_null())
            .filter(company::Column::AwsRoleArn.is_not_null())
            .order_by_asc(company::Column::Id)
            .all(self.connection())
            .await?)
    }

    /// Updates a company.
    pub async fn update_company(
        &self,
        audit: &Audit,
        scope: &Scope,
        id: &str,
        changes: CompanyChanges,
    ) -> Result<company::Model> {
        let txn = self.begin_write().await?;
        let current = find_company(&txn, scope, id).await?;
        let mut model: company::ActiveModel = current.into();
        let details = serde_json::json!({
            "name": changes.name,
            "website": changes.website,
            "contact_email": changes.contact_email,
        });
        if let Some(name) = changes.name {
            model.live_name = Set(Some(name.clone()));
            model.name = Set(name);
        }
        if let Some(website) = changes.website {
            model.website = Set(website);
        }
        if let Some(contact_email) = changes.contact_email {
            model.contact_email = Set(contact_email);
        }
        model.updated_at = Set(now_ms());
        let updated = model
            .update(&txn)
            .await
            .map_err(|error| name_taken(error, "another company already has that name"))?;
        audit.record(&txn, Some(id), "company", id, details).await?;
        txn.commit().await?;
        Ok(updated)
    }

    /// Soft-deletes a company: it disappears from finders and its keys stop working.
    pub async fn delete_company(&self, audit: &Audit, scope: &Scope, id: &str) -> Result<()> {
        let txn = self.begin_write().await?;
        let current = find_company(&txn, scope, id).await?;
        let now = now_ms();
        let mut model: company::ActiveModel = current.into();
        model.live_name = Set(None);
        model.deleted_at = Set(Some(now));
        model.updated_at = Set(now);
        model.update(&txn).await?;
        audit
            .record(&txn, Some(id), "company", id, serde_json::json!({}))
            .await?;
        txn.commit().await?;
        Ok(())
    }

    /// Sets or clears the company's cross-account role.
    pub async fn set_aws_role(
        &self,
        audit: &Audit,
        scope: &Scope,
        id: &str,
        role: Option<(String, String)>,
    ) -> Result<company::Model> {
        let txn = self.begin_write().await?;
        let current = find_company(&txn, scope, id).await?;
        let mut model: company::ActiveModel = current.into();
        let (arn, external_id) = role.unzip();
        model.aws_role_arn = Set(arn.clone());
        model.aws_external_id = Set(external_id);
        model.updated_at = Set(now_ms());
        let updated = model.update(&txn).await?;
        audit
            .record(
                &txn,
                Some(id),
                "company",
                id,
                serde_json::json!({ "role_arn": arn }),
            )
            .await?;
        txn.commit().await?;
        Ok(updated)
    }

    // ---- API keys --------------------------------------------------------

    /// Creates an API key for a company.
    pub async fn create_api_key(
        &self,
        audit: &Audit,
        scope: &Scope,
        company_id: &str,
        label: &str,
        key: &NewCredential,
    ) -> Result<api_key::Model> {
        let txn = self.begin_write().await?;
        find_company(&txn, scope, company_id).await?;
        let created = insert_api_key(&txn, company_id, label, key, now_ms()).await?;
        audit
            .record(
                &txn,
                Some(company_id),
                "api_key",
                &created.id,
                serde_json::json!({ "prefix": created.prefix, "label": label }),
            )
            .await?;
        txn.commit().await?;
        Ok(created)
    }

    /// One page of a company's API keys.
    pub async fn list_api_keys(
        &self,
        scope: &Scope,
        company_id: &str,
        page: &Page,
        include_inactive: bool,
    ) -> Result<(Vec<api_key::Model>, String)> {
        find_company(self.connection(), scope, company_id).await?;
        let mut query = api_key::Entity::find()
            .filter(scope.condition(api_key::Column::CompanyId))
            .filter(api_key::Column::CompanyId.eq(company_id));
        if !include_inactive {
            query = query.filter(api_key::Column::RevokedAt.is_null()).filter(
                Condition::any()
                    .add(api_key::Column::ExpiresAt.is_null())
                    .add(api_key::Column::ExpiresAt.gt(now_ms())),
            );
        }
        if let Some(after) = &page.after {
            query = query.filter(api_key::Column::Id.gt(after.clone()));
        }
        let rows = query
            .order_by_asc(api_key::Column::Id)
            .limit(page.size + 1)
            .all(self.connection())
            .await?;
        Ok(page.finish(rows, |row| &row.id))
    }

    /// Revokes an API key at once.
    pub async fn revoke_api_key(
        &self,
        audit: &Audit,
        scope: &Scope,
        company_id: &str,
        key_id: &str,
    ) -> Result<api_key::Model> {
        let txn = self.begin_write().await?;
        let key = find_api_key(&txn, scope, company_id, key_id).await?;
        let prefix = key.prefix.clone();
        let mut model: api_key::ActiveModel = key.into();
        model.revoked_at = Set(Some(now_ms()));
        let revoked = model.update(&txn).await?;
        audit
            .record(
                &txn,
                Some(company_id),
                "api_key",
                key_id,
                serde_json::json!({ "prefix": prefix }),
            )
            .await?;
        txn.commit().await?;
        Ok(revoked)
    }

    /// Creates a replacement key; the old one expires after `overlap_ms`.
    pub async fn rotate_api_key(
        &self,
        audit: &Audit,
        scope: &Scope,
        company_id: &str,
        key_id: &str,
        overlap_ms: i64,
        new_key: &NewCredential,
    ) -> Result<(api_key::Model, api_key::Model)> {
        let txn = self.begin_write().await?;
        let old = find_api_key(&txn, scope, company_id, key_id).await?;
        let now = now_ms();
        if !credential_active(old.revoked_at, old.expires_at, now) {
            return Err(Error::Conflict(format!(
                "api key {key_id} is revoked or expired; create a new key instead"
            )));
        }
        let label = old.label.clone();
        // A rotation never extends an expiry that is already sooner.
        let overlap_end = now.saturating_add(overlap_ms);
        let expires_at = old
            .expires_at
            .map_or(overlap_end, |current| Ord::min(current, overlap_end));
        let mut model: api_key::ActiveModel = old.into();
        model.expires_at = Set(Some(expires_at));
        let previous = model.update(&txn).await?;
        let created = insert_api_key(&txn, company_id, &label, new_key, now).await?;
        audit
            .record(
                &txn,
                Some(company_id),
                "api_key",
                &created.id,
                serde_json::json!({
                    "previous_api_key_id": key_id,
                    "previous_expires_at": previous.expires_at,
                    "prefix": created.prefix,
                }),
            )
            .await?;
        txn.commit().await?;
        Ok((created, previous))
    }

    /// The active API key with this hash and its live company, for ingest authentication.
    pub async fn authenticate_api_key(&self, hash: &str) -> Result<Option<api_key::Model>> {
        let now = now_ms();
        let Some(key) = api_key::Entity::find()
            .filter(api_key::Column::KeyHash.eq(hash))
            .one(self.connection())
            .await?
        else {
            return Ok(None);
        };
        if !credential_active(key.revoked_at, key.expires_at, now) {
            return Ok(None);
        }
        let live = company::Entity::find_by_id(key.company_id.clone())
            .filter(company::Column::DeletedAt.is_null())
            .count(self.connection())
            .await?;
        Ok((live == 1).then_some(key))
    }

    // ---- HMAC secrets ----------------------------------------------------

    /// Enables HMAC with a first secret, `id`, kept as `material` says.
    pub async fn enable_hmac(
        &self,
        audit: &Audit,
        scope: &Scope,
        company_id: &str,
        id: &str,
        material: SecretMaterial,
    ) -> Result<(company::Model, hmac_secret::Model)> {
        let txn = self.begin_write().await?;
        let current = find_company(&txn, scope, company_id).await?;
        if current.hmac_enabled {
            return Err(Error::Conflict(
                "hmac is already enabled; use RotateHmacSecret for a new secret".to_owned(),
            ));
        }
        let now = now_ms();
        let secret = insert_hmac_secret(&txn, company_id, id, material, now).await?;
        let mut model: company::ActiveModel = current.into();
        model.hmac_enabled = Set(true);
        model.updated_at = Set(now);
        let updated = model.update(&txn).await?;
        audit
            .record(
                &txn,
                Some(company_id),
                "hmac_secret",
                &secret.id,
                serde_json::json!({}),
            )
            .await?;
        txn.commit().await?;
        Ok((updated, secret))
    }

    /// Adds a new secret; the newest previous one verifies until `now + overlap_ms`,
    /// any older one stops at once, so at most two verify.
    pub async fn rotate_hmac_secret(
        &self,
        audit: &Audit,
        scope: &Scope,
        company_id: &str,
        overlap_ms: i64,
        id: &str,
        material: SecretMaterial,
    ) -> Result<(hmac_secret::Model, Vec<hmac_secret::Model>)> {
        let txn = self.begin_write().await?;
        let current = find_company(&txn, scope, company_id).await?;
        if !current.hmac_enabled {
            return Err(Error::Conflict(
                "hmac is not enabled; use EnableHmac first".to_owned(),
            ));
        }
        let now = now_ms();
        let active = active_hmac_secrets_in(&txn, company_id, now).await?;
        for (index, old) in active.into_iter().enumerate() {
            let expires_at = if index == 0 {
                let overlap_end = now.saturating_add(overlap_ms);
                old.expires_at
                    .map_or(overlap_end, |e| Ord::min(e, overlap_end))
            } else {
                now
            };
            let mut model: hmac_secret::ActiveModel = old.into();
            model.expires_at = Set(Some(expires_at));
            model.update(&txn).await?;
        }
        // Secrets that ended are useless ciphertext: drop them.
        hmac_secret::Entity::delete_many()
            .filter(hmac_secret::Column::CompanyId.eq(company_id))
            .filter(hmac_secret::Column::ExpiresAt.lte(now))
            .exec(&txn)
            .await?;
        let secret = insert_hmac_secret(&txn, company_id, id, material, now).await?;
        audit
            .record(
                &txn,
                Some(company_id),
                "hmac_secret",
                &secret.id,
                serde_json::json!({ "overlap_ms": overlap_ms }),
            )
            .await?;
        let active = active_hmac_secrets_in(&txn, company_id, now).await?;
        txn.commit().await?;
        Ok((secret, active))
    }

    /// Disables HMAC and deletes the company's secrets.
    pub async fn disable_hmac(
        &self,
        audit: &Audit,
        scope: &Scope,
        company_id: &str,
    ) -> Result<company::Model> {
        let txn = self.begin_write().await?;
        let current = find_company(&txn, scope, company_id).await?;
        hmac_secret::Entity::delete_many()
            .filter(hmac_secret::Column::CompanyId.eq(company_id))
            .exec(&txn)
            .await?;
        let mut model: company::ActiveModel = current.into();
        model.hmac_enabled = Set(false);
        model.updated_at = Set(now_ms());
        let updated = model.update(&txn).await?;
        audit
            .record(
                &txn,
                Some(company_id),
                "company",
                company_id,
                serde_json::json!({ "hmac_enabled": false }),
            )
            .await?;
        txn.commit().await?;
        Ok(updated)
    }

    /// The secrets that verify now for a company, newest first (scoped by the
    /// company the caller authenticated as).
    pub async fn active_hmac_secrets(&self, company_id: &str) -> Result<Vec<hmac_secret::Model>> {
        let txn = self.begin_write().await?;
        let secrets = active_hmac_secrets_in(&txn, company_id, now_ms()).await?;
        txn.commit().await?;
        Ok(secrets)
    }

    // ---- technicians -----------------------------------------------------

    /// Creates a technician.
    pub async fn create_technician(
        &self,
        audit: &Audit,
        scope: &Scope,
        new: NewTechnician,
    ) -> Result<technician::Model> {
        let txn = self.begin_write().await?;
        find_company(&txn, scope, &new.company_id).await?;
        let now = now_ms();
        let created = technician::ActiveModel {
            id: Set(new_id()),
            company_id: Set(new.company_id.clone()),
            name: Set(new.name),
            email: Set(new.email.clone()),
            skills: Set(to_json(&new.skills)?),
            on_duty: Set(new.on_duty),
            slack_member_id: Set(new.slack_member_id),
            open_incident_count: Set(0),
            created_at: Set(now),
            updated_at: Set(now),
        }
        .insert(&txn)
        .await
        .map_err(|error| {
            name_taken(
                error,
                &format!("a technician with e-mail {:?} already exists", new.email),
            )
        })?;
        audit
            .record(
                &txn,
                Some(&new.company_id),
                "technician",
                &created.id,
                serde_json::json!({ "name": created.name, "email": created.email }),
            )
            .await?;
        txn.commit().await?;
        Ok(created)
    }

    /// One page of technicians inside the scope (of one company if given).
    pub async fn list_technicians(
        &self,
        scope: &Scope,
        company_id: Option<&str>,
        on_duty_only: bool,
        page: &Page,
    ) -> Result<(Vec<technician::Model>, String)> {
        let mut query =
            technician::Entity::find().filter(scope.condition(technician::Column::CompanyId));
        if let Some(company_id) = company_id {
            find_company(self.connection(), scope, company_id).await?;
            query = query.filter(technician::Column::CompanyId.eq(company_id));
        }
        if on_duty_only {
            query = query.filter(technician::Column::OnDuty.eq(true));
        }
        if let Some(after) = &page.after {
            query = query.filter(technician::Column::Id.gt(after.clone()));
        }
        let rows = query
            .order_by_asc(technician::Column::Id)
            .limit(page.size + 1)
            .all(self.connection())
            .await?;
        Ok(page.finish(rows, |row| &row.id))
    }

    /// Updates a technician.
    pub async fn update_technician(
        &self,
        audit: &Audit,
        scope: &Scope,
        id: &str,
        changes: TechnicianChanges,
    ) -> Result<technician::Model> {
        let txn = self.begin_write().await?;
        let current = find_technician(&txn, scope, id).await?;
        let company_id = current.company_id.clone();
        let details = serde_json::json!({
            "name": changes.name,
            "email": changes.email,
            "skills": changes.skills,
            "on_duty": changes.on_duty,
            "slack_member_id": changes.slack_member_id,
        });
        let mut model: technician::ActiveModel = current.into();
        if let Some(name) = changes.name {
            model.name = Set(name);
        }
        if let Some(email) = changes.email {
            model.email = Set(email);
        }
        if let Some(skills) = changes.skills {
            model.skills = Set(to_json(&skills)?);
        }
        if let Some(on_duty) = changes.on_duty {
            model.on_duty = Set(on_duty);
        }
        if let Some(member) = changes.slack_member_id {
            model.slack_member_id = Set(member);
        }
        model.updated_at = Set(now_ms());
        let updated = model.update(&txn).await.map_err(|error| {
            name_taken(error, "another technician of this company has that e-mail")
        })?;
        audit
            .record(&txn, Some(&company_id), "technician", id, details)
            .await?;
        txn.commit().await?;
        Ok(updated)
    }

    /// Deletes a technician.
    pub async fn delete_technician(
        &self,
        audit: &Audit,
        scope: &Scope,
        id: &str,
    ) -> Result<super::ScopedCompany> {
        let txn = self.begin_write().await?;
        let current = find_technician(&txn, scope, id).await?;
        technician::Entity::delete_by_id(id.to_owned())
            .exec(&txn)
            .await?;
        // The tokens linked to them are linked to no one now.
        operator_token::Entity::update_many()
            .col_expr(
                operator_token::Column::TechnicianId,
                Expr::value(Option::<String>::None),
            )
            .filter(operator_token::Column::TechnicianId.eq(id))
            .exec(&txn)
            .await?;
        audit
            .record(
                &txn,
                Some(&current.company_id),
                "technician",
                id,
                serde_json::json!({ "name": current.name }),
            )
            .await?;
        txn.commit().await?;
        Ok(super::ScopedCompany::system(current.company_id))
    }

    // ---- operator tokens -------------------------------------------------

    /// Creates an operator token limited to `new.company_ids` (empty: all
    /// companies), linked to `new.technician_id` if set. Every company must be
    /// live and inside the creator's scope; so must the technician (NOT_FOUND
    /// otherwise, as everywhere), and it must work for one of the token's
    /// companies when the token is limited to some.
    pub async fn create_operator_token(
        &self,
        audit: &Audit,
        scope: &Scope,
        new: &NewOperatorToken,
        token: &NewCredential,
    ) -> Result<OperatorTokenRecord> {
        let NewOperatorToken {
            name,
            role,
            company_ids,
            technician_id,
            expires_at,
        } = new;
        let txn = self.begin_write().await?;
        for (index, company_id) in company_ids.iter().enumerate() {
            find_company(&txn, scope, company_id)
                .await
                .map_err(|error| match error {
                    Error::NotFound(_) => Error::invalid(
                        &format!("company_ids[{index}]"),
                        format!("company {company_id} not found"),
                    ),
                    other => other,
                })?;
        }
        if let Some(technician_id) = technician_id {
            let technician = find_technician(&txn, scope, technician_id).await?;
            if !company_ids.is_empty() && !company_ids.contains(&technician.company_id) {
                return Err(Error::invalid(
                    "technician_id",
                    format!(
                        "technician {technician_id} works for company {}, which is not in company_ids",
                        technician.company_id
                    ),
                ));
            }
        }
        let now = now_ms();
        let created = operator_token::ActiveModel {
            id: Set(new_id()),
            name: Set(name.to_owned()),
            role: Set(role.as_str().to_owned()),
            prefix: Set(token.prefix.clone()),
            token_hash: Set(token.hash.clone()),
            created_at: Set(now),
            expires_at: Set(*expires_at),
            revoked_at: Set(None),
            technician_id: Set(technician_id.clone()),
        }
        .insert(&txn)
        .await?;
        for company_id in company_ids {
            operator_token_company::ActiveModel {
                token_id: Set(created.id.clone()),
                company_id: Set(company_id.clone()),
            }
            .insert(&txn)
            .await?;
        }
        audit
            .record(
                &txn,
                None,
                "operator_token",
                &created.id,
                serde_json::json!({
                    "name": name,
                    "role": role.as_str(),
                    "company_ids": company_ids,
                    "technician_id": technician_id,
                    "expires_at": expires_at,
                }),
            )
            .await?;
        txn.commit().await?;
        Ok(OperatorTokenRecord {
            token: created,
            company_ids: company_ids.clone(),
        })
    }

    /// Tokens visible to `scope`: all for an unlimited caller; for a limited one,
    /// the limited tokens whose companies are all inside its scope.
    pub async fn list_operator_tokens(
        &self,
        scope: &Scope,
        include_inactive: bool,
        page: &Page,
    ) -> Result<(Vec<OperatorTokenRecord>, String)> {
        let now = now_ms();
        let mut records = Vec::new();
        let mut after = page.after.clone();
        let wanted = usize::try_from(page.size + 1).unwrap_or(usize::MAX);
        // Filtering by scope happens after the query, so read in chunks until the page is full.
        loop {
            let mut query = operator_token::Entity::find();
            if !include_inactive {
                query = query
                    .filter(operator_token::Column::RevokedAt.is_null())
                    .filter(
                        Condition::any()
                            .add(operator_token::Column::ExpiresAt.is_null())
                            .add(operator_token::Column::ExpiresAt.gt(now)),
                    );
            }
            if let Some(after) = &after {
                query = query.filter(operator_token::Column::Id.gt(after.clone()));
            }
            let chunk = query
                .order_by_asc(operator_token::Column::Id)
                .limit(page.size + 1)
                .all(self.connection())
                .await?;
            let exhausted = u64::try_from(chunk.len()).unwrap_or(u64::MAX) < page.size + 1;
            after = chunk.last().map(|token| token.id.clone());
            for token in chunk {
                let company_ids = token_companies(self.connection(), &token.id).await?;
                if token_visible(scope, &company_ids) {
                    records.push(OperatorTokenRecord { token, company_ids });
                }
            }
            if exhausted || records.len() >= wanted {
                break;
            }
        }
        records.truncate(wanted);
        Ok(page.finish(records, |record| &record.token.id))
    }

    /// Revokes a token visible to `scope`.
    pub async fn revoke_operator_token(
        &self,
        audit: &Audit,
        scope: &Scope,
        id: &str,
    ) -> Result<OperatorTokenRecord> {
        let txn = self.begin_write().await?;
        let token = operator_token::Entity::find_by_id(id.to_owned())
            .one(&txn)
            .await?
            .ok_or_else(|| Error::NotFound(format!("operator token {id}")))?;
        let company_ids = token_companies(&txn, id).await?;
        if !token_visible(scope, &company_ids) {
            return Err(Error::NotFound(format!("operator token {id}")));
        }
        let mut model: operator_token::ActiveModel = token.into();
        model.revoked_at = Set(Some(now_ms()));
        let revoked = model.update(&txn).await?;
        audit
            .record(
                &txn,
                None,
                "operator_token",
                id,
                serde_json::json!({ "name": revoked.name }),
            )
            .await?;
        txn.commit().await?;
        Ok(OperatorTokenRecord {
            token: revoked,
            company_ids,
        })
    }

    /// The active token with this hash, with its companies, for authentication.
    pub async fn authenticate_operator_token(
        &self,
        hash: &str,
    ) -> Result<Option<OperatorTokenRecord>> {
        let Some(token) = operator_token::Entity::find()
            .filter(operator_token::Column::TokenHash.eq(hash))
            .one(self.connection())
            .await?
        else {
            return Ok(None);
        };
        if !credential_active(token.revoked_at, token.expires_at, now_ms()) {
            return Ok(None);
        }
        let company_ids = token_companies(self.connection(), &token.id).await?;
        Ok(Some(OperatorTokenRecord { token, company_ids }))
    }

    /// The token with this id, with its companies: the caller's own (GetCaller),
    /// so not scoped.
    pub async fn operator_token(&self, id: &str) -> Result<OperatorTokenRecord> {
        let token = operator_token::Entity::find_by_id(id.to_owned())
            .one(self.connection())
            .await?
            .ok_or_else(|| Error::NotFound(format!("operator token {id}")))?;
        let company_ids = token_companies(self.connection(), &token.id).await?;
        Ok(OperatorTokenRecord { token, company_ids })
    }

    /// The technician with this id inside the scope, or `None` (also when
    /// its company was deleted).
    pub async fn visible_technician(
        &self,
        scope: &Scope,
        id: &str,
    ) -> Result<Option<technician::Model>> {
        match find_technician(self.connection(), scope, id).await {
            Ok(technician) => Ok(Some(technician)),
            Err(Error::NotFound(_)) => Ok(None),
            Err(other) => Err(other),
        }
    }

    /// Whether any operator token exists at all (first start creates one when none does).
    pub async fn has_operator_tokens(&self) -> Result<bool> {
        Ok(operator_token::Entity::find()
            .count(self.connection())
            .await?
            > 0)
    }

    // ---- audit -----------------------------------------------------------

    /// One page of audit events visible to `scope`, newest first. Global events
    /// (no company) are visible only to unlimited callers.
    pub async fn list_audit_events(
        &self,
        scope: &Scope,
        filter: &AuditFilter,
        page: &Page,
    ) -> Result<(Vec<audit_event::Model>, String)> {
        let mut query = audit_event::Entity::find();
        query = match scope {
            Scope::All => query,
            Scope::Companies(_) => query
                .filter(audit_event::Column::CompanyId.is_not_null())
                .filter(scope.condition(audit_event::Column::CompanyId)),
        };
        if let Some(company_id) = &filter.company_id {
            find_company(self.connection(), scope, company_id).await?;
            query = query.filter(audit_event::Column::CompanyId.eq(company_id.clone()));
        }
        if let Some(action) = &filter.action {
            query = query.filter(audit_event::Column::Action.eq(action.clone()));
        }
        if let Some(actor) = &filter.actor {
            query = query.filter(audit_event::Column::Actor.eq(actor.clone()));
        }
        if let Some(start) = filter.start_ms {
            query = query.filter(audit_event::Column::CreatedAt.gte(start));
        }
        if let Some(end) = filter.end_ms {
            query = query.filter(audit_event::Column::CreatedAt.lt(end));
        }
        if let Some(after) = &page.after {
            query = query.filter(audit_event::Column::Id.lt(after.clone()));
        }
        let rows = query
            .order_by_desc(audit_event::Column::Id)
            .limit(page.size + 1)
            .all(self.connection())
            .await?;
        Ok(page.finish(rows, |row| &row.id))
    }
}

fn token_visible(scope: &Scope, company_ids: &[String]) -> bool {
    match scope {
        Scope::All => true,
        Scope::Companies(_) => {
            !company_ids.is_empty() && company_ids.iter().all(|id| scope.allows(id))
        }
    }
}

fn escape_like(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

pub(crate) async fn find_company(
    db: &impl ConnectionTrait,
    scope: &Scope,
    id: &str,
) -> Result<company::Model> {
    company::Entity::find_by_id(id.to_owned())
        .filter(scope.condition(company::Column::Id))
        .filter(company::Column::DeletedAt.is_null())
        .one(db)
        .await?
        .ok_or_else(|| Error::NotFound(format!("company {id}")))
}

async fn find_api_key(
    db: &impl ConnectionTrait,
    scope: &Scope,
    company_id: &str,
    key_id: &str,
) -> Result<api_key::Model> {
    find_company(db, scope, company_id).await?;
    api_key::Entity::find_by_id(key_id.to_owned())
        .filter(scope.condition(api_key::Column::CompanyId))
        .filter(api_key::Column::CompanyId.eq(company_id))
        .one(db)
        .await?
        .ok_or_else(|| Error::NotFound(format!("api key {key_id}")))
}

async fn find_technician(
    db: &impl ConnectionTrait,
    scope: &Scope,
    id: &str,
) -> Result<technician::Model> {
    let technician = technician::Entity::find_by_id(id.to_owned())
        .filter(scope.condition(technician::Column::CompanyId))
        .one(db)
        .await?
        .ok_or_else(|| Error::NotFound(format!("technician {id}")))?;
    // A deleted company's technicians are gone with it.
    find_company(db, scope, &technician.company_id)
        .await
        .map_err(|_| Error::NotFound(format!("technician {id}")))?;
    Ok(technician)
}

async fn token_companies(db: &impl ConnectionTrait, token_id: &str) -> Result<Vec<String>> {
    Ok(operator_token_company::Entity::find()
        .filter(operator_token_company::Column::TokenId.eq(token_id))
        .order_by_asc(operator_token_company::Column::CompanyId)
        .all(db)
        .await?
        .into_iter()
        .map(|grant| grant.company_id)
        .collect())
}

async fn insert_api_key(
    txn: &DatabaseTransaction,
    company_id: &str,
    label: &str,
    key: &NewCredential,
    now: i64,
) -> Result<api_key::Model> {
    Ok(api_key::ActiveModel {
        id: Set(new_id()),
        company_id: Set(company_id.to_owned()),
        prefix: Set(key.prefix.clone()),
        key_hash: Set(key.hash.clone()),
        label: Set(label.to_owned()),
        created_at: Set(now),
        expires_at: Set(None),
        revoked_at: Set(None),
        last_used_at: Set(None),
    }
    .insert(txn)
    .await?)
}

async fn insert_hmac_secret(
    txn: &DatabaseTransaction,
    company_id: &str,
    id: &str,
    material: SecretMaterial,
    now: i64,
) -> Result<hmac_secret::Model> {
    let (nonce, ciphertext, secret_arn, secret_version_id) = match material {
        SecretMaterial::Encrypted { nonce, ciphertext } => (nonce, ciphertext, None, None),
        SecretMaterial::SecretsManager { arn, version_id } => {
            (Vec::new(), Vec::new(), Some(arn), Some(version_id))
        }
    };
    Ok(hmac_secret::ActiveModel {
        id: Set(id.to_owned()),
        company_id: Set(company_id.to_owned()),
        nonce: Set(nonce),
        ciphertext: Set(ciphertext),
        created_at: Set(now),
        expires_at: Set(None),
        secret_arn: Set(secret_arn),
        secret_version_id: Set(secret_version_id),
    }
    .insert(txn)
    .await?)
}

async fn active_hmac_secrets_in(
    db: &impl ConnectionTrait,
    company_id: &str,
    now: i64,
) -> Result<Vec<hmac_secret::Model>> {
    Ok(hmac_secret::Entity::find()
        .filter(hmac_secret::Column::CompanyId.eq(company_id))
        .filter(
            Condition::any()
                .add(hmac_secret::Column::ExpiresAt.is_null())
                .add(hmac_secret::Column::ExpiresAt.gt(now)),
        )
        .order_by_desc(hmac_secret::Column::Id)
        .all(db)
        .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limited_scope_sees_only_tokens_inside_it() {
        let scope = Scope::Companies(vec!["a".to_owned(), "b".to_owned()].into());
        assert!(token_visible(&scope, &["a".to_owned()]));
        assert!(!token_visible(&scope, &["a".to_owned(), "c".to_owned()]));
        assert!(!token_visible(&scope, &[]));
        assert!(token_visible(&Scope::All, &[]));
    }

    #[test]
    fn credential_activity_follows_dates() {
        assert!(credential_active(None, None, 10));
        assert!(credential_active(None, Some(11), 10));
        assert!(!credential_active(None, Some(10), 10));
        assert!(!credential_active(Some(1), None, 10));
    }

    #[test]
    fn like_patterns_are_escaped() {
        assert_eq!(escape_like("50%_a\\"), "50\\%\\_a\\\\");
    }
}
