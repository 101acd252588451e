//! Incidents (IncidentService): searching and reading them, a person's work
//! on one (acknowledge, assign, resolve, reopen, comment) and the KPIs over a
//! range of time. An incident changes only through its company's owner,
//! which decides the change with `domain::lifecycle` on its resident state
//! and logs it; the tables are the projection of that log.

mod kpis;
mod lifecycle;

pub use kpis::{KpiRange, KpiReport, KpiTrend, TrendBucket, TrendPoint, kpi_trend, kpis};
pub use lifecycle::{Assignment, acknowledge, add_comment, assign, reopen, resolve};

use crate::app::AppState;
use crate::auth::Operator;
use crate::domain::incident::Incident;
use crate::error::Result;
use crate::store::Page;
use crate::store::incident::{IncidentFilter, IncidentView};

/// How many of a search's words are looked for (the rest are ignored).
const MAX_QUERY_WORDS: usize = 16;
/// How many alerts GetIncident answers when the request names no number.
const DEFAULT_ALERTS: u64 = 200;
/// Most alerts GetIncident answers.
const MAX_ALERTS: u64 = 1000;

/// What ListIncidents looks for besides its companies; an empty field (or
/// list) does not filter.
#[derive(Debug, Clone, Default)]
pub struct IncidentSearch {
    /// Priorities 1–4.
    pub priorities: Vec<i16>,
    /// Status numbers (`IncidentStatus::as_i16`).
    pub statuses: Vec<i16>,
    pub asset: String,
    /// Created at or after (ms).
    pub created_from: Option<i64>,
    /// Created before (ms).
    pub created_before: Option<i64>,
    /// Free text: an incident matches when its alerts' text holds each of the
    /// first 16 words, in any case.
    pub query: String,
    /// Assigned to this technician.
    pub technician_id: String,
    /// Grouped under this storm parent.
    pub parent_incident_id: String,
}

impl IncidentSearch {
    /// The store's filter over `company_ids` for this search.
    fn filter(self, company_ids: &[String]) -> IncidentFilter {
        let non_empty = |value: String| Some(value).filter(|v| !v.is_empty());
        IncidentFilter {
            company_ids: company_ids.to_vec(),
            priorities: self.priorities,
            statuses: self.statuses,
            asset: non_empty(self.asset),
            created_from: self.created_from,
            created_before: self.created_before,
            words: self
                .query
                .split_whitespace()
                .map(str::to_lowercase)
                .take(MAX_QUERY_WORDS)
                .collect(),
            technician_id: non_empty(self.technician_id),
            parent_incident_id: non_empty(self.parent_incident_id),
        }
    }
}

/// ListIncidents: one page of the incidents in the caller's scope (in
/// `company_ids`, or in any company when it is empty), newest first, and the
/// next page's token. Each named company is looked up before `search` reads
/// the rest of the request, so a company outside the scope is refused
/// (NOT_FOUND) whatever else the request holds.
pub async fn list_incidents(
    state: &AppState,
    operator: &Operator,
    company_ids: &[String],
    search: impl FnOnce() -> Result<(IncidentSearch, Page)>,
) -> Result<(Vec<Incident>, String)> {
    for company_id in company_ids {
        state.store.get_company(&operator.scope, company_id).await?;
    }
    let (search, page) = search()?;
    Ok(state
        .store
        .list_incidents(&operator.scope, &search.filter(company_ids), &page)
        .await?)
}

/// GetIncident: the incident with its latest alerts (`max_alerts` of them, 0
/// for 200, at most 1,000), its timeline and a storm parent's children.
pub async fn get_incident(
    state: &AppState,
    operator: &Operator,
    incident_id: &str,
    max_alerts: u32,
) -> Result<IncidentView> {
    let max_alerts = match max_alerts {
        0 => DEFAULT_ALERTS,
        n => u64::from(n).min(MAX_ALERTS),
    };
    Ok(state
        .store
        .incident_view(&operator.scope, incident_id, max_alerts)
        .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_search_becomes_the_stores_filter() {
        let query = (0..20)
            .map(|n| format!("W{n}"))
            .collect::<Vec<_>>()
            .join("  ");
        let filter = IncidentSearch {
            priorities: vec![1],
            asset: String::new(),
            query,
            technician_id: "t".to_owned(),
            ..IncidentSearch::default()
        }
        .filter(&["c".to_owned()]);
        assert_eq!(filter.company_ids, vec!["c".to_owned()]);
        assert_eq!(filter.priorities, vec![1]);
        assert_eq!(filter.asset, None);
        assert_eq!(filter.words.len(), 16);
        assert_eq!(filter.words[0], "w0");
        assert_eq!(filter.technician_id.as_deref(), Some("t"));
        assert_eq!(filter.parent_incident_id, None);
    }
}
