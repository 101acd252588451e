//! Remediation rules, runbook executions and the execution event log.
//!
//! Every change of an execution happens under its company's lock row (as
//! incident changes do), appends its events with the company's next
//! sequences, and is a compare-and-set on the row's version, so two replicas
//! never both move one execution (and never both send its command).

use std::collections::BTreeMap;

use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseTransaction, DbBackend,
    EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set, Statement,
    TransactionTrait,
};

use super::entity::{
    execution, execution_event, incident, incident_sequence, remediation_rule, silence,
};
use super::incident::{NOTIFY_CHANNEL, append_events, incident_of, lock_company};
use super::runbook::spec_of;
use super::tenant::{Audit, find_company};
use super::{Page, Scope, Store, new_id, now_ms, to_json};
use crate::domain::correlation::{Matcher, SilenceState, all_match, silence_state};
use crate::domain::engine::{FeedEntry, World};
use crate::domain::execution::{
    AlertView, ExecEventKind, ExecStatus, Execution, Mode, NewExecution, RuleSpec, Trigger, render,
    render_targets, resolve_parameters,
};
use crate::domain::incident::EventKind;
use crate::error::{Error, Result};

/// A stored remediation rule.
#[derive(Debug, Clone)]
pub struct RuleRow {
    /// Id.
    pub id: String,
    /// Company.
    pub company_id: String,
    /// Created (ms).
    pub created_at: i64,
    /// The rule.
    pub spec: RuleSpec,
}

fn rule_of(row: remediation_rule::Model) -> Result<RuleRow> {
    let spec: RuleSpec = serde_json::from_str(&row.data)
        .map_err(|error| Error::Internal(format!("remediation rule {}: {error}", row.id)))?;
    Ok(RuleRow {
        id: row.id,
        company_id: row.company_id,
        created_at: row.created_at,
        spec: spec.restored(),
    })
}

fn execution_of(row: &execution::Model) -> Result<Execution> {
    serde_json::from_str(&row.data)
        .map_err(|error| Error::Internal(format!("execution {}: {error}", row.id)))
}

/// An execution with the version it was read at.
#[derive(Debug, Clone)]
pub struct Versioned {
    /// The execution.
    pub execution: Execution,
    /// Row version (for compare-and-set).
    pub version: i64,
}

/// A stored execution event.
#[derive(Debug, Clone)]
pub struct StoredExecEvent {
    /// Position in the company's log.
    pub sequence: i64,
    /// Kind.
    pub kind: ExecEventKind,
    /// Who.
    pub actor: String,
    /// What.
    pub message: String,
    /// When (ms).
    pub at: i64,
    /// The execution right after the change.
    pub execution: Execution,
}

/// One change to record with an execution update.
#[derive(Debug, Clone)]
pub struct ExecChange {
    /// Event kind.
    pub kind: ExecEventKind,
    /// Who.
    pub actor: String,
    /// What.
    pub message: String,
}

impl ExecChange {
    /// A change by `actor`.
    pub fn new(kind: ExecEventKind, actor: &str, message: impl Into<String>) -> Self {
        Self {
            kind,
            actor: actor.to_owned(),
            message: message.into(),
        }
    }
}

/// ListExecutions filters.
#[derive(Debug, Clone, Default)]
pub struct ExecutionFilter {
    /// Only this company.
    pub company_id: Option<String>,
    /// Only these statuses.
    pub statuses: Vec<i16>,
    /// Only this runbook.
    pub runbook_id: Option<String>,
    /// Only this rule.
    pub rule_id: Option<String>,
    /// Only this incident.
    pub incident_id: Option<String>,
    /// Created at or after (ms).
    pub created_after: Option<i64>,
    /// Created before (ms).
    pub created_before: Option<i64>,
}

fn execution_row(
    execution: &Execution,
    next_check_at: Option<i64>,
    version: i64,
) -> Result<execution::ActiveModel> {
    Ok(execution::ActiveModel {
        id: Set(execution.id.clone()),
        company_id: Set(execution.company_id.clone()),
        status: Set(execution.status.as_i16()),
        runbook_id: Set(execution.runbook_id.clone()),
        rule_id: Set(execution.rule_id.clone()),
        incident_id: Set(execution.incident_id.clone()),
        asset: Set(execution.asset.chars().take(255).collect()),
        created_at: Set(execution.created_at),
        next_check_at: Set(next_check_at),
        version: Set(version),
        data: Set(to_json(execution)?),
    })
}

