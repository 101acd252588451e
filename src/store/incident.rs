//! Incidents: correlation passes (load the state a batch of pending events can
//! touch, run the engine, write back what changed, all in one transaction under
//! the company's lock), the incident lifecycle, the event log, and KPIs.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use sea_orm::sea_query::{Expr, ExprTrait, OnConflict, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, DbBackend, EntityTrait, FromQueryResult,
    QueryFilter, QueryOrder, QuerySelect, QueryTrait, Set, Statement, TransactionTrait,
};

use super::correlation::settings_of;
use super::entity::{
    alert, alert_event, alert_outcome, correlation_config, incident, incident_event,
    incident_sequence, inhibition_rule, silence, technician,
};
use super::execution::RemediationPlan;
use super::inhibition::equal_key;
use super::tenant::find_company;
use super::{Page, Scope, Store, new_id, now_ms, to_json};
use crate::domain::correlation::{
    AlertRef, CorrelationSettings, MATCHER_FIELDS, Matcher, all_match,
};
use crate::domain::engine::{
    EventResult, FeedEntry, InhibitionRule, SilenceRule, TechnicianLoad, World, event_order,
};
use crate::domain::incident::{
    AlertRecord, AlertStatus, Decision, EventKind, Incident, IncidentStatus, KpiSums, Outcome,
};
use crate::domain::ingest::{AlertEvent, AlertEventAction, AlertSeverity};
use crate::error::{Error, Result};

/// Most pending events one correlation pass takes.
pub const PASS_EVENTS: u64 = 2000;
/// Rows per multi-row INSERT (keeps under both backends' parameter limits).
const ROWS_PER_INSERT: usize = 400;
/// The PostgreSQL channel that announces new incident events to replicas.
pub const NOTIFY_CHANNEL: &str = "aw_incident_events";

/// An incident as `GetIncident` shows it (see [`Store::incident_view`]).
#[derive(Debug, Clone)]
pub struct IncidentView {
    /// The incident.
    pub incident: Incident,
    /// Its latest alerts, latest first.
    pub alerts: Vec<AlertRecord>,
    /// Whether it has more alerts than were asked for.
    pub alerts_truncated: bool,
    /// Oldest first (at most the newest 5,000 entries).
    pub timeline: Vec<StoredEvent>,
}

async fn find_incident(
    db: &impl ConnectionTrait,
    scope: &Scope,
    incident_id: &str,
) -> Result<Incident> {
    incident::Entity::find_by_id(incident_id.to_owned())
        .filter(scope.condition(incident::Column::CompanyId))
        .one(db)
        .await?
        .map(incident_of)
        .ok_or_else(|| Error::NotFound(format!("incident {incident_id}")))
}

/// Whether a pass runs because alerts arrived or because someone asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PassMode {
    /// Alerts arrived: skipped while auto-correlate is off.
    Auto,
    /// CorrelateNow: runs whatever the setting.
    Manual,
}

/// What one correlation pass did.
#[derive(Debug, Clone, Default)]
pub struct PassOutcome {
    /// One result per processed event.
    pub results: Vec<EventResult>,
    /// The company's last event-log sequence after the pass (0 if none).
    pub sequence: i64,
    /// Incident events appended.
    pub events_appended: usize,
    /// Incidents opened.
    pub incidents_created: usize,
    /// Whether more events were pending than the pass took.
    pub more: bool,
    /// Whether the pass was skipped because auto-correlate is off.
    pub skipped: bool,
    /// Creation-to-resolution (ms) of incidents the pass resolved.
    pub resolved_after_ms: Vec<i64>,
    /// Creation-to-first-acknowledgement (ms) of incidents a tool acknowledged.
    pub acknowledged_after_ms: Vec<i64>,
}

/// An incident filter (ListIncidents).
#[derive(Debug, Clone, Default)]
pub struct IncidentFilter {
    /// Companies; empty for any in scope.
    pub company_ids: Vec<String>,
    /// Priorities 1–4; empty for any.
    pub priorities: Vec<i16>,
    /// Statuses; empty for any.
    pub statuses: Vec<i16>,
    /// Exact asset.
    pub asset: Option<String>,
    /// Created at or after (ms).
    pub created_from: Option<i64>,
    /// Created before (ms).
    pub created_before: Option<i64>,
    /// Words that must all occur (lower-case).
    pub words: Vec<String>,
    /// Assigned technician.
    pub technician_id: Option<String>,
    /// Storm parent.
    pub parent_incident_id: Option<String>,
}

/// One change of an incident by a person or a tool outside correlation.
#[derive(Debug, Clone)]
pub struct IncidentChange {
    /// What happened.
    pub kind: EventKind,
    /// Description.
    pub message: String,
}

/// A stored incident event.
#[derive(Debug, Clone)]
pub struct StoredEvent {
    /// Position in the company's log.
    pub sequence: i64,
    /// Event id.
    pub id: String,
    /// Company.
    pub company_id: String,
    /// Incident.
    pub incident_id: String,
    /// Kind.
    pub kind: EventKind,
    /// Who.
    pub actor: String,
    /// What.
    pub message: String,
    /// When (ms).
    pub at: i64,
    /// The incident right after the change.
    pub incident: Incident,
}

/// Counts for GetNoiseStats.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NoiseCounts {
    /// Trigger events.
    pub alerts: i64,
    /// Incidents created.
    pub incidents: i64,
    /// Per outcome number, trigger events.
    pub by_outcome: BTreeMap<i16, i64>,
    /// Trigger events still pending.
    pub pending: i64,
    /// Flapping incidents created.
    pub flapping: i64,
    /// Storm parents created.
    pub storms: i64,
}

fn json_vec<T: serde::de::DeserializeOwned>(text: &str) -> Vec<T> {
    serde_json::from_str(text).unwrap_or_default()
}

/// A domain incident from its row.
pub fn incident_of(row: incident::Model) -> Incident {
    Incident {
        id: row.id,
        company_id: row.company_id,
        aggregation_key: row.aggregation_key,
        asset: row.asset,
        signature: row.signature,
        summary: row.summary,
        status: IncidentStatus::from_i16(row.status).unwrap_or(IncidentStatus::Open),
        priority: u8::try_from(row.priority).unwrap_or(4),
        priority_reasons: json_vec(&row.priority_reasons),
        alert_count: row.alert_count,
        firing_alert_count: row.firing_alert_count,
        tools: json_vec::<String>(&row.tools).into_iter().collect(),
        severity: AlertSeverity::from_i16(row.severity).unwrap_or(AlertSeverity::Info),
        assigned_technician_id: row.assigned_technician_id,
        parent_incident_id: row.parent_incident_id,
        is_storm_parent: row.is_storm_parent,
        child_incident_count: row.child_incident_count,
        open_child_count: row.open_child_count,
        flapping: row.flapping,
        self_healed: row.self_healed,
        remediation_failed: row.remediation_failed,
        resolution: row.resolution,
        search_text: row.search_text,
        first_alert_at: row.first_alert_at,
        last_alert_at: row.last_alert_at,
        created_at: row.created_at,
        acknowledged_at: row.acknowledged_at,
        first_acknowledged_at: row.first_acknowledged_at,
        resolved_at: row.resolved_at,
        updated_at: row.updated_at,
    }
}

fn incident_row(incident: &Incident) -> Result<incident::ActiveModel> {
    Ok(incident::ActiveModel {
        id: Set(incident.id.clone()),
        company_id: Set(incident.company_id.clone()),
        aggregation_key: Set(incident.aggregation_key.clone()),
        asset: Set(incident.asset.clone()),
        signature: Set(incident.signature.clone()),
        summary: Set(incident.summary.clone()),
        status: Set(incident.status.as_i16()),
        priority: Set(i16::from(incident.priority)),
        priority_reasons: Set(to_json(&incident.priority_reasons)?),
        alert_count: Set(incident.alert_count),
        firing_alert_count: Set(incident.firing_alert_count),
        tools: Set(to_json(&incident.tools)?),
        severity: Set(incident.severity.as_i16()),
        assigned_technician_id: Set(incident.assigned_technician_id.clone()),
        parent_incident_id: Set(incident.parent_incident_id.clone()),
        is_storm_parent: Set(incident.is_storm_parent),
        child_incident_count: Set(incident.child_incident_count),
        open_child_count: Set(incident.open_child_count),
        flapping: Set(incident.flapping),
        self_healed: Set(incident.self_healed),
        remediation_failed: Set(incident.remediation_failed),
        resolution: Set(incident.resolution.clone()),
        search_text: Set(incident.search_text.clone()),
        first_alert_at: Set(incident.first_alert_at),
        last_alert_at: Set(incident.last_alert_at),
        created_at: Set(incident.created_at),
        acknowledged_at: Set(incident.acknowledged_at),
        first_acknowledged_at: Set(incident.first_acknowledged_at),
        resolved_at: Set(incident.resolved_at),
        updated_at: Set(incident.updated_at),
    })
}

/// A domain alert from its row.
pub fn alert_of(row: alert::Model) -> AlertRecord {
    AlertRecord {
        id: row.id,
        company_id: row.company_id,
        incident_id: row.incident_id,
        dedup_key: row.dedup_key,
        aggregation_key: row.aggregation_key,
        asset: row.asset,
        signature: row.signature,
        severity: AlertSeverity::from_i16(row.severity).unwrap_or(AlertSeverity::Info),
        message: row.message,
        tool_source: row.tool_source,
        labels: serde_json::from_str(&row.labels).unwrap_or_default(),
        occurred_at: row.occurred_at,
        received_at: row.received_at,
        last_occurred_at: row.last_occurred_at,
        resolved_at: row.resolved_at,
        status: AlertStatus::from_i16(row.status).unwrap_or(AlertStatus::Firing),
        count: row.count,
        external_id: row.external_id,
        link: row.link,
        outcome: Outcome::from_i16(row.outcome).unwrap_or(Outcome::Stored),
        suppressed_by_id: row.suppressed_by_id,
        flap_history: json_vec(&row.flap_history),
    }
}

