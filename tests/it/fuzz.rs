//! Fuzzing through the running server, on each database: random and hostile
//! requests to every RPC of the public API, unary and streaming (built from
//! its descriptors, so a new RPC is fuzzed without touching this file), and to
//! every webhook route. Whatever arrives, the answer is never a server error (INTERNAL,
//! UNKNOWN, HTTP 5xx), a webhook refusal is JSON, and a refused request
//! leaves every table as it was.
//!
//! Seeded: `AW_FUZZ_SEED` replays a run, `AW_FUZZ_ROUNDS` sets how many
//! requests each RPC and route gets (default 12).

use alert_whisperer::proto::v1;
use prost::Message as _;
use prost::bytes::{Buf, BufMut};
use prost_reflect::{
    DescriptorPool, DynamicMessage, FieldDescriptor, Kind, MapKey, MessageDescriptor, Value,
};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sea_orm::{ConnectionTrait, Statement};
use tonic::Status;
use tonic::codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder};
use tonic::metadata::MetadataValue;

use crate::harness::{Backend, TestServer, authed};
use crate::ingest::{post, tenant};

/// Passes encoded messages through untouched: the fuzzer encodes them itself
/// (or sends bytes that are no message at all).
#[derive(Debug, Clone, Default)]
pub(crate) struct RawCodec;

impl Codec for RawCodec {
    type Encode = Vec<u8>;
    type Decode = Vec<u8>;
    type Encoder = RawCodec;
    type Decoder = RawCodec;

    fn encoder(&mut self) -> Self::Encoder {
        RawCodec
    }

    fn decoder(&mut self) -> Self::Decoder {
        RawCodec
    }
}

impl Encoder for RawCodec {
    type Item = Vec<u8>;
    type Error = Status;

    fn encode(&mut self, item: Vec<u8>, buf: &mut EncodeBuf<'_>) -> Result<(), Status> {
        buf.put_slice(&item);
        Ok(())
    }
}

impl Decoder for RawCodec {
    type Item = Vec<u8>;
    type Error = Status;

    fn decode(&mut self, buf: &mut DecodeBuf<'_>) -> Result<Option<Vec<u8>>, Status> {
        Ok(Some(buf.copy_to_bytes(buf.remaining()).to_vec()))
    }
}

/// What the fuzzer knows: real ids (so that some requests reach past the
/// lookups) and strings that broke servers before.
pub(crate) struct Corpus {
    strings: Vec<String>,
}

impl Corpus {
    pub(crate) fn new(ids: &[String]) -> Self {
        let mut strings: Vec<String> = [
            "",
            " ",
            "\0",
            "web\0-01",
            "%",
            "_",
            "h_st0",
            "\\",
            "'; DROP TABLE company; --",
            "<script>alert(1)</script>",
            "\u{FFFF}\u{10FFFF}",
            "line\nbreak",
            "https://",
            "http://x",
            "https://grafana.example/d/1",
            "a@b.c",
            "Europe/Berlin",
            "Not/AZone",
            "admin",
            "technician",
            "viewer",
            "critical",
            "00000000-0000-0000-0000-000000000000",
            "01890000-0000-7000-8000-000000000000",
            "AWS-RunShellScript",
            "arn:aws:iam::123456789012:role/aw",
            "alerts",
            "name",
            "*",
            "-1",
            "9999999999999999999999",
        ]
        .map(str::to_owned)
        .to_vec();
        strings.push("x".repeat(300));
        strings.push("é".repeat(5_000));
        strings.push("y".repeat(70_000));
        strings.extend(ids.iter().cloned());
        Self { strings }
    }

    fn string(&self, rng: &mut StdRng) -> String {
        if rng.random_bool(0.1) {
            let length = rng.random_range(1..40);
            return (0..length)
                .map(|_| char::from(rng.random_range(0x20..0x7f_u8)))
                .collect();
        }
        self.strings[rng.random_range(0..self.strings.len())].clone()
    }
}

fn pick<T: Copy>(rng: &mut StdRng, values: &[T]) -> T {
    values[rng.random_range(0..values.len())]
}

