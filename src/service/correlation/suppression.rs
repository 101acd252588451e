//! Silences and inhibition rules: what keeps alerts from opening incidents.
//! Every change is audited in the store's transaction and has the company's
//! owner reload them, so it is in force at once.

use crate::app::AppState;
use crate::auth::Operator;
use crate::domain::correlation::{
    AlertRef, MATCHER_FIELDS, Matcher, SilenceState, silence_state, validate_silence_range,
};
use crate::domain::tenant::Role;
use crate::error::{Error, Result};
use crate::owner::command::Reload;
use crate::store::correlation::{NewInhibitionRule, NewSilence};
use crate::store::entity::{inhibition_rule, silence};
use crate::store::tenant::Audit;
use crate::store::{Page, ScopedCompany, now_ms};

/// A silence of a company.
#[derive(Debug, Clone)]
pub struct Silence {
    pub id: String,
    pub company_id: String,
    /// The alerts it silences: those all matchers match.
    pub matchers: Vec<Matcher>,
    pub starts_at: i64,
    pub ends_at: i64,
    /// Its state when it was read.
    pub state: SilenceState,
    /// Why it was created.
    pub comment: String,
    pub created_by: String,
    pub created_at: i64,
    pub suppressed_count: i64,
}

impl From<silence::Model> for Silence {
    fn from(row: silence::Model) -> Self {
        Self {
            matchers: serde_json::from_str(&row.matchers).unwrap_or_default(),
            state: silence_state(row.starts_at, row.ends_at, now_ms()),
            id: row.id,
            company_id: row.company_id,
            starts_at: row.starts_at,
            ends_at: row.ends_at,
            comment: row.comment,
            created_by: row.created_by,
            created_at: row.created_at,
            suppressed_count: row.suppressed_count,
        }
    }
}

/// An inhibition rule of a company: while an alert matching the source
/// matchers fires, alerts matching the target matchers (with the same
/// values of the `equal` references) are suppressed.
#[derive(Debug, Clone)]
pub struct InhibitionRule {
    pub id: String,
    pub company_id: String,
    pub source: Vec<Matcher>,
    pub target: Vec<Matcher>,
    /// The references source and target alerts must share, as text.
    pub equal: Vec<String>,
    /// Why it was created.
    pub comment: String,
    pub created_by: String,
    pub created_at: i64,
    pub suppressed_count: i64,
}

impl From<inhibition_rule::Model> for InhibitionRule {
    fn from(row: inhibition_rule::Model) -> Self {
        Self {
            source: serde_json::from_str(&row.source_matchers).unwrap_or_default(),
            target: serde_json::from_str(&row.target_matchers).unwrap_or_default(),
            equal: serde_json::from_str(&row.equal_refs).unwrap_or_default(),
            id: row.id,
            company_id: row.company_id,
            comment: row.comment,
            created_by: row.created_by,
            created_at: row.created_at,
            suppressed_count: row.suppressed_count,
        }
    }
}

/// A silence as asked for; its range and comment are checked by
/// [`create_silence`].
#[derive(Debug, Clone)]
pub struct SilenceFields {
    pub company_id: String,
    /// Validated matchers, at least one.
    pub matchers: Vec<Matcher>,
    /// When it starts (ms); now if `None`.
    pub starts_at: Option<i64>,
    pub ends_at: i64,
    pub comment: String,
}

/// An inhibition rule as asked for; its `equal` references and comment are
/// checked by [`create_inhibition_rule`].
#[derive(Debug, Clone)]
pub struct InhibitionRuleFields {
    pub company_id: String,
    /// Validated matchers, at least one.
    pub source: Vec<Matcher>,
    /// Validated matchers, at least one.
    pub target: Vec<Matcher>,
    /// References as written ("asset", "labels.service").
    pub equal: Vec<String>,
    pub comment: String,
}

/// The comment a silence or inhibition rule needs: why it exists.
fn comment_of(comment: &str) -> Result<String> {
    let comment = comment.trim();
    if comment.is_empty() {
        return Err(Error::invalid("comment", "is required: say why"));
    }
    if comment.chars().count() > 1000 {
        return Err(Error::invalid("comment", "must be at most 1000 characters"));
    }
    Ok(comment.to_owned())
}

/// Has the company's owner reload its silences and inhibition rules.
async fn reload_suppression(state: &AppState, company: &ScopedCompany) -> Result<()> {
    state
        .owners
        .reload_company(company, Reload::Suppression)
        .await
}

