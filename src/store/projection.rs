//! The tables as a projection of the ingest log: [`Store::project`] writes
//! what a run of log records did, coalesced (an alert repeated a thousand
//! times in the run is one row update), in one transaction that also moves
//! each company's checkpoint. Records at or before a company's checkpoint
//! are skipped, so applying a record twice (a replay after a crash, or two
//! replicas during a takeover) writes it once.

use std::collections::{BTreeMap, HashMap};

use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, DbBackend, EntityTrait, QueryFilter,
    QuerySelect, Statement, Value,
};

use super::entity::{
    alert, alert_event, alert_outcome, api_key, execution, execution_event, incident,
    incident_event, incident_sequence, inhibition_rule, projector_checkpoint, silence,
};
use super::error::{Error, Result};
use super::event_log::NOTIFY_CHANNEL;
use super::rows::{OnConflict, Rows};
use super::{Store, to_json};
use crate::domain::execution::Execution;
use crate::domain::incident::{AlertRecord, Incident};
use crate::domain::record::{Entry, ExecutionRow, Record};

/// Rows per multi-row INSERT (keeps under both backends' parameter limits).
const ROWS_PER_INSERT: usize = 400;
/// Ids per `IN` list.
const IDS_PER_LIST: usize = 500;

/// What one call to [`Store::project`] wrote.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Projected {
    /// Records applied (not skipped).
    pub records: usize,
    /// Alert events inserted.
    pub events: usize,
    /// Log entries inserted.
    pub entries: usize,
    /// Execution rows written.
    pub executions: usize,
}

fn text(value: &str) -> Value {
    Value::String(Some(value.to_owned()))
}

fn maybe_text(value: Option<&String>) -> Value {
    Value::String(value.cloned())
}

fn json<T: serde::Serialize>(value: &T) -> Result<Value> {
    Ok(Value::String(Some(to_json(value)?)))
}

/// An `incidents` row, in the entity's column order.
fn push_incident(rows: &mut Rows<incident::Entity>, incident: &Incident) -> Result<()> {
    rows.push([
        text(&incident.id),
        text(&incident.company_id),
        text(&incident.aggregation_key),
        text(&incident.asset),
        text(&incident.signature),
        text(&incident.summary),
        incident.status.as_i16().into(),
        i16::from(incident.priority).into(),
        json(&incident.priority_reasons)?,
        incident.alert_count.into(),
        incident.firing_alert_count.into(),
        json(&incident.tools)?,
        incident.severity.as_i16().into(),
        maybe_text(incident.assigned_technician_id.as_ref()),
        maybe_text(incident.parent_incident_id.as_ref()),
        incident.is_storm_parent.into(),
        incident.child_incident_count.into(),
        incident.open_child_count.into(),
        incident.flapping.into(),
        incident.self_healed.into(),
        incident.remediation_failed.into(),
        text(&incident.resolution),
        incident.first_alert_at.into(),
        incident.last_alert_at.into(),
        incident.created_at.into(),
        incident.acknowledged_at.into(),
        incident.first_acknowledged_at.into(),
        incident.resolved_at.into(),
        incident.updated_at.into(),
        Value::String(incident.merged_into().map(str::to_owned)),
    ]);
    Ok(())
}

/// What a search word is matched against: the alert's asset, signature and
/// message, lower-cased, space-separated (a word has no spaces).
fn search_text(alert: &AlertRecord) -> String {
    format!("{} {} {}", alert.asset, alert.signature, alert.message).to_lowercase()
}

/// An `alerts` row, in the entity's column order.
fn push_alert(rows: &mut Rows<alert::Entity>, alert: &AlertRecord) -> Result<()> {
    rows.push([
        text(&alert.id),
        text(&alert.company_id),
        maybe_text(alert.incident_id.as_ref()),
        text(&alert.dedup_key),
        text(&alert.aggregation_key),
        text(&alert.asset),
        text(&alert.signature),
        alert.severity.as_i16().into(),
        text(&alert.message),
        text(&alert.tool_source),
        json(&alert.labels)?,
        alert.occurred_at.into(),
        alert.received_at.into(),
        alert.last_occurred_at.into(),
        alert.resolved_at.into(),
        alert.status.as_i16().into(),
        alert.count.into(),
        text(&alert.external_id),
        text(&alert.link),
        alert.outcome.as_i16().into(),
        maybe_text(alert.suppressed_by_id.as_ref()),
        json(&alert.flap_history)?,
        Value::String(Some(search_text(alert))),
    ]);
    Ok(())
}