fn random_value(kind: &Kind, rng: &mut StdRng, corpus: &Corpus, depth: usize) -> Value {
    match kind {
        Kind::String => Value::String(corpus.string(rng)),
        Kind::Bytes => Value::Bytes(corpus.string(rng).into_bytes().into()),
        Kind::Bool => Value::Bool(rng.random_bool(0.5)),
        Kind::Int32 | Kind::Sint32 | Kind::Sfixed32 => {
            Value::I32(pick(rng, &[0, -1, 1, 2, 50, 500, 501, i32::MAX, i32::MIN]))
        }
        Kind::Int64 | Kind::Sint64 | Kind::Sfixed64 => Value::I64(pick(
            rng,
            &[0, -1, 1, 60, 86_400, 253_402_300_800, i64::MAX, i64::MIN],
        )),
        Kind::Uint32 | Kind::Fixed32 => Value::U32(pick(rng, &[0, 1, 500, u32::MAX])),
        Kind::Uint64 | Kind::Fixed64 => Value::U64(pick(rng, &[0, 1, 500, u64::MAX])),
        Kind::Float => Value::F32(pick(rng, &[0.0, -1.0, 0.5, f32::NAN, f32::INFINITY])),
        Kind::Double => Value::F64(pick(rng, &[0.0, -1.0, 0.5, f64::NAN, f64::INFINITY])),
        Kind::Enum(descriptor) => {
            let mut numbers: Vec<i32> = descriptor.values().map(|value| value.number()).collect();
            numbers.extend([-1, 99]);
            Value::EnumNumber(pick(rng, &numbers))
        }
        Kind::Message(descriptor) => {
            Value::Message(random_message(descriptor, rng, corpus, depth + 1))
        }
    }
}

fn random_field(field: &FieldDescriptor, rng: &mut StdRng, corpus: &Corpus, depth: usize) -> Value {
    if field.is_map() {
        let Kind::Message(entry) = field.kind() else {
            unreachable!("a map field's kind is its entry message")
        };
        let key_kind = entry.map_entry_key_field().kind();
        let value_kind = entry.map_entry_value_field().kind();
        let entries = (0..rng.random_range(0..3))
            .filter_map(|_| {
                let key = match random_value(&key_kind, rng, corpus, depth) {
                    Value::String(text) => MapKey::String(text),
                    Value::I32(number) => MapKey::I32(number),
                    Value::I64(number) => MapKey::I64(number),
                    Value::U32(number) => MapKey::U32(number),
                    Value::U64(number) => MapKey::U64(number),
                    Value::Bool(flag) => MapKey::Bool(flag),
                    _ => return None,
                };
                Some((key, random_value(&value_kind, rng, corpus, depth)))
            })
            .collect();
        Value::Map(entries)
    } else if field.is_list() {
        Value::List(
            (0..rng.random_range(0..4))
                .map(|_| random_value(&field.kind(), rng, corpus, depth))
                .collect(),
        )
    } else {
        random_value(&field.kind(), rng, corpus, depth)
    }
}

pub(crate) fn random_message(
    descriptor: &MessageDescriptor,
    rng: &mut StdRng,
    corpus: &Corpus,
    depth: usize,
) -> DynamicMessage {
    let mut message = DynamicMessage::new(descriptor.clone());
    if depth > 3 {
        return message;
    }
    for field in descriptor.fields() {
        if rng.random_bool(0.6) {
            let value = random_field(&field, rng, corpus, depth);
            message.set_field(&field, value);
        }
    }
    message
}

/// Bytes that are not a valid encoding of most messages: truncated,
/// random, invalid UTF-8 in a string field, or nested past prost's limit.
fn malformed(encoded: &[u8], rng: &mut StdRng) -> Vec<u8> {
    match rng.random_range(0..4) {
        0 if encoded.len() > 1 => encoded[..rng.random_range(1..encoded.len())].to_vec(),
        1 => (0..rng.random_range(1..64)).map(|_| rng.random()).collect(),
        2 => {
            // Field 1 and 2, length-delimited, invalid UTF-8.
            let mut bytes = encoded.to_vec();
            bytes.extend([0x0a, 0x02, 0xc3, 0x28, 0x12, 0x02, 0xff, 0xfe]);
            bytes
        }
        _ => {
            // Field 1 nested 200 deep: past the recursion limit of any message
            // whose first field is a message, garbage for the rest.
            let mut bytes = vec![0x08, 0x01];
            for _ in 0..200 {
                let mut outer = vec![0x0a];
                prost::encoding::encode_varint(bytes.len() as u64, &mut outer);
                outer.extend(bytes);
                bytes = outer;
            }
            bytes
        }
    }
}