/// When the executor should next look at an execution in its current status.
pub fn next_check(execution: &Execution, now: i64) -> Option<i64> {
    match execution.status {
        ExecStatus::PendingApproval => execution.approval_expires_at.or(Some(now)),
        ExecStatus::Queued => Some(now),
        ExecStatus::Running | ExecStatus::Cancelling => {
            Some(now + Ord::max(execution.poll_interval_ms, 0))
        }
        _ if execution.owes_incident() => Some(now),
        _ => None,
    }
}

/// Appends execution events after `base` and moves the company's sequence.
async fn append_exec_events(
    txn: &DatabaseTransaction,
    backend: DbBackend,
    company_id: &str,
    base: i64,
    execution: &Execution,
    changes: &[ExecChange],
    at: i64,
) -> Result<i64> {
    if changes.is_empty() {
        return Ok(base);
    }
    let snapshot = to_json(execution)?;
    let mut sequence = base;
    let mut rows = Vec::with_capacity(changes.len());
    for change in changes {
        sequence += 1;
        rows.push(execution_event::ActiveModel {
            id: Set(new_id()),
            company_id: Set(company_id.to_owned()),
            sequence: Set(sequence),
            execution_id: Set(execution.id.clone()),
            kind: Set(change.kind.as_i16()),
            actor: Set(change.actor.chars().take(512).collect()),
            message: Set(change.message.clone()),
            created_at: Set(at),
            snapshot: Set(snapshot.clone()),
        });
    }
    execution_event::Entity::insert_many(rows)
        .exec_without_returning(txn)
        .await?;
    incident_sequence::Entity::update_many()
        .col_expr(incident_sequence::Column::Sequence, Expr::value(sequence))
        .filter(incident_sequence::Column::CompanyId.eq(company_id))
        .exec(txn)
        .await?;
    if backend == DbBackend::Postgres {
        txn.execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT pg_notify($1, $2)",
            [
                NOTIFY_CHANNEL.into(),
                format!("{company_id}:{sequence}").into(),
            ],
        ))
        .await?;
    }
    Ok(sequence)
}

/// Timeline entries of an incident written with an execution change.
async fn incident_notes(
    txn: &DatabaseTransaction,
    incident_id: &str,
    company_id: &str,
    notes: &[(EventKind, String, String)],
    at: i64,
) -> Result<Vec<FeedEntry>> {
    if notes.is_empty() {
        return Ok(Vec::new());
    }
    let Some(row) = incident::Entity::find_by_id(incident_id.to_owned())
        .filter(incident::Column::CompanyId.eq(company_id))
        .one(txn)
        .await?
    else {
        return Ok(Vec::new());
    };
    let incident = incident_of(row);
    Ok(notes
        .iter()
        .map(|(kind, actor, message)| FeedEntry {
            kind: *kind,
            actor: actor.clone(),
            message: message.clone(),
            at,
            incident: incident.clone(),
        })
        .collect())
}

/// The incident timeline kind that mirrors an execution event, if any.
fn incident_kind(kind: ExecEventKind) -> Option<EventKind> {
    match kind {
        ExecEventKind::Created => Some(EventKind::RemediationRequested),
        ExecEventKind::Started => Some(EventKind::RemediationStarted),
        // The proto's REMEDIATION_FAILED: "did not succeed" (the priority
        // only rises for a failed or timed-out run, in the executor).
        ExecEventKind::Rejected | ExecEventKind::Expired | ExecEventKind::Cancelled => {
            Some(EventKind::RemediationFailed)
        }
        _ => None,
    }
}

/// Whether an active silence of the company matches the alert at `now`;
/// answers its id.
async fn silencing(
    conn: &impl ConnectionTrait,
    company_id: &str,
    alert: &AlertView,
    now: i64,
) -> Result<Option<String>> {
    let rows = silence::Entity::find()
        .filter(silence::Column::CompanyId.eq(company_id))
        .filter(silence::Column::EndsAt.gt(now))
        .filter(silence::Column::StartsAt.lte(now))
        .all(conn)
        .await?;
    for row in rows {
        if silence_state(row.starts_at, row.ends_at, now) != SilenceState::Active {
            continue;
        }
        let matchers: Vec<Matcher> = serde_json::from_str::<Vec<Matcher>>(&row.matchers)
            .unwrap_or_default()
            .into_iter()
            .map(Matcher::restored)
            .collect();
        if !matchers.is_empty() && all_match(&matchers, alert) {
            return Ok(Some(row.id));
        }
    }
    Ok(None)
}

