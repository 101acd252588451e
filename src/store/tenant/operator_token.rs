//! Operator tokens: created (limited to companies or not, linked to a
//! technician or not), listed in the caller's scope, revoked, and looked up
//! by hash when an operator authenticates.

use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Set,
};

use super::technician::find_technician;
use super::{Audit, credential_active, find_company};
use crate::domain::tenant::Role;
use crate::secrets::NewCredential;
use crate::store::entity::{operator_token, operator_token_company, technician};
use crate::store::error::{Error, Result};
use crate::store::{Page, Scope, Store, new_id, now_ms};

/// An operator token with the companies it is limited to (empty: all).
#[derive(Debug, Clone)]
pub struct OperatorTokenRecord {
    pub token: operator_token::Model,
    /// Granted companies.
    pub company_ids: Vec<String>,
}

/// Fields of a new operator token.
#[derive(Debug, Clone)]
pub struct NewOperatorToken {
    pub name: String,
    pub role: Role,
    /// Companies it is limited to (sorted, deduplicated); empty for all.
    pub company_ids: Vec<String>,
    /// The technician it is linked to.
    pub technician_id: Option<String>,
    /// End of validity (ms); `None` for none.
    pub expires_at: Option<i64>,
}

impl Store {
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
}

pub(super) fn token_visible(scope: &Scope, company_ids: &[String]) -> bool {
    match scope {
        Scope::All => true,
        Scope::Companies(_) => {
            !company_ids.is_empty() && company_ids.iter().all(|id| scope.allows(id))
        }
    }
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
