//! Loading a company's resident state from the tables (which reflect all
//! of its log when this is called).

use super::state::{CompanyState, Seen, Windows};
use crate::domain::engine::World;
use crate::error::Result;
use crate::store::resident::Horizons;
use crate::store::{ScopedCompany, Store, new_id, now_ms};

/// The company's state as the tables hold it.
pub(crate) async fn company(
    store: &Store,
    company: &ScopedCompany,
    windows: Windows,
) -> Result<CompanyState> {
    let now = now_ms();
    let started = std::time::Instant::now();
    let rows = store
        .resident_rows(
            company,
            Horizons {
                now,
                idempotency_since: now.saturating_sub(windows.idempotency_ms),
                idempotency_keys: u64::try_from(windows.idempotency_keys.saturating_mul(2))
                    .unwrap_or(u64::MAX),
            },
        )
        .await?;
    let mut world = World::new(company.id(), rows.settings, now, Box::new(new_id));
    world.silences = rows.silences;
    world.technicians = rows.technicians;
    for incident in rows.incidents {
        world.load_incident(incident);
    }
    for (signature, at) in rows.onsets {
        world.note_onset(&signature, at);
    }
    for (dedup_key, at) in rows.early_resolves {
        world.keep_early_resolve(&dedup_key, at);
    }
    // First occurrence first: the latest alert of a dedup key is loaded last.
    let alerts = rows.alerts.len();
    for alert in rows.alerts {
        world.load_alert(alert);
    }
    world.set_inhibitions(rows.inhibitions);
    let (_, incidents) = world.size();
    let mut state = CompanyState::new(world, rows.position, rows.sequence, windows, now);
    // Oldest first, so that the newest end up in the newest generation.
    for event in rows.recent_events.iter().rev() {
        let seen = Seen::new(
            event.alert_id.as_deref().unwrap_or(&event.id),
            event.incident_id.as_deref(),
        );
        state.remember_event(
            &event.idempotency_key,
            event.delivery_id.as_deref(),
            seen,
            event.received_at,
        );
    }
    state.signatures = rows.signatures.into_iter().collect();
    state.remediation = rows.remediation;
    state.executions = rows.executions.into_iter().collect();
    state.pending = rows.pending;
    tracing::debug!(
        company_id = %company,
        alerts,
        incidents,
        recent_events = rows.recent_events.len(),
        micros = started.elapsed().as_micros(),
        "loaded a company"
    );
    Ok(state)
}