/// The last execution of a runbook on an asset created after `since` that
/// counts for the cooldown (anything that was not refused or given up on
/// before it ran).
async fn cooling_down(
    conn: &impl ConnectionTrait,
    company_id: &str,
    runbook_id: &str,
    asset: &str,
    since: i64,
) -> Result<Option<String>> {
    Ok(execution::Entity::find()
        .select_only()
        .column(execution::Column::Id)
        .filter(execution::Column::CompanyId.eq(company_id))
        .filter(execution::Column::RunbookId.eq(runbook_id))
        .filter(execution::Column::Asset.eq(asset))
        .filter(execution::Column::CreatedAt.gte(since))
        .filter(
            execution::Column::Status
                .is_not_in([ExecStatus::Rejected.as_i16(), ExecStatus::Expired.as_i16()]),
        )
        .order_by_desc(execution::Column::CreatedAt)
        .into_tuple::<String>()
        .one(conn)
        .await?)
}

/// What the remediation rules made of the incidents a correlation pass opened.
#[derive(Debug, Default)]
pub struct RemediationPlan {
    /// New executions.
    pub executions: Vec<Execution>,
    /// Timeline entries of the incidents (requested, or why not).
    pub notes: Vec<FeedEntry>,
}

impl Store {
    /// Creates a remediation rule for a company, checked against its runbook.
    pub async fn create_rule(
        &self,
        audit: &Audit,
        scope: &Scope,
        company_id: &str,
        spec: RuleSpec,
    ) -> Result<RuleRow> {
        let runbook = self.get_runbook(scope, &spec.runbook_id).await?;
        if runbook
            .company_id
            .as_deref()
            .is_some_and(|owner| owner != company_id)
        {
            return Err(Error::NotFound(format!("runbook {}", spec.runbook_id)));
        }
        spec.validate(&spec_of(&runbook))?;
        let txn = self.connection().begin().await?;
        find_company(&txn, scope, company_id).await?;
        let row = remediation_rule::ActiveModel {
            id: Set(new_id()),
            company_id: Set(company_id.to_owned()),
            runbook_id: Set(spec.runbook_id.clone()),
            created_at: Set(now_ms()),
            data: Set(to_json(&spec)?),
        }
        .insert(&txn)
        .await?;
        audit
            .record(
                &txn,
                Some(company_id),
                "remediation_rule",
                &row.id,
                serde_json::json!({ "name": spec.name, "runbook_id": spec.runbook_id }),
            )
            .await?;
        txn.commit().await?;
        rule_of(row)
    }

    /// One page of rules, newest first.
    pub async fn list_rules(
        &self,
        scope: &Scope,
        company_id: Option<&str>,
        runbook_id: Option<&str>,
        page: &Page,
    ) -> Result<(Vec<RuleRow>, String)> {
        let mut query = remediation_rule::Entity::find()
            .filter(scope.condition(remediation_rule::Column::CompanyId));
        if let Some(company_id) = company_id {
            find_company(self.connection(), scope, company_id).await?;
            query = query.filter(remediation_rule::Column::CompanyId.eq(company_id));
        }
        if let Some(runbook_id) = runbook_id {
            query = query.filter(remediation_rule::Column::RunbookId.eq(runbook_id));
        }
        if let Some(before) = &page.after {
            query = query.filter(remediation_rule::Column::Id.lt(before.clone()));
        }
        let rows = query
            .order_by_desc(remediation_rule::Column::Id)
            .limit(page.size + 1)
            .all(self.connection())
            .await?;
        let (rows, token) = page.finish(rows, |row| &row.id);
        Ok((rows.into_iter().map(rule_of).collect::<Result<_>>()?, token))
    }

