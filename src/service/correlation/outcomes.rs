//! What correlation did with alerts: CorrelateNow has the company's owner
//! correlate its pending alerts, ExplainAlert tells why one alert ended as
//! it did, GetNoiseStats counts the outcomes over a time range.

use crate::app::AppState;
use crate::auth::Operator;
use crate::domain::incident::{AlertRecord, Decision, DecisionKind, Outcome, noise_reduction_pct};
use crate::domain::ingest::asset_label_of;
use crate::domain::tenant::Role;
use crate::error::{Error, Result};
use crate::owner::command::{Answer, Command};
use crate::store::ScopedCompany;
use crate::store::incident::{decisions_of, event_of};

/// What one CorrelateNow did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CorrelationRun {
    /// The pending alert events it decided.
    pub alerts_processed: i64,
    pub incidents_created: i64,
    /// Events that joined an incident.
    pub alerts_correlated: i64,
    /// Events a silence or an inhibition rule suppressed.
    pub alerts_suppressed: i64,
}

/// CorrelateNow (technician): the company's owner correlates the alerts
/// that wait for it (all of them while auto-correlate is off).
pub async fn correlate_now(
    state: &AppState,
    operator: &Operator,
    company_id: &str,
) -> Result<CorrelationRun> {
    operator.require(Role::Technician)?;
    let company = state
        .store
        .scoped_company(&operator.scope, company_id)
        .await?;
    let answer = state
        .owners
        .execute(&company, Command::CorrelatePending { manual: true })
        .await?;
    let Answer::Correlated {
        results,
        incidents_created,
    } = answer
    else {
        return Err(Error::Internal(format!(
            "unexpected answer to CorrelateNow: {answer:?}"
        )));
    };
    Ok(CorrelationRun {
        alerts_processed: i64::try_from(results.len()).unwrap_or(i64::MAX),
        incidents_created,
        alerts_correlated: crate::owner::counts(&results, &[Outcome::Correlated]),
        alerts_suppressed: crate::owner::counts(
            &results,
            &[
                Outcome::SuppressedBySilence,
                Outcome::SuppressedByInhibition,
            ],
        ),
    })
}

/// Which alert ExplainAlert is asked about.
#[derive(Debug, Clone, Copy)]
pub enum AlertName<'a> {
    /// By the id of the alert or of one of its events.
    Id(&'a str),
    /// The latest alert of a dedup key in a company.
    DedupKey {
        company_id: &'a str,
        dedup_key: &'a str,
    },
}

/// Why an alert ended as it did.
#[derive(Debug, Clone)]
pub struct Explanation {
    /// The alert; one made of its event (firing, one occurrence) until the
    /// projector has written the alert.
    pub alert: AlertRecord,
    pub outcome: Outcome,
    /// The incident it joined or opened, if any.
    pub incident_id: Option<String>,
    pub aggregation_key: String,
    /// The correlation window that ended at the event's occurrence (ms).
    pub window: (i64, i64),
    /// The engine's decisions, in the order it made them.
    pub decisions: Vec<Decision>,
    /// The label the asset was taken from, with the company's list as it is
    /// now; `None` when the format names the asset directly.
    pub asset_label: Option<String>,
}

/// ExplainAlert: the alert, what correlation did with it and why
/// (NOT_FOUND outside the operator's scope).
pub async fn explain_alert(
    state: &AppState,
    operator: &Operator,
    name: AlertName<'_>,
) -> Result<Explanation> {
    let (by_id, by_key) = match name {
        AlertName::Id(id) => (Some(id), None),
        AlertName::DedupKey {
            company_id,
            dedup_key,
        } => (None, Some((company_id, dedup_key))),
    };
    let (event, outcome, alert) = state
        .store
        .explain_lookup(&operator.scope, by_id, by_key)
        .await?;
    let settings = state
        .store
        .company_settings(&ScopedCompany::system(event.company_id.clone()))
        .await?;
    let window = i64::try_from(settings.window.as_millis()).unwrap_or(i64::MAX);
    let event_alert = event_of(&event);
    let (code, incident_id, aggregation_key, decisions) = match &outcome {
        Some(row) => (
            Outcome::from_i16(row.outcome).unwrap_or(Outcome::Stored),
            row.incident_id.clone(),
            row.aggregation_key.clone(),
            decisions_of(row),
        ),
        None => (
            Outcome::Stored,
            None,
            settings.aggregation_key.value_for(&event_alert),
            vec![Decision::new(
                DecisionKind::AutoCorrelateOff,
                if settings.auto_correlate {
                    "not correlated yet: auto-correlate was off when it arrived; it is correlated by the next sweep"
                } else {
                    "auto-correlate is off for the company: it waits for CorrelateNow"
                },
                "",
            )],
        ),
    };
    // The label is found again from the stored labels (the event's
    // `source` is its format), with the company's list as it is now.
    let asset_label = asset_label_of(&event_alert, &event.source, &settings.asset_labels);
    let alert = alert.unwrap_or_else(|| AlertRecord {
        outcome: code,
        ..AlertRecord::first(
            &event.id,
            &event.company_id,
            "",
            &event_alert,
            event.received_at,
        )
    });
    Ok(Explanation {
        alert,
        outcome: code,
        incident_id,
        aggregation_key,
        window: (event.occurred_at - window, event.occurred_at),
        decisions,
        asset_label,
    })
}

/// What correlation did with a time range's alerts (GetNoiseStats).
#[derive(Debug, Clone, PartialEq)]
pub struct NoiseStats {
    /// Trigger events received in the range.
    pub alert_count: i64,
    /// Incidents opened in the range (merged ones not counted).
    pub incident_count: i64,
    /// `(1 − incidents / alerts) × 100`, 0 without alerts.
    pub noise_reduction_pct: f64,
    pub deduplicated_alert_count: i64,
    pub correlated_alert_count: i64,
    pub silenced_alert_count: i64,
    pub inhibited_alert_count: i64,
    /// Trigger events not correlated yet.
    pub uncorrelated_alert_count: i64,
    pub flapping_incident_count: i64,
    /// Storm parents opened in the range.
    pub storm_incident_count: i64,
}

/// GetNoiseStats: the counts over `[start, end)` (alerts by receive time,
/// incidents by creation time) of one company, or of every company in the
/// operator's scope when `company_id` is `None`.
pub async fn noise_stats(
    state: &AppState,
    operator: &Operator,
    company_id: Option<&str>,
    (start, end): (i64, i64),
) -> Result<NoiseStats> {
    let companies = state
        .store
        .requested_companies(&operator.scope, company_id.unwrap_or_default())
        .await?;
    let counts = state
        .store
        .noise_counts(&operator.scope, &companies, start, end)
        .await?;
    let of = |outcome: Outcome| {
        counts
            .by_outcome
            .get(&outcome.as_i16())
            .copied()
            .unwrap_or(0)
    };
    Ok(NoiseStats {
        alert_count: counts.alerts,
        incident_count: counts.incidents,
        noise_reduction_pct: noise_reduction_pct(counts.alerts, counts.incidents),
        deduplicated_alert_count: of(Outcome::Deduplicated),
        correlated_alert_count: of(Outcome::Correlated),
        silenced_alert_count: of(Outcome::SuppressedBySilence),
        inhibited_alert_count: of(Outcome::SuppressedByInhibition),
        uncorrelated_alert_count: counts.pending,
        flapping_incident_count: counts.flapping,
        storm_incident_count: counts.storms,
    })
}