fn alert_row(alert: &AlertRecord) -> Result<alert::ActiveModel> {
    Ok(alert::ActiveModel {
        id: Set(alert.id.clone()),
        company_id: Set(alert.company_id.clone()),
        incident_id: Set(alert.incident_id.clone()),
        dedup_key: Set(alert.dedup_key.clone()),
        aggregation_key: Set(alert.aggregation_key.clone()),
        asset: Set(alert.asset.clone()),
        signature: Set(alert.signature.clone()),
        severity: Set(alert.severity.as_i16()),
        message: Set(alert.message.clone()),
        tool_source: Set(alert.tool_source.clone()),
        labels: Set(to_json(&alert.labels)?),
        occurred_at: Set(alert.occurred_at),
        received_at: Set(alert.received_at),
        last_occurred_at: Set(alert.last_occurred_at),
        resolved_at: Set(alert.resolved_at),
        status: Set(alert.status.as_i16()),
        count: Set(alert.count),
        external_id: Set(alert.external_id.clone()),
        link: Set(alert.link.clone()),
        outcome: Set(alert.outcome.as_i16()),
        suppressed_by_id: Set(alert.suppressed_by_id.clone()),
        flap_history: Set(to_json(&alert.flap_history)?),
    })
}

/// A validated event from its stored row.
pub fn event_of(row: &alert_event::Model) -> AlertEvent {
    AlertEvent {
        asset: row.asset.clone(),
        signature: row.signature.clone(),
        severity: AlertSeverity::from_i16(row.severity).unwrap_or(AlertSeverity::Info),
        message: row.message.clone(),
        tool_source: row.tool_source.clone(),
        labels: serde_json::from_str(&row.labels).unwrap_or_default(),
        occurred_at_ms: row.occurred_at,
        action: AlertEventAction::from_i16(row.action).unwrap_or(AlertEventAction::Trigger),
        dedup_key: row.dedup_key.clone(),
        external_id: row.external_id.clone(),
        link: row.link.clone(),
        delivery_id: row.delivery_id.clone(),
    }
}

fn stored_event_of(row: incident_event::Model) -> Result<StoredEvent> {
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

const INCIDENT_UPDATE_COLUMNS: [incident::Column; 27] = [
    incident::Column::Summary,
    incident::Column::Status,
    incident::Column::Priority,
    incident::Column::PriorityReasons,
    incident::Column::AlertCount,
    incident::Column::FiringAlertCount,
    incident::Column::Tools,
    incident::Column::Severity,
    incident::Column::AssignedTechnicianId,
    incident::Column::ParentIncidentId,
    incident::Column::IsStormParent,
    incident::Column::ChildIncidentCount,
    incident::Column::OpenChildCount,
    incident::Column::Flapping,
    incident::Column::SelfHealed,
    incident::Column::RemediationFailed,
    incident::Column::Resolution,
    incident::Column::SearchText,
    incident::Column::FirstAlertAt,
    incident::Column::LastAlertAt,
    incident::Column::AcknowledgedAt,
    incident::Column::FirstAcknowledgedAt,
    incident::Column::ResolvedAt,
    incident::Column::UpdatedAt,
    incident::Column::Asset,
    incident::Column::Signature,
    incident::Column::AggregationKey,
];

const ALERT_UPDATE_COLUMNS: [alert::Column; 14] = [
    alert::Column::IncidentId,
    alert::Column::Severity,
    alert::Column::Message,
    alert::Column::LastOccurredAt,
    alert::Column::ResolvedAt,
    alert::Column::Status,
    alert::Column::Count,
    alert::Column::Outcome,
    alert::Column::SuppressedById,
    alert::Column::FlapHistory,
    alert::Column::Labels,
    alert::Column::AggregationKey,
    alert::Column::ExternalId,
    alert::Column::Link,
];

async fn upsert_incidents(txn: &DatabaseTransaction, incidents: &[&Incident]) -> Result<()> {
    for chunk in incidents.chunks(ROWS_PER_INSERT) {
        let rows = chunk
            .iter()
            .map(|incident| incident_row(incident))
            .collect::<Result<Vec<_>>>()?;
        incident::Entity::insert_many(rows)
            .on_conflict(
                OnConflict::column(incident::Column::Id)
                    .update_columns(INCIDENT_UPDATE_COLUMNS)
                    .to_owned(),
            )
            .exec_without_returning(txn)
            .await?;
    }
    Ok(())
}

async fn upsert_alerts(txn: &DatabaseTransaction, alerts: &[&AlertRecord]) -> Result<()> {
    for chunk in alerts.chunks(ROWS_PER_INSERT) {
        let rows = chunk
            .iter()
            .map(|alert| alert_row(alert))
            .collect::<Result<Vec<_>>>()?;
        alert::Entity::insert_many(rows)
            .on_conflict(
                OnConflict::column(alert::Column::Id)
                    .update_columns(ALERT_UPDATE_COLUMNS)
                    .to_owned(),
            )
            .exec_without_returning(txn)
            .await?;
    }
    Ok(())
}

/// Takes the company's lock row (creating it) and answers its last sequence.
/// On PostgreSQL the upsert holds the row lock until the transaction ends, so
/// every change of one company's incidents is serialised across replicas; on
/// SQLite it makes the transaction a writer from its first statement.
pub(super) async fn lock_company(txn: &DatabaseTransaction, company_id: &str) -> Result<i64> {
    lock_companies(txn, &[company_id])
        .await?
        .remove(company_id)
        .ok_or_else(|| Error::Internal("the sequence upsert returned no row".to_owned()))
}

/// An upsert of `incident_sequences` rows (company, sequence).
fn sequence_upsert<'a>(
    rows: impl Iterator<Item = (&'a str, i64)>,
    on_conflict: OnConflict,
) -> sea_orm::sea_query::InsertStatement {
    let mut statement = Query::insert();
    statement
        .into_table(incident_sequence::Entity)
        .columns([
            incident_sequence::Column::CompanyId,
            incident_sequence::Column::Sequence,
        ])
        .on_conflict(on_conflict);
    for (company_id, sequence) in rows {
        statement.values_panic([company_id.into(), sequence.into()]);
    }
    statement
}

/// Takes the locks of several companies (sorted, distinct) in one statement,
/// in that order; answers each one's last sequence (see [`lock_company`]).
async fn lock_companies(
    txn: &DatabaseTransaction,
    companies: &[&str],
) -> Result<HashMap<String, i64>> {
    // Setting the sequence to itself: a write that takes the row's lock.
    let keep = OnConflict::column(incident_sequence::Column::CompanyId)
        .value(
            incident_sequence::Column::Sequence,
            Expr::col((
                incident_sequence::Entity,
                incident_sequence::Column::Sequence,
            )),
        )
        .to_owned();
    let mut statement = sequence_upsert(companies.iter().map(|c| (*c, 0)), keep);
    statement.returning(Query::returning().columns([
        incident_sequence::Column::CompanyId,
        incident_sequence::Column::Sequence,
    ]));
    txn.query_all(&statement)
        .await?
        .into_iter()
        .map(|row| {
            Ok((
                row.try_get::<String>("", "company_id")?,
                row.try_get::<i64>("", "sequence")?,
            ))
        })
        .collect()
}

/// The alerts a pass's events can repeat, resolve or inherit flapping history
/// from: by dedup key, firing or resolved since `earliest`.
fn alerts_by_dedup_key(
    companies: Vec<String>,
    dedup_keys: Vec<String>,
    earliest: i64,
) -> sea_orm::Select<alert::Entity> {
    alert::Entity::find()
        .filter(alert::Column::CompanyId.is_in(companies))
        .filter(alert::Column::DedupKey.is_in(dedup_keys))
        .filter(
            alert::Column::Status
                .ne(AlertStatus::Resolved.as_i16())
                .or(alert::Column::ResolvedAt.gte(earliest)),
        )
}

/// The open incidents a pass's events can join: by aggregation key.
fn open_incidents_by_key(
    companies: Vec<String>,
    keys: Vec<String>,
) -> sea_orm::Select<incident::Entity> {
    incident::Entity::find()
        .filter(incident::Column::CompanyId.is_in(companies))
        .filter(incident::Column::Status.ne(IncidentStatus::Resolved.as_i16()))
        .filter(incident::Column::AggregationKey.is_in(keys))
}

/// The open incidents that count for a storm of the signatures: storm parents
/// and the incidents not folded yet, with an alert since `since`. The
/// children of a storm (thousands in a big one) are not needed to decide, and
/// loading them made each pass cost as much as the storm was large.
fn storm_candidates(
    companies: Vec<String>,
    signatures: Vec<String>,
    since: i64,
) -> sea_orm::Select<incident::Entity> {
    incident::Entity::find()
        .filter(incident::Column::CompanyId.is_in(companies))
        .filter(incident::Column::Status.ne(IncidentStatus::Resolved.as_i16()))
        .filter(incident::Column::Signature.is_in(signatures))
        .filter(incident::Column::LastAlertAt.gte(since))
        .filter(incident::Column::ParentIncidentId.is_null())
}

/// Incidents by id (any company: the ids come from the caller's own rows).
async fn incidents_by_id(
    txn: &DatabaseTransaction,
    ids: Vec<String>,
) -> Result<HashMap<String, incident::Model>> {
    let mut found = HashMap::new();
    for chunk in ids.chunks(500) {
        for row in incident::Entity::find()
            .filter(incident::Column::Id.is_in(chunk.iter().cloned()))
            .all(txn)
            .await?
        {
            found.insert(row.id.clone(), row);
        }
    }
    Ok(found)
}

/// One company's share of [`Store::correlate_companies`].
struct CompanyPass {
    /// The company's last sequence when the pass took its lock.
    base: i64,
    /// Whether more events were pending than the pass took.
    more: bool,
    /// The first event's time minus the window: nothing older can matter.
    earliest: i64,
    /// The aggregation keys of the events.
    keys: BTreeSet<String>,
    world: World,
    pending: Vec<alert_event::Model>,
    /// (event id, received at, event), in engine order.
    events: Vec<(String, i64, AlertEvent)>,
}

/// Incident-log rows being built for one insert, for one or more companies.
#[derive(Default)]
struct LogRows {
    rows: Vec<incident_event::ActiveModel>,
    ids: Vec<String>,
}

impl LogRows {
    /// Adds feed entries of a company after sequence `base`; answers the last.
    fn add(&mut self, company_id: &str, base: i64, feed: &[FeedEntry]) -> Result<i64> {
        let mut sequence = base;
        for entry in feed {
            sequence += 1;
            let id = new_id();
            self.ids.push(id.clone());
            self.rows.push(incident_event::ActiveModel {
                id: Set(id),
                company_id: Set(company_id.to_owned()),
                sequence: Set(sequence),
                incident_id: Set(entry.incident.id.clone()),
                kind: Set(entry.kind.as_i16()),
                actor: Set(entry.actor.chars().take(512).collect()),
                message: Set(entry.message.clone()),
                created_at: Set(entry.at),
                snapshot: Set(to_json(&entry.incident)?),
            });
        }
        Ok(sequence)
    }

    async fn insert(mut self, txn: &DatabaseTransaction) -> Result<Vec<String>> {
        while !self.rows.is_empty() {
            let rest = self.rows.split_off(self.rows.len().min(ROWS_PER_INSERT));
            incident_event::Entity::insert_many(std::mem::replace(&mut self.rows, rest))
                .exec_without_returning(txn)
                .await?;
        }
        Ok(self.ids)
    }
}

/// Records the companies' new log heads (one statement) and, on PostgreSQL,
/// announces them to every replica's listener at commit.
async fn set_heads(
    txn: &DatabaseTransaction,
    backend: DbBackend,
    heads: &[(&str, i64)],
) -> Result<()> {
    if heads.is_empty() {
        return Ok(());
    }
    let statement = sequence_upsert(
        heads.iter().copied(),
        OnConflict::column(incident_sequence::Column::CompanyId)
            .update_column(incident_sequence::Column::Sequence)
            .to_owned(),
    );
    txn.execute(&statement).await?;
    if backend == DbBackend::Postgres {
        let calls: Vec<String> = (0..heads.len())
            .map(|i| format!("pg_notify(${}, ${})", 2 * i + 1, 2 * i + 2))
            .collect();
        let mut values: Vec<sea_orm::Value> = Vec::with_capacity(heads.len() * 2);
        for (company_id, sequence) in heads {
            values.push(NOTIFY_CHANNEL.into());
            values.push(format!("{company_id}:{sequence}").into());
        }
        txn.execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            format!("SELECT {}", calls.join(", ")),
            values,
        ))
        .await?;
    }
    Ok(())
}

