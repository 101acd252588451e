//! Technicians: the people incidents are assigned to. The company's owner
//! keeps them in memory for automatic assignment, so every change has it
//! reload them.

use super::{Admin, page_of};
use crate::app::AppState;
use crate::auth::Operator;
use crate::domain::tenant::{
    validate_email, validate_name, validate_skills, validate_slack_member_id,
};
use crate::error::Result;
use crate::owner::command::Reload;
use crate::store::entity::technician;
use crate::store::tenant::{NewTechnician, TechnicianChanges};
use crate::store::{Page, ScopedCompany};

/// A technician of a company.
#[derive(Debug, Clone)]
pub struct Technician {
    pub id: String,
    pub company_id: String,
    pub name: String,
    pub email: String,
    /// Normalised skills, sorted.
    pub skills: Vec<String>,
    /// Whether automatic assignment may pick them.
    pub on_duty: bool,
    /// The Slack member id mentioned when they are paged; empty if none.
    pub slack_member_id: String,
    /// Open incidents assigned to them.
    pub open_incident_count: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

impl From<technician::Model> for Technician {
    fn from(model: technician::Model) -> Self {
        Self {
            skills: serde_json::from_str(&model.skills).unwrap_or_default(),
            id: model.id,
            company_id: model.company_id,
            name: model.name,
            email: model.email,
            on_duty: model.on_duty,
            slack_member_id: model.slack_member_id,
            open_incident_count: model.open_incident_count,
            created_at: model.created_at,
            updated_at: model.updated_at,
        }
    }
}

/// One change to a technician as asked, validated by [`update_technician`].
#[derive(Debug, Clone)]
pub enum TechnicianChange {
    Name(String),
    Email(String),
    Skills(Vec<String>),
    OnDuty(bool),
    /// Empty clears it.
    SlackMemberId(String),
}

/// Has the company's owner reload its technicians.
async fn reload_technicians(state: &AppState, company: &ScopedCompany) -> Result<()> {
    state
        .owners
        .reload_company(company, Reload::Technicians)
        .await
}

/// Creates the technician `new` (as asked: its fields are validated here).
pub async fn create_technician(
    state: &AppState,
    admin: &Admin<'_>,
    new: NewTechnician,
) -> Result<Technician> {
    let new = NewTechnician {
        name: validate_name("name", &new.name)?,
        email: validate_email("email", &new.email, true)?,
        skills: validate_skills(&new.skills)?,
        slack_member_id: validate_slack_member_id(&new.slack_member_id)?,
        ..new
    };
    let created = state
        .store
        .create_technician(
            &admin.audit("TenantService.CreateTechnician"),
            admin.scope(),
            new,
        )
        .await?;
    reload_technicians(state, &ScopedCompany::system(created.company_id.clone())).await?;
    Ok(created.into())
}

/// One page of the technicians the operator may see (of `company_id` only,
/// if given; on duty only, if asked), with the next page's token.
pub async fn list_technicians(
    state: &AppState,
    operator: &Operator,
    company_id: Option<&str>,
    on_duty_only: bool,
    page: &Page,
) -> Result<(Vec<Technician>, String)> {
    Ok(page_of(
        state
            .store
            .list_technicians(&operator.scope, company_id, on_duty_only, page)
            .await?,
    ))
}

/// Applies `changes` to the technician `id`, each validated in turn.
pub async fn update_technician(
    state: &AppState,
    admin: &Admin<'_>,
    id: &str,
    changes: Vec<TechnicianChange>,
) -> Result<Technician> {
    let mut validated = TechnicianChanges::default();
    for change in changes {
        match change {
            TechnicianChange::Name(name) => validated.name = Some(validate_name("name", &name)?),
            TechnicianChange::Email(email) => {
                validated.email = Some(validate_email("email", &email, true)?);
            }
            TechnicianChange::Skills(skills) => {
                validated.skills = Some(validate_skills(&skills)?);
            }
            TechnicianChange::SlackMemberId(member) => {
                validated.slack_member_id = Some(validate_slack_member_id(&member)?);
            }
            TechnicianChange::OnDuty(on_duty) => validated.on_duty = Some(on_duty),
        }
    }
    let updated = state
        .store
        .update_technician(
            &admin.audit("TenantService.UpdateTechnician"),
            admin.scope(),
            id,
            validated,
        )
        .await?;
    reload_technicians(state, &ScopedCompany::system(updated.company_id.clone())).await?;
    Ok(updated.into())
}

/// Deletes the technician `id`; the operator tokens linked to them are
/// linked to no one.
pub async fn delete_technician(state: &AppState, admin: &Admin<'_>, id: &str) -> Result<()> {
    let company = state
        .store
        .delete_technician(
            &admin.audit("TenantService.DeleteTechnician"),
            admin.scope(),
            id,
        )
        .await?;
    reload_technicians(state, &company).await
}
