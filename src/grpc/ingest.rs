//! IngestService, and the one ingest code path the webhook adapter calls too.

use tonic::{Request, Response, Status};

use super::{AppState, ingest_caller};
use crate::auth::IngestCaller;
use crate::correlator::EventOutcome;
use crate::domain::ingest::validate_batch;
use crate::error::{Error, Result};
use crate::proto::v1::{self, AlertOutcome, ingest_service_server::IngestService};
use crate::store::ingest::{BatchOutcome, IngestBatch};
use crate::store::now_ms;

/// The IngestService handler.
#[derive(Debug, Clone)]
pub struct IngestHandler {
    state: AppState,
}

impl IngestHandler {
    /// A handler over the shared state.
    pub fn new(state: AppState) -> Self {
        Self { state }
    }
}

/// Validates `alerts` (all or nothing), applies the company's rate limit and
/// commits them durably; answers one result per alert, in order. `signature`
/// is the webhook's HMAC signature with its expiry, recorded against replays.
pub async fn ingest_alerts(
    state: &AppState,
    caller: &IngestCaller,
    source: &'static str,
    alerts: &[v1::AlertInput],
    signature: Option<(String, i64)>,
) -> Result<Vec<v1::IngestResult>> {
    let events = validate_batch(alerts, now_ms())
        .map_err(|errors| Error::InvalidArgument(errors.to_string()))?;
    state
        .ingest
        .check_rate(&caller.company_id, events.len())
        .map_err(Error::RateLimited)?;
    let dedup_keys: Vec<String> = events.iter().map(|e| e.dedup_key.clone()).collect();
    let outcome = state
        .ingest
        .ingest(IngestBatch {
            company_id: caller.company_id.clone(),
            api_key_id: caller.api_key_id.clone(),
            source,
            events,
            signature,
            touch_api_key: false,
        })
        .await?;
    let stored = match outcome.outcome {
        BatchOutcome::Stored(stored) => stored,
        BatchOutcome::Replay => {
            return Err(Error::CredentialRejected {
                check: "signature",
                reason: "replay",
                message: "this signature was already used; sign every delivery anew".to_owned(),
            });
        }
    };
    // The writer correlated the new events in its commit (with whatever else
    // was pending for the company); whatever it could not (a failed pass, more
    // pending than a pass takes) the correlator does now. Retries answer with
    // the first delivery's alert and incident.
    let mut outcomes = outcome.correlated.unwrap_or_default();
    let fresh: Vec<String> = stored
        .iter()
        .filter(|event| !event.duplicate && !outcomes.contains_key(&event.id))
        .map(|event| event.id.clone())
        .collect();
    if !fresh.is_empty() && !outcome.correlation_off && !outcome.deferred {
        outcomes.extend(state.correlator.correlate(&caller.company_id, fresh).await);
    }
    let retried: Vec<String> = stored
        .iter()
        .filter(|event| event.duplicate && !outcomes.contains_key(&event.id))
        .map(|event| event.id.clone())
        .collect();
    if !retried.is_empty() {
        for row in state.store.event_outcomes(&retried).await? {
            outcomes.insert(row.event_id.clone(), EventOutcome::from_row(row));
        }
    }
    Ok(stored
        .into_iter()
        .zip(dedup_keys)
        .enumerate()
        .map(|(index, (event, dedup_key))| {
            let outcome = outcomes.remove(&event.id);
            let (alert_id, code, incident_id, reason) = match (event.duplicate, outcome) {
                (true, found) => (
                    found
                        .as_ref()
                        .map_or_else(|| event.id.clone(), |o| o.alert_id.clone()),
                    AlertOutcome::Duplicate,
                    found.and_then(|o| o.incident_id).unwrap_or_default(),
                    "a retry of an alert already stored; the ids are the first delivery's"
                        .to_owned(),
                ),
                (false, Some(found)) => (
                    found.alert_id,
                    AlertOutcome::try_from(i32::from(found.outcome.as_i16()))
                        .unwrap_or(AlertOutcome::Stored),
                    found.incident_id.unwrap_or_default(),
                    found.reason,
                ),
                (false, None) => (
                    event.id.clone(),
                    AlertOutcome::Stored,
                    String::new(),
                    "stored; it waits for correlation (auto-correlate is off, it is queued, or correlation is deferred)"
                        .to_owned(),
                ),
            };
            v1::IngestResult {
                index: i32::try_from(index).unwrap_or(i32::MAX),
                alert_id,
                outcome: code.into(),
                incident_id,
                dedup_key,
                reason,
            }
        })
        .collect())
}

#[tonic::async_trait]
impl IngestService for IngestHandler {
    async fn ingest_alert(
        &self,
        request: Request<v1::IngestAlertRequest>,
    ) -> Result<Response<v1::IngestAlertResponse>, Status> {
        let caller = ingest_caller(&request)?;
        let alert = request
            .into_inner()
            .alert
            .ok_or_else(|| Error::invalid("alert", "is required"))?;
        let mut results = ingest_alerts(&self.state, &caller, "grpc", &[alert], None).await?;
        Ok(Response::new(v1::IngestAlertResponse {
            result: results.pop(),
        }))
    }

    async fn ingest_alerts(
        &self,
        request: Request<v1::IngestAlertsRequest>,
    ) -> Result<Response<v1::IngestAlertsResponse>, Status> {
        let caller = ingest_caller(&request)?;
        let alerts = request.into_inner().alerts;
        let results = ingest_alerts(&self.state, &caller, "grpc", &alerts, None).await?;
        Ok(Response::new(v1::IngestAlertsResponse { results }))
    }
}