    /// Deletes a rule; its executions stay.
    pub async fn delete_rule(&self, audit: &Audit, scope: &Scope, id: &str) -> Result<()> {
        let txn = self.connection().begin().await?;
        let row = remediation_rule::Entity::find_by_id(id.to_owned())
            .filter(scope.condition(remediation_rule::Column::CompanyId))
            .one(&txn)
            .await?
            .ok_or_else(|| Error::NotFound(format!("remediation rule {id}")))?;
        remediation_rule::Entity::delete_by_id(id.to_owned())
            .exec(&txn)
            .await?;
        audit
            .record(
                &txn,
                Some(&row.company_id),
                "remediation_rule",
                id,
                serde_json::json!({ "deleted": true }),
            )
            .await?;
        txn.commit().await?;
        Ok(())
    }

    /// Whether a runbook is still used by a rule or an unfinished execution
    /// (answers what uses it).
    pub async fn runbook_in_use(&self, runbook_id: &str) -> Result<Option<String>> {
        if let Some(rule) = remediation_rule::Entity::find()
            .filter(remediation_rule::Column::RunbookId.eq(runbook_id))
            .one(self.connection())
            .await?
        {
            return Ok(Some(format!("remediation rule {}", rule.id)));
        }
        Ok(execution::Entity::find()
            .filter(execution::Column::RunbookId.eq(runbook_id))
            .filter(
                execution::Column::Status.is_in(ExecStatus::UNFINISHED.iter().map(|s| s.as_i16())),
            )
            .one(self.connection())
            .await?
            .map(|row| format!("execution {}", row.id)))
    }

    /// The remediation rules of the companies whose passes opened incidents
    /// (rules act only on new incidents), by company, in id order.
    pub(super) async fn rules_for_new_incidents(
        &self,
        txn: &DatabaseTransaction,
        worlds: &[&World],
    ) -> Result<BTreeMap<String, Vec<remediation_rule::Model>>> {
        let companies: Vec<String> = worlds
            .iter()
            .filter(|world| {
                world
                    .feed
                    .iter()
                    .any(|entry| entry.kind == EventKind::Created)
            })
            .map(|world| world.company_id.clone())
            .collect();
        let mut rules: BTreeMap<String, Vec<remediation_rule::Model>> = BTreeMap::new();
        if companies.is_empty() {
            return Ok(rules);
        }
        for row in remediation_rule::Entity::find()
            .filter(remediation_rule::Column::CompanyId.is_in(companies))
            .order_by_asc(remediation_rule::Column::Id)
            .all(txn)
            .await?
        {
            rules.entry(row.company_id.clone()).or_default().push(row);
        }
        Ok(rules)
    }

