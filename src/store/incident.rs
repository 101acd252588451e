//! Incidents as the tables hold them: lists and searches, an incident with
//! its alerts and timeline, KPIs and noise counts, and what ExplainAlert
//! reads. The tables are written only by the projector (see
//! `store::projection`); every change goes through the company's owner.

use std::collections::BTreeMap;

use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, QueryFilter, QueryOrder,
    QuerySelect,
};

use super::entity::{alert, alert_event, alert_outcome, incident, incident_event, technician};
use super::error::{Error, Result};
use super::event_log::{StoredEvent, stored_event_of};
use super::tenant::find_company;
use super::{Page, Scope, ScopedCompany, Store};
use crate::domain::engine::event_order;
use crate::domain::incident::{
    AlertRecord, AlertStatus, Decision, Incident, IncidentStatus, KpiSums, Outcome,
};
use crate::domain::ingest::{AlertEvent, AlertEventAction, AlertSeverity};

/// An incident as `GetIncident` shows it (see [`Store::incident_view`]).
#[derive(Debug, Clone)]
pub struct IncidentView {
    pub incident: Incident,
    /// Its latest alerts, latest first.
    pub alerts: Vec<AlertRecord>,
    /// Whether it has more alerts than were asked for.
    pub alerts_truncated: bool,
    /// Oldest first (at most the newest 5,000 entries).
    pub timeline: Vec<StoredEvent>,
    /// A storm parent's grouped incidents, newest first (at most 1,000);
    /// empty for any other incident.
    pub children: Vec<Incident>,
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

/// An incident filter (ListIncidents).
#[derive(Debug, Clone, Default)]
pub struct IncidentFilter {
    /// Companies; empty for any in scope.
    pub company_ids: Vec<String>,
    /// Priorities 1–4; empty for any.
    pub priorities: Vec<i16>,
    /// Statuses; empty for any.
    pub statuses: Vec<i16>,
    pub asset: Option<String>,
    /// Created at or after (ms).
    pub created_from: Option<i64>,
    /// Created before (ms).
    pub created_before: Option<i64>,
    /// Words that must all occur (lower-case).
    pub words: Vec<String>,
    pub technician_id: Option<String>,
    pub parent_incident_id: Option<String>,
}

/// Counts for GetNoiseStats.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NoiseCounts {
    /// Trigger events.
    pub alerts: i64,
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
        first_alert_at: row.first_alert_at,
        last_alert_at: row.last_alert_at,
        created_at: row.created_at,
        acknowledged_at: row.acknowledged_at,
        first_acknowledged_at: row.first_acknowledged_at,
        resolved_at: row.resolved_at,
        updated_at: row.updated_at,
    }
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