/// Row counts of every table of the server's database, once the tables hold
/// everything the server answered so far.
pub(crate) async fn fingerprint(server: &TestServer, backend: Backend) -> Vec<(String, i64)> {
    let store = server.store().await;
    let connection = store.connection();
    let backend_kind = connection.get_database_backend();
    let tables_sql = match backend {
        Backend::Sqlite => {
            "SELECT name AS table_name FROM sqlite_master WHERE type = 'table' ORDER BY name"
        }
        Backend::Postgres => {
            "SELECT table_name::text AS table_name FROM information_schema.tables \
             WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name"
        }
    };
    let rows = connection
        .query_all_raw(Statement::from_string(backend_kind, tables_sql))
        .await
        .expect("tables");
    let tables: Vec<String> = rows
        .iter()
        .map(|row| row.try_get::<String>("", "table_name").expect("name"))
        .filter(|name| {
            // Written on their own clock, not by requests.
            !name.starts_with("sqlite_")
                && !matches!(
                    name.as_str(),
                    "company_lease" | "projector_checkpoint" | "seaql_migrations"
                )
        })
        .collect();
    let sql = tables
        .iter()
        .map(|table| format!("SELECT '{table}' AS t, COUNT(*) AS n FROM \"{table}\""))
        .collect::<Vec<_>>()
        .join(" UNION ALL ");
    let rows = connection
        .query_all_raw(Statement::from_string(backend_kind, sql))
        .await
        .expect("counts");
    let mut counts: Vec<(String, i64)> = rows
        .iter()
        .map(|row| {
            (
                row.try_get::<String>("", "t").expect("t"),
                row.try_get::<i64>("", "n").expect("n"),
            )
        })
        .collect();
    counts.sort();
    counts
}

/// The run's seed (`AW_FUZZ_SEED`, else random), printed so that a failure
/// can be replayed, and its generator.
pub(crate) fn seeded() -> (u64, StdRng) {
    let seed = std::env::var("AW_FUZZ_SEED")
        .ok()
        .and_then(|seed| seed.parse().ok())
        .unwrap_or_else(rand::random);
    eprintln!("AW_FUZZ_SEED={seed}");
    (seed, StdRng::seed_from_u64(seed))
}

pub(crate) fn rounds() -> usize {
    std::env::var("AW_FUZZ_ROUNDS")
        .ok()
        .and_then(|rounds| rounds.parse().ok())
        .unwrap_or(12)
}

/// Statuses that are a server fault whatever the request.
fn server_fault(code: tonic::Code) -> bool {
    matches!(
        code,
        tonic::Code::Internal | tonic::Code::Unknown | tonic::Code::DataLoss
    )
}

