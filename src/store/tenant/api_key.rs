//! A company's API keys: created, listed, revoked, rotated with an overlap,
//! and looked up by hash when a webhook or IngestService call authenticates.

use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseTransaction, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};

use super::{Audit, credential_active, find_company};
use crate::secrets::NewCredential;
use crate::store::entity::{api_key, company};
use crate::store::error::{Error, Result};
use crate::store::{Page, Scope, Store, new_id, now_ms};

impl Store {
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
}

pub(super) async fn find_api_key(
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

pub(super) async fn insert_api_key(
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
