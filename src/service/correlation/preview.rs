//! PreviewCorrelation: what candidate settings would have made of a
//! company's past alerts, decided by a throwaway engine over the stored
//! events, without touching the company's state.

use super::settings::{SettingsChange, changed};
use crate::app::AppState;
use crate::auth::Operator;
use crate::domain::correlation::CorrelationSettings;
use crate::domain::engine::World;
use crate::domain::incident::{Incident, Outcome, noise_reduction_pct};
use crate::domain::ingest::{AlertEventAction, AlertSeverity};
use crate::error::{Error, Result};
use crate::store::now_ms;

/// The most alert events one preview replays.
pub const PREVIEW_MAX_EVENTS: u64 = 200_000;

/// One incident the settings would have made.
#[derive(Debug, Clone)]
pub struct PreviewIncident {
    pub aggregation_key: String,
    pub asset: String,
    pub signature: String,
    pub severity: AlertSeverity,
    pub alert_count: i64,
    pub first_alert_at: i64,
    pub last_alert_at: i64,
    pub flapping: bool,
    /// The aggregation key of its storm, if it was folded under one.
    pub parent_aggregation_key: String,
}

/// What a preview found.
#[derive(Debug, Clone)]
pub struct Preview {
    /// The incidents with the most alerts first, at most the asked number.
    pub incidents: Vec<PreviewIncident>,
    /// Whether more incidents were made than listed.
    pub truncated: bool,
    pub alert_count: i64,
    pub incident_count: i64,
    pub suppressed_alert_count: i64,
    /// `(1 − incidents / alerts) × 100`, 0 without alerts.
    pub noise_reduction_pct: f64,
}

fn count(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// Replays the company's alert events that occurred in `[start, end)`
/// through a fresh engine with the default settings changed by `changes`
/// and the company's silences and inhibition rules, listing at most
/// `max_incidents` incidents (INVALID_ARGUMENT for settings that do not
/// validate or past [`PREVIEW_MAX_EVENTS`]; NOT_FOUND outside the operator's
/// scope).
pub async fn preview(
    state: &AppState,
    operator: &Operator,
    company_id: &str,
    (start, end): (i64, i64),
    changes: Vec<SettingsChange>,
    max_incidents: usize,
) -> Result<Preview> {
    let mut settings = changed(CorrelationSettings::default(), changes)?;
    // A preview assigns nobody.
    settings.auto_assign = false;
    let store = &state.store;
    let scope = &operator.scope;
    let events = store
        .events_in_range(scope, company_id, start, end, PREVIEW_MAX_EVENTS + 1)
        .await?;
    if u64::try_from(events.len()).unwrap_or(u64::MAX) > PREVIEW_MAX_EVENTS {
        return Err(Error::invalid(
            "start_time",
            format!(
                "the range holds more than {PREVIEW_MAX_EVENTS} alert events; preview a shorter range"
            ),
        ));
    }
    let company = store.scoped_company(scope, company_id).await?;
    let (silences, inhibitions) = store.suppression_rules(&company, i64::MIN).await?;
    let mut next = 0u64;
    let mut world = World::new(
        company_id,
        settings,
        now_ms(),
        Box::new(move || {
            next += 1;
            format!("preview-{next}")
        }),
    );
    world.silences = silences;
    world.set_inhibitions(inhibitions);
    for (id, received_at, event) in &events {
        world.apply(id, *received_at, event);
    }
    let alert_count = count(
        events
            .iter()
            .filter(|e| e.2.action == AlertEventAction::Trigger)
            .count(),
    );
    let suppressed_alert_count = count(
        world
            .results
            .iter()
            .filter(|r| {
                matches!(
                    r.outcome,
                    Outcome::SuppressedBySilence | Outcome::SuppressedByInhibition
                )
            })
            .count(),
    );
    // Incidents a merge absorbed are their survivors now.
    let mut incidents: Vec<&Incident> = world
        .incidents()
        .filter(|incident| incident.merged_into().is_none())
        .collect();
    let incident_count = count(incidents.len());
    incidents.sort_by(|a, b| b.alert_count.cmp(&a.alert_count).then(a.id.cmp(&b.id)));
    let truncated = incidents.len() > max_incidents;
    let incidents = incidents
        .iter()
        .take(max_incidents)
        .map(|incident| PreviewIncident {
            aggregation_key: incident.aggregation_key.clone(),
            asset: incident.asset.clone(),
            signature: incident.signature.clone(),
            severity: incident.severity,
            alert_count: incident.alert_count,
            first_alert_at: incident.first_alert_at,
            last_alert_at: incident.last_alert_at,
            flapping: incident.flapping,
            parent_aggregation_key: incident
                .parent_incident_id
                .as_deref()
                .and_then(|id| world.incident(id))
                .map(|parent| parent.aggregation_key.clone())
                .unwrap_or_default(),
        })
        .collect();
    Ok(Preview {
        incidents,
        truncated,
        alert_count,
        incident_count,
        suppressed_alert_count,
        noise_reduction_pct: noise_reduction_pct(alert_count, incident_count),
    })
}