async fn every_rpc_answers_hostile_requests_without_server_errors(backend: Backend) {
    let (seed, mut rng) = seeded();
    let server = TestServer::start(backend).await;
    // The ingest calls use Acme's key; Globex's ids are what the control
    // plane calls name (a fuzzed RotateApiKey of Acme would stop ingest).
    let acme = tenant(&server, "Acme").await;
    let globex = tenant(&server, "Globex").await;
    let mut ingest = v1::ingest_service_client::IngestServiceClient::new(server.channel().await);
    let mut request = tonic::Request::new(v1::IngestAlertRequest {
        alert: Some(v1::AlertInput {
            asset: "web-01".into(),
            signature: "disk_full".into(),
            severity: v1::Severity::Critical.into(),
            ..Default::default()
        }),
    });
    request.metadata_mut().insert(
        "x-api-key",
        MetadataValue::try_from(acme.key.as_str()).expect("ascii"),
    );
    let answer = ingest
        .ingest_alert(request)
        .await
        .expect("ingest")
        .into_inner();
    let corpus = Corpus::new(&[
        globex.id.clone(),
        answer.result.as_ref().expect("result").incident_id.clone(),
        answer.result.as_ref().expect("result").alert_id.clone(),
    ]);

    let pool = DescriptorPool::decode(alert_whisperer::proto::FILE_DESCRIPTOR_SET).expect("pool");
    let mut grpc = tonic::client::Grpc::new(server.channel().await);
    let mut calls = 0;
    let mut refused = 0;
    for service in pool
        .services()
        .filter(|service| service.package_name() == "alertwhisperer.v1")
    {
        for method in service.methods() {
            if method.is_client_streaming() || method.is_server_streaming() {
                continue;
            }
            let path = format!("/{}/{}", service.full_name(), method.name());
            for round in 0..rounds() {
                let message = random_message(&method.input(), &mut rng, &corpus, 0);
                let mut bytes = message.encode_to_vec();
                if round % 4 == 3 {
                    bytes = malformed(&bytes, &mut rng);
                }
                let before = fingerprint(&server, backend).await;
                let mut request = if service.name() == "IngestService" {
                    let mut request = tonic::Request::new(bytes.clone());
                    request.metadata_mut().insert(
                        "x-api-key",
                        MetadataValue::try_from(acme.key.as_str()).expect("ascii"),
                    );
                    request
                } else {
                    authed(&server.admin_token, bytes.clone())
                };
                request.set_timeout(std::time::Duration::from_secs(30));
                grpc.ready().await.expect("ready");
                let answer = grpc
                    .unary(
                        request,
                        http::uri::PathAndQuery::try_from(path.as_str()).expect("path"),
                        RawCodec,
                    )
                    .await;
                calls += 1;
                if let Err(status) = answer {
                    refused += 1;
                    assert!(
                        !server_fault(status.code()),
                        "{path} answered {:?}: {} (AW_FUZZ_SEED={seed}, request {})",
                        status.code(),
                        status.message(),
                        hex::encode(&bytes)
                    );
                    let after = fingerprint(&server, backend).await;
                    assert_eq!(
                        before,
                        after,
                        "{path} refused ({:?}: {}) but stored something (AW_FUZZ_SEED={seed}, request {})",
                        status.code(),
                        status.message(),
                        hex::encode(&bytes)
                    );
                }
            }
        }
    }
    eprintln!("{calls} calls, {refused} refused, none a server error");
    assert!(
        refused > 0 && refused < calls,
        "{refused} of {calls} refused"
    );
}

/// A valid body for each route (Acme's key goes in the header), which the
/// fuzzer mutates.
fn webhook_bases(key: &str) -> Vec<(&'static str, serde_json::Value)> {
    use serde_json::json;
    let alertmanager = json!({
        "version": "4", "groupKey": "{}:{alertname=\"DiskFull\"}", "status": "firing",
        "receiver": "aw", "groupLabels": {}, "commonLabels": {}, "commonAnnotations": {},
        "externalURL": "http://am.example:9093",
        "alerts": [{"status": "firing",
            "labels": {"alertname": "DiskFull", "instance": "db-01:9100", "severity": "critical"},
            "annotations": {"summary": "disk full"}, "startsAt": "2024-05-01T12:00:00Z",
            "endsAt": "0001-01-01T00:00:00Z", "generatorURL": "http://prom.example/graph",
            "fingerprint": "c2ad1f8f0e2a3b4c"}]
    });
    let mut grafana = alertmanager.clone();
    grafana["version"] = json!("1");
    grafana["orgId"] = json!(1);
    vec![
        (
            "/api/webhooks/alerts",
            json!({"asset_name": "web-01", "signature": "cpu_high", "severity": "high",
                   "message": "CPU high", "tool_source": "fuzz"}),
        ),
        ("/api/webhooks/alertmanager", alertmanager),
        ("/api/webhooks/grafana", grafana),
        (
            "/api/webhooks/datadog",
            json!({"body": "CPU is high", "last_updated": "1714564800000",
                   "event_type": "query_alert_monitor",
                   "title": "[P2] [Triggered on {host:web-01}] CPU usage is high",
                   "date": "1714564800000", "id": "7439213488416745271"}),
        ),
        (
            "/v2/enqueue",
            json!({"routing_key": key, "event_action": "trigger", "dedup_key": "pd-1",
                   "payload": {"summary": "disk full", "source": "db-01", "severity": "critical"}}),
        ),
        (
            "/api/webhooks/zabbix",
            json!({"event_id": "4172", "event_value": "1", "event_nseverity": "4",
                   "event_name": "High CPU", "host_host": "web-01", "event_timestamp": "1714564800"}),
        ),
        (
            "/api/webhooks/nagios",
            json!({"source": "nagios", "notification_type": "PROBLEM", "host_name": "web-01",
                   "host_state": "UP", "service_desc": "Disk /var", "service_state": "CRITICAL",
                   "output": "DISK CRITICAL", "problem_id": "1842"}),
        ),
        (
            "/api/webhooks/cloudwatch",
            json!({"Type": "Notification", "MessageId": "m-1", "TopicArn": "arn:aws:sns:us-east-1:1:t",
                   "Message": "{}", "Timestamp": "2024-05-01T12:00:00.000Z",
                   "SignatureVersion": "1", "Signature": "AAAA",
                   "SigningCertURL": "https://sns.us-east-1.amazonaws.com/x.pem"}),
        ),
    ]
}

