//! A company's technicians: created, listed, changed, deleted, and found
//! for the operator token linked to one.

use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

use super::{Audit, find_company, name_taken};
use crate::store::entity::{operator_token, technician};
use crate::store::error::{Error, Result};
use crate::store::{Page, Scope, Store, new_id, now_ms, to_json};

/// Fields of a new technician.
#[derive(Debug, Clone)]
pub struct NewTechnician {
    pub company_id: String,
    pub name: String,
    pub email: String,
    pub skills: Vec<String>,
    pub on_duty: bool,
    /// Slack member id; empty for none.
    pub slack_member_id: String,
}

/// Changes to a technician; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct TechnicianChanges {
    pub name: Option<String>,
    /// New e-mail.
    pub email: Option<String>,
    pub skills: Option<Vec<String>>,
    /// New on-duty flag.
    pub on_duty: Option<bool>,
    /// New Slack member id (empty clears it).
    pub slack_member_id: Option<String>,
}

impl Store {
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
    ) -> Result<crate::store::ScopedCompany> {
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
        Ok(crate::store::ScopedCompany::system(current.company_id))
    }
}

pub(super) async fn find_technician(
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
