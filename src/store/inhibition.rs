//! The inhibition source index (`inhibition_sources`, migration 12): for each
//! inhibition rule, the unresolved alerts that match its source matchers, keyed
//! by their values of the rule's `equal` references. A correlation pass looks
//! up only the rows under the rules and equal values its events could be
//! inhibited by, so what it loads does not grow with the company's firing
//! alerts. The engine still decides (status, dedup key, time, matchers): a row
//! that outlived its alert's firing only costs a lookup.

use std::collections::HashMap;

use sea_orm::sea_query::{Condition, Expr, ExprTrait, OnConflict, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter, Select,
};

use super::entity::{alert, inhibition_rule};
use super::incident::alert_of;
use crate::domain::correlation::{AlertFields, all_match};
use crate::domain::engine::InhibitionRule;
use crate::domain::incident::{AlertRecord, AlertStatus};
use crate::error::Result;

#[derive(sea_orm::DeriveIden)]
enum InhibitionSources {
    Table,
    RuleId,
    EqualKey,
    AlertId,
    CompanyId,
}

/// Rows per INSERT (4 parameters each).
const ROWS_PER_INSERT: usize = 200;
/// (rule, key) pairs per lookup.
const KEYS_PER_LOOKUP: usize = 200;
/// Alert ids per DELETE.
const IDS_PER_DELETE: usize = 500;

/// An alert's key under a rule: its values of the rule's `equal` references,
/// as a JSON array. A target is inhibited only by sources with the same key.
pub(super) fn equal_key(rule: &InhibitionRule, alert: &impl AlertFields) -> String {
    let values: Vec<String> = rule.equal.iter().map(|r| alert.value_of(r)).collect();
    serde_json::to_string(&values).unwrap_or_default()
}

/// One row: `alert` (of `company_id`) may inhibit under `rule_id` and `key`.
struct SourceRow {
    rule_id: String,
    key: String,
    alert_id: String,
    company_id: String,
}

/// The rows of `alert` under `rules`: one per rule whose source matchers it
/// matches, none once it is resolved.
fn rows_of(company_id: &str, rules: &[InhibitionRule], alert: &AlertRecord) -> Vec<SourceRow> {
    if alert.status == AlertStatus::Resolved {
        return Vec::new();
    }
    rules
        .iter()
        .filter(|rule| all_match(&rule.source, alert))
        .map(|rule| SourceRow {
            rule_id: rule.id.clone(),
            key: equal_key(rule, alert),
            alert_id: alert.id.clone(),
            company_id: company_id.to_owned(),
        })
        .collect()
}

async fn insert_rows(txn: &DatabaseTransaction, rows: &[SourceRow]) -> Result<()> {
    for chunk in rows.chunks(ROWS_PER_INSERT) {
        let mut statement = Query::insert();
        statement
            .into_table(InhibitionSources::Table)
            .columns([
                InhibitionSources::RuleId,
                InhibitionSources::EqualKey,
                InhibitionSources::AlertId,
                InhibitionSources::CompanyId,
            ])
            .on_conflict(
                OnConflict::columns([
                    InhibitionSources::RuleId,
                    InhibitionSources::EqualKey,
                    InhibitionSources::AlertId,
                ])
                .do_nothing()
                .to_owned(),
            );
        for row in chunk {
            statement.values_panic([
                row.rule_id.clone().into(),
                row.key.clone().into(),
                row.alert_id.clone().into(),
                row.company_id.clone().into(),
            ]);
        }
        txn.execute(&statement).await?;
    }
    Ok(())
}

/// Indexes the unresolved alerts of their companies for rules not indexed yet
/// (`(company id, rule)`), then marks the rules indexed. Once per rule, under
/// the company's lock: the only step whose cost grows with the firing alerts.
pub(super) async fn index_new_rules(
    txn: &DatabaseTransaction,
    rules: &[(String, InhibitionRule)],
) -> Result<()> {
    if rules.is_empty() {
        return Ok(());
    }
    let mut by_company: HashMap<&str, Vec<InhibitionRule>> = HashMap::new();
    for (company_id, rule) in rules {
        by_company
            .entry(company_id.as_str())
            .or_default()
            .push(rule.clone());
    }
    let unresolved = alert::Entity::find()
        .filter(alert::Column::CompanyId.is_in(by_company.keys().map(|id| (*id).to_owned())))
        .filter(alert::Column::Status.ne(AlertStatus::Resolved.as_i16()))
        .all(txn)
        .await?;
    let mut rows = Vec::new();
    for row in unresolved {
        if let Some(own) = by_company.get(row.company_id.as_str()) {
            let company_id = row.company_id.clone();
            rows.extend(rows_of(&company_id, own, &alert_of(row)));
        }
    }
    insert_rows(txn, &rows).await?;
    inhibition_rule::Entity::update_many()
        .col_expr(inhibition_rule::Column::SourcesIndexed, Expr::value(true))
        .filter(inhibition_rule::Column::Id.is_in(rules.iter().map(|(_, rule)| rule.id.clone())))
        .exec(txn)
        .await?;
    Ok(())
}