/// CreateSilence (technician): a silence in force from its start (at most
/// 366 days long, ending in the future), audited.
pub async fn create_silence(
    state: &AppState,
    operator: &Operator,
    fields: SilenceFields,
) -> Result<Silence> {
    operator.require(Role::Technician)?;
    let now = now_ms();
    let starts_at = fields.starts_at.unwrap_or(now);
    validate_silence_range(starts_at, fields.ends_at, now)?;
    let comment = comment_of(&fields.comment)?;
    let created = state
        .store
        .create_silence(
            &Audit::new(operator.actor(), "CorrelationService.CreateSilence"),
            &operator.scope,
            NewSilence {
                company_id: fields.company_id,
                matchers: fields.matchers,
                starts_at,
                ends_at: fields.ends_at,
                comment,
            },
        )
        .await?;
    reload_suppression(state, &ScopedCompany::system(created.company_id.clone())).await?;
    Ok(created.into())
}

/// ListSilences: one page of the company's silences, newest first (expired
/// ones only if asked), with the next page's token.
pub async fn list_silences(
    state: &AppState,
    operator: &Operator,
    company_id: &str,
    include_expired: bool,
    page: &Page,
) -> Result<(Vec<Silence>, String)> {
    let (rows, next_page_token) = state
        .store
        .list_silences(&operator.scope, company_id, include_expired, page)
        .await?;
    Ok((
        rows.into_iter().map(Silence::from).collect(),
        next_page_token,
    ))
}

/// DeleteSilence (technician): the silence ends now (one that had not
/// started ends before it begins) and stays listed as expired; audited.
pub async fn delete_silence(state: &AppState, operator: &Operator, id: &str) -> Result<Silence> {
    operator.require(Role::Technician)?;
    let ended = state
        .store
        .expire_silence(
            &Audit::new(operator.actor(), "CorrelationService.DeleteSilence"),
            &operator.scope,
            id,
        )
        .await?;
    reload_suppression(state, &ScopedCompany::system(ended.company_id.clone())).await?;
    Ok(ended.into())
}

/// CreateInhibitionRule (technician): the rule, its `equal` references
/// checked against what matchers may name; audited.
pub async fn create_inhibition_rule(
    state: &AppState,
    operator: &Operator,
    fields: InhibitionRuleFields,
) -> Result<InhibitionRule> {
    operator.require(Role::Technician)?;
    let equal = fields
        .equal
        .iter()
        .enumerate()
        .map(|(index, reference)| {
            AlertRef::parse(reference, MATCHER_FIELDS)
                .map(|parsed| parsed.as_text())
                .map_err(|why| Error::invalid(&format!("equal[{index}]"), why))
        })
        .collect::<Result<Vec<_>>>()?;
    let comment = comment_of(&fields.comment)?;
    let created = state
        .store
        .create_inhibition_rule(
            &Audit::new(operator.actor(), "CorrelationService.CreateInhibitionRule"),
            &operator.scope,
            NewInhibitionRule {
                company_id: fields.company_id,
                source: fields.source,
                target: fields.target,
                equal,
                comment,
            },
        )
        .await?;
    reload_suppression(state, &ScopedCompany::system(created.company_id.clone())).await?;
    Ok(created.into())
}

/// ListInhibitionRules: one page of the company's inhibition rules, newest
/// first, with the next page's token.
pub async fn list_inhibition_rules(
    state: &AppState,
    operator: &Operator,
    company_id: &str,
    page: &Page,
) -> Result<(Vec<InhibitionRule>, String)> {
    let (rows, next_page_token) = state
        .store
        .list_inhibition_rules(&operator.scope, company_id, page)
        .await?;
    Ok((
        rows.into_iter().map(InhibitionRule::from).collect(),
        next_page_token,
    ))
}

/// DeleteInhibitionRule (technician): gone at once; audited.
pub async fn delete_inhibition_rule(state: &AppState, operator: &Operator, id: &str) -> Result<()> {
    operator.require(Role::Technician)?;
    let company = state
        .store
        .delete_inhibition_rule(
            &Audit::new(operator.actor(), "CorrelationService.DeleteInhibitionRule"),
            &operator.scope,
            id,
        )
        .await?;
    reload_suppression(state, &company).await
}
