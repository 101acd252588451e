//! Logs and OpenTelemetry traces: the `tracing` subscriber of the process.
//!
//! Logs go to stderr as before (`log_filter`, `log_format`). With
//! `otel_traces_endpoint` set, the spans of requests (and the AWS SDK's own
//! spans, which join them) are also exported over OTLP/gRPC by a batch
//! exporter; [`Telemetry::shutdown`] flushes it. The spans are listed in
//! docs/observability.md.
//!
//! With export off the subscriber is the log layer alone, exactly as before:
//! the trace spans are at DEBUG level, which the default log filter turns
//! off at their call sites, so they cost a level comparison.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use opentelemetry::propagation::{Extractor, TextMapPropagator};
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::{WithExportConfig, WithTonicConfig};
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::{Sampler, SdkTracerProvider};
use tracing::Level;
use tracing_opentelemetry::OpenTelemetrySpanExt;
use tracing_subscriber::Layer;
use tracing_subscriber::filter::{FilterExt, Targets, filter_fn};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

use crate::config::{Config, LogFormat};

/// Whether spans are exported (set once by [`init`]).
static EXPORTING: AtomicBool = AtomicBool::new(false);

/// How long the shutdown waits for the last spans to reach the collector.
const SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(5);

/// The installed subscriber's exporter, to flush at shutdown.
#[derive(Debug)]
#[must_use = "shut it down before the process exits, or the last spans are lost"]
pub struct Telemetry {
    provider: Option<SdkTracerProvider>,
}

/// The trace exporter could not be set up.
#[derive(Debug, thiserror::Error)]
#[error("otel_traces_endpoint: {0}")]
pub struct TelemetryError(String);

/// Installs the process's `tracing` subscriber: the log layer, and the
/// OpenTelemetry layer when `otel_traces_endpoint` is set. Call it once,
/// inside the tokio runtime (the gRPC exporter's channel lives on it).
pub fn init(config: &Config) -> Result<Telemetry, TelemetryError> {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(&config.log_filter));
    if config.otel_traces_endpoint.is_empty() {
        // The same subscriber as before traces existed: one global filter.
        let builder = tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(std::io::stderr);
        match config.log_format {
            LogFormat::Json => builder.json().init(),
            LogFormat::Text => builder.init(),
        }
        return Ok(Telemetry { provider: None });
    }
    let provider = tracer_provider(config)?;
    let tracer = provider.tracer("alert-whisperer");
    // Each layer filters for itself: the logs keep their filter, the traces
    // take the spans of this crate and of the AWS SDK (whose operations
    // are DEBUG spans), and warnings and errors as span events.
    let traced = Targets::new()
        .with_target("alert_whisperer", Level::DEBUG)
        .with_target("aws_sdk", Level::DEBUG)
        .with_target("aws_smithy_runtime", Level::DEBUG)
        .with_target("aws_config", Level::DEBUG)
        .and(filter_fn(|metadata| {
            metadata.is_span() || *metadata.level() <= Level::WARN
        }));
    let traces = tracing_opentelemetry::layer()
        .with_tracer(tracer)
        .with_filter(traced);
    let logs = match config.log_format {
        LogFormat::Json => tracing_subscriber::fmt::layer()
            .json()
            .with_writer(std::io::stderr)
            .with_filter(filter)
            .boxed(),
        LogFormat::Text => tracing_subscriber::fmt::layer()
            .with_writer(std::io::stderr)
            .with_filter(filter)
            .boxed(),
    };
    tracing_subscriber::registry()
        .with(logs)
        .with(traces)
        .try_init()
        .map_err(|error| TelemetryError(format!("cannot install the subscriber: {error}")))?;
    EXPORTING.store(true, Ordering::Relaxed);
    tracing::info!(
        endpoint = %config.otel_traces_endpoint,
        service_name = %config.otel_service_name,
        sampling_ratio = config.otel_traces_sampling_ratio,
        "exporting traces over otlp"
    );
    Ok(Telemetry {
        provider: Some(provider),
    })
}

/// The batch exporter of `config`'s endpoint with its sampler and service name.
fn tracer_provider(config: &Config) -> Result<SdkTracerProvider, TelemetryError> {
    let mut exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_tonic()
        .with_endpoint(config.otel_traces_endpoint.clone());
    if config.otel_traces_endpoint.starts_with("https://") {
        exporter =
            exporter.with_tls_config(tonic::transport::ClientTlsConfig::new().with_native_roots());
    }
    let exporter = exporter
        .build()
        .map_err(|error| TelemetryError(error.to_string()))?;
    // A request that arrives with a sampled `traceparent` is traced whatever
    // the ratio: the caller decided for its whole trace.
    let sampler = Sampler::ParentBased(Box::new(Sampler::TraceIdRatioBased(
        config.otel_traces_sampling_ratio,
    )));
    let resource = opentelemetry_sdk::Resource::builder()
        .with_service_name(config.otel_service_name.clone())
        .build();
    Ok(SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_sampler(sampler)
        .with_resource(resource)
        .build())
}

impl Telemetry {
    /// Exports the spans still buffered and stops the exporter (waits at
    /// most a few seconds for the collector); nothing to do with export off.
    pub async fn shutdown(self) {
        let Some(provider) = self.provider else {
            return;
        };
        // The SDK's shutdown blocks until its export thread is done, and
        // that export needs this runtime to drive the gRPC channel.
        let flushed =
            tokio::task::spawn_blocking(move || provider.shutdown_with_timeout(SHUTDOWN_TIMEOUT))
                .await;
        match flushed {
            Ok(Ok(())) => {}
            Ok(Err(error)) => tracing::warn!(%error, "cannot flush the last spans"),
            Err(error) => tracing::warn!(%error, "cannot flush the last spans"),
        }
    }
}

/// Whether spans are exported.
pub fn exporting() -> bool {
    EXPORTING.load(Ordering::Relaxed)
}

/// Makes `span` (a request's span) the child of the caller's trace when the
/// request carries a W3C `traceparent` header and spans are exported.
pub fn join_remote_parent(span: &tracing::Span, headers: &http::HeaderMap) {
    if !exporting() || !headers.contains_key("traceparent") {
        return;
    }
    let parent = TraceContextPropagator::new().extract(&HeaderCarrier(headers));
    // Refused only when the span is disabled: then there is nothing to join.
    let _ = span.set_parent(parent);
}

/// The W3C trace headers (`traceparent`, `tracestate`) that continue the
/// current span's trace in a call to another replica; none when spans are
/// not exported.
pub fn current_trace_headers() -> Vec<(String, String)> {
    if !exporting() {
        return Vec::new();
    }
    let mut headers = std::collections::HashMap::new();
    TraceContextPropagator::new().inject_context(&tracing::Span::current().context(), &mut headers);
    headers.into_iter().collect()
}

/// An HTTP request's headers as a propagation carrier.
struct HeaderCarrier<'a>(&'a http::HeaderMap);

impl Extractor for HeaderCarrier<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|value| value.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(http::HeaderName::as_str).collect()
    }
}