/// An `executions` row, in the entity's column order.
fn push_execution(
    rows: &mut Rows<execution::Entity>,
    company_id: &str,
    row: &ExecutionRow,
) -> Result<()> {
    let execution: Execution = serde_json::from_str(&row.data)
        .map_err(|error| Error::Internal(format!("execution {}: {error}", row.id)))?;
    rows.push([
        text(&row.id),
        text(company_id),
        execution.status.as_i16().into(),
        text(&execution.runbook_id),
        maybe_text(execution.rule_id.as_ref()),
        maybe_text(execution.incident_id.as_ref()),
        Value::String(Some(execution.asset.chars().take(255).collect())),
        execution.created_at.into(),
        row.next_check_at.into(),
        row.version.into(),
        text(&row.data),
    ]);
    Ok(())
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
    incident::Column::FirstAlertAt,
    incident::Column::LastAlertAt,
    incident::Column::AcknowledgedAt,
    incident::Column::FirstAcknowledgedAt,
    incident::Column::MergedIntoId,
    incident::Column::ResolvedAt,
    incident::Column::UpdatedAt,
    incident::Column::Asset,
    incident::Column::Signature,
    incident::Column::AggregationKey,
];

const ALERT_UPDATE_COLUMNS: [alert::Column; 15] = [
    alert::Column::SearchText,
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

const OUTCOME_UPDATE_COLUMNS: [alert_outcome::Column; 6] = [
    alert_outcome::Column::AlertId,
    alert_outcome::Column::IncidentId,
    alert_outcome::Column::Outcome,
    alert_outcome::Column::AggregationKey,
    alert_outcome::Column::SuppressedById,
    alert_outcome::Column::Decisions,
];

const EXECUTION_UPDATE_COLUMNS: [execution::Column; 6] = [
    execution::Column::Status,
    execution::Column::NextCheckAt,
    execution::Column::Version,
    execution::Column::Data,
    execution::Column::RuleId,
    execution::Column::IncidentId,
];

impl Store {
    /// Writes what `records` (in log order) did into the tables, in one
    /// transaction with each company's checkpoint; skips records at or
    /// before their company's checkpoint. On PostgreSQL it announces the
    /// companies' new heads to every replica at commit.
    pub async fn project(&self, records: &[&Record]) -> Result<Projected> {
        if records.is_empty() {
            return Ok(Projected::default());
        }
        let txn = self.begin_write().await?;
        let companies: Vec<String> = {
            let set: std::collections::BTreeSet<&str> =
                records.iter().map(|r| r.company_id.as_str()).collect();
            set.into_iter().map(str::to_owned).collect()
        };
        let mut query = projector_checkpoint::Entity::find()
            .filter(projector_checkpoint::Column::CompanyId.is_in(companies.clone()));
        if self.backend() == DbBackend::Postgres {
            // Two replicas projecting one company during a takeover take
            // turns here, and each skips what the other wrote.
            query = query.lock_exclusive();
        }
        let checkpoints: HashMap<String, i64> = query
            .all(&txn)
            .await?
            .into_iter()
            .map(|row| (row.company_id, row.position))
            .collect();
        let fresh: Vec<&Record> = records
            .iter()
            .copied()
            .filter(|record| {
                checkpoints
                    .get(&record.company_id)
                    .is_none_or(|done| record.position > *done)
            })
            .collect();
        let projected = write(&txn, self.backend(), &fresh).await?;
        txn.commit().await?;
        Ok(projected)
    }
}

async fn write(
    txn: &DatabaseTransaction,
    backend: DbBackend,
    records: &[&Record],
) -> Result<Projected> {
    let mut alerts: BTreeMap<&str, &AlertRecord> = BTreeMap::new();
    let mut incidents: BTreeMap<&str, &Incident> = BTreeMap::new();
    let mut executions: BTreeMap<&str, (&str, &ExecutionRow)> = BTreeMap::new();
    let mut outcomes: BTreeMap<&str, (&str, i64, &crate::domain::engine::EventResult)> =
        BTreeMap::new();
    let mut decided: HashMap<&str, i64> = HashMap::new();
    let mut suppressions: BTreeMap<(&str, bool), i64> = BTreeMap::new();
    let mut keys_used: BTreeMap<&str, i64> = BTreeMap::new();
    let mut heads: BTreeMap<&str, i64> = BTreeMap::new();
    let mut checkpoints: BTreeMap<&str, i64> = BTreeMap::new();
    let mut signatures = Vec::new();
    let mut incident_entries = Vec::new();
    let mut execution_entries = Vec::new();
    let mut event_count = 0;
    for record in records {
        let company = record.company_id.as_str();
        checkpoints.insert(company, record.position);
        for alert in &record.alerts {
            alerts.insert(&alert.id, alert);
        }
        for incident in &record.incidents {
            incidents.insert(&incident.id, incident);
        }
        for row in &record.executions {
            executions.insert(&row.id, (company, row));
        }
        for result in &record.outcomes {
            outcomes.insert(&result.event_id, (company, record.at, result));
        }
        for id in &record.decided_pending {
            decided.insert(id, record.at);
        }
        for suppression in &record.suppressions {
            *suppressions
                .entry((suppression.rule_id.as_str(), suppression.silence))
                .or_default() += suppression.count;
        }
        if let Some(key) = &record.api_key_used {
            let at = keys_used.entry(key).or_default();
            *at = Ord::max(*at, record.at);
        }
        if let Some((signature, expires)) = &record.signature {
            signatures.push((company, signature.as_str(), *expires));
        }
        for entry in &record.entries {
            match entry {
                Entry::Incident(entry) => incident_entries.push((company, entry)),
                Entry::Execution(entry) => execution_entries.push((company, entry)),
            }
        }
        if let Some(last) = record.last_sequence() {
            heads.insert(company, last);
        }
        event_count += record.events.len();
    }

    // 1. The events (an event correlated later in the same run is written
    //    correlated at once).
    let mut events = Rows::<alert_event::Entity>::new(OnConflict::Fail, event_count);
    for record in records {
        for new in &record.events {
            let correlated_at = if new.decided {
                Some(record.at)
            } else {
                decided.remove(new.id.as_str())
            };
            events.push([
                text(&new.id),
                text(&record.company_id),
                text(&new.api_key_id),
                maybe_text(new.event.delivery_id.as_ref()),
                text(&new.idempotency_key),
                text(&new.event.asset),
                text(&new.event.signature),
                new.event.severity.as_i16().into(),
                text(&new.event.message),
                text(&new.event.tool_source),
                json(&new.event.labels)?,
                new.event.occurred_at_ms.into(),
                new.received_at.into(),
                new.event.action.as_i16().into(),
                text(&new.event.dedup_key),
                text(&new.event.external_id),
                text(&new.event.link),
                text(&new.source),
                correlated_at.into(),
            ]);
        }
    }
    events.write(txn, backend).await?;
    // Pending events of earlier runs that this run correlated.
    let mut by_time: BTreeMap<i64, Vec<&str>> = BTreeMap::new();
    for (id, at) in &decided {
        by_time.entry(*at).or_default().push(id);
    }
    for (at, ids) in by_time {
        for chunk in ids.chunks(IDS_PER_LIST) {
            alert_event::Entity::update_many()
                .col_expr(alert_event::Column::CorrelatedAt, Expr::value(at))
                .filter(alert_event::Column::Id.is_in(chunk.iter().map(|id| (*id).to_owned())))
                .exec(txn)
                .await?;
        }
    }

    // 2. The rows as they are now: incidents before alerts and outcomes
    //    (which refer to them), executions.
    let mut rows = Rows::new(
        OnConflict::Update(&INCIDENT_UPDATE_COLUMNS),
        incidents.len(),
    );
    for incident in incidents.values() {
        push_incident(&mut rows, incident)?;
    }
    rows.write(txn, backend).await?;
    let mut rows = Rows::new(OnConflict::Update(&ALERT_UPDATE_COLUMNS), alerts.len());
    for alert in alerts.values() {
        push_alert(&mut rows, alert)?;
    }
    rows.write(txn, backend).await?;
    let mut rows = Rows::<alert_outcome::Entity>::new(
        OnConflict::Update(&OUTCOME_UPDATE_COLUMNS),
        outcomes.len(),
    );
    for (company, at, result) in outcomes.values() {
        rows.push([
            text(&result.event_id),
            text(company),
            text(&result.alert_id),
            maybe_text(result.incident_id.as_ref()),
            result.outcome.as_i16().into(),
            text(&result.aggregation_key),
            maybe_text(result.suppressed_by_id.as_ref()),
            json(&result.decisions)?,
            (*at).into(),
        ]);
    }
    rows.write(txn, backend).await?;
    let mut rows = Rows::new(
        OnConflict::Update(&EXECUTION_UPDATE_COLUMNS),
        executions.len(),
    );
    for (company, row) in executions.values() {
        push_execution(&mut rows, company, row)?;
    }
    let execution_count = rows.len();
    rows.write(txn, backend).await?;

    // 3. The log entries.
    let mut rows = Rows::<incident_event::Entity>::new(OnConflict::Fail, incident_entries.len());
    for (company, entry) in &incident_entries {
        rows.push([
            text(&entry.id),
            text(company),
            entry.sequence.into(),
            text(&entry.incident.id),
            entry.kind.as_i16().into(),
            text(&entry.actor),
            text(&entry.message),
            entry.at.into(),
            Value::String(Some(super::event_log::snapshot_json(&entry.incident)?)),
        ]);
    }
    let entry_count = rows.len() + execution_entries.len();
    rows.write(txn, backend).await?;
    let mut rows = Rows::<execution_event::Entity>::new(OnConflict::Fail, execution_entries.len());
    for (company, entry) in &execution_entries {
        rows.push([
            text(&entry.id),
            text(company),
            entry.sequence.into(),
            text(&entry.execution_id),
            entry.kind.into(),
            text(&entry.actor),
            text(&entry.message),
            entry.at.into(),
            text(&entry.snapshot),
        ]);
    }
    rows.write(txn, backend).await?;

    // 4. Counters: suppressions, keys' last use, replay records.
    for ((rule_id, is_silence), count) in suppressions {
        if is_silence {
            silence::Entity::update_many()
                .col_expr(
                    silence::Column::SuppressedCount,
                    Expr::col(silence::Column::SuppressedCount).add(count),
                )
                .filter(silence::Column::Id.eq(rule_id))
                .exec(txn)
                .await?;
        } else {
            inhibition_rule::Entity::update_many()
                .col_expr(
                    inhibition_rule::Column::SuppressedCount,
                    Expr::col(inhibition_rule::Column::SuppressedCount).add(count),
                )
                .filter(inhibition_rule::Column::Id.eq(rule_id))
                .exec(txn)
                .await?;
        }
    }
    for (key, at) in keys_used {
        api_key::Entity::update_many()
            .col_expr(api_key::Column::LastUsedAt, Expr::value(at))
            .filter(api_key::Column::Id.eq(key))
            .exec(txn)
            .await?;
    }
    for chunk in signatures.chunks(ROWS_PER_INSERT) {
        let mut statement = Query::insert();
        statement
            .into_table(super::ingest::WebhookSignatures::Table)
            .columns([
                super::ingest::WebhookSignatures::CompanyId,
                super::ingest::WebhookSignatures::Signature,
                super::ingest::WebhookSignatures::ExpiresAt,
            ])
            .on_conflict(
                sea_orm::sea_query::OnConflict::new()
                    .do_nothing()
                    .to_owned(),
            );
        for (company, signature, expires) in chunk {
            statement.values_panic([(*company).into(), (*signature).into(), (*expires).into()]);
        }
        txn.execute(&statement).await?;
    }

    // 5. Heads and checkpoints, and (PostgreSQL) the other replicas' wake-up.
    upsert_pairs(
        txn,
        incident_sequence::Entity,
        incident_sequence::Column::CompanyId,
        incident_sequence::Column::Sequence,
        &heads,
    )
    .await?;
    upsert_pairs(
        txn,
        projector_checkpoint::Entity,
        projector_checkpoint::Column::CompanyId,
        projector_checkpoint::Column::Position,
        &checkpoints,
    )
    .await?;
    if backend == DbBackend::Postgres && !heads.is_empty() {
        let calls: Vec<String> = (0..heads.len())
            .map(|i| format!("pg_notify(${}, ${})", 2 * i + 1, 2 * i + 2))
            .collect();
        let mut values: Vec<sea_orm::Value> = Vec::with_capacity(heads.len() * 2);
        for (company_id, sequence) in &heads {
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
    Ok(Projected {
        records: records.len(),
        events: event_count,
        entries: entry_count,
        executions: execution_count,
    })
}

/// Upserts (company, value) rows of a two-column table keyed by company.
async fn upsert_pairs<E>(
    txn: &DatabaseTransaction,
    entity: E,
    key: E::Column,
    value: E::Column,
    pairs: &BTreeMap<&str, i64>,
) -> Result<()>
where
    E: EntityTrait,
{
    if pairs.is_empty() {
        return Ok(());
    }
    let mut statement = Query::insert();
    statement
        .into_table(entity)
        .columns([key, value])
        .on_conflict(
            sea_orm::sea_query::OnConflict::column(key)
                .update_column(value)
                .to_owned(),
        );
    for (company, number) in pairs {
        statement.values_panic([(*company).into(), (*number).into()]);
    }
    txn.execute(&statement).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::engine::World;
    use crate::domain::record::{IncidentEntry, NewEvent};
    use crate::store::entity::{alert_event, incident_event, projector_checkpoint};
    use crate::store::tenant::{Audit, NewCompany};

    /// A company's first record: one alert that opened one incident.
    fn first_record(company_id: &str) -> Record {
        let mut world = World::new(
            company_id,
            Default::default(),
            1_000,
            Box::new(super::super::new_id),
        );
        let event = crate::domain::ingest::AlertEvent {
            asset: "web-01".to_owned(),
            signature: "disk_full".to_owned(),
            severity: crate::domain::ingest::AlertSeverity::High,
            message: "disk full".to_owned(),
            tool_source: "test".to_owned(),
            labels: Default::default(),
            occurred_at_ms: 900,
            action: crate::domain::ingest::AlertEventAction::Trigger,
            dedup_key: "web-01|disk_full".to_owned(),
            external_id: String::new(),
            link: String::new(),
            delivery_id: None,
        };
        let id = super::super::new_id();
        world.apply(&id, 1_000, &event);
        world.finish();
        let changes = world.take_changes();
        Record {
            company_id: company_id.to_owned(),
            position: 1,
            at: 1_000,
            events: vec![NewEvent {
                id,
                api_key_id: "k".to_owned(),
                source: "grpc".to_owned(),
                received_at: 1_000,
                decided: true,
                idempotency_key: event.idempotency_key(),
                event,
            }],
            outcomes: changes.results,
            alerts: changes.alerts,
            incidents: changes.incidents,
            entries: changes
                .feed
                .into_iter()
                .enumerate()
                .map(|(n, entry)| {
                    Entry::Incident(IncidentEntry {
                        sequence: i64::try_from(n).unwrap() + 1,
                        id: super::super::new_id(),
                        kind: entry.kind,
                        actor: entry.actor,
                        message: entry.message,
                        at: entry.at,
                        incident: entry.incident,
                    })
                })
                .collect(),
            ..Record::default()
        }
    }

    // Recovery replays the log after a checkpoint; a takeover may project
    // what the previous owner's projector wrote a moment before. Either way
    // a record is written once, and the checkpoint says how far.
    #[tokio::test]
    async fn a_record_projected_twice_is_written_once() {
        let (_dir, _, store) = super::super::temp_sqlite_store().await;
        let key = crate::secrets::new_api_key();
        let (company, _) = store
            .create_company(
                &Audit::new("test", "test"),
                NewCompany {
                    name: "Acme".to_owned(),
                    website: String::new(),
                    contact_email: String::new(),
                },
                &key,
            )
            .await
            .expect("company");
        let record = first_record(&company.id);
        let first = store.project(&[&record]).await.expect("project");
        assert_eq!((first.records, first.events), (1, 1));
        let again = store.project(&[&record]).await.expect("project again");
        assert_eq!(again, Projected::default(), "skipped: at the checkpoint");
        let events = alert_event::Entity::find()
            .all(store.connection())
            .await
            .expect("events");
        assert_eq!(events.len(), 1);
        assert!(events[0].correlated_at.is_some());
        let entries = incident_event::Entity::find()
            .all(store.connection())
            .await
            .expect("entries");
        assert_eq!(entries.len(), record.entries.len());
        let checkpoint = projector_checkpoint::Entity::find_by_id(company.id.clone())
            .one(store.connection())
            .await
            .expect("checkpoint")
            .expect("a checkpoint row");
        assert_eq!(checkpoint.position, 1);
    }
}

#[cfg(test)]
mod speed {
    //! `cargo test --release --lib projection_speed -- --ignored --nocapture`:
    //! how long the projector takes per record of single-alert requests.
    use crate::domain::engine::World;
    use crate::owner::command::IngestBatch;
    use crate::owner::state::{CompanyState, Windows};
    use crate::store::tenant::{Audit, NewCompany};

    #[tokio::test]
    #[ignore = "a measurement, not a test"]
    async fn projection_speed() {
        let (_dir, config, store) = super::super::temp_sqlite_store().await;
        let projector = super::Store::connect_projector(&config)
            .await
            .expect("projector");
        let key = crate::secrets::new_api_key();
        let (company, _) = store
            .create_company(
                &Audit::new("test", "test"),
                NewCompany {
                    name: "Acme".to_owned(),
                    website: String::new(),
                    contact_email: String::new(),
                },
                &key,
            )
            .await
            .expect("company");
        let world = World::new(
            &company.id,
            Default::default(),
            1_000,
            Box::new(super::super::new_id),
        );
        let mut state = CompanyState::new(
            world,
            0,
            0,
            Windows {
                idempotency_ms: 3_600_000,
                idempotency_keys: 1_000_000,
            },
            1_000,
        );
        let now = super::super::now_ms();
        let mut records = Vec::new();
        for n in 0..20_000u32 {
            let event = crate::domain::ingest::AlertEvent {
                asset: format!("srv-{:05}.client.example", n % 5000),
                signature: [
                    "disk_full",
                    "cpu",
                    "mem",
                    "svc",
                    "lat",
                    "loss",
                    "cert",
                    "backup",
                    "swap",
                    "ntp",
                ][(n / 7 % 10) as usize]
                    .to_owned(),
                severity: crate::domain::ingest::AlertSeverity::High,
                message: format!("check failed on srv-{:05}: value {}", n % 5000, n % 1000),
                tool_source: "Datadog".to_owned(),
                labels: Default::default(),
                occurred_at_ms: now + i64::from(n),
                action: crate::domain::ingest::AlertEventAction::Trigger,
                dedup_key: format!("srv-{:05}|{}", n % 5000, n / 7 % 10),
                external_id: String::new(),
                link: String::new(),
                delivery_id: None,
            };
            let (record, _) = state.ingest(
                IngestBatch {
                    company_id: company.id.clone(),
                    api_key_id: "k".to_owned(),
                    source: "seed".to_owned(),
                    events: vec![event],
                    signature: Some((format!("sha256={n:064}"), now + 600_000)),
                    source_timed: Vec::new(),
                },
                now + i64::from(n),
            );
            records.push(record.expect("record"));
        }
        let bytes: usize = records
            .iter()
            .map(|r| r.encode().expect("encode").len())
            .sum();
        println!(
            "records: {}, {} bytes each on average",
            records.len(),
            bytes / records.len()
        );
        for chunk in records.chunks(5_000) {
            let refs: Vec<&super::Record> = chunk.iter().collect();
            let started = std::time::Instant::now();
            let projected = projector.project(&refs).await.expect("project");
            let elapsed = started.elapsed();
            println!(
                "projected {} records ({} events, {} entries) in {:?}: {:.1} us per record",
                projected.records,
                projected.events,
                projected.entries,
                elapsed,
                elapsed.as_secs_f64() * 1e6 / chunk.len() as f64
            );
        }
    }
}