/// `value` with one random part replaced, removed or retyped.
fn mutate(value: &mut serde_json::Value, rng: &mut StdRng, corpus: &Corpus) {
    use serde_json::Value as Json;
    match value {
        Json::Object(map) if !map.is_empty() && rng.random_bool(0.8) => {
            let keys: Vec<String> = map.keys().cloned().collect();
            let key = &keys[rng.random_range(0..keys.len())];
            match rng.random_range(0..5) {
                0 => {
                    map.remove(key);
                }
                1 => {
                    map.insert(corpus.string(rng), Json::String(corpus.string(rng)));
                }
                _ => mutate(map.get_mut(key).expect("key"), rng, corpus),
            }
        }
        Json::Array(items) if !items.is_empty() && rng.random_bool(0.8) => {
            if rng.random_bool(0.2) {
                let copy = items[0].clone();
                items.extend(std::iter::repeat_n(copy, rng.random_range(1..1200)));
            } else {
                let index = rng.random_range(0..items.len());
                mutate(&mut items[index], rng, corpus);
            }
        }
        _ => {
            *value = match rng.random_range(0..7) {
                0 => Json::Null,
                1 => Json::Bool(true),
                2 => serde_json::json!(pick(rng, &[-1.0, 0.0, 1e300, 1.5])),
                3 => serde_json::json!([corpus.string(rng)]),
                4 => serde_json::json!({ corpus.string(rng): corpus.string(rng) }),
                _ => Json::String(corpus.string(rng)),
            }
        }
    }
}

async fn every_webhook_route_answers_hostile_requests_with_json(backend: Backend) {
    let (seed, mut rng) = seeded();
    let server = TestServer::start(backend).await;
    let acme = tenant(&server, "Acme").await;
    let corpus = Corpus::new(std::slice::from_ref(&acme.id));
    let mut calls = 0;
    let mut accepted = 0;
    for (path, base) in webhook_bases(&acme.key) {
        for round in 0..rounds() * 2 {
            let mut body = base.clone();
            for _ in 0..rng.random_range(1..4) {
                mutate(&mut body, &mut rng, &corpus);
            }
            let mut body = serde_json::to_vec(&body).expect("json");
            let mut url = path.to_owned();
            let mut content_type = "application/json";
            match round % 6 {
                // A body that is not JSON, or not UTF-8.
                1 => body = body[..body.len() / 2].to_vec(),
                2 => body.extend([0xff, 0xfe, 0x00]),
                3 => url = format!("{path}?api_key={}&api_key={}", acme.key, acme.key),
                4 => url = format!("{path}?q={}", "q".repeat(rng.random_range(9_000..60_000))),
                5 => content_type = pick(&mut rng, &["text/plain", "application/xml", ""]),
                _ => {}
            }
            let before = fingerprint(&server, backend).await;
            let response = post(&server, &url)
                .header("x-api-key", &acme.key)
                .header("content-type", content_type)
                .body(body.clone())
                .send()
                .await
                .expect("answer");
            calls += 1;
            let status = response.status();
            let json = response.headers().get("content-type").cloned();
            let text = response.text().await.expect("body");
            let allowed_unavailable = status == 503 && path == "/api/webhooks/cloudwatch";
            assert!(
                !status.is_server_error() || allowed_unavailable,
                "{path}: {status} {text} (AW_FUZZ_SEED={seed}, body {})",
                String::from_utf8_lossy(&body)
            );
            assert_eq!(
                json.as_ref().and_then(|value| value.to_str().ok()),
                Some("application/json"),
                "{url:.80}: {status} {text} is not JSON (AW_FUZZ_SEED={seed})"
            );
            if status.is_success() {
                accepted += 1;
            } else {
                let after = fingerprint(&server, backend).await;
                assert_eq!(
                    before,
                    after,
                    "{path} refused ({status} {text}) but stored something (AW_FUZZ_SEED={seed}, body {})",
                    String::from_utf8_lossy(&body)
                );
            }
        }
    }
    eprintln!("{calls} webhook requests, {accepted} accepted, none a server error");
    assert!(accepted < calls, "{accepted} of {calls} accepted");
}

