//! Prometheus metrics: gRPC requests by method and status code, and their latency.

use std::collections::HashSet;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use http_body::Frame;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RpcLabels {
    method: String,
    code: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct MethodLabels {
    method: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct WebhookLabels {
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    company_id: String,
    outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CompanyLabels {
    company_id: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StatusLabels {
    status: String,
}

/// The registry and the metrics recorded by the server.
pub struct Metrics {
    registry: Registry,
    correlated: Family<OutcomeLabels, Counter>,
    incidents_created: Family<CompanyLabels, Counter>,
    executions_finished: Family<StatusLabels, Counter>,
    time_to_acknowledge: Histogram,
    time_to_resolve: Histogram,
    requests: Family<RpcLabels, Counter>,
    latency: Family<MethodLabels, Histogram>,
    webhooks: Family<WebhookLabels, Counter>,
    webhook_latency: Family<MethodLabels, Histogram>,
    ingest_stopped: Gauge,
    // Only methods of the served services are labels; anything else is "unknown",
    // so a client cannot grow the label set.
    known_methods: HashSet<String>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

fn latency_histogram() -> Histogram {
    // 0.25 ms to about 8 s.
    Histogram::new(exponential_buckets(0.000_25, 2.0, 16))
}

impl Metrics {
    /// A registry with the gRPC metrics, labelling the given method paths.
    pub fn new(known_methods: impl IntoIterator<Item = String>) -> Self {
        let mut registry = Registry::with_prefix("alertwhisperer");
        let requests = Family::<RpcLabels, Counter>::default();
        registry.register(
            "grpc_requests",
            "gRPC (and grpc-web) requests by method and status code",
            requests.clone(),
        );
        let latency =
            Family::<MethodLabels, Histogram>::new_with_constructor(latency_histogram as fn() -> _);
        registry.register(
            "grpc_request_duration_seconds",
            "Time from request to the final status (the whole stream for streaming calls)",
            latency.clone(),
        );
        let webhooks = Family::<WebhookLabels, Counter>::default();
        registry.register(
            "webhook_requests",
            "Webhook requests by route and HTTP status",
            webhooks.clone(),
        );
        let webhook_latency =
            Family::<MethodLabels, Histogram>::new_with_constructor(latency_histogram as fn() -> _);
        registry.register(
            "webhook_request_duration_seconds",
            "Time to answer a webhook request (alerts are durable before it ends), by route",
            webhook_latency.clone(),
        );
        let correlated = Family::<OutcomeLabels, Counter>::default();
        registry.register(
            "correlated_alerts",
            "Alert events correlated, by company and outcome (noise reduction = 1 - incidents / trigger events)",
            correlated.clone(),
        );
        let incidents_created = Family::<CompanyLabels, Counter>::default();
        registry.register(
            "incidents_created",
            "Incidents opened by correlation (storm parents included), by company",
            incidents_created.clone(),
        );
        let executions_finished = Family::<StatusLabels, Counter>::default();
        registry.register(
            "runbook_executions_finished",
            "Runbook executions that reached a terminal status, by status",
            executions_finished.clone(),
        );
        // 1 s to about 4.5 days.
        let time_to_acknowledge = Histogram::new(exponential_buckets(1.0, 2.0, 19));
        registry.register(
            "incident_time_to_acknowledge_seconds",
            "Creation to first acknowledgement of incidents (MTTA = sum / count)",
            time_to_acknowledge.clone(),
        );
        let time_to_resolve = Histogram::new(exponential_buckets(1.0, 2.0, 19));
        registry.register(
            "incident_time_to_resolve_seconds",
            "Creation to resolution of incidents (MTTR = sum / count)",
            time_to_resolve.clone(),
        );
        let ingest_stopped = Gauge::default();
        registry.register(
            "ingest_stopped",
            "1 once alert ingest has stopped because its log could not be synced (restart the server), else 0",
            ingest_stopped.clone(),
        );
        Self {
            registry,
            ingest_stopped,
            correlated,
            incidents_created,
            executions_finished,
            time_to_acknowledge,
            time_to_resolve,
            requests,
            latency,
            webhooks,
            webhook_latency,
            known_methods: known_methods.into_iter().collect(),
        }
    }

    fn method_label(&self, path: &str) -> String {
        if self.known_methods.contains(path) {
            path.trim_start_matches('/').to_owned()
        } else {
            "unknown".to_owned()
        }
    }

    fn record(&self, method: &str, code: &str, started: Instant) {
        self.requests
            .get_or_create(&RpcLabels {
                method: method.to_owned(),
                code: code.to_owned(),
            })
            .inc();
        self.latency
            .get_or_create(&MethodLabels {
                method: method.to_owned(),
            })
            .observe(started.elapsed().as_secs_f64());
    }

    /// Counts one correlated alert event.
    pub fn record_correlation(&self, company_id: &str, outcome: crate::domain::incident::Outcome) {
        self.correlated
            .get_or_create(&OutcomeLabels {
                company_id: company_id.to_owned(),
                outcome: format!("{outcome:?}"),
            })
            .inc();
    }

    /// Counts incidents opened.
    pub fn record_incidents_created(&self, company_id: &str, count: u64) {
        self.incidents_created
            .get_or_create(&CompanyLabels {
                company_id: company_id.to_owned(),
            })
            .inc_by(count);
    }

    /// Counts a runbook execution that finished with `status`.
    pub fn record_execution(&self, status: &str) {
        self.executions_finished
            .get_or_create(&StatusLabels {
                status: status.replace(' ', "_"),
            })
            .inc();
    }

    /// Observes an incident's first acknowledgement, `ms` after its creation.
    pub fn record_acknowledged(&self, ms: i64) {
        #[allow(clippy::cast_precision_loss)]
        self.time_to_acknowledge.observe(ms.max(0) as f64 / 1000.0);
    }

    /// Observes an incident's resolution, `ms` after its creation.
    pub fn record_resolved(&self, ms: i64) {
        #[allow(clippy::cast_precision_loss)]
        self.time_to_resolve.observe(ms.max(0) as f64 / 1000.0);
    }

    /// Records that alert ingest has stopped (its log could not be synced).
    pub fn record_ingest_stopped(&self) {
        self.ingest_stopped.set(1);
    }

    /// The metrics in the Prometheus text exposition format.
    pub fn render(&self) -> String {
        let mut text = String::new();
        if let Err(error) = prometheus_client::encoding::text::encode(&mut text, &self.registry) {
            tracing::error!(%error, "cannot encode metrics");
        }
        text
    }
}

fn code_name(value: &[u8]) -> &'static str {
    let number = std::str::from_utf8(value)
        .ok()
        .and_then(|text| text.parse::<i32>().ok())
        .unwrap_or(2);
    match tonic::Code::from_i32(number) {
        tonic::Code::Ok => "OK",
        tonic::Code::Cancelled => "CANCELLED",
        tonic::Code::Unknown => "UNKNOWN",
        tonic::Code::InvalidArgument => "INVALID_ARGUMENT",
        tonic::Code::DeadlineExceeded => "DEADLINE_EXCEEDED",
        tonic::Code::NotFound => "NOT_FOUND",
        tonic::Code::AlreadyExists => "ALREADY_EXISTS",
        tonic::Code::PermissionDenied => "PERMISSION_DENIED",
        tonic::Code::ResourceExhausted => "RESOURCE_EXHAUSTED",
        tonic::Code::FailedPrecondition => "FAILED_PRECONDITION",
        tonic::Code::Aborted => "ABORTED",
        tonic::Code::OutOfRange => "OUT_OF_RANGE",
        tonic::Code::Unimplemented => "UNIMPLEMENTED",
        tonic::Code::Internal => "INTERNAL",
        tonic::Code::Unavailable => "UNAVAILABLE",
        tonic::Code::DataLoss => "DATA_LOSS",
        tonic::Code::Unauthenticated => "UNAUTHENTICATED",
    }
}

/// Middleware of the webhook routes: counts requests by route (the matched
/// route pattern, never the query string) and status.
pub(crate) async fn track_webhook(
    State(metrics): State<Arc<Metrics>>,
    route: axum::extract::MatchedPath,
    request: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    let response = next.run(request).await;
    let method = MethodLabels {
        method: route.as_str().to_owned(),
    };
    metrics
        .webhooks
        .get_or_create(&WebhookLabels {
            route: method.method.clone(),
            status: response.status().as_u16(),
        })
        .inc();
    metrics
        .webhook_latency
        .get_or_create(&method)
        .observe(started.elapsed().as_secs_f64());
    response
}

/// Middleware of the gRPC router: counts each call by method and final status.
pub(crate) async fn track_grpc(
    State(metrics): State<Arc<Metrics>>,
    request: Request,
    next: Next,
) -> Response {
    let is_grpc = request
        .headers()
        .get(http::header::CONTENT_TYPE)
        .is_some_and(|value| value.as_bytes().starts_with(b"application/grpc"));
    if !is_grpc {
        return next.run(request).await;
    }
    let method = metrics.method_label(request.uri().path());
    let started = Instant::now();
    let response = next.run(request).await;
    // Errors come as trailers-only responses with the status in the headers;
    // everything else ends with trailers, which the body wrapper reads.
    if let Some(status) = response.headers().get("grpc-status") {
        metrics.record(&method, code_name(status.as_bytes()), started);
        return response;
    }
    response.map(|inner| {
        Body::new(TrackedBody {
            inner,
            metrics,
            method,
            started,
            recorded: false,
        })
    })
}

struct TrackedBody {
    inner: Body,
    metrics: Arc<Metrics>,
    method: String,
    started: Instant,
    recorded: bool,
}

impl TrackedBody {
    fn record(&mut self, code: &str) {
        if !self.recorded {
            self.recorded = true;
            self.metrics.record(&self.method, code, self.started);
        }
    }
}

impl http_body::Body for TrackedBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let poll = Pin::new(&mut self.inner).poll_frame(cx);
        match &poll {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(status) = frame.trailers_ref().and_then(|t| t.get("grpc-status")) {
                    let code = code_name(status.as_bytes());
                    self.record(code);
                }
            }
            Poll::Ready(Some(Err(_))) => self.record("INTERNAL"),
            Poll::Ready(None) => self.record("UNKNOWN"),
            Poll::Pending => {}
        }
        poll
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

impl Drop for TrackedBody {
    fn drop(&mut self) {
        // The client went away before the final status.
        self.record("CANCELLED");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_methods_share_one_label() {
        let metrics = Metrics::new(["/a.B/C".to_owned()]);
        assert_eq!(metrics.method_label("/a.B/C"), "a.B/C");
        assert_eq!(metrics.method_label("/x.Y/Z"), "unknown");
        metrics.record("a.B/C", "OK", Instant::now());
        let text = metrics.render();
        assert!(
            text.contains("alertwhisperer_grpc_requests_total{method=\"a.B/C\",code=\"OK\"} 1"),
            "{text}"
        );
        assert!(text.contains("alertwhisperer_grpc_request_duration_seconds_bucket"));
    }
}
