//! The webhook routes: one per vendor format, all on the server's one port.
//! Each authenticates (API key, then HMAC when the company enabled it),
//! verifies over the raw bytes before parsing, parses, and calls the same
//! ingest path as IngestService.

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;

use crate::extract::Query;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, post};
use serde::Deserialize;
use tracing::Instrument;

use super::formats::{self, FormatError};
use super::signature;
use crate::app::AppState;
use crate::auth::IngestCaller;
use crate::error::{Error, Result};
use crate::proto::v1::{self, AlertInput};
use crate::service::ingest::ingest_alerts;

/// How far the `X-Timestamp` of a signed webhook may be from now.
pub const SIGNATURE_TOLERANCE_SECONDS: i64 = 300;

/// The webhook routes, with the body limit applied.
pub(crate) fn routes(state: AppState, max_body_bytes: usize) -> Router {
    Router::new()
        .route(
            "/api/webhooks/alerts",
            keyed_json_route("seed", formats::seed::parse),
        )
        .route(
            "/api/webhooks/alertmanager",
            keyed_json_route("alertmanager", formats::alertmanager::parse),
        )
        .route(
            // Grafana alerting's webhook contact point: Alertmanager's shape
            // (the Alertmanager route takes it too).
            "/api/webhooks/grafana",
            keyed_json_route("grafana", formats::alertmanager::parse),
        )
        .route(
            "/api/webhooks/datadog",
            keyed_json_route("datadog", formats::datadog::parse),
        )
        .route(
            "/api/webhooks/zabbix",
            keyed_json_route("zabbix", formats::zabbix::parse),
        )
        .route(
            "/api/webhooks/nagios",
            keyed_json_route("nagios", formats::nagios::parse),
        )
        .route("/api/webhooks/cloudwatch", post(cloudwatch))
        .route("/v2/enqueue", post(pagerduty))
        .layer(axum::extract::DefaultBodyLimit::max(max_body_bytes))
        .route_layer(axum::middleware::from_fn_with_state(
            state.metrics.clone(),
            crate::metrics::track_webhook,
        ))
        .with_state(WebhookState {
            app: state,
            max_body_bytes,
        })
}

#[derive(Clone)]
struct WebhookState {
    app: AppState,
    max_body_bytes: usize,
}

/// `?api_key=` (seed-compatible). Never logged: the trace layer records paths only.
#[derive(Debug, Default, Deserialize)]
struct KeyQuery {
    api_key: Option<String>,
}

fn body_bytes(state: &WebhookState, body: Result<Bytes, BytesRejection>) -> Result<Bytes> {
    body.map_err(|rejection| {
        if rejection.status() == http::StatusCode::PAYLOAD_TOO_LARGE {
            Error::PayloadTooLarge(state.max_body_bytes)
        } else {
            Error::InvalidArgument(format!("cannot read the body: {rejection}"))
        }
    })
}

/// Checks the content type against the route's accepted media types.
fn require_media_type(headers: &HeaderMap, accepted: &[&str]) -> Result<()> {
    let media_type = headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .map(|value| {
            value
                .split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase()
        })
        .unwrap_or_default();
    if accepted.contains(&media_type.as_str()) {
        Ok(())
    } else {
        Err(Error::UnsupportedMediaType(format!(
            "content-type must be {}, got {:?}",
            accepted.join(" or "),
            media_type
        )))
    }
}

async fn authenticate(state: &WebhookState, key: Option<&str>) -> Result<IngestCaller> {
    authenticate_key(state, key)
        .instrument(tracing::debug_span!("ingest.authenticate"))
        .await
}

async fn authenticate_key(state: &WebhookState, key: Option<&str>) -> Result<IngestCaller> {
    let key = key
        .map(str::trim)
        .filter(|key| !key.is_empty())
        .ok_or_else(|| Error::CredentialRejected {
            check: "api_key",
            reason: "missing",
            message: "send the company's api key as the X-API-Key header, as Authorization: Bearer <key>, or as ?api_key=".to_owned(),
        })?;
    state
        .app
        .ingest
        .authenticate(key)
        .await
        .map_err(|error| match error {
            Error::Unauthenticated(message) => Error::CredentialRejected {
                check: "api_key",
                reason: "unknown",
                message,
            },
            other => other,
        })
}

