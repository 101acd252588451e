//! OpenTelemetry traces, tested through the real binary: a small OTLP/gRPC
//! receiver in the test collects what the server exports, one signed
//! webhook is sent with a W3C `traceparent`, and after a SIGTERM (the
//! exporter's flush) the spans of that webhook form one tree under the
//! caller's span. With export off, nothing arrives. On two replicas, a
//! request forwarded to the company's owner stays one trace.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{
    TraceService, TraceServiceServer,
};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use opentelemetry_proto::tonic::common::v1::KeyValue;
use opentelemetry_proto::tonic::common::v1::any_value::Value;
use opentelemetry_proto::tonic::trace::v1::Span;

use crate::aws::Moto;
use crate::crash::{Process, company};
use crate::harness::{authed, postgres_url};
use crate::ingest::sign;

/// The caller's trace and span, as its `traceparent` names them.
const TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const CALLER_SPAN_ID: &str = "00f067aa0ba902b7";

/// An OTLP collector's TraceService that keeps every export it receives.
#[derive(Clone, Default)]
struct Receiver {
    exports: Arc<Mutex<Vec<ExportTraceServiceRequest>>>,
}

#[tonic::async_trait]
impl TraceService for Receiver {
    async fn export(
        &self,
        request: tonic::Request<ExportTraceServiceRequest>,
    ) -> Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status> {
        self.exports.lock().unwrap().push(request.into_inner());
        Ok(tonic::Response::new(ExportTraceServiceResponse {
            partial_success: None,
        }))
    }
}

impl Receiver {
    /// Serves on 127.0.0.1:0; answers the endpoint to export to.
    async fn start(&self) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        let service = TraceServiceServer::new(self.clone());
        tokio::spawn(async move {
            tonic::transport::Server::builder()
                .add_service(service)
                .serve_with_incoming(tonic::transport::server::TcpIncoming::from(listener))
                .await
                .unwrap();
        });
        endpoint
    }

    /// Every span received, with the `service.name` of its resource.
    fn spans(&self) -> Vec<(String, Span)> {
        let exports = self.exports.lock().unwrap();
        let mut spans = Vec::new();
        for export in exports.iter() {
            for resource_spans in &export.resource_spans {
                let service = resource_spans
                    .resource
                    .as_ref()
                    .and_then(|resource| string_attribute(&resource.attributes, "service.name"))
                    .unwrap_or_default();
                for scope_spans in &resource_spans.scope_spans {
                    for span in &scope_spans.spans {
                        spans.push((service.clone(), span.clone()));
                    }
                }
            }
        }
        spans
    }
}

fn string_attribute(attributes: &[KeyValue], key: &str) -> Option<String> {
    attributes
        .iter()
        .find(|attribute| attribute.key == key)
        .and_then(|attribute| attribute.value.as_ref()?.value.as_ref())
        .and_then(|value| match value {
            Value::StringValue(text) => Some(text.clone()),
            _ => None,
        })
}

/// Starts the binary with `env`, creates a company with HMAC on, sends one
/// signed webhook carrying `traceparent`, stops the server with SIGTERM;
/// answers the company and the incident the webhook opened.
async fn one_signed_webhook(postgres: bool, env: Vec<(String, String)>) -> (String, String) {
    let (mut process, token) = Process::start_with(postgres, env).await;
    let url = process.url();
    let (company_id, key) = company(&url, &token, "Traced Co").await;
    let secret = alert_whisperer::proto::v1::tenant_service_client::TenantServiceClient::connect(
        url.clone(),
    )
    .await
    .unwrap()
    .enable_hmac(authed(
        &token,
        alert_whisperer::proto::v1::EnableHmacRequest {
            company_id: company_id.clone(),
        },
    ))
    .await
    .unwrap()
    .into_inner()
    .secret;
    let body = r#"{"asset_name":"db-01","signature":"disk_full","severity":"high","message":"/var 97%","tool_source":"traces"}"#;
    let timestamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let response = reqwest::Client::new()
        .post(format!("{url}/api/webhooks/alerts"))
        .header("x-api-key", &key)
        .header("content-type", "application/json")
        .header("x-timestamp", timestamp.to_string())
        .header("x-signature", sign(&secret, timestamp, body))
        .header("traceparent", format!("00-{TRACE_ID}-{CALLER_SPAN_ID}-01"))
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 202);
    let answer: serde_json::Value = response.json().await.unwrap();
    let incident_id = answer["alerts"][0]["incident_id"]
        .as_str()
        .expect("the alert opened an incident")
        .to_owned();
    assert!(process.terminate().await, "the server exits cleanly");
    (company_id, incident_id)
}