/// Appends feed entries to the log with sequences after `base`; answers the
/// last sequence and the entries' ids.
pub(super) async fn append_events(
    txn: &DatabaseTransaction,
    backend: DbBackend,
    company_id: &str,
    base: i64,
    feed: &[FeedEntry],
) -> Result<(i64, Vec<String>)> {
    if feed.is_empty() {
        return Ok((base, Vec::new()));
    }
    let mut log = LogRows::default();
    let sequence = log.add(company_id, base, feed)?;
    let ids = log.insert(txn).await?;
    set_heads(txn, backend, &[(company_id, sequence)]).await?;
    Ok((sequence, ids))
}

fn silences_of(rows: Vec<silence::Model>) -> Vec<SilenceRule> {
    rows.into_iter()
        .map(|row| SilenceRule {
            matchers: matchers_of(&row.matchers),
            id: row.id,
            starts_at: row.starts_at,
            ends_at: row.ends_at,
        })
        .collect()
}

fn matchers_of(text: &str) -> Vec<Matcher> {
    json_vec::<Matcher>(text)
        .into_iter()
        .map(Matcher::restored)
        .collect()
}

fn inhibitions_of(rows: Vec<inhibition_rule::Model>) -> Vec<InhibitionRule> {
    rows.into_iter()
        .map(|row| InhibitionRule {
            source: matchers_of(&row.source_matchers),
            target: matchers_of(&row.target_matchers),
            equal: json_vec::<String>(&row.equal_refs)
                .iter()
                .filter_map(|text| AlertRef::parse(text, MATCHER_FIELDS).ok())
                .collect(),
            id: row.id,
        })
        .collect()
}

impl Store {
    /// A company's settings (defaults when never changed), unscoped (the
    /// correlator acts for the system).
    pub async fn settings_for(&self, company_id: &str) -> Result<CorrelationSettings> {
        let row = correlation_config::Entity::find_by_id(company_id.to_owned())
            .one(self.connection())
            .await?;
        Ok(settings_of(row.as_ref()))
    }

    /// The silences and inhibition rules of a company, as the engine takes them.
    pub async fn suppression_rules(
        &self,
        db: &impl ConnectionTrait,
        company_id: &str,
        since: i64,
    ) -> Result<(Vec<SilenceRule>, Vec<InhibitionRule>)> {
        let silences = silence::Entity::find()
            .filter(silence::Column::CompanyId.eq(company_id))
            .filter(silence::Column::EndsAt.gt(since))
            .order_by_asc(silence::Column::Id)
            .all(db)
            .await?;
        let inhibitions = inhibition_rule::Entity::find()
            .filter(inhibition_rule::Column::CompanyId.eq(company_id))
            .order_by_asc(inhibition_rule::Column::Id)
            .all(db)
            .await?;
        Ok((silences_of(silences), inhibitions_of(inhibitions)))
    }

    /// Companies with pending (uncorrelated) alert events; with
    /// `received_before` (ms), only those with such an event received before it.
    pub async fn companies_with_pending_events(
        &self,
        received_before: Option<i64>,
    ) -> Result<Vec<String>> {
        Ok(alert_event::Entity::find()
            .select_only()
            .column(alert_event::Column::CompanyId)
            .filter(alert_event::Column::CorrelatedAt.is_null())
            .apply_if(received_before, |query, before| {
                query.filter(alert_event::Column::ReceivedAt.lt(before))
            })
            .distinct()
            .into_tuple::<String>()
            .all(self.connection())
            .await?)
    }

    /// Companies with open flapping incidents whose alerts are all resolved.
    pub async fn companies_with_quiet_flapping(&self) -> Result<Vec<String>> {
        Ok(incident::Entity::find()
            .select_only()
            .column(incident::Column::CompanyId)
            .filter(incident::Column::Flapping.eq(true))
            .filter(incident::Column::Status.ne(IncidentStatus::Resolved.as_i16()))
            .filter(incident::Column::FiringAlertCount.eq(0))
            .distinct()
            .into_tuple::<String>()
            .all(self.connection())
            .await?)
    }

    /// Ends flapping: an open flapping incident whose alerts have all been
    /// resolved, and that has not changed for a whole window, stops flapping
    /// and (with auto-resolve) resolves. Answers the company's last sequence
    /// and how many incidents settled.
    pub async fn settle_flapping(&self, company_id: &str, now: i64) -> Result<(i64, usize)> {
        let txn = self.connection().begin().await?;
        let base = lock_company(&txn, company_id).await?;
        let config = correlation_config::Entity::find_by_id(company_id.to_owned())
            .one(&txn)
            .await?;
        let settings = settings_of(config.as_ref());
        let window = i64::try_from(settings.window.as_millis()).unwrap_or(i64::MAX);
        let rows = incident::Entity::find()
            .filter(incident::Column::CompanyId.eq(company_id))
            .filter(incident::Column::Flapping.eq(true))
            .filter(incident::Column::Status.ne(IncidentStatus::Resolved.as_i16()))
            .filter(incident::Column::FiringAlertCount.eq(0))
            .filter(incident::Column::UpdatedAt.lt(now - window))
            .order_by_asc(incident::Column::Id)
            .all(&txn)
            .await?;
        let mut feed = Vec::new();
        let mut settled = Vec::new();
        for row in rows {
            let mut incident = incident_of(row);
            incident.flapping = false;
            incident.updated_at = now;
            feed.push(FeedEntry {
                kind: EventKind::FlappingEnded,
                actor: "system".to_owned(),
                message: format!(
                    "no alert fired for {} minutes",
                    settings.window.as_secs() / 60
                ),
                at: now,
                incident: incident.clone(),
            });
            if settings.auto_resolve {
                incident.status = IncidentStatus::Resolved;
                incident.resolved_at = Some(now);
                incident.resolution = "flapping ended with all alerts resolved".to_owned();
                feed.push(FeedEntry {
                    kind: EventKind::Resolved,
                    actor: "system".to_owned(),
                    message: incident.resolution.clone(),
                    at: now,
                    incident: incident.clone(),
                });
            }
            settled.push(incident);
        }
        let refs: Vec<&Incident> = settled.iter().collect();
        upsert_incidents(&txn, &refs).await?;
        let (sequence, _) = append_events(&txn, self.backend(), company_id, base, &feed).await?;
        txn.commit().await?;
        Ok((sequence, settled.len()))
    }

    /// One correlation pass over a company's pending events, in one
    /// transaction under the company's lock.
    pub async fn correlate_pass(&self, company_id: &str, mode: PassMode) -> Result<PassOutcome> {
        let txn = self.connection().begin().await?;
        let outcome = self
            .correlate_companies(&txn, &[company_id.to_owned()], mode)
            .await?
            .pop()
            .map(|(_, outcome)| outcome)
            .unwrap_or_default();
        txn.commit().await?;
        Ok(outcome)
    }

    /// One pass for each of several companies in one transaction: one commit
    /// (one fsync on SQLite) for the round instead of one per company. The
    /// companies' locks are taken in id order, so concurrent rounds on other
    /// replicas cannot deadlock.
    pub async fn correlate_round(
        &self,
        company_ids: &[String],
        mode: PassMode,
    ) -> Result<Vec<(String, PassOutcome)>> {
        let txn = self.connection().begin().await?;
        let outcomes = self.correlate_companies(&txn, company_ids, mode).await?;
        let committing = std::time::Instant::now();
        txn.commit().await?;
        tracing::debug!(
            commit_us = committing.elapsed().as_micros(),
            "correlation round committed"
        );
        Ok(outcomes)
    }

