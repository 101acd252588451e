//! What a company's owner loads into memory when it takes the company (at
//! start, at a takeover, or for a company not used for a while), and the
//! few rows it reads before a decision that needs them. Every function
//! takes a [`ScopedCompany`]. The owner loads a company only once the
//! tables reflect all of its log, so what is read here is the company's
//! state at its checkpoint.

use std::collections::HashMap;

use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, JoinType, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, RelationTrait,
};

use sea_orm::sea_query::ExprTrait;

use super::correlation::settings_of;
use super::entity::{
    alert, alert_event, alert_outcome, correlation_config, execution, incident, inhibition_rule,
    projector_checkpoint, remediation_rule, runbook, silence, technician,
};
use super::error::{Error, Result};
use super::incident::{alert_of, event_of, incident_of};
use super::ingest::WebhookSignatures;
use super::{ScopedCompany, Store};
use crate::domain::correlation::{
    AlertRef, CorrelationSettings, MATCHER_FIELDS, Matcher, STORM_BASELINE,
};
use crate::domain::engine::{InhibitionRule, SilenceRule, TechnicianLoad};
use crate::domain::execution::{ExecStatus, Execution};
use crate::domain::incident::{AlertRecord, AlertStatus, Incident, IncidentStatus, Outcome};
use crate::domain::ingest::{AlertEvent, AlertEventAction};
use crate::domain::remediation::RuleSpec;
use crate::domain::remediation::{RecentExecution, Remediation, Rule};

/// How far back a company's state reaches, for [`Store::resident_rows`].
#[derive(Debug, Clone, Copy)]
pub struct Horizons {
    /// Now (ms).
    pub now: i64,
    /// Events received since then are remembered against retries (ms).
    pub idempotency_since: i64,
    /// At most this many of them (the latest).
    pub idempotency_keys: u64,
}

/// An event received within the idempotency window.
#[derive(Debug, Clone, FromQueryResult)]
pub struct RecentEvent {
    pub id: String,
    /// Hex SHA-256 of dedup key, time and action.
    pub idempotency_key: String,
    /// The sender's delivery id.
    pub delivery_id: Option<String>,
    /// Received (ms).
    pub received_at: i64,
    /// The alert it created or changed (none while pending).
    pub alert_id: Option<String>,
    pub incident_id: Option<String>,
}

/// A company's state as the tables hold it at its checkpoint.
#[derive(Debug)]
pub struct ResidentRows {
    pub settings: CorrelationSettings,
    /// Silences that ended less than a day ago or end later.
    pub silences: Vec<SilenceRule>,
    pub inhibitions: Vec<InhibitionRule>,
    /// On-duty technicians (their counts are the owner's to set).
    pub technicians: Vec<TechnicianLoad>,
    /// Open incidents, and those resolved within the window or the
    /// lateness bound (late repeats still count on them).
    pub incidents: Vec<Incident>,
    /// Unresolved alerts and those resolved within the window or the
    /// lateness bound, first occurrence first.
    pub alerts: Vec<AlertRecord>,
    /// Resolves within the lateness bound that matched no firing alert:
    /// (dedup key, event time).
    pub early_resolves: Vec<(String, i64)>,
    /// When incidents of each signature opened (signature, first alert),
    /// within the storm baseline before what the lateness bound places.
    pub onsets: Vec<(String, i64)>,
    /// The last sequence of the company's event log.
    pub sequence: i64,
    /// The last log position the tables reflect.
    pub position: i64,
    /// Events within the idempotency window, newest first.
    pub recent_events: Vec<RecentEvent>,
    /// Webhook signatures not yet expired, with their expiry.
    pub signatures: Vec<(String, i64)>,
    /// Remediation rules, their runbooks and the executions that count for
    /// their cooldowns.
    pub remediation: Remediation,
    /// Versions of the executions that are not finished (or owe their
    /// incident a result).
    pub executions: Vec<(String, i64)>,
    /// Events stored pending (auto-correlate off).
    pub pending: i64,
}

/// Silences that matter for events of the last day, as the engine takes them.
pub(crate) fn silences_of(rows: Vec<silence::Model>) -> Vec<SilenceRule> {
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
    serde_json::from_str::<Vec<Matcher>>(text)
        .unwrap_or_default()
        .into_iter()
        .map(Matcher::restored)
        .collect()
}

/// Inhibition rules as the engine takes them.
pub(crate) fn inhibitions_of(rows: Vec<inhibition_rule::Model>) -> Vec<InhibitionRule> {
    rows.into_iter()
        .map(|row| InhibitionRule {
            source: matchers_of(&row.source_matchers),
            target: matchers_of(&row.target_matchers),
            equal: serde_json::from_str::<Vec<String>>(&row.equal_refs)
                .unwrap_or_default()
                .iter()
                .filter_map(|text| AlertRef::parse(text, MATCHER_FIELDS).ok())
                .collect(),
            id: row.id,
        })
        .collect()
}