/// The API key of a request: the `X-API-Key` header, else `Authorization:
/// Bearer <key>` (what Alertmanager's `http_config.authorization` and
/// Grafana's contact points send, so the key stays out of URLs that senders
/// log), else `?api_key=`.
fn header_key<'a>(headers: &'a HeaderMap, query: &'a KeyQuery) -> Option<&'a str> {
    headers
        .get("x-api-key")
        .and_then(|value| value.to_str().ok())
        .or_else(|| {
            let authorization = headers.get(http::header::AUTHORIZATION)?;
            crate::auth::bearer_token(authorization.to_str().ok()).ok()
        })
        .or(query.api_key.as_deref())
}

/// Verifies the HMAC signature when the company requires one; answers the
/// signature to record against replays, with its expiry (ms).
async fn verify_signature(
    state: &WebhookState,
    caller: &IngestCaller,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Option<(String, i64)>> {
    // The secrets may come from Secrets Manager: its call is a child span.
    let span = tracing::debug_span!("ingest.signature", company_id = %caller.company_id);
    let Some(secrets) = state
        .app
        .ingest
        .hmac_secrets(&caller.company_id)
        .instrument(span.clone())
        .await?
    else {
        return Ok(None);
    };
    let header = |name: &str| headers.get(name).map(http::HeaderValue::as_bytes);
    let keys: Vec<&[u8]> = secrets.iter().map(Vec::as_slice).collect();
    let now = crate::store::now_ms() / 1000;
    let _verify = span.enter();
    let verified = signature::verify(
        &keys,
        header("x-timestamp"),
        header("x-signature"),
        body,
        now,
        SIGNATURE_TOLERANCE_SECONDS.unsigned_abs(),
    )
    .map_err(|error| {
        tracing::info!(company_id = %caller.company_id, reason = error.reason(), "webhook signature refused");
        Error::CredentialRejected {
            check: "signature",
            reason: error.reason(),
            message: error.to_string(),
        }
    })?;
    let expires_at = (verified.timestamp + SIGNATURE_TOLERANCE_SECONDS).saturating_mul(1000);
    Ok(Some((verified.signature_hex(), expires_at)))
}

fn format_error(error: FormatError) -> Error {
    Error::InvalidArgument(error.to_string())
}

/// The 202 answer: what became of each alert.
fn accepted(results: Vec<v1::IngestResult>) -> Response {
    let alerts: Vec<serde_json::Value> = results
        .iter()
        .map(|result| {
            let outcome = v1::AlertOutcome::try_from(result.outcome)
                .map(|outcome| {
                    outcome
                        .as_str_name()
                        .trim_start_matches("ALERT_OUTCOME_")
                        .to_ascii_lowercase()
                })
                .unwrap_or_default();
            serde_json::json!({
                "index": result.index,
                "alert_id": result.alert_id,
                "outcome": outcome,
                "dedup_key": result.dedup_key,
                "incident_id": (!result.incident_id.is_empty()).then_some(&result.incident_id),
                "asset": result.asset,
                "asset_label": (!result.asset_label.is_empty()).then_some(&result.asset_label),
            })
        })
        .collect();
    (
        http::StatusCode::ACCEPTED,
        axum::Json(serde_json::json!({ "accepted": alerts.len(), "alerts": alerts })),
    )
        .into_response()
}

/// A parser of one vendor format.
type Parse = fn(&[u8]) -> std::result::Result<Vec<AlertInput>, FormatError>;

/// The route of a JSON format authenticated by its API key (see [`header_key`]).
fn keyed_json_route(source: &'static str, parse: Parse) -> MethodRouter<WebhookState> {
    post(
        move |State(state): State<WebhookState>,
              query: std::result::Result<Query<KeyQuery>, Error>,
              headers: HeaderMap,
              body: Result<Bytes, BytesRejection>| {
            keyed_json(state, source, headers, query, body, parse)
        },
    )
}

/// The shared flow of the JSON formats authenticated by their API key.
async fn keyed_json(
    state: WebhookState,
    source: &'static str,
    headers: HeaderMap,
    query: std::result::Result<Query<KeyQuery>, Error>,
    body: Result<Bytes, BytesRejection>,
    parse: Parse,
) -> Result<Response> {
    // The body is read before anything is refused: an answer sent while the
    // client still writes makes hyper close the connection, and the client
    // sees a broken pipe instead of the answer.
    let body = body_bytes(&state, body)?;
    let Query(query) = query?;
    let caller = authenticate(&state, header_key(&headers, &query)).await?;
    require_media_type(&headers, &["application/json"])?;
    let signature = verify_signature(&state, &caller, &headers, &body).await?;
    let alerts = parse(&body).map_err(format_error)?;
    let results = ingest_alerts(&state.app, &caller, source, &alerts, signature).await?;
    Ok(accepted(results))
}

async fn cloudwatch(
    State(state): State<WebhookState>,
    query: std::result::Result<Query<KeyQuery>, Error>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response> {
    let body = body_bytes(&state, body)?;
    let Query(query) = query?;
    let caller = authenticate(&state, header_key(&headers, &query)).await?;
    // SNS posts its JSON envelope as text/plain.
    require_media_type(&headers, &["text/plain", "application/json"])?;
    let envelope = formats::cloudwatch::parse(&body).map_err(format_error)?;
    // SNS cannot sign with the company's HMAC secret; its own RSA signature is
    // verified instead, always.
    state.app.sns.verify(&envelope).await?;
    let message_type = envelope.message_type();
    match envelope {
        formats::cloudwatch::SnsEnvelope::Notification(notification) => {
            let mut alerts = notification.alerts().map_err(format_error)?;
            // SNS retries a delivery with the same MessageId: make it the delivery id.
            for (index, alert) in alerts.iter_mut().enumerate() {
                if alert.delivery_id.is_empty() {
                    alert.delivery_id = format!("sns:{}:{index}", notification.message_id);
                }
            }
            let results = ingest_alerts(&state.app, &caller, "cloudwatch", &alerts, None).await?;
            Ok(accepted(results))
        }
        formats::cloudwatch::SnsEnvelope::SubscriptionConfirmation(subscription)
        | formats::cloudwatch::SnsEnvelope::UnsubscribeConfirmation(subscription) => {
            state
                .app
                .store
                .record_sns_confirmation(crate::store::ingest::NewSnsConfirmation {
                    company_id: caller.company_id.clone(),
                    topic_arn: subscription.topic_arn.clone(),
                    message_type: message_type.to_owned(),
                    message_id: subscription.message_id.clone(),
                    subscribe_url: subscription.subscribe_url.clone(),
                })
                .await?;
            tracing::info!(company_id = %caller.company_id, topic_arn = %subscription.topic_arn, "sns confirmation recorded; an operator confirms it from ListSnsSubscriptions");
            Ok((
                http::StatusCode::OK,
                axum::Json(serde_json::json!({
                    "recorded": message_type,
                    "topic_arn": subscription.topic_arn,
                })),
            )
                .into_response())
        }
    }
}

async fn pagerduty(
    State(state): State<WebhookState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response> {
    let body = body_bytes(&state, body)?;
    require_media_type(&headers, &["application/json"])?;
    // The routing key is the company's API key; it travels inside the body.
    let event = formats::pagerduty::parse(&body).map_err(format_error)?;
    let caller = authenticate(&state, Some(event.routing_key.as_str())).await?;
    let signature = verify_signature(&state, &caller, &headers, &body).await?;
    let results = ingest_alerts(
        &state.app,
        &caller,
        "pagerduty",
        std::slice::from_ref(&event.alert),
        signature,
    )
    .await?;
    let dedup_key = results
        .first()
        .map(|result| result.dedup_key.clone())
        .unwrap_or_default();
    // PagerDuty's own answer shape, so existing integrations read it.
    Ok((
        http::StatusCode::ACCEPTED,
        axum::Json(formats::pagerduty::accepted_response(&dedup_key)),
    )
        .into_response())
}
