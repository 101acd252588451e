//! Ingest: a batch of validated alerts from one caller is checked against
//! the company's rate limit, decided by the company's owner (logged before
//! the answer) and answered per alert. IngestService and every webhook route
//! call it; they only convert their payloads to and from it.

use tracing::Instrument;

use crate::app::AppState;
use crate::auth::IngestCaller;
use crate::domain::ingest::validate_batch;
use crate::error::{Error, Result};
use crate::owner::command::{Answer, IngestBatch};
use crate::proto::v1::{self, AlertOutcome};
use crate::store::now_ms;

/// Validates `alerts` (all or nothing), applies the company's rate limit and
/// has the company's owner store and correlate them durably; answers one
/// result per alert, in order. `signature` is the webhook's HMAC signature
/// with its expiry, recorded against replays.
pub async fn ingest_alerts(
    state: &AppState,
    caller: &IngestCaller,
    source: &'static str,
    alerts: &[v1::AlertInput],
    signature: Option<(String, i64)>,
) -> Result<Vec<v1::IngestResult>> {
    // The trace's spans (docs/observability.md): DEBUG, so that with export
    // off and the default log filter they are never built.
    let span = tracing::debug_span!(
        "ingest",
        company_id = %caller.company_id,
        source,
        alerts = alerts.len(),
        incident_id = tracing::field::Empty,
    );
    ingest_in_span(state, caller, source, alerts, signature, &span)
        .instrument(span.clone())
        .await
}

async fn ingest_in_span(
    state: &AppState,
    caller: &IngestCaller,
    source: &'static str,
    alerts: &[v1::AlertInput],
    signature: Option<(String, i64)>,
    span: &tracing::Span,
) -> Result<Vec<v1::IngestResult>> {
    let events = {
        let _checks = tracing::debug_span!("ingest.checks").entered();
        let events = validate_batch(alerts, now_ms())
            .map_err(|errors| Error::InvalidArgument(errors.to_string()))?;
        state
            .ingest
            .check_rate(&caller.company_id, events.len())
            .map_err(Error::RateLimited)?;
        events
    };
    let source_timed = alerts
        .iter()
        .map(|alert| alert.occur_time.is_some())
        .collect();
    let company = caller.company();
    let answer = state
        .owners
        .ingest(
            &company,
            IngestBatch {
                company_id: caller.company_id.clone(),
                api_key_id: caller.api_key_id.clone(),
                source: source.to_owned(),
                events,
                signature,
                source_timed,
            },
        )
        .await?;
    let answers = match answer {
        Answer::Ingested(answers) => answers,
        Answer::Replay => {
            return Err(Error::CredentialRejected {
                check: "signature",
                reason: "replay",
                message: "this signature was already used; sign every delivery anew".to_owned(),
            });
        }
        other => {
            return Err(Error::Internal(format!(
                "unexpected answer to an ingest request: {other:?}"
            )));
        }
    };
    if !span.is_disabled() {
        span.record("incident_id", incident_ids(&answers));
    }
    let _answer = tracing::debug_span!("ingest.answer").entered();
    Ok(answers
        .into_iter()
        .enumerate()
        .map(|(index, answer)| v1::IngestResult {
            index: i32::try_from(index).unwrap_or(i32::MAX),
            alert_id: answer.alert_id,
            outcome: AlertOutcome::try_from(i32::from(answer.outcome.as_i16()))
                .unwrap_or(AlertOutcome::Stored)
                .into(),
            incident_id: answer.incident_id.unwrap_or_default(),
            dedup_key: answer.dedup_key,
            reason: answer.reason,
            asset: answer.asset,
            asset_label: answer.asset_label.unwrap_or_default(),
        })
        .collect())
}

/// The distinct incidents of `answers`, comma-separated (the `incident_id`
/// attribute of the `ingest` span).
fn incident_ids(answers: &[crate::owner::command::EventAnswer]) -> String {
    let mut ids: Vec<&str> = answers
        .iter()
        .filter_map(|answer| answer.incident_id.as_deref())
        .collect();
    ids.sort_unstable();
    ids.dedup();
    ids.join(",")
}
