//! The incident lifecycle outside correlation: what a person, a tool or a
//! runbook run does to an incident (acknowledge, assign, resolve, reopen,
//! comment, a remediation's result). A change is a command, so that the
//! company's owner can apply it to its resident state, log it and forward it
//! between replicas; [`apply`] decides what it does to one incident and
//! [`crate::domain::engine::World::change_incident`] carries it out with its
//! cascades (the incident's alerts, its storm parent).

use std::collections::BTreeMap;

use borsh::{BorshDeserialize, BorshSerialize};

use super::error::{Error, Result};
use crate::domain::correlation::Criticality;
use crate::domain::engine::{TechnicianLoad, pick_technician};
use crate::domain::incident::{EventKind, Incident, IncidentStatus};

/// A technician named by the caller of an assignment.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct Assignee {
    /// Technician id (checked to belong to the incident's company).
    pub id: String,
    /// Name, for the timeline.
    pub name: String,
}

/// How a runbook execution for an incident ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub enum RemediationOutcome {
    Succeeded,
    /// It failed or timed out.
    Failed,
    /// It ended otherwise (cancelled, rejected, expired): only noted.
    Ended,
}

/// A change of one incident.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub enum IncidentCommand {
    /// Acknowledge an open incident (nothing changes if it is acknowledged
    /// already; refused once it is resolved).
    Acknowledge {
        /// Optional comment for the timeline.
        comment: String,
    },
    /// Assign it: to `technician`, or, without one, to the on-duty technician
    /// the automatic assignment picks.
    Assign {
        /// The technician; `None` picks automatically.
        technician: Option<Assignee>,
    },
    /// Resolve it (and its alerts).
    Resolve {
        /// How it was resolved.
        resolution: String,
    },
    /// Reopen a resolved incident.
    Reopen {
        /// Why (optional).
        reason: String,
    },
    Comment {
        text: String,
    },
    /// A runbook execution for the incident finished.
    RemediationFinished {
        /// How it ended.
        outcome: RemediationOutcome,
        /// Whether a remediation rule started it (a rule run that succeeds
        /// resolves the incident as self-healed).
        by_rule: bool,
        /// What ran, for the timeline.
        summary: String,
        /// Why it ended so.
        reason: String,
    },
}

/// What [`apply`] needs besides the incident.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    /// When (ms).
    pub now: i64,
    /// The company's asset criticality (priority).
    pub criticality: &'a BTreeMap<String, Criticality>,
    /// On-duty technicians with their open incidents (automatic assignment).
    pub technicians: &'a [TechnicianLoad],
}

/// Applies `command` to `incident` and answers the timeline entries it
/// makes (none when nothing changes), or why it is refused.
pub fn apply(
    command: &IncidentCommand,
    incident: &mut Incident,
    context: Context<'_>,
) -> Result<Vec<(EventKind, String)>> {
    let now = context.now;
    match command {
        IncidentCommand::Acknowledge { comment } => match incident.status {
            IncidentStatus::Resolved => Err(Error::NotAllowed(format!(
                "incident {} is resolved; reopen it first",
                incident.id
            ))),
            IncidentStatus::Acknowledged => Ok(Vec::new()),
            IncidentStatus::Open => {
                incident.acknowledge(now);
                Ok(vec![(
                    EventKind::Acknowledged,
                    if comment.is_empty() {
                        "acknowledged".to_owned()
                    } else {
                        format!("acknowledged: {comment}")
                    },
                )])
            }
        },
        IncidentCommand::Assign { technician } => {
            let (id, name, how) = match technician {
                Some(assignee) => (assignee.id.clone(), assignee.name.clone(), ""),
                None => {
                    let chosen =
                        pick_technician(context.technicians, incident).ok_or_else(|| {
                            Error::NotAllowed(format!(
                                "nobody of company {} is on duty to assign automatically",
                                incident.company_id
                            ))
                        })?;
                    (chosen.id.clone(), chosen.name.clone(), "automatically ")
                }
            };
            if !incident.assign(&id) {
                return Ok(Vec::new());
            }
            Ok(vec![(
                EventKind::Assigned,
                format!("assigned {how}to {name} (technician:{id})"),
            )])
        }
        IncidentCommand::Resolve { resolution } => {
            if incident.status == IncidentStatus::Resolved {
                return Err(Error::NotAllowed(format!(
                    "incident {} is already resolved",
                    incident.id
                )));
            }
            incident.resolve(resolution.as_str(), now);
            Ok(vec![(
                EventKind::Resolved,
                format!("resolved: {resolution}"),
            )])
        }
        IncidentCommand::Reopen { reason } => {
            if incident.status != IncidentStatus::Resolved {
                return Err(Error::NotAllowed(format!(
                    "incident {} is not resolved",
                    incident.id
                )));
            }
            incident.reopen();
            Ok(vec![(
                EventKind::Reopened,
                if reason.is_empty() {
                    "reopened".to_owned()
                } else {
                    format!("reopened: {reason}")
                },
            )])
        }
        IncidentCommand::Comment { text } => Ok(vec![(EventKind::Commented, text.clone())]),
        IncidentCommand::RemediationFinished {
            outcome,
            by_rule,
            summary,
            reason,
        } => Ok(remediation_finished(
            incident, *outcome, *by_rule, summary, reason, context,
        )),
    }
}

/// A finished run's result: a successful rule run resolves the incident as
/// self-healed; a failed one raises its priority and assigns it when nobody
/// has it.
fn remediation_finished(
    incident: &mut Incident,
    outcome: RemediationOutcome,
    by_rule: bool,
    summary: &str,
    reason: &str,
    context: Context<'_>,
) -> Vec<(EventKind, String)> {
    let mut changes = Vec::new();
    match outcome {
        RemediationOutcome::Succeeded => {
            changes.push((EventKind::RemediationSucceeded, summary.to_owned()));
            if by_rule && incident.is_open() {
                incident.resolve(format!("Self-healed by {summary}"), context.now);
                incident.self_healed = true;
                changes.push((
                    EventKind::Resolved,
                    format!("resolved: self-healed by {summary}"),
                ));
            }
        }
        RemediationOutcome::Failed => {
            changes.push((EventKind::RemediationFailed, format!("{summary}: {reason}")));
            if incident.is_open() {
                incident.remediation_failed = true;
                if let Some(before) = incident.reprioritize(context.criticality) {
                    changes.push((
                        EventKind::PriorityChanged,
                        format!(
                            "priority P{before} → P{} (remediation failed)",
                            incident.priority
                        ),
                    ));
                }
                if incident.assigned_technician_id.is_none()
                    && let Some(technician) = pick_technician(context.technicians, incident)
                {
                    incident.assign(&technician.id);
                    changes.push((
                        EventKind::Assigned,
                        format!(
                            "assigned to {} automatically after the failed remediation",
                            technician.name
                        ),
                    ));
                }
            }
        }
        RemediationOutcome::Ended => {}
    }
    changes
}