    /// Decides, inside a correlation pass, what the company's rules do for
    /// the incidents it opened: one execution per matching rule (queued, or
    /// waiting for approval), unless a guardrail or a missing parameter
    /// stops it, which the incident's timeline then says.
    pub(super) async fn plan_remediations(
        &self,
        txn: &DatabaseTransaction,
        company_id: &str,
        world: &World,
        rules: Vec<remediation_rule::Model>,
        now: i64,
    ) -> Result<RemediationPlan> {
        let mut plan = RemediationPlan::default();
        if rules.is_empty() {
            return Ok(plan);
        }
        let rules: Vec<RuleRow> = rules.into_iter().map(rule_of).collect::<Result<_>>()?;
        let mut runbooks = BTreeMap::new();
        for (incident, alert) in world.opened_incidents() {
            let view = AlertView::from(alert);
            for rule in rules.iter().filter(|rule| rule.spec.matches(&view)) {
                let actor = format!("rule:{}", rule.id);
                let note = |message: String| FeedEntry {
                    kind: EventKind::Commented,
                    actor: actor.clone(),
                    message,
                    at: now,
                    incident: (*incident).clone(),
                };
                if !runbooks.contains_key(&rule.spec.runbook_id) {
                    let row =
                        super::entity::runbook::Entity::find_by_id(rule.spec.runbook_id.clone())
                            .one(txn)
                            .await?;
                    runbooks.insert(rule.spec.runbook_id.clone(), row);
                }
                let Some(Some(runbook)) = runbooks.get(&rule.spec.runbook_id) else {
                    plan.notes.push(note(format!(
                        "Remediation rule {:?} skipped: its runbook {} no longer exists",
                        rule.spec.name, rule.spec.runbook_id
                    )));
                    continue;
                };
                let spec = spec_of(runbook);
                let cooldown_ms =
                    i64::try_from(rule.spec.cooldown_seconds).unwrap_or(i64::MAX / 2_000) * 1000;
                if cooldown_ms > 0
                    && let Some(previous) = cooling_down(
                        txn,
                        company_id,
                        &runbook.id,
                        &incident.asset,
                        now - cooldown_ms,
                    )
                    .await?
                {
                    plan.notes.push(note(format!(
                        "Remediation rule {:?} skipped: runbook {:?} already ran on {} within its cooldown of {} s (execution {previous})",
                        rule.spec.name, spec.name, incident.asset, rule.spec.cooldown_seconds
                    )));
                    continue;
                }
                if let Some(silence_id) = silencing(txn, company_id, &view, now).await? {
                    plan.notes.push(note(format!(
                        "Remediation rule {:?} skipped: {} is under silence {silence_id}",
                        rule.spec.name, incident.asset
                    )));
                    continue;
                }
                let given: BTreeMap<String, String> = rule
                    .spec
                    .parameter_templates
                    .iter()
                    .map(|(name, template)| (name.clone(), render(template, &view, &incident.id)))
                    .collect();
                let values = match resolve_parameters("parameters", &spec, &given) {
                    Ok(values) => values,
                    Err(error) => {
                        plan.notes.push(note(format!(
                            "Remediation rule {:?} did not run runbook {:?}: {error}",
                            rule.spec.name, spec.name
                        )));
                        continue;
                    }
                };
                let targets = match &rule.spec.targets {
                    Some(targets) => render_targets(targets, &view, &incident.id),
                    None if !spec.targets.instance_ids.is_empty()
                        || !spec.targets.tags.is_empty() =>
                    {
                        spec.targets.clone()
                    }
                    None => crate::domain::runbook::Targets {
                        instance_ids: vec![incident.asset.clone()],
                        tags: Vec::new(),
                    },
                };
                let probe = crate::domain::runbook::RunbookSpec {
                    targets: targets.clone(),
                    ..spec.clone()
                };
                if let Err(error) = probe.validate() {
                    plan.notes.push(note(format!(
                        "Remediation rule {:?} did not run runbook {:?}: the targets are not valid ({error})",
                        rule.spec.name, spec.name
                    )));
                    continue;
                }
                let approval = rule.spec.mode == Mode::Approval;
                let approval_ms =
                    i64::try_from(rule.spec.approval_timeout_seconds).unwrap_or(3600) * 1000;
                let mut execution = Execution::queued(NewExecution {
                    id: new_id(),
                    company_id,
                    runbook_id: &runbook.id,
                    runbook: &spec,
                    values,
                    targets,
                    requested_by: actor.clone(),
                    now,
                });
                execution.rule_id = Some(rule.id.clone());
                execution.incident_id = Some(incident.id.clone());
                execution.asset.clone_from(&incident.asset);
                execution.trigger = Trigger::Rule;
                execution.alert = Some(view.clone());
                if approval {
                    execution.status = ExecStatus::PendingApproval;
                    execution.status_reason =
                        format!("waiting for approval (rule {:?})", rule.spec.name);
                    execution.approval_expires_at = Some(now + approval_ms);
                }
                plan.notes.push(FeedEntry {
                    kind: EventKind::RemediationRequested,
                    actor: actor.clone(),
                    message: format!(
                        "Rule {:?} requested runbook {:?} (execution {}){}",
                        rule.spec.name,
                        spec.name,
                        execution.id,
                        if approval {
                            ", waiting for approval"
                        } else {
                            ""
                        }
                    ),
                    at: now,
                    incident: (*incident).clone(),
                });
                plan.executions.push(execution);
            }
        }
        Ok(plan)
    }

    /// Writes a pass's planned executions and their Created events after
    /// sequence `base`; answers the last sequence.
    pub(super) async fn insert_planned(
        &self,
        txn: &DatabaseTransaction,
        company_id: &str,
        base: i64,
        executions: &[Execution],
        now: i64,
    ) -> Result<i64> {
        let mut sequence = base;
        for execution in executions {
            execution_row(execution, next_check(execution, now), 0)?
                .insert(txn)
                .await?;
            let message = format!(
                "{} requested {}",
                execution.requested_by,
                if execution.status == ExecStatus::PendingApproval {
                    "(waiting for approval)"
                } else {
                    "(queued)"
                }
            );
            sequence = append_exec_events(
                txn,
                self.backend(),
                company_id,
                sequence,
                execution,
                &[ExecChange::new(
                    ExecEventKind::Created,
                    &execution.requested_by,
                    message,
                )],
                now,
            )
            .await?;
        }
        Ok(sequence)
    }