    /// A correlation pass for each of `company_ids` inside `txn`, answered in
    /// company id order. Each company's pass decides exactly as if it ran
    /// alone: its lock, its settings, at most [`PASS_EVENTS`] of its pending
    /// events (event time, dedup key, action), only the state those events
    /// can touch. But every step is one statement for all the companies
    /// (their locks, settings, pending events, rules, the alerts and incidents
    /// to load, every write), not one per company: statements, each a round
    /// trip to the database thread, are what a pass of a few events costs.
    pub(super) async fn correlate_companies(
        &self,
        txn: &DatabaseTransaction,
        company_ids: &[String],
        mode: PassMode,
    ) -> Result<Vec<(String, PassOutcome)>> {
        let started = std::time::Instant::now();
        let mut companies: Vec<&str> = company_ids.iter().map(String::as_str).collect();
        companies.sort_unstable();
        companies.dedup();
        if companies.is_empty() {
            return Ok(Vec::new());
        }
        let bases = lock_companies(txn, &companies).await?;
        let base_of = |company_id: &str| bases.get(company_id).copied().unwrap_or(0);
        let configs: HashMap<String, correlation_config::Model> =
            correlation_config::Entity::find()
                .filter(
                    correlation_config::Column::CompanyId
                        .is_in(companies.iter().map(|c| (*c).to_owned())),
                )
                .all(txn)
                .await?
                .into_iter()
                .map(|row| (row.company_id.clone(), row))
                .collect();
        let mut outcomes: BTreeMap<String, PassOutcome> = BTreeMap::new();
        let mut active: Vec<(&str, CorrelationSettings)> = Vec::new();
        for company_id in &companies {
            let settings = settings_of(configs.get(*company_id));
            if mode == PassMode::Auto && !settings.auto_correlate {
                outcomes.insert(
                    (*company_id).to_owned(),
                    PassOutcome {
                        sequence: base_of(company_id),
                        skipped: true,
                        ..PassOutcome::default()
                    },
                );
            } else {
                active.push((company_id, settings));
            }
        }
        if active.is_empty() {
            return Ok(outcomes.into_iter().collect());
        }

        // Pending events: at most PASS_EVENTS per company. One query with a
        // limit of PASS_EVENTS per company; if even that is reached (a
        // backlog), every company counts as having more, so its callers run
        // further passes.
        let limit = PASS_EVENTS * u64::try_from(active.len()).unwrap_or(u64::MAX / PASS_EVENTS) + 1;
        let rows = alert_event::Entity::find()
            .filter(alert_event::Column::CorrelatedAt.is_null())
            .filter(
                alert_event::Column::CompanyId.is_in(active.iter().map(|(c, _)| (*c).to_owned())),
            )
            .order_by_asc(alert_event::Column::CompanyId)
            .order_by_asc(alert_event::Column::OccurredAt)
            .order_by_asc(alert_event::Column::DedupKey)
            .order_by_asc(alert_event::Column::Action)
            .limit(limit)
            .all(txn)
            .await?;
        let truncated = u64::try_from(rows.len()).unwrap_or(u64::MAX) >= limit;
        let mut pending_of: HashMap<String, Vec<alert_event::Model>> = HashMap::new();
        for row in rows {
            pending_of
                .entry(row.company_id.clone())
                .or_default()
                .push(row);
        }
        let now = now_ms();
        let per_pass = usize::try_from(PASS_EVENTS).unwrap_or(usize::MAX);
        let mut passes: Vec<CompanyPass> = Vec::new();
        for (company_id, settings) in active {
            let mut pending = pending_of.remove(company_id).unwrap_or_default();
            let more = truncated || pending.len() > per_pass;
            pending.truncate(per_pass);
            if pending.is_empty() {
                outcomes.insert(
                    company_id.to_owned(),
                    PassOutcome {
                        sequence: base_of(company_id),
                        more,
                        ..PassOutcome::default()
                    },
                );
                continue;
            }
            let mut events: Vec<(String, i64, AlertEvent)> = pending
                .iter()
                .map(|row| (row.id.clone(), row.received_at, event_of(row)))
                .collect();
            events.sort_by(|a, b| event_order(&a.2, &b.2));
            let window = i64::try_from(settings.window.as_millis()).unwrap_or(i64::MAX);
            let earliest = events.first().map_or(now, |e| e.2.occurred_at_ms) - window;
            let keys = events
                .iter()
                .map(|e| settings.aggregation_key.value_for(&e.2))
                .collect();
            passes.push(CompanyPass {
                base: base_of(company_id),
                more,
                earliest,
                keys,
                world: World::new(company_id, settings, now, Box::new(new_id)),
                pending,
                events,
            });
        }
        if passes.is_empty() {
            return Ok(outcomes.into_iter().collect());
        }
        let prepared = started.elapsed();
        self.load_worlds(txn, &mut passes).await?;
        let loaded = started.elapsed();
        for pass in &mut passes {
            for (id, received_at, event) in &pass.events {
                pass.world.apply(id, *received_at, event);
            }
            pass.world.finish();
        }
        let applied = started.elapsed();
        let worlds: Vec<&World> = passes.iter().map(|pass| &pass.world).collect();
        let mut rules = self.rules_for_new_incidents(txn, &worlds).await?;
        let mut plans = Vec::with_capacity(passes.len());
        for pass in &passes {
            let company_rules = rules.remove(&pass.world.company_id).unwrap_or_default();
            plans.push(
                self.plan_remediations(
                    txn,
                    &pass.world.company_id,
                    &pass.world,
                    company_rules,
                    now,
                )
                .await?,
            );
        }
        let planned = started.elapsed();
        let saved = self.save_worlds(txn, &passes, &plans, now).await?;
        tracing::debug!(
            companies = passes.len(),
            events = passes.iter().map(|p| p.events.len()).sum::<usize>(),
            log_entries = saved.iter().map(|o| o.events_appended).sum::<usize>(),
            prepare_us = prepared.as_micros(),
            load_us = (loaded - prepared).as_micros(),
            engine_us = (applied - loaded).as_micros(),
            rules_us = (planned - applied).as_micros(),
            save_us = (started.elapsed() - planned).as_micros(),
            "correlation passes"
        );
        for (pass, outcome) in passes.iter().zip(saved) {
            outcomes.insert(pass.world.company_id.clone(), outcome);
        }
        Ok(outcomes.into_iter().collect())
    }