/// The streaming RPCs (WatchIncidents, WatchExecutions) with random and
/// malformed requests: the stream is refused with a client-side code, or
/// opens and what it sends in its first seconds is messages or such a
/// refusal, never a server fault. They only read, so nothing is stored.
async fn every_streaming_rpc_answers_hostile_requests_without_server_errors(backend: Backend) {
    let (seed, mut rng) = seeded();
    let server = TestServer::start(backend).await;
    let globex = tenant(&server, "Globex").await;
    // An incident to watch, and an execution-less company to watch as well.
    let answer = post(&server, "/api/webhooks/alerts")
        .header("x-api-key", &globex.key)
        .json(&serde_json::json!({"asset": "web-01", "signature": "disk_full", "severity": "critical"}))
        .send()
        .await
        .expect("answer");
    assert!(answer.status().is_success(), "{}", answer.status());
    let corpus = Corpus::new(std::slice::from_ref(&globex.id));
    let pool = DescriptorPool::decode(alert_whisperer::proto::FILE_DESCRIPTOR_SET).expect("pool");
    let mut grpc = tonic::client::Grpc::new(server.channel().await);
    let (mut streams, mut refused, mut opened) = (0, 0, 0);
    for service in pool
        .services()
        .filter(|service| service.package_name() == "alertwhisperer.v1")
    {
        for method in service
            .methods()
            .filter(|method| method.is_server_streaming())
        {
            let path = format!("/{}/{}", service.full_name(), method.name());
            streams += 1;
            for round in 0..rounds() {
                // Every other request names Globex and varies one field (the
                // first varies none), so that streams open and what follows
                // is fuzzed too.
                let message = if round % 2 == 0 {
                    let input = method.input();
                    let mut message = DynamicMessage::new(input.clone());
                    if let Some(company) = input.get_field_by_name("company_id") {
                        message.set_field(&company, Value::String(globex.id.clone()));
                    }
                    if round > 0 {
                        let fields: Vec<FieldDescriptor> = input.fields().collect();
                        let field = &fields[rng.random_range(0..fields.len())];
                        message.set_field(field, random_field(field, &mut rng, &corpus, 0));
                    }
                    message
                } else {
                    random_message(&method.input(), &mut rng, &corpus, 0)
                };
                let mut bytes = message.encode_to_vec();
                if round % 4 == 3 {
                    bytes = malformed(&bytes, &mut rng);
                }
                let context = || format!("AW_FUZZ_SEED={seed}, request {}", hex::encode(&bytes));
                grpc.ready().await.expect("ready");
                let answer = grpc
                    .server_streaming(
                        authed(&server.admin_token, bytes.clone()),
                        http::uri::PathAndQuery::try_from(path.as_str()).expect("path"),
                        RawCodec,
                    )
                    .await;
                let mut stream = match answer {
                    Ok(response) => response.into_inner(),
                    Err(status) => {
                        refused += 1;
                        assert!(
                            !server_fault(status.code()),
                            "{path} answered {:?}: {} ({})",
                            status.code(),
                            status.message(),
                            context()
                        );
                        continue;
                    }
                };
                opened += 1;
                for _ in 0..2 {
                    let next =
                        tokio::time::timeout(std::time::Duration::from_secs(2), stream.message())
                            .await;
                    match next {
                        Ok(Ok(Some(_))) => {}
                        Ok(Ok(None)) | Err(_) => break,
                        Ok(Err(status)) => {
                            assert!(
                                !server_fault(status.code()),
                                "{path} failed its stream with {:?}: {} ({})",
                                status.code(),
                                status.message(),
                                context()
                            );
                            break;
                        }
                    }
                }
            }
        }
    }
    eprintln!(
        "{streams} streaming RPCs, {opened} streams opened, {refused} refused, none a server error"
    );
    assert_eq!(streams, 2, "WatchIncidents and WatchExecutions");
    assert!(
        opened >= streams && refused > 0,
        "{opened} opened, {refused} refused"
    );
}