/// The unresolved alerts of `companies` indexed under any of `keys` (rule id,
/// equal key).
pub(super) fn sources_under(
    companies: Vec<String>,
    keys: &[(String, String)],
) -> Select<alert::Entity> {
    let mut any = Condition::any();
    for (rule_id, key) in keys {
        any = any.add(
            Condition::all()
                .add(Expr::col(InhibitionSources::RuleId).eq(rule_id.clone()))
                .add(Expr::col(InhibitionSources::EqualKey).eq(key.clone())),
        );
    }
    // The companies confine the index rows, not the alerts: a company filter
    // on `alerts` let both planners read every unresolved alert of the
    // companies (their company/status index) and test each against the
    // index rows, which costs what the index is there to save.
    alert::Entity::find()
        .filter(
            alert::Column::Id.in_subquery(
                Query::select()
                    .column(InhibitionSources::AlertId)
                    .from(InhibitionSources::Table)
                    .cond_where(
                        Condition::all()
                            .add(Expr::col(InhibitionSources::CompanyId).is_in(companies))
                            .add(any),
                    )
                    .to_owned(),
            ),
        )
        .filter(alert::Column::Status.ne(AlertStatus::Resolved.as_i16()))
}

/// Loads [`sources_under`] for any number of keys.
pub(super) async fn source_alerts(
    txn: &DatabaseTransaction,
    companies: &[String],
    keys: &[(String, String)],
) -> Result<Vec<alert::Model>> {
    let mut rows = Vec::new();
    for chunk in keys.chunks(KEYS_PER_LOOKUP) {
        rows.extend(sources_under(companies.to_vec(), chunk).all(txn).await?);
    }
    Ok(rows)
}

/// After passes: re-indexes the alerts each pass changed (`(company id, the
/// company's rules, the changed alerts)`): their old rows go, and the rows of
/// those still unresolved are written under their current values.
pub(super) async fn reindex(
    txn: &DatabaseTransaction,
    changed: &[(&str, &[InhibitionRule], Vec<&AlertRecord>)],
) -> Result<()> {
    let ids: Vec<String> = changed
        .iter()
        .flat_map(|(_, _, alerts)| alerts.iter().map(|alert| alert.id.clone()))
        .collect();
    if ids.is_empty() {
        return Ok(());
    }
    for chunk in ids.chunks(IDS_PER_DELETE) {
        let statement = Query::delete()
            .from_table(InhibitionSources::Table)
            .and_where(Expr::col(InhibitionSources::AlertId).is_in(chunk.iter().cloned()))
            .to_owned();
        txn.execute(&statement).await?;
    }
    let rows: Vec<SourceRow> = changed
        .iter()
        .flat_map(|(company_id, rules, alerts)| {
            alerts
                .iter()
                .flat_map(move |alert| rows_of(company_id, rules, alert))
        })
        .collect();
    insert_rows(txn, &rows).await
}

/// Removes the rows of an incident's unresolved alerts (resolving an incident
/// resolves them).
pub(super) async fn forget_alerts_of_incident(
    txn: &DatabaseTransaction,
    incident_id: &str,
) -> Result<()> {
    let statement = Query::delete()
        .from_table(InhibitionSources::Table)
        .and_where(
            Expr::col(InhibitionSources::AlertId).in_subquery(
                Query::select()
                    .column(alert::Column::Id)
                    .from(alert::Entity)
                    .and_where(Expr::col(alert::Column::IncidentId).eq(incident_id))
                    .and_where(Expr::col(alert::Column::Status).ne(AlertStatus::Resolved.as_i16()))
                    .to_owned(),
            ),
        )
        .to_owned();
    txn.execute(&statement).await?;
    Ok(())
}

/// Removes a deleted rule's rows.
pub(super) async fn forget_rule(txn: &DatabaseTransaction, rule_id: &str) -> Result<()> {
    let statement = Query::delete()
        .from_table(InhibitionSources::Table)
        .and_where(Expr::col(InhibitionSources::RuleId).eq(rule_id))
        .to_owned();
    txn.execute(&statement).await?;
    Ok(())
}