    /// Loads into each pass's world the state its events can touch: its
    /// silences and inhibition rules, the alerts the events can repeat,
    /// resolve or inherit flapping history from, the open incidents they can
    /// join or count for a storm, those alerts' incidents, the storm parents,
    /// and the on-duty technicians. Each query covers every pass; the rows are
    /// then given to the passes whose own conditions they meet.
    async fn load_worlds(
        &self,
        txn: &DatabaseTransaction,
        passes: &mut [CompanyPass],
    ) -> Result<()> {
        let all: Vec<String> = passes.iter().map(|p| p.world.company_id.clone()).collect();
        let earliest = passes.iter().map(|p| p.earliest).min().unwrap_or(0);
        let silences = silence::Entity::find()
            .filter(silence::Column::CompanyId.is_in(all.clone()))
            .filter(silence::Column::EndsAt.gt(earliest))
            .order_by_asc(silence::Column::Id)
            .all(txn)
            .await?;
        let inhibitions = inhibition_rule::Entity::find()
            .filter(inhibition_rule::Column::CompanyId.is_in(all.clone()))
            .order_by_asc(inhibition_rule::Column::Id)
            .all(txn)
            .await?;
        for pass in passes.iter_mut() {
            let company_id = pass.world.company_id.clone();
            pass.world.silences = silences_of(
                silences
                    .iter()
                    .filter(|row| row.company_id == company_id && row.ends_at > pass.earliest)
                    .cloned()
                    .collect(),
            );
            pass.world.inhibitions = inhibitions_of(
                inhibitions
                    .iter()
                    .filter(|row| row.company_id == company_id)
                    .cloned()
                    .collect(),
            );
        }

        // Alerts the events can repeat, resolve or inherit flapping history from.
        let dedup_keys: BTreeSet<&str> = passes
            .iter()
            .flat_map(|p| p.events.iter().map(|e| e.2.dedup_key.as_str()))
            .collect();
        let mut alert_rows = Vec::new();
        for chunk in dedup_keys.iter().collect::<Vec<_>>().chunks(500) {
            alert_rows.extend(
                alerts_by_dedup_key(
                    all.clone(),
                    chunk.iter().map(|k| (**k).to_owned()).collect(),
                    earliest,
                )
                .all(txn)
                .await?,
            );
        }
        // Alerts that may inhibit: only those indexed under the rules and
        // equal values the events' alerts could be inhibited by (rules not
        // indexed yet are indexed first, once).
        let unindexed: BTreeSet<&str> = inhibitions
            .iter()
            .filter(|row| !row.sources_indexed)
            .map(|row| row.id.as_str())
            .collect();
        let new_rules: Vec<(String, InhibitionRule)> = passes
            .iter()
            .flat_map(|p| {
                p.world
                    .inhibitions
                    .iter()
                    .filter(|rule| unindexed.contains(rule.id.as_str()))
                    .map(|rule| (p.world.company_id.clone(), rule.clone()))
            })
            .collect();
        super::inhibition::index_new_rules(txn, &new_rules).await?;
        let inhibiting: Vec<&CompanyPass> = passes
            .iter()
            .filter(|p| !p.world.inhibitions.is_empty())
            .collect();
        let mut source_keys: BTreeSet<(String, String)> = BTreeSet::new();
        let mut by_dedup: HashMap<(&str, &str), Vec<&alert::Model>> = HashMap::new();
        if !inhibiting.is_empty() {
            for row in &alert_rows {
                by_dedup
                    .entry((row.company_id.as_str(), row.dedup_key.as_str()))
                    .or_default()
                    .push(row);
            }
        }
        for pass in inhibiting {
            for (_, _, event) in &pass.events {
                if event.action != AlertEventAction::Trigger {
                    continue;
                }
                // The alert the event makes: a new one with the event's
                // fields, or a repeat of a stored one (its fields, with the
                // event's message and severity).
                let repeats: Vec<AlertRecord> = by_dedup
                    .get(&(pass.world.company_id.as_str(), event.dedup_key.as_str()))
                    .into_iter()
                    .flatten()
                    .map(|row| {
                        let mut record = alert_of((*row).clone());
                        record.message.clone_from(&event.message);
                        record.severity = event.severity;
                        record
                    })
                    .collect();
                for rule in &pass.world.inhibitions {
                    if all_match(&rule.target, event) {
                        source_keys.insert((rule.id.clone(), equal_key(rule, event)));
                    }
                    for record in &repeats {
                        if all_match(&rule.target, record) {
                            source_keys.insert((rule.id.clone(), equal_key(rule, record)));
                        }
                    }
                }
            }
        }
        let source_keys: Vec<(String, String)> = source_keys.into_iter().collect();
        let firing_rows = super::inhibition::source_alerts(txn, &all, &source_keys).await?;
        let mut incident_ids: Vec<BTreeSet<String>> = Vec::with_capacity(passes.len());
        for pass in passes.iter_mut() {
            let company_id = pass.world.company_id.clone();
            let keys: BTreeSet<&str> = pass.events.iter().map(|e| e.2.dedup_key.as_str()).collect();
            let mut alerts: Vec<&alert::Model> = alert_rows
                .iter()
                .filter(|row| {
                    row.company_id == company_id
                        && keys.contains(row.dedup_key.as_str())
                        && (row.status != AlertStatus::Resolved.as_i16()
                            || row.resolved_at.is_some_and(|at| at >= pass.earliest))
                })
                .collect();
            if !pass.world.inhibitions.is_empty() {
                alerts.extend(
                    firing_rows
                        .iter()
                        .filter(|row| row.company_id == company_id),
                );
            }
            alerts.sort_by(|a, b| (a.occurred_at, &a.id).cmp(&(b.occurred_at, &b.id)));
            alerts.dedup_by(|a, b| a.id == b.id);
            incident_ids.push(
                alerts
                    .iter()
                    .filter_map(|a| a.incident_id.clone())
                    .collect(),
            );
            for row in alerts {
                pass.world.load_alert(alert_of(row.clone()));
            }
        }

        // Open incidents the events can join, or count for a storm.
        let keys: BTreeSet<&str> = passes
            .iter()
            .flat_map(|p| p.keys.iter().map(String::as_str))
            .collect();
        let mut incident_rows = Vec::new();
        for chunk in keys.iter().collect::<Vec<_>>().chunks(500) {
            incident_rows.extend(
                open_incidents_by_key(
                    all.clone(),
                    chunk.iter().map(|k| (**k).to_owned()).collect(),
                )
                .all(txn)
                .await?,
            );
        }
        let storming: Vec<&CompanyPass> = passes
            .iter()
            .filter(|p| p.world.settings.storm_enabled)
            .collect();
        let mut storm_rows = Vec::new();
        if !storming.is_empty() {
            let companies: Vec<String> = storming
                .iter()
                .map(|p| p.world.company_id.clone())
                .collect();
            let since = storming.iter().map(|p| p.earliest).min().unwrap_or(0);
            let signatures: BTreeSet<&str> = storming
                .iter()
                .flat_map(|p| p.events.iter().map(|e| e.2.signature.as_str()))
                .collect();
            for chunk in signatures.iter().collect::<Vec<_>>().chunks(500) {
                storm_rows.extend(
                    storm_candidates(
                        companies.clone(),
                        chunk.iter().map(|s| (**s).to_owned()).collect(),
                        since,
                    )
                    .all(txn)
                    .await?,
                );
            }
        }
        let mut loaded: Vec<Vec<incident::Model>> = Vec::with_capacity(passes.len());
        for pass in passes.iter() {
            let company_id = &pass.world.company_id;
            let mut rows: Vec<incident::Model> = incident_rows
                .iter()
                .filter(|row| {
                    row.company_id == *company_id && pass.keys.contains(&row.aggregation_key)
                })
                .cloned()
                .collect();
            if pass.world.settings.storm_enabled {
                let signatures: BTreeSet<&str> =
                    pass.events.iter().map(|e| e.2.signature.as_str()).collect();
                rows.extend(
                    storm_rows
                        .iter()
                        .filter(|row| {
                            row.company_id == *company_id
                                && signatures.contains(row.signature.as_str())
                                && row.last_alert_at >= pass.earliest
                        })
                        .cloned(),
                );
            }
            loaded.push(rows);
        }
        // The incidents of the loaded alerts, then the storm parents of
        // loaded children, each one query for every pass.
        let mut missing = BTreeSet::new();
        for (ids, rows) in incident_ids.iter_mut().zip(&loaded) {
            for row in rows {
                ids.remove(&row.id);
            }
            missing.extend(ids.iter().cloned());
        }
        let by_id = incidents_by_id(txn, missing.into_iter().collect()).await?;
        for (rows, ids) in loaded.iter_mut().zip(&incident_ids) {
            rows.extend(ids.iter().filter_map(|id| by_id.get(id).cloned()));
        }
        let mut parents = BTreeSet::new();
        for rows in &loaded {
            let have: BTreeSet<&str> = rows.iter().map(|r| r.id.as_str()).collect();
            parents.extend(
                rows.iter()
                    .filter_map(|r| r.parent_incident_id.clone())
                    .filter(|id| !have.contains(id.as_str())),
            );
        }
        let parent_rows = incidents_by_id(txn, parents.into_iter().collect()).await?;
        for rows in &mut loaded {
            let have: BTreeSet<String> = rows.iter().map(|r| r.id.clone()).collect();
            let wanted: BTreeSet<String> = rows
                .iter()
                .filter_map(|r| r.parent_incident_id.clone())
                .filter(|id| !have.contains(id))
                .collect();
            rows.extend(wanted.iter().filter_map(|id| parent_rows.get(id).cloned()));
        }
        for (pass, rows) in passes.iter_mut().zip(loaded) {
            for row in rows {
                pass.world.load_incident(incident_of(row));
            }
        }
        let assigning: Vec<String> = passes
            .iter()
            .filter(|p| p.world.settings.auto_assign)
            .map(|p| p.world.company_id.clone())
            .collect();
        if !assigning.is_empty() {
            let mut loads = technician_loads_of(txn, &assigning).await?;
            for pass in passes.iter_mut() {
                if pass.world.settings.auto_assign {
                    pass.world.technicians =
                        loads.remove(&pass.world.company_id).unwrap_or_default();
                }
            }
        }
        Ok(())
    }

    /// Writes what the passes decided, each kind of row in one statement for
    /// every pass: incidents, alerts, outcomes, the events' correlated marks,
    /// the log entries with each company's sequences, then (rare) the planned
    /// executions. Answers each pass's outcome, in order.
    async fn save_worlds(
        &self,
        txn: &DatabaseTransaction,
        passes: &[CompanyPass],
        plans: &[RemediationPlan],
        now: i64,
    ) -> Result<Vec<PassOutcome>> {
        let incidents: Vec<&Incident> = passes
            .iter()
            .flat_map(|p| p.world.changed_incidents())
            .collect();
        upsert_incidents(txn, &incidents).await?;
        let alerts: Vec<&AlertRecord> = passes
            .iter()
            .flat_map(|p| p.world.changed_alerts())
            .collect();
        upsert_alerts(txn, &alerts).await?;
        let changed: Vec<(&str, &[InhibitionRule], Vec<&AlertRecord>)> = passes
            .iter()
            .filter(|p| !p.world.inhibitions.is_empty())
            .map(|p| {
                (
                    p.world.company_id.as_str(),
                    p.world.inhibitions.as_slice(),
                    p.world.changed_alerts().collect(),
                )
            })
            .collect();
        super::inhibition::reindex(txn, &changed).await?;
        let mut outcomes = Vec::new();
        for pass in passes {
            for result in &pass.world.results {
                outcomes.push(alert_outcome::ActiveModel {
                    event_id: Set(result.event_id.clone()),
                    company_id: Set(pass.world.company_id.clone()),
                    alert_id: Set(result.alert_id.clone()),
                    incident_id: Set(result.incident_id.clone()),
                    outcome: Set(result.outcome.as_i16()),
                    aggregation_key: Set(result.aggregation_key.clone()),
                    suppressed_by_id: Set(result.suppressed_by_id.clone()),
                    decisions: Set(to_json(&result.decisions)?),
                    correlated_at: Set(now),
                });
            }
        }
        while !outcomes.is_empty() {
            let rest = outcomes.split_off(outcomes.len().min(ROWS_PER_INSERT));
            alert_outcome::Entity::insert_many(std::mem::replace(&mut outcomes, rest))
                .exec_without_returning(txn)
                .await?;
        }
        let ids: Vec<String> = passes
            .iter()
            .flat_map(|p| p.pending.iter().map(|row| row.id.clone()))
            .collect();
        for chunk in ids.chunks(500) {
            alert_event::Entity::update_many()
                .col_expr(alert_event::Column::CorrelatedAt, Expr::value(now))
                .filter(alert_event::Column::Id.is_in(chunk.iter().cloned()))
                .exec(txn)
                .await?;
        }
        for pass in passes {
            for (id, count) in &pass.world.suppressions {
                // The suppressing rule is one of the pass's silences or one of
                // its inhibition rules: one update, on its own table.
                if pass.world.silences.iter().any(|rule| rule.id == *id) {
                    silence::Entity::update_many()
                        .col_expr(
                            silence::Column::SuppressedCount,
                            Expr::col(silence::Column::SuppressedCount).add(*count),
                        )
                        .filter(silence::Column::Id.eq(id))
                        .exec(txn)
                        .await?;
                } else {
                    inhibition_rule::Entity::update_many()
                        .col_expr(
                            inhibition_rule::Column::SuppressedCount,
                            Expr::col(inhibition_rule::Column::SuppressedCount).add(*count),
                        )
                        .filter(inhibition_rule::Column::Id.eq(id))
                        .exec(txn)
                        .await?;
                }
            }
        }
        // The log: every pass's entries (then its rules' notes) after its
        // company's sequence, in one insert; then the companies' heads.
        let mut log = LogRows::default();
        let mut heads = Vec::with_capacity(passes.len());
        for (pass, plan) in passes.iter().zip(plans) {
            let sequence = log.add(&pass.world.company_id, pass.base, &pass.world.feed)?;
            let sequence = log.add(&pass.world.company_id, sequence, &plan.notes)?;
            heads.push((pass.world.company_id.as_str(), pass.base, sequence));
        }
        log.insert(txn).await?;
        let moved: Vec<(&str, i64)> = heads
            .iter()
            .filter(|(_, base, sequence)| sequence > base)
            .map(|(company_id, _, sequence)| (*company_id, *sequence))
            .collect();
        set_heads(txn, self.backend(), &moved).await?;
        let mut answers = Vec::with_capacity(passes.len());
        for ((pass, plan), (company_id, _, sequence)) in passes.iter().zip(plans).zip(&heads) {
            let sequence = if plan.executions.is_empty() {
                *sequence
            } else {
                self.insert_planned(txn, company_id, *sequence, &plan.executions, now)
                    .await?
            };
            let feed = &pass.world.feed;
            answers.push(PassOutcome {
                results: pass.world.results.clone(),
                sequence,
                events_appended: feed.len(),
                incidents_created: feed.iter().filter(|f| f.kind == EventKind::Created).count(),
                more: pass.more,
                skipped: false,
                resolved_after_ms: feed
                    .iter()
                    .filter(|f| f.kind == EventKind::Resolved)
                    .map(|f| f.at - f.incident.created_at)
                    .collect(),
                acknowledged_after_ms: feed
                    .iter()
                    .filter(|f| {
                        f.kind == EventKind::Acknowledged
                            && f.incident.first_acknowledged_at == Some(f.at)
                    })
                    .map(|f| f.at - f.incident.created_at)
                    .collect(),
            });
        }
        Ok(answers)
    }