/// How long silences that ended still count for the owner (events may
/// arrive late).
pub const SILENCE_HORIZON_MS: i64 = 24 * 3600 * 1000;

impl Store {
    /// Everything a company's owner keeps in memory, as the tables hold it.
    pub async fn resident_rows(
        &self,
        company: &ScopedCompany,
        horizons: Horizons,
    ) -> Result<ResidentRows> {
        let db = self.connection();
        let id = company.id();
        let settings = self.company_settings(company).await?;
        let (silences, inhibitions) = self
            .suppression_rules(company, horizons.now.saturating_sub(SILENCE_HORIZON_MS))
            .await?;
        let technicians = self.on_duty_technicians(company).await?;
        let kept = settings.window.max(settings.lateness);
        let since = horizons
            .now
            .saturating_sub(i64::try_from(kept.as_millis()).unwrap_or(i64::MAX));
        let mut incidents: Vec<Incident> = incident::Entity::find()
            .filter(incident::Column::CompanyId.eq(id))
            .filter(incident::Column::Status.ne(IncidentStatus::Resolved.as_i16()))
            .all(db)
            .await?
            .into_iter()
            .map(incident_of)
            .collect();
        incidents.extend(
            incident::Entity::find()
                .filter(incident::Column::CompanyId.eq(id))
                .filter(incident::Column::Status.eq(IncidentStatus::Resolved.as_i16()))
                .filter(incident::Column::ResolvedAt.gte(since))
                .all(db)
                .await?
                .into_iter()
                .map(incident_of),
        );
        // The onsets a storm is measured against: of the baseline before
        // what the lateness bound still places.
        let baseline = i64::try_from((kept + STORM_BASELINE).as_millis()).unwrap_or(i64::MAX);
        let onsets: Vec<(String, i64)> = incident::Entity::find()
            .select_only()
            .column(incident::Column::Signature)
            .column(incident::Column::FirstAlertAt)
            .filter(incident::Column::CompanyId.eq(id))
            .filter(incident::Column::IsStormParent.eq(false))
            .filter(incident::Column::FirstAlertAt.gte(horizons.now.saturating_sub(baseline)))
            .into_tuple()
            .all(db)
            .await?;
        let mut alerts: Vec<AlertRecord> = alert::Entity::find()
            .filter(alert::Column::CompanyId.eq(id))
            .filter(alert::Column::Status.ne(AlertStatus::Resolved.as_i16()))
            .all(db)
            .await?
            .into_iter()
            .map(alert_of)
            .collect();
        alerts.extend(
            alert::Entity::find()
                .filter(alert::Column::CompanyId.eq(id))
                .filter(alert::Column::Status.eq(AlertStatus::Resolved.as_i16()))
                .filter(alert::Column::ResolvedAt.gte(since))
                .all(db)
                .await?
                .into_iter()
                .map(alert_of),
        );
        alerts.sort_by(|a, b| (a.occurred_at, &a.id).cmp(&(b.occurred_at, &b.id)));
        let early_resolves: Vec<(String, i64)> = alert_event::Entity::find()
            .select_only()
            .column(alert_event::Column::DedupKey)
            .column(alert_event::Column::OccurredAt)
            .join(JoinType::InnerJoin, alert_event::Relation::Outcome.def())
            .filter(alert_event::Column::CompanyId.eq(id))
            .filter(alert_event::Column::ReceivedAt.gte(since))
            .filter(alert_event::Column::Action.eq(AlertEventAction::Resolve.as_i16()))
            .filter(alert_outcome::Column::Outcome.eq(Outcome::Unmatched.as_i16()))
            .into_tuple()
            .all(db)
            .await?;
        let sequence = self.head_sequence(company).await?;
        let position = projector_checkpoint::Entity::find_by_id(id.to_owned())
            .one(db)
            .await?
            .map_or(0, |row| row.position);
        let recent_events = alert_event::Entity::find()
            .select_only()
            .column(alert_event::Column::Id)
            .column(alert_event::Column::IdempotencyKey)
            .column(alert_event::Column::DeliveryId)
            .column(alert_event::Column::ReceivedAt)
            .column_as(alert_outcome::Column::AlertId, "alert_id")
            .column_as(alert_outcome::Column::IncidentId, "incident_id")
            .join(JoinType::LeftJoin, alert_event::Relation::Outcome.def())
            .filter(alert_event::Column::CompanyId.eq(id))
            .filter(alert_event::Column::ReceivedAt.gte(horizons.idempotency_since))
            .order_by_desc(alert_event::Column::ReceivedAt)
            .limit(horizons.idempotency_keys)
            .into_model::<RecentEvent>()
            .all(db)
            .await?;
        let signatures = sea_orm::sea_query::Query::select()
            .columns([WebhookSignatures::Signature, WebhookSignatures::ExpiresAt])
            .from(WebhookSignatures::Table)
            .and_where(
                sea_orm::sea_query::Expr::col(WebhookSignatures::CompanyId).eq(id.to_owned()),
            )
            .and_where(
                sea_orm::sea_query::Expr::col(WebhookSignatures::ExpiresAt).gte(horizons.now),
            )
            .to_owned();
        let signatures = db
            .query_all(&signatures)
            .await?
            .into_iter()
            .map(|row| {
                Ok((
                    row.try_get::<String>("", "signature")?,
                    row.try_get::<i64>("", "expires_at")?,
                ))
            })
            .collect::<Result<Vec<_>, sea_orm::DbErr>>()?;
        let remediation = self.remediation(company, horizons.now).await?;
        let executions = execution::Entity::find()
            .select_only()
            .column(execution::Column::Id)
            .column(execution::Column::Version)
            .filter(execution::Column::CompanyId.eq(id))
            .filter(execution::Column::NextCheckAt.is_not_null())
            .into_tuple::<(String, i64)>()
            .all(db)
            .await?;
        let pending = alert_event::Entity::find()
            .filter(alert_event::Column::CompanyId.eq(id))
            .filter(alert_event::Column::CorrelatedAt.is_null())
            .count(db)
            .await?;
        Ok(ResidentRows {
            settings,
            silences,
            inhibitions,
            technicians,
            incidents,
            alerts,
            onsets,
            early_resolves,
            sequence,
            position,
            recent_events,
            signatures,
            remediation,
            executions,
            pending: i64::try_from(pending).unwrap_or(i64::MAX),
        })
    }