impl Store {
    /// The company of an incident the caller may see (NOT_FOUND otherwise).
    pub async fn incident_company(
        &self,
        scope: &Scope,
        incident_id: &str,
    ) -> Result<ScopedCompany> {
        incident::Entity::find_by_id(incident_id.to_owned())
            .select_only()
            .column(incident::Column::CompanyId)
            .filter(scope.condition(incident::Column::CompanyId))
            .into_tuple::<String>()
            .one(self.connection())
            .await?
            .map(ScopedCompany::system)
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
        // A storm parent holds no alerts of its own: its alerts are its
        // children's (the same company's, found through the scoped parent).
        let children = if incident.is_storm_parent {
            incident::Entity::find()
                .filter(incident::Column::CompanyId.eq(incident.company_id.clone()))
                .filter(incident::Column::ParentIncidentId.eq(incident_id))
                .order_by_desc(incident::Column::CreatedAt)
                .order_by_desc(incident::Column::Id)
                .limit(1000)
                .all(&txn)
                .await?
                .into_iter()
                .map(incident_of)
                .collect()
        } else {
            Vec::new()
        };
        let holders: Vec<String> = if incident.is_storm_parent {
            children
                .iter()
                .map(|child: &Incident| child.id.clone())
                .collect()
        } else {
            vec![incident_id.to_owned()]
        };
        let mut rows = alert::Entity::find()
            .filter(alert::Column::IncidentId.is_in(holders))
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
            children,
        })
    }

    /// One page of incidents, newest first.
    pub async fn list_incidents(
        &self,
        scope: &Scope,
        filter: &IncidentFilter,
        page: &Page,
    ) -> Result<(Vec<Incident>, String)> {
        // An incident a merge absorbed is listed no more (GetIncident still
        // answers it, naming its survivor).
        let mut query = incident::Entity::find()
            .filter(scope.condition(incident::Column::CompanyId))
            .filter(incident::Column::MergedIntoId.is_null());
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
            // A word matches an incident when the text of one of its alerts
            // holds it, or (a storm parent, whose alerts are its children's)
            // the text of one of its children's alerts. The outer query is
            // scoped; the alerts are the incidents' own.
            let pattern = contains_pattern(word);
            let own = Query::select()
                .expr(Expr::val(1))
                .from(alert::Entity)
                .and_where(
                    Expr::col((alert::Entity, alert::Column::IncidentId))
                        .equals((incident::Entity, incident::Column::Id)),
                )
                .and_where(
                    Expr::col((alert::Entity, alert::Column::SearchText)).like(pattern.clone()),
                )
                .to_owned();
            let child = Alias::new("child");
            let children = Query::select()
                .expr(Expr::val(1))
                .from_as(incident::Entity, child.clone())
                .inner_join(
                    alert::Entity,
                    Expr::col((alert::Entity, alert::Column::IncidentId))
                        .equals((child.clone(), incident::Column::Id)),
                )
                .and_where(
                    Expr::col((child, incident::Column::ParentIncidentId))
                        .equals((incident::Entity, incident::Column::Id)),
                )
                .and_where(
                    Expr::col((alert::Entity, alert::Column::SearchText)).like(pattern.clone()),
                )
                .to_owned();
            query = query.filter(
                sea_orm::Condition::any()
                    .add(Expr::exists(own))
                    .add(Expr::exists(children)),
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
            // What a technician handles: storm parents and incidents in no
            // storm; a storm's children count through their parent, and an
            // incident a merge absorbed through its survivor.
            .filter(incident::Column::ParentIncidentId.is_null())
            .filter(incident::Column::MergedIntoId.is_null())
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

    /// KPI sums per bucket of `width` ms over `[start, end)`, summed over
    /// `company_ids` and counted as [`Store::kpi_sums`] counts (trigger
    /// events by receive time, top-level incidents by creation time). The
    /// database groups by the bucket index `(time - start) / width`; only
    /// buckets with rows are returned, by index.
    pub async fn kpi_trend_sums(
        &self,
        scope: &Scope,
        company_ids: &[String],
        start: i64,
        end: i64,
        width: i64,
    ) -> Result<BTreeMap<i64, KpiSums>> {
        #[derive(FromQueryResult)]
        struct AlertRow {
            bucket: i64,
            n: i64,
        }
        #[derive(FromQueryResult)]
        struct IncidentRow {
            bucket: i64,
            n: i64,
            acknowledged: i64,
            acknowledge_ms: i64,
            resolved: i64,
            resolve_ms: i64,
            self_healed: i64,
        }
        // Both operands are non-negative integers (times at or after
        // `start`), so the division truncates to the bucket index on SQLite
        // and PostgreSQL alike.
        let bucket = |column: Expr| column.sub(start).div(width);
        // SUM of a BIGINT is NUMERIC on PostgreSQL: cast back to read an i64.
        let sum = |expr: Expr| expr.sum().cast_as(Alias::new("BIGINT"));
        let when = |condition: sea_orm::Condition, then: Expr| -> Expr {
            Expr::case(condition, then).finally(Expr::val(0_i64)).into()
        };
        let mut sums: BTreeMap<i64, KpiSums> = BTreeMap::new();
        let alerts = alert_event::Entity::find()
            .select_only()
            .column_as(bucket(Expr::col(alert_event::Column::ReceivedAt)), "bucket")
            .column_as(alert_event::Column::Id.count(), "n")
            .filter(scope.condition(alert_event::Column::CompanyId))
            .filter(alert_event::Column::CompanyId.is_in(company_ids.to_vec()))
            .filter(alert_event::Column::Action.eq(AlertEventAction::Trigger.as_i16()))
            .filter(alert_event::Column::ReceivedAt.gte(start))
            .filter(alert_event::Column::ReceivedAt.lt(end))
            .group_by(Expr::col(Alias::new("bucket")))
            .into_model::<AlertRow>()
            .all(self.connection())
            .await?;
        for row in alerts {
            sums.entry(row.bucket).or_default().raw_alerts = row.n;
        }
        let created = || Expr::col(incident::Column::CreatedAt);
        let acknowledged = || Expr::col(incident::Column::FirstAcknowledgedAt);
        let resolved_at = || Expr::col(incident::Column::ResolvedAt);
        let is_resolved = || incident::Column::Status.eq(IncidentStatus::Resolved.as_i16());
        let incidents = incident::Entity::find()
            .select_only()
            .column_as(bucket(created()), "bucket")
            .column_as(incident::Column::Id.count(), "n")
            .column_as(
                sum(when(
                    sea_orm::Condition::all().add(acknowledged().is_not_null()),
                    Expr::val(1_i64),
                )),
                "acknowledged",
            )
            // Times before creation count as 0, as in `kpi_sums`.
            .column_as(
                sum(when(
                    sea_orm::Condition::all().add(acknowledged().gt(created())),
                    acknowledged().sub(created()),
                )),
                "acknowledge_ms",
            )
            .column_as(
                sum(when(
                    sea_orm::Condition::all().add(is_resolved()),
                    Expr::val(1_i64),
                )),
                "resolved",
            )
            .column_as(
                sum(when(
                    sea_orm::Condition::all()
                        .add(is_resolved())
                        .add(resolved_at().gt(created())),
                    resolved_at().sub(created()),
                )),
                "resolve_ms",
            )
            .column_as(
                sum(when(
                    sea_orm::Condition::all().add(incident::Column::SelfHealed.eq(true)),
                    Expr::val(1_i64),
                )),
                "self_healed",
            )
            .filter(scope.condition(incident::Column::CompanyId))
            .filter(incident::Column::CompanyId.is_in(company_ids.to_vec()))
            // The incidents `kpi_sums` counts: storm parents and incidents in
            // no storm, none a merge absorbed.
            .filter(incident::Column::ParentIncidentId.is_null())
            .filter(incident::Column::MergedIntoId.is_null())
            .filter(incident::Column::CreatedAt.gte(start))
            .filter(incident::Column::CreatedAt.lt(end))
            .group_by(Expr::col(Alias::new("bucket")))
            .into_model::<IncidentRow>()
            .all(self.connection())
            .await?;
        for row in incidents {
            let sum = sums.entry(row.bucket).or_default();
            sum.incidents = row.n;
            sum.acknowledged = row.acknowledged;
            sum.acknowledge_ms = row.acknowledge_ms;
            sum.resolved = row.resolved;
            sum.resolve_ms = row.resolve_ms;
            sum.self_healed = row.self_healed;
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
            .filter(incident::Column::MergedIntoId.is_null())
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

    /// A technician of the company, or NOT_FOUND.
    pub async fn company_technician(
        &self,
        company: &ScopedCompany,
        technician_id: &str,
    ) -> Result<technician::Model> {
        let company_id = company.id();
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

/// The engine's decisions for an event, from its outcome row.
pub fn decisions_of(outcome: &alert_outcome::Model) -> Vec<Decision> {
    json_vec(&outcome.decisions)
}

/// `LIKE` for text that holds `word`: its `%`, `_` and `\\` are taken
/// literally, not as wildcards (`"h_st0"` does not match `"host0"`).
fn contains_pattern(word: &str) -> sea_orm::sea_query::LikeExpr {
    let mut pattern = String::with_capacity(word.len() + 2);
    pattern.push('%');
    for c in word.chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    sea_orm::sea_query::LikeExpr::new(pattern).escape('\\')
}
