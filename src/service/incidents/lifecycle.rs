//! A person's work on an incident: acknowledge, assign, resolve, reopen and
//! comment (technician). Each is a command that the incident's company's
//! owner applies (`domain::lifecycle::apply` decides it, with its cascades
//! to the incident's alerts and storm parent) and records on the timeline.

use crate::app::AppState;
use crate::auth::Operator;
use crate::domain::incident::Incident;
use crate::domain::lifecycle::{Assignee, IncidentCommand};
use crate::domain::tenant::Role;
use crate::error::{Error, Result};
use crate::store::ScopedCompany;
use crate::store::event_log::StoredEvent;

/// The company of an incident the caller may see (NOT_FOUND otherwise),
/// once the caller is checked to be a technician.
async fn company_of(
    state: &AppState,
    operator: &Operator,
    incident_id: &str,
) -> Result<ScopedCompany> {
    operator.require(Role::Technician)?;
    Ok(state
        .store
        .incident_company(&operator.scope, incident_id)
        .await?)
}

/// Has the owner of the incident's `company` apply `command` as the caller;
/// answers the incident after it and the timeline entries it made.
async fn change(
    state: &AppState,
    operator: &Operator,
    company: &ScopedCompany,
    incident_id: &str,
    command: IncidentCommand,
) -> Result<(Incident, Vec<StoredEvent>)> {
    state
        .owners
        .change_incident(company, incident_id, &operator.actor(), command)
        .await
}

/// Has the owner of the incident's company (found in the caller's scope)
/// apply `command`.
async fn apply(
    state: &AppState,
    operator: &Operator,
    incident_id: &str,
    command: IncidentCommand,
) -> Result<(Incident, Vec<StoredEvent>)> {
    let company = company_of(state, operator, incident_id).await?;
    change(state, operator, &company, incident_id, command).await
}

/// AcknowledgeIncident: an open incident acknowledged (`comment`, if not
/// empty, on the timeline); refused once it is resolved.
pub async fn acknowledge(
    state: &AppState,
    operator: &Operator,
    incident_id: &str,
    comment: String,
) -> Result<Incident> {
    let (incident, _) = apply(
        state,
        operator,
        incident_id,
        IncidentCommand::Acknowledge { comment },
    )
    .await?;
    Ok(incident)
}

/// Whom AssignIncident gives an incident to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Assignment<'a> {
    /// A technician of the incident's company, by id (NOT_FOUND otherwise).
    Technician(&'a str),
    /// The on-duty technician that the automatic assignment picks.
    Automatic,
}

/// AssignIncident: the incident given to a technician of its company.
pub async fn assign(
    state: &AppState,
    operator: &Operator,
    incident_id: &str,
    to: Assignment<'_>,
) -> Result<Incident> {
    let company = company_of(state, operator, incident_id).await?;
    let technician = match to {
        Assignment::Automatic => None,
        Assignment::Technician(technician_id) => {
            let technician = state
                .store
                .company_technician(&company, technician_id)
                .await?;
            Some(Assignee {
                id: technician.id,
                name: technician.name,
            })
        }
    };
    let command = IncidentCommand::Assign { technician };
    let (incident, _) = change(state, operator, &company, incident_id, command).await?;
    Ok(incident)
}

/// ResolveIncident: the incident and its alerts resolved with `resolution`.
pub async fn resolve(
    state: &AppState,
    operator: &Operator,
    incident_id: &str,
    resolution: String,
) -> Result<Incident> {
    let (incident, _) = apply(
        state,
        operator,
        incident_id,
        IncidentCommand::Resolve { resolution },
    )
    .await?;
    Ok(incident)
}

/// ReopenIncident: a resolved incident opened again (`reason`, if not empty,
/// on the timeline).
pub async fn reopen(
    state: &AppState,
    operator: &Operator,
    incident_id: &str,
    reason: String,
) -> Result<Incident> {
    let (incident, _) = apply(
        state,
        operator,
        incident_id,
        IncidentCommand::Reopen { reason },
    )
    .await?;
    Ok(incident)
}

/// AddComment: `text` on the incident's timeline; answers its entry.
pub async fn add_comment(
    state: &AppState,
    operator: &Operator,
    incident_id: &str,
    text: String,
) -> Result<StoredEvent> {
    let (_, events) = apply(
        state,
        operator,
        incident_id,
        IncidentCommand::Comment { text },
    )
    .await?;
    events
        .into_iter()
        .next()
        .ok_or_else(|| Error::Internal("the comment was not recorded".to_owned()))
}