    /// The company's correlation settings (defaults when never changed).
    pub async fn company_settings(&self, company: &ScopedCompany) -> Result<CorrelationSettings> {
        let row = correlation_config::Entity::find_by_id(company.id().to_owned())
            .one(self.connection())
            .await?;
        Ok(settings_of(row.as_ref()))
    }

    /// The company's silences that end after `ended_after` and its
    /// inhibition rules, as the engine takes them.
    pub async fn suppression_rules(
        &self,
        company: &ScopedCompany,
        ended_after: i64,
    ) -> Result<(Vec<SilenceRule>, Vec<InhibitionRule>)> {
        let silences = silence::Entity::find()
            .filter(silence::Column::CompanyId.eq(company.id()))
            .filter(silence::Column::EndsAt.gt(ended_after))
            .order_by_asc(silence::Column::Id)
            .all(self.connection())
            .await?;
        let inhibitions = inhibition_rule::Entity::find()
            .filter(inhibition_rule::Column::CompanyId.eq(company.id()))
            .order_by_asc(inhibition_rule::Column::Id)
            .all(self.connection())
            .await?;
        Ok((silences_of(silences), inhibitions_of(inhibitions)))
    }

    /// The company's on-duty technicians, in id order (open-incident counts 0).
    pub async fn on_duty_technicians(
        &self,
        company: &ScopedCompany,
    ) -> Result<Vec<TechnicianLoad>> {
        Ok(technician::Entity::find()
            .filter(technician::Column::CompanyId.eq(company.id()))
            .filter(technician::Column::OnDuty.eq(true))
            .order_by_asc(technician::Column::Id)
            .all(self.connection())
            .await?
            .into_iter()
            .map(|tech| TechnicianLoad {
                skills: serde_json::from_str::<Vec<String>>(&tech.skills)
                    .unwrap_or_default()
                    .into_iter()
                    .map(|skill| skill.to_lowercase())
                    .collect(),
                open_incidents: 0,
                name: tech.name,
                id: tech.id,
            })
            .collect())
    }