crate::on_both_backends!(
    every_rpc_answers_hostile_requests_without_server_errors,
    every_streaming_rpc_answers_hostile_requests_without_server_errors,
    every_webhook_route_answers_hostile_requests_with_json
);

/// A URI over the limit with a body still on its way: the server reads the
/// body before it answers, so a client that is still writing gets the JSON
/// 414 and keeps its connection, not a broken pipe (the fuzz test above met
/// one, AW_FUZZ_SEED=11593097990615609032).
#[tokio::test]
async fn a_long_uri_is_answered_after_its_body_and_keeps_the_connection() {
    let server = TestServer::start(Backend::Sqlite).await;
    let acme = tenant(&server, "Acme").await;
    let query = format!("q={}", "q".repeat(20_000));
    refused_after_its_body(&server, &acme.key, &query, "HTTP/1.1 414", "uri_too_long").await;
}

/// A query string that does not parse (the key given twice) is refused after
/// the body, like a long URI: the fuzz test met a broken pipe when the 400
/// went out while the body was still being written (AW_FUZZ_SEED=14880499046482894768).
#[tokio::test]
async fn a_bad_query_is_answered_after_its_body_and_keeps_the_connection() {
    let server = TestServer::start(Backend::Sqlite).await;
    let acme = tenant(&server, "Acme").await;
    let query = format!("api_key={}&api_key={}", acme.key, acme.key);
    refused_after_its_body(
        &server,
        &acme.key,
        &query,
        "HTTP/1.1 400",
        "duplicate field",
    )
    .await;
}

/// Posts a 64 KiB body to the Datadog route with `query`, in two parts with
/// a pause between: no answer may come before the second part, the answer
/// starts with `status` and names `why`, and the connection serves the next
/// request.
async fn refused_after_its_body(
    server: &TestServer,
    key: &str,
    query: &str,
    status: &str,
    why: &str,
) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut socket = tokio::net::TcpStream::connect(server.addr)
        .await
        .expect("connect");
    let body = vec![b' '; 64 * 1024];
    let head = format!(
        "POST /api/webhooks/datadog?{query} HTTP/1.1\r\nhost: aw\r\nx-api-key: {key}\r\n\
         content-type: application/json\r\ncontent-length: {}\r\n\r\n",
        body.len()
    );
    socket.write_all(head.as_bytes()).await.expect("head");
    socket.write_all(&body[..1024]).await.expect("first part");
    // No answer while the body is still coming.
    let mut buffer = vec![0_u8; 64 * 1024];
    let early = tokio::time::timeout(
        std::time::Duration::from_millis(500),
        socket.read(&mut buffer),
    )
    .await;
    assert!(
        early.is_err(),
        "answered before the body was sent: {early:?}"
    );
    socket.write_all(&body[1024..]).await.expect("the rest");
    let read = tokio::time::timeout(std::time::Duration::from_secs(10), socket.read(&mut buffer))
        .await
        .expect("an answer")
        .expect("read");
    let answer = String::from_utf8_lossy(&buffer[..read]).to_string();
    assert!(answer.starts_with(status), "{answer}");
    assert!(answer.contains(why), "{answer}");
    // The connection still serves the next request.
    socket
        .write_all(b"GET /healthz HTTP/1.1\r\nhost: aw\r\n\r\n")
        .await
        .expect("next request");
    let read = tokio::time::timeout(std::time::Duration::from_secs(10), socket.read(&mut buffer))
        .await
        .expect("a second answer")
        .expect("read");
    assert!(
        String::from_utf8_lossy(&buffer[..read]).starts_with("HTTP/1.1 200"),
        "{}",
        String::from_utf8_lossy(&buffer[..read])
    );
}