    /// The stored outcomes of events (of events another pass or replica correlated).
    pub async fn event_outcomes(&self, event_ids: &[String]) -> Result<Vec<alert_outcome::Model>> {
        let mut rows = Vec::new();
        for chunk in event_ids.chunks(500) {
            rows.extend(
                alert_outcome::Entity::find()
                    .filter(alert_outcome::Column::EventId.is_in(chunk.iter().cloned()))
                    .all(self.connection())
                    .await?,
            );
        }
        Ok(rows)
    }

    /// Changes one incident under the company's lock: `change` edits it and
    /// answers the timeline entries; the incident, its entries and (for a
    /// resolve) its alerts and storm parent are written in one transaction.
    pub async fn change_incident(
        &self,
        scope: &Scope,
        incident_id: &str,
        actor: &str,
        change: impl FnOnce(&mut Incident, i64) -> Result<Vec<IncidentChange>>,
    ) -> Result<(Incident, Vec<StoredEvent>)> {
        let company_id = self.incident_company(scope, incident_id).await?;
        let txn = self.connection().begin().await?;
        let base = lock_company(&txn, &company_id).await?;
        let row = incident::Entity::find_by_id(incident_id.to_owned())
            .filter(scope.condition(incident::Column::CompanyId))
            .one(&txn)
            .await?
            .ok_or_else(|| Error::NotFound(format!("incident {incident_id}")))?;
        let mut incident = incident_of(row);
        let was_open = incident.is_open();
        let now = now_ms();
        let changes = change(&mut incident, now)?;
        if changes.is_empty() {
            txn.commit().await?;
            return Ok((incident, Vec::new()));
        }
        incident.updated_at = now;
        let mut touched = vec![incident.clone()];
        let mut feed: Vec<FeedEntry> = changes
            .into_iter()
            .map(|change| FeedEntry {
                kind: change.kind,
                actor: actor.to_owned(),
                message: change.message,
                at: now,
                incident: incident.clone(),
            })
            .collect();
        if was_open && !incident.is_open() {
            // Resolving an incident resolves its alerts: a repeat opens anew,
            // and they inhibit no more.
            super::inhibition::forget_alerts_of_incident(&txn, incident_id).await?;
            alert::Entity::update_many()
                .col_expr(
                    alert::Column::Status,
                    Expr::value(AlertStatus::Resolved.as_i16()),
                )
                .col_expr(alert::Column::ResolvedAt, Expr::value(now))
                .filter(alert::Column::IncidentId.eq(incident_id))
                .filter(alert::Column::Status.ne(AlertStatus::Resolved.as_i16()))
                .exec(&txn)
                .await?;
            incident.firing_alert_count = 0;
            touched[0].firing_alert_count = 0;
        }
        if let Some(parent_id) = incident.parent_incident_id.clone()
            && was_open != incident.is_open()
            && let Some(row) = incident::Entity::find_by_id(parent_id).one(&txn).await?
        {
            let mut parent = incident_of(row);
            parent.open_child_count += if incident.is_open() { 1 } else { -1 };
            parent.open_child_count = Ord::max(parent.open_child_count, 0);
            parent.updated_at = now;
            touched.push(parent);
        }
        let refs: Vec<&Incident> = touched.iter().collect();
        upsert_incidents(&txn, &refs).await?;
        for entry in &mut feed {
            entry.incident.firing_alert_count = incident.firing_alert_count;
        }
        let (_, ids) = append_events(&txn, self.backend(), &company_id, base, &feed).await?;
        txn.commit().await?;
        let stored = feed
            .into_iter()
            .zip(ids)
            .enumerate()
            .map(|(index, (entry, id))| StoredEvent {
                sequence: base + 1 + i64::try_from(index).unwrap_or(0),
                id,
                company_id: company_id.clone(),
                incident_id: incident.id.clone(),
                kind: entry.kind,
                actor: entry.actor,
                message: entry.message,
                at: entry.at,
                incident: entry.incident,
            })
            .collect();
        Ok((incident, stored))
    }

    async fn incident_company(&self, scope: &Scope, incident_id: &str) -> Result<String> {
        incident::Entity::find_by_id(incident_id.to_owned())
            .select_only()
            .column(incident::Column::CompanyId)
            .filter(scope.condition(incident::Column::CompanyId))
            .into_tuple::<String>()
            .one(self.connection())
            .await?
            .ok_or_else(|| Error::NotFound(format!("incident {incident_id}")))
    }

    /// An incident the caller may see.
    pub async fn get_incident(&self, scope: &Scope, incident_id: &str) -> Result<Incident> {
        find_incident(self.connection(), scope, incident_id).await
    }

    /// An incident with its latest alerts (at most `max_alerts`, and whether
    /// more exist) and its timeline, all read from one snapshot, so the
    /// incident's status always agrees with its timeline.
    pub async fn incident_view(
        &self,
        scope: &Scope,
        incident_id: &str,
        max_alerts: u64,
    ) -> Result<IncidentView> {
        let txn = self.snapshot().await?;
        let incident = find_incident(&txn, scope, incident_id).await?;
        let mut rows = alert::Entity::find()
            .filter(alert::Column::IncidentId.eq(incident_id))
            .order_by_desc(alert::Column::LastOccurredAt)
            .order_by_desc(alert::Column::Id)
            .limit(max_alerts + 1)
            .all(&txn)
            .await?;
        let alerts_truncated = u64::try_from(rows.len()).unwrap_or(u64::MAX) > max_alerts;
        rows.truncate(usize::try_from(max_alerts).unwrap_or(usize::MAX));
        let mut events = incident_event::Entity::find()
            .filter(incident_event::Column::IncidentId.eq(incident_id))
            .order_by_desc(incident_event::Column::Sequence)
            .limit(5000)
            .all(&txn)
            .await?;
        txn.commit().await?;
        events.reverse();
        Ok(IncidentView {
            incident,
            alerts: rows.into_iter().map(alert_of).collect(),
            alerts_truncated,
            timeline: events
                .into_iter()
                .map(stored_event_of)
                .collect::<Result<_>>()?,
        })
    }

    /// One page of incidents, newest first.
    pub async fn list_incidents(
        &self,
        scope: &Scope,
        filter: &IncidentFilter,
        page: &Page,
    ) -> Result<(Vec<Incident>, String)> {
        let mut query =
            incident::Entity::find().filter(scope.condition(incident::Column::CompanyId));
        if !filter.company_ids.is_empty() {
            query = query.filter(incident::Column::CompanyId.is_in(filter.company_ids.clone()));
        }
        if !filter.priorities.is_empty() {
            query = query.filter(incident::Column::Priority.is_in(filter.priorities.clone()));
        }
        if !filter.statuses.is_empty() {
            query = query.filter(incident::Column::Status.is_in(filter.statuses.clone()));
        }
        if let Some(asset) = &filter.asset {
            query = query.filter(incident::Column::Asset.eq(asset));
        }
        if let Some(from) = filter.created_from {
            query = query.filter(incident::Column::CreatedAt.gte(from));
        }
        if let Some(before) = filter.created_before {
            query = query.filter(incident::Column::CreatedAt.lt(before));
        }
        for word in &filter.words {
            // A storm parent's own text holds only its signature: it matches
            // through its children's texts (their alerts are its alerts).
            let mut children = Query::select();
            children
                .column(incident::Column::ParentIncidentId)
                .from(incident::Entity)
                .and_where(scope.condition(incident::Column::CompanyId))
                .and_where(incident::Column::ParentIncidentId.is_not_null())
                .and_where(incident::Column::SearchText.contains(word));
            if !filter.company_ids.is_empty() {
                children.and_where(incident::Column::CompanyId.is_in(filter.company_ids.clone()));
            }
            query = query.filter(
                sea_orm::Condition::any()
                    .add(incident::Column::SearchText.contains(word))
                    .add(incident::Column::Id.in_subquery(children)),
            );
        }
        if let Some(technician) = &filter.technician_id {
            query = query.filter(incident::Column::AssignedTechnicianId.eq(technician));
        }
        if let Some(parent) = &filter.parent_incident_id {
            query = query.filter(incident::Column::ParentIncidentId.eq(parent));
        }
        if let Some(after) = &page.after {
            query = query.filter(incident::Column::Id.lt(after.clone()));
        }
        let rows = query
            .order_by_desc(incident::Column::Id)
            .limit(page.size + 1)
            .all(self.connection())
            .await?;
        let (rows, token) = page.finish(rows, |row| &row.id);
        Ok((rows.into_iter().map(incident_of).collect(), token))
    }

    /// Log events of a company after `after`, oldest first, at most `limit`.
    pub async fn events_after(
        &self,
        company_id: &str,
        after: i64,
        limit: u64,
    ) -> Result<Vec<StoredEvent>> {
        incident_event::Entity::find()
            .filter(incident_event::Column::CompanyId.eq(company_id))
            .filter(incident_event::Column::Sequence.gt(after))
            .order_by_asc(incident_event::Column::Sequence)
            .limit(limit)
            .all(self.connection())
            .await?
            .into_iter()
            .map(stored_event_of)
            .collect()
    }

    /// The company's last log sequence (0 before any event).
    pub async fn head_sequence(&self, company_id: &str) -> Result<i64> {
        Ok(incident_sequence::Entity::find_by_id(company_id.to_owned())
            .one(self.connection())
            .await?
            .map_or(0, |row| row.sequence))
    }

    /// The oldest sequence the company's log (incident and execution events)
    /// still holds.
    pub async fn oldest_sequence(&self, company_id: &str) -> Result<Option<i64>> {
        let incidents = incident_event::Entity::find()
            .select_only()
            .column(incident_event::Column::Sequence)
            .filter(incident_event::Column::CompanyId.eq(company_id))
            .order_by_asc(incident_event::Column::Sequence)
            .into_tuple::<i64>()
            .one(self.connection())
            .await?;
        let executions = super::entity::execution_event::Entity::find()
            .select_only()
            .column(super::entity::execution_event::Column::Sequence)
            .filter(super::entity::execution_event::Column::CompanyId.eq(company_id))
            .order_by_asc(super::entity::execution_event::Column::Sequence)
            .into_tuple::<i64>()
            .one(self.connection())
            .await?;
        Ok(incidents.into_iter().chain(executions).min())
    }