    /// The company's remediation rules (id order), their runbooks, and its
    /// executions created within the rules' longest cooldown before `now`.
    pub async fn remediation(&self, company: &ScopedCompany, now: i64) -> Result<Remediation> {
        let db = self.connection();
        let mut rules = Vec::new();
        for row in remediation_rule::Entity::find()
            .filter(remediation_rule::Column::CompanyId.eq(company.id()))
            .order_by_asc(remediation_rule::Column::Id)
            .all(db)
            .await?
        {
            let spec: RuleSpec = serde_json::from_str(&row.data).map_err(|error| {
                Error::Internal(format!("remediation rule {}: {error}", row.id))
            })?;
            rules.push(Rule {
                id: row.id,
                spec: spec.restored(),
            });
        }
        let mut remediation = Remediation {
            rules,
            ..Remediation::default()
        };
        if remediation.rules.is_empty() {
            return Ok(remediation);
        }
        let ids: Vec<String> = remediation
            .rules
            .iter()
            .map(|rule| rule.spec.runbook_id.clone())
            .collect();
        let found: HashMap<String, runbook::Model> = runbook::Entity::find()
            .filter(runbook::Column::Id.is_in(ids.clone()))
            .all(db)
            .await?
            .into_iter()
            .map(|row| (row.id.clone(), row))
            .collect();
        for id in ids {
            let spec = found.get(&id).map(super::runbook::spec_of);
            remediation.runbooks.insert(id, spec);
        }
        let since = now.saturating_sub(remediation.longest_cooldown_ms());
        remediation.recent = execution::Entity::find()
            .filter(execution::Column::CompanyId.eq(company.id()))
            .filter(execution::Column::CreatedAt.gte(since))
            .all(db)
            .await?
            .into_iter()
            .filter_map(|row| {
                Some(RecentExecution {
                    status: ExecStatus::from_i16(row.status)?,
                    id: row.id,
                    runbook_id: row.runbook_id,
                    asset: row.asset,
                    created_at: row.created_at,
                })
            })
            .collect();
        Ok(remediation)
    }

    /// An incident of the company with its alerts (what a change of an
    /// incident the owner no longer holds needs).
    pub async fn incident_with_alerts(
        &self,
        company: &ScopedCompany,
        incident_id: &str,
    ) -> Result<Option<(Incident, Vec<AlertRecord>)>> {
        let Some(row) = incident::Entity::find_by_id(incident_id.to_owned())
            .filter(incident::Column::CompanyId.eq(company.id()))
            .one(self.connection())
            .await?
        else {
            return Ok(None);
        };
        let alerts = alert::Entity::find()
            .filter(alert::Column::IncidentId.eq(incident_id))
            .filter(alert::Column::CompanyId.eq(company.id()))
            .all(self.connection())
            .await?
            .into_iter()
            .map(alert_of)
            .collect();
        Ok(Some((incident_of(row), alerts)))
    }

    /// An execution's stored version (what a compare-and-set on an
    /// execution the owner does not hold starts from).
    pub async fn execution_version(
        &self,
        company: &ScopedCompany,
        execution_id: &str,
    ) -> Result<Option<(i64, Execution)>> {
        let Some(row) = execution::Entity::find_by_id(execution_id.to_owned())
            .filter(execution::Column::CompanyId.eq(company.id()))
            .one(self.connection())
            .await?
        else {
            return Ok(None);
        };
        let execution = serde_json::from_str(&row.data)
            .map_err(|error| Error::Internal(format!("execution {}: {error}", row.id)))?;
        Ok(Some((row.version, execution)))
    }

    /// The company's events stored pending, oldest first, at most `limit`.
    pub async fn pending_events(
        &self,
        company: &ScopedCompany,
        limit: u64,
    ) -> Result<Vec<(String, i64, AlertEvent)>> {
        Ok(alert_event::Entity::find()
            .filter(alert_event::Column::CompanyId.eq(company.id()))
            .filter(alert_event::Column::CorrelatedAt.is_null())
            .order_by_asc(alert_event::Column::OccurredAt)
            .order_by_asc(alert_event::Column::DedupKey)
            .order_by_asc(alert_event::Column::Action)
            .limit(limit)
            .all(self.connection())
            .await?
            .iter()
            .map(|row| (row.id.clone(), row.received_at, event_of(row)))
            .collect())
    }

    /// Companies with events stored pending.
    pub async fn companies_with_pending_events(&self) -> Result<Vec<ScopedCompany>> {
        Ok(alert_event::Entity::find()
            .select_only()
            .column(alert_event::Column::CompanyId)
            .filter(alert_event::Column::CorrelatedAt.is_null())
            .distinct()
            .into_tuple::<String>()
            .all(self.connection())
            .await?
            .into_iter()
            .map(ScopedCompany::system)
            .collect())
    }

    /// Companies with open flapping incidents whose alerts are all resolved.
    pub async fn companies_with_quiet_flapping(&self) -> Result<Vec<ScopedCompany>> {
        Ok(incident::Entity::find()
            .select_only()
            .column(incident::Column::CompanyId)
            .filter(incident::Column::Flapping.eq(true))
            .filter(incident::Column::Status.ne(IncidentStatus::Resolved.as_i16()))
            .filter(incident::Column::FiringAlertCount.eq(0))
            .distinct()
            .into_tuple::<String>()
            .all(self.connection())
            .await?
            .into_iter()
            .map(ScopedCompany::system)
            .collect())
    }
}