async fn a_webhook_is_one_trace_under_the_callers_span(postgres: bool) {
    let receiver = Receiver::default();
    let endpoint = receiver.start().await;
    // The HMAC secret lives in (moto's) Secrets Manager: the AWS SDK's spans
    // are part of the traces.
    let moto = Moto::start().await;
    let mut env: Vec<(String, String)> = [
        ("ALERT_WHISPERER_SECRETS_BACKEND", "aws_secrets_manager"),
        ("ALERT_WHISPERER_AWS_REGION", "us-east-1"),
        ("ALERT_WHISPERER_AWS_ENDPOINT_URL", moto.url()),
        ("ALERT_WHISPERER_AWS_ACCESS_KEY_ID", "testing"),
        ("ALERT_WHISPERER_AWS_SECRET_ACCESS_KEY", "testing"),
        ("ALERT_WHISPERER_AWS_MAX_ATTEMPTS", "1"),
    ]
    .into_iter()
    .map(|(key, value)| (key.to_owned(), value.to_owned()))
    .collect();
    env.extend([
        ("ALERT_WHISPERER_OTEL_TRACES_ENDPOINT".to_owned(), endpoint),
        (
            "ALERT_WHISPERER_OTEL_SERVICE_NAME".to_owned(),
            "aw-traces-test".to_owned(),
        ),
        // The batch exporter would wait this long between exports: every
        // span that arrives was sent by the flush at shutdown.
        ("OTEL_BSP_SCHEDULE_DELAY".to_owned(), "600000".to_owned()),
    ]);
    let (company_id, incident_id) = one_signed_webhook(postgres, env).await;

    let all = receiver.spans();
    assert!(
        all.iter().all(|(service, _)| service == "aw-traces-test"),
        "every span names the configured service"
    );
    let trace_id = hex::decode(TRACE_ID).unwrap();
    let caller = hex::decode(CALLER_SPAN_ID).unwrap();
    let trace: Vec<&Span> = all
        .iter()
        .map(|(_, span)| span)
        .filter(|span| span.trace_id == trace_id)
        .collect();
    let by_name: HashMap<&str, &Span> = trace
        .iter()
        .map(|span| (span.name.as_str(), *span))
        .collect();
    let names = {
        let mut names: Vec<&str> = by_name.keys().copied().collect();
        names.sort_unstable();
        names
    };
    let span = |name: &str| -> &Span {
        by_name
            .get(name)
            .unwrap_or_else(|| panic!("no {name} span in the webhook's trace: {names:?}"))
    };
    // The request's span is the child of the caller's, and the tree hangs
    // under it.
    let request = span("request");
    assert_eq!(request.parent_span_id, caller, "traceparent is the parent");
    for child in ["ingest.authenticate", "ingest.signature", "ingest"] {
        assert_eq!(
            span(child).parent_span_id,
            request.span_id,
            "{child} is a child of the request"
        );
    }
    let ingest = span("ingest");
    for child in [
        "ingest.checks",
        "owner.decide",
        "ingest_log.commit",
        "ingest.answer",
    ] {
        assert_eq!(
            span(child).parent_span_id,
            ingest.span_id,
            "{child} is a child of ingest"
        );
    }
    assert_eq!(
        string_attribute(&ingest.attributes, "company_id").as_deref(),
        Some(company_id.as_str())
    );
    assert_eq!(
        string_attribute(&ingest.attributes, "incident_id").as_deref(),
        Some(incident_id.as_str())
    );
    assert_eq!(
        string_attribute(&span("owner.decide").attributes, "company_id").as_deref(),
        Some(company_id.as_str())
    );
    // The group commit that carried the record is a trace of its own,
    // linked to the request's commit span.
    let commit = span("ingest_log.commit");
    let linked = |name: &str| {
        all.iter().any(|(_, span)| {
            span.name == name
                && span
                    .links
                    .iter()
                    .any(|link| link.trace_id == trace_id && link.span_id == commit.span_id)
        })
    };
    assert!(linked("ingest_log.append"), "the append links the request");
    assert!(linked("ingest_log.sync"), "the sync links the request");

    // The AWS SDK's operation spans hang under the request that called
    // them (EnableHmac stores the secret in Secrets Manager).
    let by_id: HashMap<(&[u8], &[u8]), &Span> = all
        .iter()
        .map(|(_, span)| ((span.trace_id.as_slice(), span.span_id.as_slice()), span))
        .collect();
    let under_a_request = |span: &Span| {
        let mut parent = by_id.get(&(span.trace_id.as_slice(), span.parent_span_id.as_slice()));
        while let Some(found) = parent {
            if found.name == "request" {
                return true;
            }
            parent = by_id.get(&(found.trace_id.as_slice(), found.parent_span_id.as_slice()));
        }
        false
    };
    let aws: Vec<&str> = all
        .iter()
        .map(|(_, span)| span)
        .filter(|span| span.name.starts_with("Secrets Manager.") && under_a_request(span))
        .map(|span| span.name.as_str())
        .collect();
    assert!(
        !aws.is_empty(),
        "Secrets Manager calls are spans under a request: {:?}",
        all.iter()
            .map(|(_, span)| span.name.as_str())
            .collect::<Vec<_>>()
    );
}

