//! The tables as a projection of the ingest log: [`Store::project`] writes
//! what a run of log records did, coalesced (an alert repeated a thousand
//! times in the run is one row update), in one transaction that also moves
//! each company's checkpoint. Records at or before a company's checkpoint
//! are skipped, so applying a record twice (a replay after a crash, or two
//! replicas during a takeover) writes it once.

use std::collections::{BTreeMap, HashMap};

use sea_orm::sea_query::{Expr, ExprTrait, OnConflict, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, DbBackend, EntityTrait, QueryFilter,
    QuerySelect, Set, Statement,
};

use super::entity::{
    alert, alert_event, alert_outcome, api_key, execution, execution_event, incident,
    incident_event, incident_sequence, inhibition_rule, projector_checkpoint, silence,
};
use super::event_log::NOTIFY_CHANNEL;
use super::{Store, to_json};
use crate::domain::execution::Execution;
use crate::domain::incident::{AlertRecord, Incident};
use crate::error::{Error, Result};
use crate::owner::record::{Entry, ExecutionRow, Record};

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

/// A row of `incidents` for an incident.
pub(crate) fn incident_row(incident: &Incident) -> Result<incident::ActiveModel> {
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

fn execution_row(company_id: &str, row: &ExecutionRow) -> Result<execution::ActiveModel> {
    let execution: Execution = serde_json::from_str(&row.data)
        .map_err(|error| Error::Internal(format!("execution {}: {error}", row.id)))?;
    Ok(execution::ActiveModel {
        id: Set(row.id.clone()),
        company_id: Set(company_id.to_owned()),
        status: Set(execution.status.as_i16()),
        runbook_id: Set(execution.runbook_id.clone()),
        rule_id: Set(execution.rule_id.clone()),
        incident_id: Set(execution.incident_id.clone()),
        asset: Set(execution.asset.chars().take(255).collect()),
        created_at: Set(execution.created_at),
        next_check_at: Set(row.next_check_at),
        version: Set(row.version),
        data: Set(row.data.clone()),
    })
}

/// Inserts `rows` in chunks of [`ROWS_PER_INSERT`], updating the columns
/// `update` on a primary-key conflict (none: plain inserts).
async fn upsert_all<A>(
    txn: &DatabaseTransaction,
    mut rows: Vec<A>,
    update: &[<A::Entity as EntityTrait>::Column],
) -> Result<()>
where
    A: sea_orm::ActiveModelTrait + Send,
    <A::Entity as EntityTrait>::Column: Copy,
{
    while !rows.is_empty() {
        let rest = rows.split_off(rows.len().min(ROWS_PER_INSERT));
        let chunk = std::mem::replace(&mut rows, rest);
        let mut insert = <A::Entity as EntityTrait>::insert_many(chunk);
        if !update.is_empty() {
            insert = insert.on_conflict(
                OnConflict::columns(
                    <<A::Entity as EntityTrait>::PrimaryKey as sea_orm::Iterable>::iter()
                        .map(sea_orm::PrimaryKeyToColumn::into_column),
                )
                .update_columns(update.iter().copied())
                .to_owned(),
            );
        }
        insert.exec_without_returning(txn).await?;
    }
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
    let mut events = Vec::with_capacity(event_count);
    for record in records {
        for new in &record.events {
            let correlated_at = if new.decided {
                Some(record.at)
            } else {
                decided.remove(new.id.as_str())
            };
            events.push(alert_event::ActiveModel {
                id: Set(new.id.clone()),
                company_id: Set(record.company_id.clone()),
                api_key_id: Set(new.api_key_id.clone()),
                delivery_id: Set(new.event.delivery_id.clone()),
                idempotency_key: Set(new.idempotency_key.clone()),
                asset: Set(new.event.asset.clone()),
                signature: Set(new.event.signature.clone()),
                severity: Set(new.event.severity.as_i16()),
                message: Set(new.event.message.clone()),
                tool_source: Set(new.event.tool_source.clone()),
                labels: Set(to_json(&new.event.labels)?),
                occurred_at: Set(new.event.occurred_at_ms),
                received_at: Set(new.received_at),
                action: Set(new.event.action.as_i16()),
                dedup_key: Set(new.event.dedup_key.clone()),
                external_id: Set(new.event.external_id.clone()),
                link: Set(new.event.link.clone()),
                source: Set(new.source.clone()),
                correlated_at: Set(correlated_at),
            });
        }
    }
    upsert_all(txn, events, &[]).await?;
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
    let rows = incidents
        .values()
        .map(|incident| incident_row(incident))
        .collect::<Result<Vec<_>>>()?;
    upsert_all(txn, rows, &INCIDENT_UPDATE_COLUMNS).await?;
    let rows = alerts
        .values()
        .map(|alert| alert_row(alert))
        .collect::<Result<Vec<_>>>()?;
    upsert_all(txn, rows, &ALERT_UPDATE_COLUMNS).await?;
    let rows = outcomes
        .values()
        .map(|(company, at, result)| {
            Ok(alert_outcome::ActiveModel {
                event_id: Set(result.event_id.clone()),
                company_id: Set((*company).to_owned()),
                alert_id: Set(result.alert_id.clone()),
                incident_id: Set(result.incident_id.clone()),
                outcome: Set(result.outcome.as_i16()),
                aggregation_key: Set(result.aggregation_key.clone()),
                suppressed_by_id: Set(result.suppressed_by_id.clone()),
                decisions: Set(to_json(&result.decisions)?),
                correlated_at: Set(*at),
            })
        })
        .collect::<Result<Vec<_>>>()?;
    upsert_all(txn, rows, &OUTCOME_UPDATE_COLUMNS).await?;
    let rows = executions
        .values()
        .map(|(company, row)| execution_row(company, row))
        .collect::<Result<Vec<_>>>()?;
    let execution_count = rows.len();
    upsert_all(txn, rows, &EXECUTION_UPDATE_COLUMNS).await?;

    // 3. The log entries.
    let rows = incident_entries
        .iter()
        .map(|(company, entry)| {
            Ok(incident_event::ActiveModel {
                id: Set(entry.id.clone()),
                company_id: Set((*company).to_owned()),
                sequence: Set(entry.sequence),
                incident_id: Set(entry.incident.id.clone()),
                kind: Set(entry.kind.as_i16()),
                actor: Set(entry.actor.clone()),
                message: Set(entry.message.clone()),
                created_at: Set(entry.at),
                snapshot: Set(super::event_log::snapshot_json(&entry.incident)?),
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let entry_count = rows.len() + execution_entries.len();
    upsert_all(txn, rows, &[]).await?;
    let rows = execution_entries
        .iter()
        .map(|(company, entry)| execution_event::ActiveModel {
            id: Set(entry.id.clone()),
            company_id: Set((*company).to_owned()),
            sequence: Set(entry.sequence),
            execution_id: Set(entry.execution_id.clone()),
            kind: Set(entry.kind),
            actor: Set(entry.actor.clone()),
            message: Set(entry.message.clone()),
            created_at: Set(entry.at),
            snapshot: Set(entry.snapshot.clone()),
        })
        .collect();
    upsert_all(txn, rows, &[]).await?;

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
            .on_conflict(OnConflict::new().do_nothing().to_owned());
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
        .on_conflict(OnConflict::column(key).update_column(value).to_owned());
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
    use crate::owner::record::{IncidentEntry, NewEvent};
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