    /// Stores a new (manual) execution with its Created event; answers the
    /// log sequence.
    pub async fn insert_execution(&self, execution: &Execution, change: ExecChange) -> Result<i64> {
        let txn = self.connection().begin().await?;
        let base = lock_company(&txn, &execution.company_id).await?;
        let now = execution.created_at;
        execution_row(execution, next_check(execution, now), 0)?
            .insert(&txn)
            .await?;
        let note = (
            EventKind::RemediationRequested,
            change.actor.clone(),
            if execution.comment.is_empty() {
                format!(
                    "{} requested runbook {:?} (execution {})",
                    change.actor, execution.runbook_name, execution.id
                )
            } else {
                format!(
                    "{} requested runbook {:?} (execution {}): {}",
                    change.actor, execution.runbook_name, execution.id, execution.comment
                )
            },
        );
        let sequence = self
            .append_change(&txn, execution, &[note], &[change], base, now)
            .await?;
        txn.commit().await?;
        Ok(sequence)
    }

    /// An execution the scope may see.
    pub async fn get_execution(&self, scope: &Scope, id: &str) -> Result<Versioned> {
        let row = execution::Entity::find_by_id(id.to_owned())
            .filter(scope.condition(execution::Column::CompanyId))
            .one(self.connection())
            .await?
            .ok_or_else(|| Error::NotFound(format!("execution {id}")))?;
        Ok(Versioned {
            execution: execution_of(&row)?,
            version: row.version,
        })
    }

    /// One page of executions, newest first.
    pub async fn list_executions(
        &self,
        scope: &Scope,
        filter: &ExecutionFilter,
        page: &Page,
    ) -> Result<(Vec<Execution>, String)> {
        let mut condition = Condition::all().add(scope.condition(execution::Column::CompanyId));
        if let Some(company_id) = &filter.company_id {
            find_company(self.connection(), scope, company_id).await?;
            condition = condition.add(execution::Column::CompanyId.eq(company_id));
        }
        if !filter.statuses.is_empty() {
            condition = condition.add(execution::Column::Status.is_in(filter.statuses.clone()));
        }
        for (column, value) in [
            (execution::Column::RunbookId, &filter.runbook_id),
            (execution::Column::RuleId, &filter.rule_id),
            (execution::Column::IncidentId, &filter.incident_id),
        ] {
            if let Some(value) = value {
                condition = condition.add(column.eq(value.clone()));
            }
        }
        if let Some(after) = filter.created_after {
            condition = condition.add(execution::Column::CreatedAt.gte(after));
        }
        if let Some(before) = filter.created_before {
            condition = condition.add(execution::Column::CreatedAt.lt(before));
        }
        if let Some(cursor) = &page.after {
            condition = condition.add(execution::Column::Id.lt(cursor.clone()));
        }
        let rows = execution::Entity::find()
            .filter(condition)
            .order_by_desc(execution::Column::Id)
            .limit(page.size + 1)
            .all(self.connection())
            .await?;
        let (rows, token) = page.finish(rows, |row| &row.id);
        Ok((rows.iter().map(execution_of).collect::<Result<_>>()?, token))
    }

    /// Writes an execution changed from the version it was read at, with its
    /// events and the incident timeline entries they mirror, under the
    /// company's lock. Answers the last sequence, or None if another writer
    /// changed it first (nothing is written then).
    pub async fn update_execution(
        &self,
        read_version: i64,
        execution: &Execution,
        changes: &[ExecChange],
    ) -> Result<Option<i64>> {
        let txn = self.connection().begin().await?;
        let base = lock_company(&txn, &execution.company_id).await?;
        let now = execution.updated_at;
        let updated = execution::Entity::update_many()
            .col_expr(
                execution::Column::Status,
                Expr::value(execution.status.as_i16()),
            )
            .col_expr(
                execution::Column::NextCheckAt,
                Expr::value(next_check(execution, now)),
            )
            .col_expr(execution::Column::Version, Expr::value(read_version + 1))
            .col_expr(execution::Column::Data, Expr::value(to_json(execution)?))
            .filter(execution::Column::Id.eq(&execution.id))
            .filter(execution::Column::Version.eq(read_version))
            .exec(&txn)
            .await?;
        if updated.rows_affected == 0 {
            txn.rollback().await?;
            return Ok(None);
        }
        let notes: Vec<(EventKind, String, String)> = changes
            .iter()
            .filter_map(|change| {
                incident_kind(change.kind).map(|kind| {
                    (
                        kind,
                        change.actor.clone(),
                        format!(
                            "Runbook {:?} (execution {}): {}",
                            execution.runbook_name, execution.id, change.message
                        ),
                    )
                })
            })
            .collect();
        let sequence = self
            .append_change(&txn, execution, &notes, changes, base, now)
            .await?;
        txn.commit().await?;
        Ok(Some(sequence))
    }

