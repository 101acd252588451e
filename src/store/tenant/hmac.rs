//! A company's HMAC secrets for signed webhooks: enabled, rotated with an
//! overlap, disabled; the value encrypted in the database or kept in AWS
//! Secrets Manager.

use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseTransaction, EntityTrait,
    QueryFilter, QueryOrder, Set,
};

use super::{Audit, find_company};
use crate::store::entity::{company, hmac_secret};
use crate::store::error::{Error, Result};
use crate::store::{Scope, Store, now_ms};

/// Where a new HMAC secret's value is kept.
#[derive(Debug, Clone)]
pub enum SecretMaterial {
    /// In the database, encrypted with the master key.
    Encrypted {
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

impl Store {
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