    /// KPI sums per company over `[start, end)`: trigger events received, and
    /// incidents created, acknowledged, resolved and self-healed.
    pub async fn kpi_sums(
        &self,
        scope: &Scope,
        company_ids: &[String],
        start: i64,
        end: i64,
    ) -> Result<BTreeMap<String, KpiSums>> {
        #[derive(FromQueryResult)]
        struct AlertRow {
            company_id: String,
            n: i64,
        }
        #[derive(FromQueryResult)]
        struct IncidentRow {
            company_id: String,
            created_at: i64,
            first_acknowledged_at: Option<i64>,
            resolved_at: Option<i64>,
            status: i16,
            self_healed: bool,
        }
        let mut sums: BTreeMap<String, KpiSums> = company_ids
            .iter()
            .map(|id| (id.clone(), KpiSums::default()))
            .collect();
        let alerts = alert_event::Entity::find()
            .select_only()
            .column(alert_event::Column::CompanyId)
            .column_as(alert_event::Column::Id.count(), "n")
            .filter(scope.condition(alert_event::Column::CompanyId))
            .filter(alert_event::Column::CompanyId.is_in(company_ids.to_vec()))
            .filter(alert_event::Column::Action.eq(AlertEventAction::Trigger.as_i16()))
            .filter(alert_event::Column::ReceivedAt.gte(start))
            .filter(alert_event::Column::ReceivedAt.lt(end))
            .group_by(alert_event::Column::CompanyId)
            .into_model::<AlertRow>()
            .all(self.connection())
            .await?;
        for row in alerts {
            sums.entry(row.company_id).or_default().raw_alerts = row.n;
        }
        let incidents = incident::Entity::find()
            .select_only()
            .columns([
                incident::Column::CompanyId,
                incident::Column::CreatedAt,
                incident::Column::FirstAcknowledgedAt,
                incident::Column::ResolvedAt,
                incident::Column::Status,
                incident::Column::SelfHealed,
            ])
            .filter(scope.condition(incident::Column::CompanyId))
            .filter(incident::Column::CompanyId.is_in(company_ids.to_vec()))
            .filter(incident::Column::CreatedAt.gte(start))
            .filter(incident::Column::CreatedAt.lt(end))
            .into_model::<IncidentRow>()
            .all(self.connection())
            .await?;
        for row in incidents {
            let sum = sums.entry(row.company_id).or_default();
            sum.incidents += 1;
            if let Some(at) = row.first_acknowledged_at {
                sum.acknowledged += 1;
                sum.acknowledge_ms += Ord::max(at - row.created_at, 0);
            }
            if row.status == IncidentStatus::Resolved.as_i16() {
                sum.resolved += 1;
                sum.resolve_ms += Ord::max(
                    row.resolved_at.unwrap_or(row.created_at) - row.created_at,
                    0,
                );
            }
            if row.self_healed {
                sum.self_healed += 1;
            }
        }
        Ok(sums)
    }

    /// Counts for GetNoiseStats over `[start, end)` (alerts by receive time,
    /// incidents by creation time).
    pub async fn noise_counts(
        &self,
        scope: &Scope,
        company_ids: &[String],
        start: i64,
        end: i64,
    ) -> Result<NoiseCounts> {
        #[derive(FromQueryResult)]
        struct OutcomeRow {
            outcome: Option<i16>,
            n: i64,
        }
        let rows = alert_event::Entity::find()
            .select_only()
            .column_as(alert_outcome::Column::Outcome, "outcome")
            .column_as(alert_event::Column::Id.count(), "n")
            .left_join(alert_outcome::Entity)
            .filter(scope.condition(alert_event::Column::CompanyId))
            .filter(alert_event::Column::CompanyId.is_in(company_ids.to_vec()))
            .filter(alert_event::Column::Action.eq(AlertEventAction::Trigger.as_i16()))
            .filter(alert_event::Column::ReceivedAt.gte(start))
            .filter(alert_event::Column::ReceivedAt.lt(end))
            .group_by(alert_outcome::Column::Outcome)
            .into_model::<OutcomeRow>()
            .all(self.connection())
            .await?;
        let mut counts = NoiseCounts::default();
        for row in rows {
            counts.alerts += row.n;
            match row.outcome {
                Some(outcome) => *counts.by_outcome.entry(outcome).or_default() += row.n,
                None => counts.pending += row.n,
            }
        }
        let incidents = incident::Entity::find()
            .select_only()
            .columns([incident::Column::Flapping, incident::Column::IsStormParent])
            .filter(scope.condition(incident::Column::CompanyId))
            .filter(incident::Column::CompanyId.is_in(company_ids.to_vec()))
            .filter(incident::Column::CreatedAt.gte(start))
            .filter(incident::Column::CreatedAt.lt(end))
            .into_tuple::<(bool, bool)>()
            .all(self.connection())
            .await?;
        for (flapping, storm) in incidents {
            counts.incidents += 1;
            counts.flapping += i64::from(flapping);
            counts.storms += i64::from(storm);
        }
        Ok(counts)
    }

    /// Stored events of a company whose occur time is in `[start, end)`, in
    /// engine order, at most `limit` (PreviewCorrelation).
    pub async fn events_in_range(
        &self,
        scope: &Scope,
        company_id: &str,
        start: i64,
        end: i64,
        limit: u64,
    ) -> Result<Vec<(String, i64, AlertEvent)>> {
        find_company(self.connection(), scope, company_id).await?;
        let rows = alert_event::Entity::find()
            .filter(alert_event::Column::CompanyId.eq(company_id))
            .filter(alert_event::Column::OccurredAt.gte(start))
            .filter(alert_event::Column::OccurredAt.lt(end))
            .order_by_asc(alert_event::Column::OccurredAt)
            .limit(limit)
            .all(self.connection())
            .await?;
        let mut events: Vec<(String, i64, AlertEvent)> = rows
            .iter()
            .map(|row| (row.id.clone(), row.received_at, event_of(row)))
            .collect();
        events.sort_by(|a, b| event_order(&a.2, &b.2));
        Ok(events)
    }

    /// An alert event with its outcome (ExplainAlert): by alert or event id, or
    /// the latest alert of a dedup key.
    pub async fn explain_lookup(
        &self,
        scope: &Scope,
        alert_id: Option<&str>,
        dedup: Option<(&str, &str)>,
    ) -> Result<(
        alert_event::Model,
        Option<alert_outcome::Model>,
        Option<AlertRecord>,
    )> {
        let event = match (alert_id, dedup) {
            (Some(id), _) => alert_event::Entity::find_by_id(id.to_owned())
                .filter(scope.condition(alert_event::Column::CompanyId))
                .one(self.connection())
                .await?
                .ok_or_else(|| Error::NotFound(format!("alert {id}")))?,
            (None, Some((company_id, dedup_key))) => {
                find_company(self.connection(), scope, company_id).await?;
                let latest = alert::Entity::find()
                    .select_only()
                    .column(alert::Column::Id)
                    .filter(alert::Column::CompanyId.eq(company_id))
                    .filter(alert::Column::DedupKey.eq(dedup_key))
                    .order_by_desc(alert::Column::OccurredAt)
                    .into_tuple::<String>()
                    .one(self.connection())
                    .await?;
                let query = alert_event::Entity::find()
                    .filter(alert_event::Column::CompanyId.eq(company_id))
                    .filter(alert_event::Column::DedupKey.eq(dedup_key));
                match latest {
                    Some(id) => {
                        alert_event::Entity::find_by_id(id)
                            .one(self.connection())
                            .await?
                    }
                    None => {
                        query
                            .order_by_desc(alert_event::Column::OccurredAt)
                            .one(self.connection())
                            .await?
                    }
                }
                .ok_or_else(|| Error::NotFound(format!("alert with dedup key {dedup_key:?}")))?
            }
            (None, None) => {
                return Err(Error::invalid(
                    "alert_id",
                    "name the alert by alert_id, or by company_id and dedup_key",
                ));
            }
        };
        let outcome = alert_outcome::Entity::find_by_id(event.id.clone())
            .one(self.connection())
            .await?;
        let alert_id = outcome
            .as_ref()
            .map_or(event.id.clone(), |o| o.alert_id.clone());
        let alert = alert::Entity::find_by_id(alert_id)
            .one(self.connection())
            .await?
            .map(alert_of);
        Ok((event, outcome, alert))
    }

    /// On-duty technicians of a company (checked against the scope) with their
    /// open incident counts.
    pub async fn technician_loads(
        &self,
        scope: &Scope,
        company_id: &str,
    ) -> Result<Vec<TechnicianLoad>> {
        find_company(self.connection(), scope, company_id).await?;
        technician_loads(self.connection(), company_id).await
    }

    /// A technician of the company, or NOT_FOUND.
    pub async fn company_technician(
        &self,
        company_id: &str,
        technician_id: &str,
    ) -> Result<technician::Model> {
        technician::Entity::find_by_id(technician_id.to_owned())
            .filter(technician::Column::CompanyId.eq(company_id))
            .one(self.connection())
            .await?
            .ok_or_else(|| {
                Error::NotFound(format!(
                    "technician {technician_id} of company {company_id}"
                ))
            })
    }

    /// The companies a request names: `company_id` (NOT_FOUND outside the
    /// scope), or every company in scope when it is empty.
    pub async fn requested_companies(
        &self,
        scope: &Scope,
        company_id: &str,
    ) -> Result<Vec<String>> {
        if company_id.is_empty() {
            self.company_ids(scope).await
        } else {
            find_company(self.connection(), scope, company_id).await?;
            Ok(vec![company_id.to_owned()])
        }
    }

    /// Every company id in scope (for totals over all companies).
    pub async fn company_ids(&self, scope: &Scope) -> Result<Vec<String>> {
        use super::entity::company;
        Ok(company::Entity::find()
            .select_only()
            .column(company::Column::Id)
            .filter(scope.condition(company::Column::Id))
            .filter(company::Column::DeletedAt.is_null())
            .order_by_asc(company::Column::Id)
            .into_tuple::<String>()
            .all(self.connection())
            .await?)
    }
}