    /// Appends an execution change after `base`: the incident timeline
    /// entries it mirrors (if it has an incident), then its own events.
    /// Answers the last sequence.
    async fn append_change(
        &self,
        txn: &DatabaseTransaction,
        execution: &Execution,
        notes: &[(EventKind, String, String)],
        changes: &[ExecChange],
        base: i64,
        now: i64,
    ) -> Result<i64> {
        let mut sequence = base;
        if let Some(incident_id) = &execution.incident_id {
            let entries =
                incident_notes(txn, incident_id, &execution.company_id, notes, now).await?;
            sequence = append_events(
                txn,
                self.backend(),
                &execution.company_id,
                sequence,
                &entries,
            )
            .await?
            .0;
        }
        append_exec_events(
            txn,
            self.backend(),
            &execution.company_id,
            sequence,
            execution,
            changes,
            now,
        )
        .await
    }

    /// Executions the executor should look at now (oldest due first).
    pub async fn due_executions(&self, now: i64, limit: u64) -> Result<Vec<Versioned>> {
        execution::Entity::find()
            .filter(execution::Column::NextCheckAt.lte(now))
            .order_by_asc(execution::Column::NextCheckAt)
            .limit(limit)
            .all(self.connection())
            .await?
            .iter()
            .map(|row| {
                Ok(Versioned {
                    execution: execution_of(row)?,
                    version: row.version,
                })
            })
            .collect()
    }

    /// The earliest time an execution is due, if any.
    pub async fn next_due(&self) -> Result<Option<i64>> {
        Ok(execution::Entity::find()
            .select_only()
            .column_as(execution::Column::NextCheckAt.min(), "next")
            .into_tuple::<Option<i64>>()
            .one(self.connection())
            .await?
            .flatten())
    }

    /// How many of a company's executions hold a slot (sent and unfinished).
    pub async fn running_count(&self, company_id: &str) -> Result<u64> {
        Ok(execution::Entity::find()
            .filter(execution::Column::CompanyId.eq(company_id))
            .filter(execution::Column::Status.is_in([
                ExecStatus::Running.as_i16(),
                ExecStatus::Cancelling.as_i16(),
            ]))
            .count(self.connection())
            .await?)
    }

    /// The silence an execution's alert is under now, if any.
    pub async fn execution_silenced(
        &self,
        execution: &Execution,
        now: i64,
    ) -> Result<Option<String>> {
        match &execution.alert {
            Some(alert) => silencing(self.connection(), &execution.company_id, alert, now).await,
            None => Ok(None),
        }
    }

    /// Execution log events of a company after `after`, oldest first.
    pub async fn execution_events_after(
        &self,
        company_id: &str,
        after: i64,
        limit: u64,
    ) -> Result<Vec<StoredExecEvent>> {
        execution_event::Entity::find()
            .filter(execution_event::Column::CompanyId.eq(company_id))
            .filter(execution_event::Column::Sequence.gt(after))
            .order_by_asc(execution_event::Column::Sequence)
            .limit(limit)
            .all(self.connection())
            .await?
            .into_iter()
            .map(|row| {
                Ok(StoredExecEvent {
                    sequence: row.sequence,
                    kind: ExecEventKind::from_i16(row.kind)
                        .unwrap_or(ExecEventKind::InvocationUpdated),
                    actor: row.actor,
                    message: row.message,
                    at: row.created_at,
                    execution: serde_json::from_str(&row.snapshot).map_err(|error| {
                        Error::Internal(format!("execution event {}: {error}", row.id))
                    })?,
                })
            })
            .collect()
    }
}