async fn nothing_is_exported_when_export_is_off(postgres: bool) {
    let receiver = Receiver::default();
    let endpoint = receiver.start().await;
    // The SDK's own variable does not turn export on: only our setting does.
    let env = vec![("OTEL_EXPORTER_OTLP_ENDPOINT".to_owned(), endpoint)];
    one_signed_webhook(postgres, env).await;
    assert!(
        receiver.exports.lock().unwrap().is_empty(),
        "nothing is sent with otel_traces_endpoint empty"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_webhook_is_one_trace_under_the_callers_span_on_sqlite() {
    a_webhook_is_one_trace_under_the_callers_span(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_webhook_is_one_trace_under_the_callers_span_on_postgres() {
    if postgres_url().is_none() {
        eprintln!("TEST_DATABASE_URL is not set: postgres variant skipped");
        return;
    }
    a_webhook_is_one_trace_under_the_callers_span(true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_is_exported_when_export_is_off_on_sqlite() {
    nothing_is_exported_when_export_is_off(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_is_exported_when_export_is_off_on_postgres() {
    if postgres_url().is_none() {
        eprintln!("TEST_DATABASE_URL is not set: postgres variant skipped");
        return;
    }
    nothing_is_exported_when_export_is_off(true).await;
}

/// Posts one unsigned seed-format webhook for `asset` to `url`, with
/// `traceparent` when given.
async fn post_alert(url: &str, key: &str, asset: &str, traceparent: Option<String>) {
    let body = format!(
        r#"{{"asset_name":"{asset}","signature":"disk_full","severity":"high","message":"/var 97%","tool_source":"traces"}}"#
    );
    let mut request = reqwest::Client::new()
        .post(format!("{url}/api/webhooks/alerts"))
        .header("x-api-key", key)
        .header("content-type", "application/json")
        .body(body);
    if let Some(traceparent) = traceparent {
        request = request.header("traceparent", traceparent);
    }
    let response = request.send().await.unwrap();
    assert_eq!(response.status(), 202, "{}", response.text().await.unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_forwarded_to_the_owner_replica_stays_one_trace() {
    if postgres_url().is_none() {
        eprintln!("TEST_DATABASE_URL is not set: skipped");
        return;
    }
    let receiver = Receiver::default();
    let endpoint = receiver.start().await;
    let env = |service: &str| {
        vec![
            (
                "ALERT_WHISPERER_OTEL_TRACES_ENDPOINT".to_owned(),
                endpoint.clone(),
            ),
            (
                "ALERT_WHISPERER_OTEL_SERVICE_NAME".to_owned(),
                service.to_owned(),
            ),
            ("OTEL_BSP_SCHEDULE_DELAY".to_owned(), "600000".to_owned()),
        ]
    };
    let (mut owner, token) = Process::start_with(true, env("replica-owner")).await;
    let (_, key) = company(&owner.url(), &token, "Traced Co").await;
    // The first replica takes the company with its first alert.
    post_alert(&owner.url(), &key, "db-01", None).await;
    let mut other = owner.replica_with(env("replica-other")).await;
    post_alert(
        &other.url(),
        &key,
        "db-02",
        Some(format!("00-{TRACE_ID}-{CALLER_SPAN_ID}-01")),
    )
    .await;
    assert!(other.terminate().await, "the other replica exits cleanly");
    assert!(owner.terminate().await, "the owner exits cleanly");

    let trace_id = hex::decode(TRACE_ID).unwrap();
    let trace: Vec<(String, Span)> = receiver
        .spans()
        .into_iter()
        .filter(|(_, span)| span.trace_id == trace_id)
        .collect();
    let of = |service: &str| -> Vec<&Span> {
        trace
            .iter()
            .filter(|(name, _)| name == service)
            .map(|(_, span)| span)
            .collect()
    };
    let (received, forwarded) = (of("replica-other"), of("replica-owner"));
    let names = |spans: &[&Span]| spans.iter().map(|s| s.name.clone()).collect::<Vec<_>>();
    assert!(
        !received.is_empty(),
        "the receiving replica's spans are in the caller's trace"
    );
    assert!(
        !forwarded.is_empty(),
        "the owner's spans are in the caller's trace too: {:?}",
        names(&received)
    );
    // The owner's request span hangs under a span of the receiving replica.
    let ids: Vec<&Vec<u8>> = received.iter().map(|span| &span.span_id).collect();
    assert!(
        forwarded
            .iter()
            .any(|span| span.name == "request" && ids.contains(&&span.parent_span_id)),
        "owner {:?} under receiver {:?}",
        names(&forwarded),
        names(&received)
    );
}
