//! Companies: created with their first API key, listed in the caller's
//! scope, changed, deleted (soft), and given an AWS role.

use sea_orm::sea_query::{Expr, ExprTrait, Func, LikeExpr};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

use super::api_key::insert_api_key;
use super::{Audit, escape_like, name_taken};
use crate::secrets::NewCredential;
use crate::store::entity::{api_key, company};
use crate::store::error::{Error, Result};
use crate::store::{Page, Scope, Store, new_id, now_ms};

/// Fields of a new company.
#[derive(Debug, Clone)]
pub struct NewCompany {
    pub name: String,
    pub website: String,
    /// Validated contact e-mail.
    pub contact_email: String,
}

/// Changes to a company; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct CompanyChanges {
    pub name: Option<String>,
    pub website: Option<String>,
    /// New contact e-mail.
    pub contact_email: Option<String>,
}

impl Store {
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