async fn technician_loads(
    db: &impl ConnectionTrait,
    company_id: &str,
) -> Result<Vec<TechnicianLoad>> {
    Ok(technician_loads_of(db, &[company_id.to_owned()])
        .await?
        .remove(company_id)
        .unwrap_or_default())
}

/// The on-duty technicians of several companies with their open incidents,
/// by company: one statement that reads the technicians' rows, whose
/// `open_incident_count` triggers on `incidents` keep (migration 11), so its
/// cost does not grow with the number of open incidents.
async fn technician_loads_of(
    db: &impl ConnectionTrait,
    companies: &[String],
) -> Result<HashMap<String, Vec<TechnicianLoad>>> {
    let technicians = technician::Entity::find()
        .filter(technician::Column::CompanyId.is_in(companies.iter().cloned()))
        .filter(technician::Column::OnDuty.eq(true))
        .order_by_asc(technician::Column::Id)
        .all(db)
        .await?;
    let mut loads: HashMap<String, Vec<TechnicianLoad>> = HashMap::new();
    for tech in technicians {
        loads
            .entry(tech.company_id.clone())
            .or_default()
            .push(TechnicianLoad {
                open_incidents: tech.open_incident_count,
                skills: json_vec::<String>(&tech.skills)
                    .into_iter()
                    .map(|skill| skill.to_lowercase())
                    .collect(),
                name: tech.name,
                id: tech.id,
            });
    }
    Ok(loads)
}

pub fn decisions_of(outcome: &alert_outcome::Model) -> Vec<Decision> {
    json_vec(&outcome.decisions)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// SQLite's plan for a statement, one line per step.
    async fn plan(store: &Store, statement: Statement) -> Vec<String> {
        let explain = Statement::from_sql_and_values(
            DbBackend::Sqlite,
            format!("EXPLAIN QUERY PLAN {}", statement.sql),
            statement.values.map(|v| v.0).unwrap_or_default(),
        );
        store
            .connection()
            .query_all_raw(explain)
            .await
            .expect("plan")
            .iter()
            .map(|row| row.try_get::<String>("", "detail").expect("detail"))
            .collect()
    }

    /// One table access a lookup must make: the index, and the key columns it
    /// must be searched by (an equality on the key, not a range of a company).
    struct Access {
        sqlite: &'static str,
        postgres: &'static str,
        key: &'static [&'static str],
    }

    /// A pass's lookups by value (built for `backend`), each with every table
    /// access it may make.
    fn pass_lookups(backend: DbBackend) -> Vec<(Statement, Vec<Access>)> {
        let companies = vec!["c1".to_owned(), "c2".to_owned()];
        let two = |a: &str, b: &str| vec![a.to_owned(), b.to_owned()];
        vec![
            (
                alerts_by_dedup_key(companies.clone(), two("k1", "k2"), 5).build(backend),
                vec![Access {
                    sqlite: "idx_alerts_company_dedup",
                    postgres: "idx_alerts_company_dedup",
                    key: &["company_id", "dedup_key"],
                }],
            ),
            (
                open_incidents_by_key(companies.clone(), two("a|s", "b|s")).build(backend),
                vec![Access {
                    sqlite: "idx_incidents_company_key",
                    postgres: "idx_incidents_company_key",
                    key: &["company_id", "aggregation_key"],
                }],
            ),
            (
                storm_candidates(companies.clone(), two("cpu", "disk"), 5).build(backend),
                vec![Access {
                    sqlite: "idx_incidents_company_signature_roots",
                    postgres: "idx_incidents_company_signature_roots",
                    key: &["company_id", "signature"],
                }],
            ),
            (
                super::super::inhibition::sources_under(
                    companies,
                    &[
                        ("r1".to_owned(), "[\"db-01\"]".to_owned()),
                        ("r2".to_owned(), "[\"db-02\"]".to_owned()),
                    ],
                )
                .build(backend),
                vec![
                    Access {
                        sqlite: "sqlite_autoindex_inhibition_sources_1",
                        postgres: "inhibition_sources_pkey",
                        key: &["rule_id", "equal_key"],
                    },
                    Access {
                        sqlite: "sqlite_autoindex_alerts_1",
                        postgres: "alerts_pkey",
                        key: &["id"],
                    },
                ],
            ),
        ]
    }

    // Correlation must cost O(1) per alert in the number of stored alerts and
    // open incidents: each lookup of a pass is an index search by its key,
    // never a scan, and never a range that grows with the company.
    #[tokio::test]
    async fn correlation_lookups_search_their_indexes() {
        let (_dir, _, store) = super::super::temp_sqlite_store().await;
        for (statement, accesses) in pass_lookups(DbBackend::Sqlite) {
            let steps = plan(&store, statement).await;
            // Every table access is a SEARCH of an expected index, with an
            // equality on each of its key columns.
            let reads: Vec<&String> = steps
                .iter()
                .filter(|step| step.starts_with("SEARCH") || step.starts_with("SCAN"))
                .collect();
            assert!(!reads.is_empty(), "no table access: {steps:?}");
            for read in &reads {
                let fits = accesses.iter().any(|access| {
                    read.starts_with("SEARCH")
                        && read.contains(&format!("INDEX {} (", access.sqlite))
                        && access
                            .key
                            .iter()
                            .all(|column| read.contains(&format!("{column}=?")))
                });
                assert!(fits, "{read} is not a search by key: {steps:?}");
            }
            for access in &accesses {
                assert!(
                    reads.iter().any(|read| read.contains(access.sqlite)),
                    "{} not used: {steps:?}",
                    access.sqlite
                );
            }
        }
    }

    // The same lookups on PostgreSQL, over tables with the statistics of a
    // busy database. Sequential scans are switched off for the session, so a
    // lookup that still scans has no index that can serve it.
    #[tokio::test]
    async fn correlation_lookups_search_their_indexes_on_postgres() {
        let Some(url) = std::env::var("TEST_DATABASE_URL")
            .ok()
            .filter(|url| !url.is_empty())
        else {
            eprintln!("TEST_DATABASE_URL is not set: skipped");
            return;
        };
        let schema = format!("aw_plan_{}", uuid::Uuid::now_v7().simple());
        let config = crate::config::Config {
            database_url: url,
            database_schema: schema.clone(),
            ..Default::default()
        }
        .validated()
        .expect("config");
        let store = Store::connect(&config).await.expect("store");
        store.migrate().await.expect("migrate");
        // Rows and statistics like a busy database's (four companies, 50
        // signatures, 20,000 incidents, alerts and index rows), so that the
        // plans are the ones the planner would choose there. The foreign keys
        // and triggers are off for the fill only.
        let fill = store.connection().begin().await.expect("begin");
        for sql in [
            "SET LOCAL session_replication_role = replica",
            "INSERT INTO incidents (id, company_id, aggregation_key, asset, signature, summary, \
             status, priority, priority_reasons, alert_count, firing_alert_count, tools, severity, \
             is_storm_parent, child_incident_count, open_child_count, flapping, self_healed, \
             remediation_failed, resolution, search_text, first_alert_at, last_alert_at, \
             created_at, updated_at) \
             SELECT 'i' || g, 'c' || (g % 4), 'h' || g || '|s' || (g % 50), 'h' || g, \
             's' || (g % 50), '', g % 4, 50, '[]', 1, 1, '[]', 2, false, 0, 0, false, false, \
             false, '', '', g, g, g, g FROM generate_series(1, 20000) AS g",
            "INSERT INTO alerts (id, company_id, dedup_key, aggregation_key, asset, signature, \
             severity, message, tool_source, labels, occurred_at, received_at, last_occurred_at, \
             status, count, external_id, link, outcome, flap_history) \
             SELECT 'a' || g, 'c' || (g % 4), 'h' || g || '|s' || (g % 50), \
             'h' || g || '|s' || (g % 50), 'h' || g, 's' || (g % 50), 2, '', 'tool', '{}', g, g, \
             g, g % 4, 1, '', '', 1, '[]' FROM generate_series(1, 20000) AS g",
            "INSERT INTO inhibition_sources (rule_id, equal_key, alert_id, company_id) \
             SELECT 'r' || (g % 10), '[\"h' || g || '\"]', 'a' || g, 'c' || (g % 4) \
             FROM generate_series(1, 20000) AS g",
            "ANALYZE incidents",
            "ANALYZE alerts",
            "ANALYZE inhibition_sources",
        ] {
            fill.execute_unprepared(sql).await.expect(sql);
        }
        fill.commit().await.expect("commit");
        let mut failures = Vec::new();
        for (statement, accesses) in pass_lookups(DbBackend::Postgres) {
            let txn = store.connection().begin().await.expect("begin");
            txn.execute_unprepared("SET LOCAL enable_seqscan = off")
                .await
                .expect("set");
            let explain = Statement::from_sql_and_values(
                DbBackend::Postgres,
                format!("EXPLAIN {}", statement.sql),
                statement.values.map(|v| v.0).unwrap_or_default(),
            );
            let steps: Vec<String> = txn
                .query_all_raw(explain)
                .await
                .expect("plan")
                .iter()
                .map(|row| row.try_get_by_index::<String>(0).expect("line"))
                .collect();
            txn.rollback().await.expect("rollback");
            // Every scan node reads an expected index, and its `Index Cond`
            // (the next line) names each key column.
            let mut used = Vec::new();
            for (at, step) in steps.iter().enumerate() {
                if !step.contains(" Scan") || step.contains("Bitmap Heap Scan") {
                    continue;
                }
                let cond = steps.get(at + 1).map_or("", |next| next.trim());
                let fits = accesses.iter().find(|access| {
                    step.contains(&format!(" {} ", access.postgres))
                        && step.contains("Index")
                        && cond.starts_with("Index Cond:")
                        && access.key.iter().all(|column| {
                            cond.contains(&format!("({column})"))
                                || cond.contains(&format!("({column} "))
                        })
                });
                match fits {
                    Some(access) => used.push(access.postgres),
                    None => failures.push(format!("{step} is not a search by key: {steps:#?}")),
                }
            }
            for access in &accesses {
                if !used.contains(&access.postgres) {
                    failures.push(format!("{} not used: {steps:#?}", access.postgres));
                }
            }
        }
        store
            .connection()
            .execute_unprepared(&format!("DROP SCHEMA \"{schema}\" CASCADE"))
            .await
            .expect("drop schema");
        assert!(failures.is_empty(), "not an index search: {failures:#?}");
    }
}
