//! A company's event log as the tables hold it: incident events (timelines,
//! WatchIncidents) and execution events (WatchExecutions), one sequence for
//! both. The company's owner gives out the sequences and the projector
//! writes the entries; streams read the entries the owner's memory no longer
//! holds from here.

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::entity::{execution_event, incident_event, incident_sequence};
use super::error::{Error, Result};
use super::{ScopedCompany, Store};
use crate::domain::execution::{ExecEventKind, Execution};
use crate::domain::incident::{EventKind, Incident};
use crate::domain::record::IncidentEntry;

/// The PostgreSQL channel that announces new log entries to replicas.
pub const NOTIFY_CHANNEL: &str = "aw_incident_events";

/// A stored incident event.
#[derive(Debug, Clone)]
pub struct StoredEvent {
    /// Position in the company's log.
    pub sequence: i64,
    pub id: String,
    pub company_id: String,
    pub incident_id: String,
    pub kind: EventKind,
    pub actor: String,
    pub message: String,
    /// When (ms).
    pub at: i64,
    /// The incident right after the change.
    pub incident: Incident,
}

/// A stored execution event.
#[derive(Debug, Clone)]
pub struct StoredExecEvent {
    /// Position in the company's log.
    pub sequence: i64,
    pub kind: ExecEventKind,
    pub actor: String,
    pub message: String,
    /// When (ms).
    pub at: i64,
    /// The execution right after the change.
    pub execution: Execution,
}

/// One entry of a company's event log.
// As `owner::record::Entry`: mostly incident events, kept unboxed.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum LogEntry {
    Incident(StoredEvent),
    Execution(StoredExecEvent),
    /// An entry that cannot be shown (its snapshot is unreadable).
    Skipped(i64),
}

impl LogEntry {
    /// Its sequence.
    pub fn sequence(&self) -> i64 {
        match self {
            LogEntry::Incident(event) => event.sequence,
            LogEntry::Execution(event) => event.sequence,
            LogEntry::Skipped(sequence) => *sequence,
        }
    }
}

/// The stored snapshot of an incident: its JSON without the ids the row
/// carries, the search text, and fields at their defaults.
pub(crate) fn snapshot_json(incident: &Incident) -> Result<String> {
    super::to_json(incident)
}

/// An incident event from its row.
pub(crate) fn stored_event_of(row: incident_event::Model) -> Result<StoredEvent> {
    let mut incident: Incident = serde_json::from_str(&row.snapshot)
        .map_err(|error| Error::Internal(format!("incident event {}: {error}", row.id)))?;
    // Snapshots leave out the ids the row carries.
    incident.id.clone_from(&row.incident_id);
    incident.company_id.clone_from(&row.company_id);
    Ok(StoredEvent {
        sequence: row.sequence,
        id: row.id,
        company_id: row.company_id,
        incident_id: row.incident_id,
        kind: EventKind::from_i16(row.kind).unwrap_or(EventKind::Commented),
        actor: row.actor,
        message: row.message,
        at: row.created_at,
        incident,
    })
}

fn stored_exec_event_of(row: execution_event::Model) -> Result<StoredExecEvent> {
    Ok(StoredExecEvent {
        sequence: row.sequence,
        kind: ExecEventKind::from_i16(row.kind).unwrap_or(ExecEventKind::InvocationUpdated),
        actor: row.actor,
        message: row.message,
        at: row.created_at,
        execution: serde_json::from_str(&row.snapshot)
            .map_err(|error| Error::Internal(format!("execution event {}: {error}", row.id)))?,
    })
}

impl StoredEvent {
    /// A logged incident entry of `company_id` as the tables and the streams
    /// show it.
    pub fn of_entry(entry: IncidentEntry, company_id: &str) -> Self {
        let mut incident = entry.incident;
        incident.company_id = company_id.to_owned();
        Self {
            sequence: entry.sequence,
            id: entry.id,
            company_id: company_id.to_owned(),
            incident_id: incident.id.clone(),
            kind: entry.kind,
            actor: entry.actor,
            message: entry.message,
            at: entry.at,
            incident,
        }
    }
}

impl Store {
    /// Incident events of a company after `after`, oldest first, at most `limit`.
    pub async fn events_after(
        &self,
        company: &ScopedCompany,
        after: i64,
        limit: u64,
    ) -> Result<Vec<StoredEvent>> {
        incident_event::Entity::find()
            .filter(incident_event::Column::CompanyId.eq(company.id()))
            .filter(incident_event::Column::Sequence.gt(after))
            .order_by_asc(incident_event::Column::Sequence)
            .limit(limit)
            .all(self.connection())
            .await?
            .into_iter()
            .map(stored_event_of)
            .collect()
    }

    /// Execution events of a company after `after`, oldest first, at most `limit`.
    pub async fn execution_events_after(
        &self,
        company: &ScopedCompany,
        after: i64,
        limit: u64,
    ) -> Result<Vec<StoredExecEvent>> {
        execution_event::Entity::find()
            .filter(execution_event::Column::CompanyId.eq(company.id()))
            .filter(execution_event::Column::Sequence.gt(after))
            .order_by_asc(execution_event::Column::Sequence)
            .limit(limit)
            .all(self.connection())
            .await?
            .into_iter()
            .map(stored_exec_event_of)
            .collect()
    }

    /// The company's last sequence the tables hold (0 before any entry).
    pub async fn head_sequence(&self, company: &ScopedCompany) -> Result<i64> {
        Ok(
            incident_sequence::Entity::find_by_id(company.id().to_owned())
                .one(self.connection())
                .await?
                .map_or(0, |row| row.sequence),
        )
    }

    /// The oldest sequence the company's log (incident and execution
    /// events) still holds.
    pub async fn oldest_sequence(&self, company: &ScopedCompany) -> Result<Option<i64>> {
        let incidents = incident_event::Entity::find()
            .select_only()
            .column(incident_event::Column::Sequence)
            .filter(incident_event::Column::CompanyId.eq(company.id()))
            .order_by_asc(incident_event::Column::Sequence)
            .into_tuple::<i64>()
            .one(self.connection())
            .await?;
        let executions = execution_event::Entity::find()
            .select_only()
            .column(execution_event::Column::Sequence)
            .filter(execution_event::Column::CompanyId.eq(company.id()))
            .order_by_asc(execution_event::Column::Sequence)
            .into_tuple::<i64>()
            .one(self.connection())
            .await?;
        Ok(incidents.into_iter().chain(executions).min())
    }
}
