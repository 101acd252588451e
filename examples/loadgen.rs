//! Load generator: drives a running Alert Whisperer and prints what it
//! measured. See docs/benchmarks.md.
//!
//! - `--mode webhook` / `--mode grpc`: ingestion throughput (signed single-alert
//!   webhooks, or gRPC batches) over many connections: alerts/s and latency.
//! - `--mode batch`: the same over HTTP with `--batch` alerts per request, in
//!   Alertmanager's webhook notification format (POST /api/webhooks/alertmanager).
//! - `--target alertmanager` (webhook and batch modes): the same alert mix sent
//!   to a Prometheus Alertmanager as its clients do (POST /api/v2/alerts, one
//!   or `--batch` alerts per request), to compare with a peer; no `--token`.
//! - `--mode watch`: alert-to-stream latency: `--watchers` open WatchIncidents
//!   streams while alerts arrive at a steady `--rate`; every incident event a
//!   stream receives is timed against the send time of the alert that caused it
//!   (carried in the alert message, which becomes the incident summary), and
//!   every stream is checked for missing, repeated or reordered sequences.
//! - `--mode notify`: incident-to-notification latency: alerts at a steady
//!   `--rate`, each opening an incident, a route that sends every opened
//!   incident to a signed webhook served by the load generator itself, and
//!   with `--hang-receiver` a second channel on the same level whose receiver
//!   never answers; prints the ingest rate and answer latency, and the time
//!   from each answer to its notification's arrival.
//! - `--mode storm`: noise reduction on a generated storm with a known answer:
//!   the generator models the expected outcome of every alert, the incidents and
//!   the noise reduction, sends the storm, and compares with the server's
//!   answers, GetKpis, GetNoiseStats and ListIncidents.
//!
//! ```sh
//! cargo run --release --example loadgen -- --url http://127.0.0.1:8080 \
//!     --token awo_... --mode webhook --connections 64 --seconds 20
//! cargo run --release --example loadgen -- --token awo_... --mode watch \
//!     --watchers 100 --rate 500 --connections 8 --assets 200 --seconds 20
//! cargo run --release --example loadgen -- --token awo_... --mode storm
//! cargo run --release --example loadgen -- --target alertmanager \
//!     --url http://127.0.0.1:19093 --mode batch --batch 100 --connections 8
//! ```

#![allow(clippy::unwrap_used)]

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use alert_whisperer::proto::v1;
use anyhow::{Context, bail};
use clap::{Parser, ValueEnum};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tonic::metadata::MetadataValue;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Mode {
    /// Signed single-alert webhooks (POST /api/webhooks/alerts).
    Webhook,
    /// gRPC IngestAlerts batches.
    Grpc,
    /// HTTP POSTs of `--batch` alerts: Alertmanager's webhook notification
    /// format (POST /api/webhooks/alertmanager), or with `--target
    /// alertmanager` Alertmanager's own POST /api/v2/alerts.
    Batch,
    /// Alert-to-stream latency with many open WatchIncidents streams.
    Watch,
    /// Noise reduction of a generated storm with a known answer.
    Storm,
    /// Incident-to-notification latency through a signed webhook channel.
    Notify,
}

/// The server the load goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Target {
    /// Alert Whisperer.
    #[value(name = "alertwhisperer")]
    AlertWhisperer,
    /// Prometheus Alertmanager (webhook and batch modes only), for comparison:
    /// the same alert mix as labels, no tenants, keys or signatures.
    Alertmanager,
}

/// Drives a running server and prints throughput and latency.
#[derive(Debug, Parser)]
#[command(name = "loadgen")]
struct Args {
    /// Server base URL.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    url: String,
    /// The server under load.
    #[arg(long, value_enum, default_value_t = Target::AlertWhisperer)]
    target: Target,
    /// An admin operator token (used to create the benchmark companies);
    /// required with `--target alertwhisperer`.
    #[arg(long, env = "AW_TOKEN")]
    token: Option<String>,
    /// What to send.
    #[arg(long, value_enum, default_value_t = Mode::Webhook)]
    mode: Mode,
    /// Concurrent connections.
    #[arg(long, default_value_t = 64)]
    connections: usize,
    /// How long to send, in seconds.
    #[arg(long, default_value_t = 20)]
    seconds: u64,
    /// Alerts per gRPC batch (grpc mode) or per HTTP POST (batch mode).
    #[arg(long, default_value_t = 500)]
    batch: usize,
    /// Companies to spread the load over (each with its own key and HMAC secret).
    #[arg(long, default_value_t = 8)]
    companies: usize,
    /// Distinct assets per company.
    #[arg(long, default_value_t = 5000)]
    assets: usize,
    /// Send webhooks unsigned (HMAC disabled; webhook and batch modes).
    #[arg(long)]
    unsigned: bool,
    /// On-duty technicians per company; with any, automatic assignment is
    /// turned on, so every new incident is assigned in its correlation pass.
    #[arg(long, default_value_t = 0)]
    technicians: usize,
    /// Give each company an inhibition rule: a firing `service_down` on an
    /// asset suppresses the asset's other alerts.
    #[arg(long)]
    inhibit: bool,
    /// Turn automatic correlation off for the companies: ingest then stores
    /// the alerts pending without correlating them, which measures the
    /// ingest path alone (signatures, replay records, the events' insert and
    /// commit) without the correlation pass in the same transaction.
    #[arg(long)]
    manual_correlation: bool,
    /// PID of the server, to report its peak resident memory (VmHWM).
    #[arg(long)]
    server_pid: Option<u32>,
    /// Reuse the companies saved in this file (one per line: id, name, API
    /// key, HMAC secret, tab-separated) instead of creating new ones; when it
    /// does not exist, the companies created are saved there. So a second run
    /// can load more into the companies a first run filled.
    #[arg(long)]
    companies_file: Option<std::path::PathBuf>,
    /// Stop once this many alerts were sent in all (webhook, grpc and batch
    /// modes), or at `--seconds`, whichever comes first; 0 for no limit.
    #[arg(long, default_value_t = 0)]
    max_alerts: u64,
    /// Further replicas of the server (webhook, grpc and batch modes): the
    /// companies' load is spread over `--url` and these, company by company,
    /// so each replica comes to own its share of the companies.
    #[arg(long)]
    replica_url: Vec<String>,
    /// Open WatchIncidents streams, spread over the companies (watch mode).
    #[arg(long, default_value_t = 100)]
    watchers: usize,
    /// Alerts per second to send, paced by a ticker per connection (watch mode).
    #[arg(long, default_value_t = 500)]
    rate: u64,
    /// Alerts per IngestAlert(s) request (watch mode): 1 sends IngestAlert.
    #[arg(long, default_value_t = 1)]
    alerts_per_request: usize,
    /// Storm: assets per ordinary signature (keep below the storm threshold).
    #[arg(long, default_value_t = 4)]
    storm_assets: usize,
    /// Storm: ordinary signatures.
    #[arg(long, default_value_t = 10)]
    storm_signatures: usize,
    /// Storm: distinct alerts (dedup keys) per asset and signature and wave (at least 2).
    #[arg(long, default_value_t = 10)]
    storm_alerts: usize,
    /// Storm: exact repeats (same dedup key) per asset and signature and wave.
    #[arg(long, default_value_t = 5)]
    storm_repeats: usize,
    /// Storm: assets of the one storming signature (at or above the storm threshold
    /// makes a storm parent per wave; 0 for none).
    #[arg(long, default_value_t = 7)]
    storm_fanout: usize,
    /// Storm: waves, each a correlation window plus 5 minutes after the previous one.
    #[arg(long, default_value_t = 2)]
    storm_waves: usize,
    /// Storm: retried deliveries (same delivery id) per wave.
    #[arg(long, default_value_t = 10)]
    storm_retries: usize,
    /// Notify: add a channel whose receiver never answers to the level.
    #[arg(long)]
    hang_receiver: bool,
}

impl Args {
    /// The admin token; empty with `--target alertmanager`, which needs none
    /// (`main` checks that Alert Whisperer has one).
    fn token(&self) -> &str {
        self.token.as_deref().unwrap_or_default()
    }
}

/// A benchmark company: Alert Whisperer's tenant, or with `--target
/// alertmanager` only a name for the `company` label (empty id and key).
struct Company {
    id: String,
    name: String,
    key: String,
    secret: Option<String>,
}

const SIGNATURES: &[&str] = &[
    "high_cpu_usage",
    "disk_full",
    "memory_pressure",
    "service_down",
    "high_latency",
    "packet_loss",
    "cert_expiring",
    "backup_failed",
    "swap_usage",
    "ntp_drift",
];
const SEVERITIES: &[&str] = &["critical", "high", "medium", "low", "info"];
const TOOLS: &[&str] = &["Datadog", "Prometheus", "Zabbix", "Nagios", "CloudWatch"];

#[derive(Default)]
struct Tally {
    alerts: u64,
    duplicates: u64,
    errors: u64,
    /// What the first failed request got, to say why a run had errors.
    first_error: Option<String>,
    latencies_us: Vec<u32>,
}

impl Tally {
    /// Counts a failed request, keeping what the first one got.
    fn error(&mut self, what: impl FnOnce() -> String) {
        self.errors += 1;
        if self.first_error.is_none() {
            self.first_error = Some(what());
        }
    }
}

fn authed<T>(token: &str, message: T) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    request.metadata_mut().insert(
        "authorization",
        MetadataValue::try_from(format!("Bearer {token}")).unwrap(),
    );
    request
}

/// The names of a run's `count` benchmark companies.
fn company_names(count: usize) -> Vec<String> {
    let run = rand::rng().random::<u32>();
    (0..count).map(|n| format!("bench-{run:08x}-{n}")).collect()
}

/// `--target alertmanager`: companies that are only names (Alertmanager has
/// no tenants, keys or signatures).
fn named_companies(count: usize) -> Vec<Company> {
    company_names(count)
        .into_iter()
        .map(|name| Company {
            id: String::new(),
            name,
            key: String::new(),
            secret: None,
        })
        .collect()
}

/// The companies of `--companies-file` when it exists (with HMAC enabled
/// for those that need it now), otherwise new ones, saved there if asked.
async fn companies(args: &Args, count: usize) -> anyhow::Result<Vec<Company>> {
    let Some(path) = &args.companies_file else {
        return setup(args, count).await;
    };
    if !path.exists() {
        let created = setup(args, count).await?;
        save_companies(path, &created)?;
        return Ok(created);
    }
    let text = std::fs::read_to_string(path).with_context(|| format!("read {}", path.display()))?;
    let mut loaded = Vec::new();
    for line in text.lines().filter(|line| !line.is_empty()) {
        let fields: Vec<&str> = line.split('\t').collect();
        let [id, name, key, secret] = fields[..] else {
            bail!("{}: a line is not id, name, key, secret", path.display());
        };
        loaded.push(Company {
            id: id.to_owned(),
            name: name.to_owned(),
            key: key.to_owned(),
            secret: (!secret.is_empty()).then(|| secret.to_owned()),
        });
    }
    let signed = matches!(args.mode, Mode::Webhook | Mode::Batch) && !args.unsigned;
    if signed && loaded.iter().any(|company| company.secret.is_none()) {
        let mut tenants = v1::tenant_service_client::TenantServiceClient::connect(args.url.clone())
            .await
            .context("connect")?;
        for company in loaded.iter_mut().filter(|company| company.secret.is_none()) {
            company.secret = Some(enable_hmac(args, &mut tenants, &company.id).await?);
        }
        save_companies(path, &loaded)?;
    }
    Ok(loaded)
}

fn save_companies(path: &std::path::Path, companies: &[Company]) -> anyhow::Result<()> {
    let text: String = companies
        .iter()
        .map(|company| {
            format!(
                "{}\t{}\t{}\t{}\n",
                company.id,
                company.name,
                company.key,
                company.secret.as_deref().unwrap_or_default()
            )
        })
        .collect();
    std::fs::write(path, text).with_context(|| format!("write {}", path.display()))
}

async fn enable_hmac(
    args: &Args,
    tenants: &mut v1::tenant_service_client::TenantServiceClient<tonic::transport::Channel>,
    company_id: &str,
) -> anyhow::Result<String> {
    Ok(tenants
        .enable_hmac(authed(
            args.token(),
            v1::EnableHmacRequest {
                company_id: company_id.to_owned(),
            },
        ))
        .await
        .context("enable hmac")?
        .into_inner()
        .secret)
}

async fn setup(args: &Args, count: usize) -> anyhow::Result<Vec<Company>> {
    let mut tenants = v1::tenant_service_client::TenantServiceClient::connect(args.url.clone())
        .await
        .context("connect")?;
    let mut companies = Vec::new();
    for name in company_names(count) {
        let created = tenants
            .create_company(authed(
                args.token(),
                v1::CreateCompanyRequest {
                    name: name.clone(),
                    ..Default::default()
                },
            ))
            .await
            .context("create company")?
            .into_inner();
        let id = created.company.context("company")?.id;
        let signed = matches!(args.mode, Mode::Webhook | Mode::Batch) && !args.unsigned;
        let secret = if signed {
            Some(enable_hmac(args, &mut tenants, &id).await?)
        } else {
            None
        };
        if args.technicians > 0 {
            staff(args, &mut tenants, &id).await?;
        }
        if args.inhibit {
            inhibit(args, &id).await?;
        }
        if args.manual_correlation {
            manual_correlation(args, &id).await?;
        }
        companies.push(Company {
            id: id.clone(),
            name,
            key: created.api_key_secret,
            secret,
        });
    }
    Ok(companies)
}

/// Creates `--technicians` on-duty technicians for the company and turns on
/// automatic assignment.
async fn staff(
    args: &Args,
    tenants: &mut v1::tenant_service_client::TenantServiceClient<tonic::transport::Channel>,
    company_id: &str,
) -> anyhow::Result<()> {
    for n in 0..args.technicians {
        tenants
            .create_technician(authed(
                args.token(),
                v1::CreateTechnicianRequest {
                    slack_member_id: String::new(),
                    company_id: company_id.to_owned(),
                    name: format!("Technician {n}"),
                    email: format!("tech{n}@example.com"),
                    skills: vec![],
                    on_duty: true,
                },
            ))
            .await
            .context("create technician")?;
    }
    update_correlation(
        args,
        v1::CorrelationConfig {
            company_id: company_id.to_owned(),
            auto_assign: true,
            ..Default::default()
        },
        "auto_assign",
    )
    .await
    .context("turn on automatic assignment")
}

/// Changes one field (`path`) of a company's correlation config.
async fn update_correlation(
    args: &Args,
    config: v1::CorrelationConfig,
    path: &str,
) -> anyhow::Result<()> {
    v1::correlation_service_client::CorrelationServiceClient::connect(args.url.clone())
        .await
        .context("connect")?
        .update_correlation_config(authed(
            args.token(),
            v1::UpdateCorrelationConfigRequest {
                config: Some(config),
                update_mask: Some(prost_types::FieldMask {
                    paths: vec![path.to_owned()],
                }),
            },
        ))
        .await?;
    Ok(())
}

/// `--manual-correlation`: the company's alerts are stored, not correlated.
async fn manual_correlation(args: &Args, company_id: &str) -> anyhow::Result<()> {
    update_correlation(
        args,
        v1::CorrelationConfig {
            company_id: company_id.to_owned(),
            auto_correlate: false,
            ..Default::default()
        },
        "auto_correlate",
    )
    .await
    .context("turn automatic correlation off")
}

/// The `--inhibit` rule: `service_down` on an asset inhibits its other alerts.
async fn inhibit(args: &Args, company_id: &str) -> anyhow::Result<()> {
    let matcher = |operator: v1::MatchOperator| v1::Matcher {
        name: "signature".to_owned(),
        operator: operator.into(),
        value: "service_down".to_owned(),
    };
    v1::correlation_service_client::CorrelationServiceClient::connect(args.url.clone())
        .await
        .context("connect")?
        .create_inhibition_rule(authed(
            args.token(),
            v1::CreateInhibitionRuleRequest {
                company_id: company_id.to_owned(),
                source_matchers: vec![matcher(v1::MatchOperator::Equal)],
                target_matchers: vec![matcher(v1::MatchOperator::NotEqual)],
                equal: vec!["asset".to_owned()],
                comment: "load generator".to_owned(),
            },
        ))
        .await
        .context("create inhibition rule")?;
    Ok(())
}

/// One random alert of the benchmark mix: `--assets` assets, 10 signatures,
/// 5 severities, 5 tools, a message with a varying value.
struct Sample {
    asset: String,
    signature: &'static str,
    severity: &'static str,
    message: String,
    tool: &'static str,
}

impl Sample {
    fn random(rng: &mut impl Rng, assets: usize) -> Self {
        let asset = rng.random_range(0..assets);
        Sample {
            asset: format!("srv-{asset:05}.client.example"),
            signature: SIGNATURES[rng.random_range(0..SIGNATURES.len())],
            severity: SEVERITIES[rng.random_range(0..SEVERITIES.len())],
            message: format!(
                "check failed on srv-{asset:05}: value {}",
                rng.random_range(0..1000)
            ),
            tool: TOOLS[rng.random_range(0..TOOLS.len())],
        }
    }

    /// The alert's labels as Prometheus would send them.
    fn labels(&self, company: &str) -> BTreeMap<&'static str, String> {
        BTreeMap::from([
            ("alertname", self.signature.to_owned()),
            ("instance", self.asset.clone()),
            ("severity", self.severity.to_owned()),
            ("tool", self.tool.to_owned()),
            ("company", company.to_owned()),
        ])
    }

    fn generator_url(&self) -> String {
        format!(
            "http://prometheus.bench.example:9090/graph?g0.expr={}",
            self.signature
        )
    }

    /// An alert of Alertmanager's POST /api/v2/alerts, firing since `starts_at`.
    fn posted(&self, company: &str, starts_at: &str) -> serde_json::Value {
        serde_json::json!({
            "labels": self.labels(company),
            "annotations": { "summary": self.message },
            "startsAt": starts_at,
            "generatorURL": self.generator_url(),
        })
    }

    /// An alert of Alertmanager's webhook notification, firing since `starts_at`.
    fn notified(&self, company: &str, starts_at: &str) -> serde_json::Value {
        let labels = self.labels(company);
        serde_json::json!({
            "status": "firing",
            "fingerprint": fingerprint(&labels),
            "labels": labels,
            "annotations": { "summary": self.message },
            "startsAt": starts_at,
            "endsAt": "0001-01-01T00:00:00Z",
            "generatorURL": self.generator_url(),
        })
    }
}

fn seed_body(rng: &mut impl Rng, assets: usize) -> String {
    let alert = Sample::random(rng, assets);
    serde_json::json!({
        "asset_name": alert.asset,
        "signature": alert.signature,
        "severity": alert.severity,
        "message": alert.message,
        "tool_source": alert.tool,
    })
    .to_string()
}

/// Alertmanager's webhook notification (version 4) of `alerts`, all firing,
/// grouped by company.
fn notification_body(company: &str, alerts: &[Sample]) -> String {
    let starts_at = rfc3339(now_ms());
    let alerts: Vec<serde_json::Value> = alerts
        .iter()
        .map(|alert| alert.notified(company, &starts_at))
        .collect();
    serde_json::json!({
        "version": "4",
        "groupKey": format!("{{}}:{{company=\"{company}\"}}"),
        "truncatedAlerts": 0,
        "status": "firing",
        "receiver": "alert-whisperer",
        "groupLabels": { "company": company },
        "commonLabels": common(alerts.iter().map(|alert| &alert["labels"])),
        "commonAnnotations": common(alerts.iter().map(|alert| &alert["annotations"])),
        "externalURL": "http://alertmanager.bench.example:9093",
        "alerts": alerts,
    })
    .to_string()
}

/// Alertmanager's POST /api/v2/alerts of `alerts`, all firing since now.
fn posted_body(company: &str, alerts: &[Sample]) -> String {
    let starts_at = rfc3339(now_ms());
    serde_json::Value::from_iter(alerts.iter().map(|alert| alert.posted(company, &starts_at)))
        .to_string()
}

/// The entries that all the objects share, name and value (a notification's
/// `commonLabels` and `commonAnnotations`).
fn common<'a>(
    mut objects: impl Iterator<Item = &'a serde_json::Value>,
) -> serde_json::Map<String, serde_json::Value> {
    let mut shared = objects
        .next()
        .and_then(serde_json::Value::as_object)
        .cloned()
        .unwrap_or_default();
    for object in objects {
        shared.retain(|name, value| object.get(name) == Some(value));
    }
    shared
}

/// Alertmanager's fingerprint of a label set, as it sends it in a
/// notification: FNV-1a 64 over the labels sorted by name, each name and
/// value followed by the byte 0xff.
fn fingerprint(labels: &BTreeMap<&str, String>) -> String {
    let mut hash: u64 = 14_695_981_039_346_656_037;
    let mut add = |bytes: &[u8]| {
        for byte in bytes {
            hash ^= u64::from(*byte);
            hash = hash.wrapping_mul(1_099_511_628_211);
        }
    };
    for (name, value) in labels {
        add(name.as_bytes());
        add(&[0xff]);
        add(value.as_bytes());
        add(&[0xff]);
    }
    format!("{hash:016x}")
}

/// A time as RFC 3339 in UTC with milliseconds, as Alertmanager writes it.
fn rfc3339(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// What an HTTP request of the webhook and batch modes carries.
#[derive(Debug, Clone, Copy)]
enum Payload {
    /// One alert in the seed format (POST /api/webhooks/alerts).
    Seed,
    /// Alertmanager's webhook notification (POST /api/webhooks/alertmanager).
    Notification,
    /// A JSON array of alerts for Alertmanager's POST /api/v2/alerts.
    Posted,
}

/// What one HTTP worker sends: where, what, and as which company.
struct HttpLoad {
    endpoint: String,
    payload: Payload,
    /// Alerts per request.
    alerts: usize,
    /// The company's name, for the `company` label.
    company: String,
    /// The company's API key and HMAC secret; none for Alertmanager.
    credentials: Option<(String, Option<String>)>,
    /// The status of an accepted request: 202 here, 200 from Alertmanager.
    accepted: u16,
}

impl HttpLoad {
    /// The load of `--target` and `--mode` (webhook or batch) for one
    /// company, sent to `url`.
    fn new(args: &Args, url: &str, company: &Company) -> Self {
        let ours = args.target == Target::AlertWhisperer;
        let (path, payload, alerts) = match (args.target, args.mode) {
            (Target::AlertWhisperer, Mode::Webhook) => ("/api/webhooks/alerts", Payload::Seed, 1),
            (Target::AlertWhisperer, _) => (
                "/api/webhooks/alertmanager",
                Payload::Notification,
                args.batch,
            ),
            (Target::Alertmanager, Mode::Webhook) => ("/api/v2/alerts", Payload::Posted, 1),
            (Target::Alertmanager, _) => ("/api/v2/alerts", Payload::Posted, args.batch),
        };
        HttpLoad {
            endpoint: format!("{url}{path}"),
            payload,
            alerts,
            company: company.name.clone(),
            credentials: ours.then(|| (company.key.clone(), company.secret.clone())),
            accepted: if ours { 202 } else { 200 },
        }
    }

    /// A new request body of random alerts.
    fn body(&self, rng: &mut impl Rng, assets: usize) -> String {
        match self.payload {
            Payload::Seed => seed_body(rng, assets),
            Payload::Notification => notification_body(&self.company, &self.samples(rng, assets)),
            Payload::Posted => posted_body(&self.company, &self.samples(rng, assets)),
        }
    }

    /// A request's worth of random alerts.
    fn samples(&self, rng: &mut impl Rng, assets: usize) -> Vec<Sample> {
        (0..self.alerts)
            .map(|_| Sample::random(rng, assets))
            .collect()
    }
}

/// Signs a webhook like a company with HMAC enabled: X-Timestamp and
/// X-Signature over the body.
fn sign(request: reqwest::RequestBuilder, secret: &str, body: &str) -> reqwest::RequestBuilder {
    let timestamp = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    request.header("x-timestamp", timestamp.to_string()).header(
        "x-signature",
        alert_whisperer::webhook::signature::sign(secret.as_bytes(), timestamp, body.as_bytes()),
    )
}

/// When a worker stops: at the deadline, or when the run's alerts are spent.
struct Limits {
    deadline: Instant,
    budget: Arc<Budget>,
}

impl Limits {
    /// Whether `alerts` more may be sent now (and counts them if so).
    fn go(&self, alerts: usize) -> bool {
        Instant::now() < self.deadline && self.budget.take(alerts)
    }
}

/// `--max-alerts`, shared by the workers of a run.
struct Budget {
    limit: u64,
    taken: AtomicU64,
}

impl Budget {
    fn new(limit: u64) -> Self {
        Budget {
            limit,
            taken: AtomicU64::new(0),
        }
    }

    /// Takes `alerts` from the budget; false once it is spent (never with no limit).
    fn take(&self, alerts: usize) -> bool {
        self.limit == 0 || self.taken.fetch_add(alerts as u64, Ordering::Relaxed) < self.limit
    }
}

/// Sends `load` until the limits, one request at a time.
async fn http_worker(load: HttpLoad, assets: usize, limits: Limits) -> Tally {
    // One connection per worker, like one sender per connection.
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(1)
        .build()
        .unwrap();
    let mut rng = StdRng::from_os_rng();
    let mut tally = Tally::default();
    while limits.go(load.alerts) {
        let body = load.body(&mut rng, assets);
        let mut request = http
            .post(&load.endpoint)
            .header("content-type", "application/json");
        if let Some((key, secret)) = &load.credentials {
            request = request.header("x-api-key", key);
            if let Some(secret) = secret {
                request = sign(request, secret, &body);
            }
        }
        let started = Instant::now();
        let result = request.body(body).send().await;
        let elapsed = started.elapsed();
        match result {
            Ok(response) if response.status() == load.accepted => {
                let text = response.text().await.unwrap_or_default();
                tally.alerts += load.alerts as u64;
                tally.duplicates += text.matches("\"duplicate\"").count() as u64;
                tally
                    .latencies_us
                    .push(u32::try_from(elapsed.as_micros()).unwrap_or(u32::MAX));
            }
            Ok(response) => {
                let status = response.status();
                let text = response.text().await.unwrap_or_default();
                tally.error(|| format!("{status}: {}", text.chars().take(300).collect::<String>()));
            }
            Err(error) => tally.error(|| error.to_string()),
        }
    }
    tally
}

async fn grpc_worker(
    url: String,
    key: String,
    assets: usize,
    batch: usize,
    limits: Limits,
) -> Tally {
    let mut client = v1::ingest_service_client::IngestServiceClient::connect(url)
        .await
        .unwrap();
    let mut rng = StdRng::from_os_rng();
    let mut tally = Tally::default();
    while limits.go(batch) {
        let alerts: Vec<v1::AlertInput> = (0..batch)
            .map(|_| {
                let asset = rng.random_range(0..assets);
                v1::AlertInput {
                    asset: format!("srv-{asset:05}.client.example"),
                    signature: SIGNATURES[rng.random_range(0..SIGNATURES.len())].to_owned(),
                    severity: rng.random_range(1..=5),
                    message: format!("check failed on srv-{asset:05}"),
                    tool_source: TOOLS[rng.random_range(0..TOOLS.len())].to_owned(),
                    ..Default::default()
                }
            })
            .collect();
        let mut request = tonic::Request::new(v1::IngestAlertsRequest { alerts });
        request
            .metadata_mut()
            .insert("x-api-key", MetadataValue::try_from(key.as_str()).unwrap());
        let started = Instant::now();
        let result = client.ingest_alerts(request).await;
        let elapsed = started.elapsed();
        match result {
            Ok(response) => {
                let results = response.into_inner().results;
                tally.alerts += results.len() as u64;
                tally.duplicates += results
                    .iter()
                    .filter(|r| r.outcome == v1::AlertOutcome::Duplicate as i32)
                    .count() as u64;
                tally
                    .latencies_us
                    .push(u32::try_from(elapsed.as_micros()).unwrap_or(u32::MAX));
            }
            Err(status) => tally.error(|| format!("{:?}: {}", status.code(), status.message())),
        }
    }
    tally
}

fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    f64::from(sorted[index]) / 1000.0
}

fn peak_rss_mb(pid: u32) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

/// Refuses what the target cannot do; exits with a usage error.
fn check_target(args: &Args) {
    use clap::CommandFactory;
    use clap::error::ErrorKind;
    let refusal = match args.target {
        Target::AlertWhisperer if args.token.is_none() => Some((
            ErrorKind::MissingRequiredArgument,
            "--token (or AW_TOKEN) is required with --target alertwhisperer",
        )),
        Target::Alertmanager if !matches!(args.mode, Mode::Webhook | Mode::Batch) => Some((
            ErrorKind::ArgumentConflict,
            "--target alertmanager takes --mode webhook or --mode batch",
        )),
        _ => None,
    };
    if let Some((kind, message)) = refusal {
        Args::command().error(kind, message).exit();
    }
}

/// The run's settings beyond the common ones, for the first line of the report.
fn describe(args: &Args) -> String {
    let ours = args.target == Target::AlertWhisperer;
    let mut text = String::new();
    if matches!(args.mode, Mode::Grpc | Mode::Batch) {
        text += &format!(" batch={}", args.batch);
    }
    if ours && matches!(args.mode, Mode::Webhook | Mode::Batch) {
        text += &format!(" signed={}", !args.unsigned);
    }
    if !ours {
        text += " target=alertmanager";
    }
    if !args.replica_url.is_empty() {
        text += &format!(" replicas={}", 1 + args.replica_url.len());
    }
    if args.max_alerts > 0 {
        text += &format!(" max_alerts={}", args.max_alerts);
    }
    text
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    check_target(&args);
    if args.connections == 0 || args.companies == 0 {
        bail!("--connections and --companies must be at least 1");
    }
    match args.mode {
        Mode::Watch => return watch::run(&args, &setup(&args, args.companies).await?).await,
        Mode::Storm => return storm::run(&args).await,
        Mode::Notify => return notify::run(&args).await,
        Mode::Batch if args.batch == 0 => bail!("--batch must be at least 1"),
        Mode::Webhook | Mode::Grpc | Mode::Batch => {}
    }
    let companies = match args.target {
        Target::AlertWhisperer => companies(&args, args.companies).await?,
        Target::Alertmanager => named_companies(args.companies),
    };
    println!(
        "loadgen: mode={:?} connections={} seconds={} companies={} assets/company={}{}",
        args.mode,
        args.connections,
        args.seconds,
        args.companies,
        args.assets,
        describe(&args)
    );
    let urls: Vec<&str> = std::iter::once(args.url.as_str())
        .chain(args.replica_url.iter().map(String::as_str))
        .collect();
    let budget = Arc::new(Budget::new(args.max_alerts));
    let started = Instant::now();
    let deadline = started + Duration::from_secs(args.seconds);
    let mut workers = Vec::new();
    for n in 0..args.connections {
        let index = n % companies.len();
        let company = &companies[index];
        // A company's load goes to one replica, which comes to own it.
        let url = urls[index % urls.len()];
        workers.push(match args.mode {
            Mode::Grpc => tokio::spawn(grpc_worker(
                url.to_owned(),
                company.key.clone(),
                args.assets,
                args.batch,
                Limits {
                    deadline,
                    budget: budget.clone(),
                },
            )),
            _ => tokio::spawn(http_worker(
                HttpLoad::new(&args, url, company),
                args.assets,
                Limits {
                    deadline,
                    budget: budget.clone(),
                },
            )),
        });
    }
    let mut total = Tally::default();
    for worker in workers {
        let tally = worker.await?;
        total.alerts += tally.alerts;
        total.duplicates += tally.duplicates;
        total.errors += tally.errors;
        total.first_error = total.first_error.or(tally.first_error);
        total.latencies_us.extend(tally.latencies_us);
    }
    let elapsed = started.elapsed().as_secs_f64();
    total.latencies_us.sort_unstable();
    println!(
        "alerts accepted: {} in {:.1} s = {:.0} alerts/s ({} requests, {} of the alerts recognised as duplicates, {} errors)",
        total.alerts,
        elapsed,
        total.alerts as f64 / elapsed,
        total.latencies_us.len(),
        total.duplicates,
        total.errors
    );
    println!(
        "request latency: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        percentile(&total.latencies_us, 0.50),
        percentile(&total.latencies_us, 0.99),
        percentile(&total.latencies_us, 1.0)
    );
    if let Some(error) = &total.first_error {
        println!("first error: {error}");
    }
    if let Some(pid) = args.server_pid {
        match peak_rss_mb(pid) {
            Some(mb) => println!("server peak RSS (VmHWM): {mb:.0} MB"),
            None => println!("server peak RSS: cannot read /proc/{pid}/status"),
        }
    }
    Ok(())
}

fn timestamp_ms(ms: i64) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: ms.div_euclid(1000),
        nanos: i32::try_from(ms.rem_euclid(1000) * 1_000_000).unwrap(),
    }
}

fn now_ms() -> i64 {
    i64::try_from(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_millis(),
    )
    .unwrap()
}

async fn channel(url: &str) -> anyhow::Result<tonic::transport::Channel> {
    Ok(tonic::transport::Channel::from_shared(url.to_owned())?
        .tcp_nodelay(true)
        .connect()
        .await?)
}

fn keyed<T>(key: &str, message: T) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    request
        .metadata_mut()
        .insert("x-api-key", MetadataValue::try_from(key).unwrap());
    request
}

/// `--mode notify`: incident-to-notification latency.
mod notify {
    use super::*;
    use std::sync::Mutex;

    /// Arrivals at the fast receiver: incident id → µs since t0.
    type Arrivals = Arc<Mutex<HashMap<String, u64>>>;

    async fn serve_receivers(t0: Instant, arrivals: Arrivals) -> anyhow::Result<String> {
        use axum::routing::post;
        let fast = move |body: String| {
            let arrivals = arrivals.clone();
            async move {
                let at = u64::try_from(t0.elapsed().as_micros()).unwrap_or(u64::MAX);
                if let Ok(value) = serde_json::from_str::<serde_json::Value>(&body)
                    && let Some(id) = value["data"]["incident"]["id"].as_str()
                {
                    arrivals.lock().unwrap().entry(id.to_owned()).or_insert(at);
                }
                "ok"
            }
        };
        let hang = |_: String| async {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            "late"
        };
        let app = axum::Router::new()
            .route("/fast", post(fast))
            .route("/hang", post(hang));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let address = listener.local_addr()?;
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(format!("http://{address}"))
    }

    async fn webhook_channel(
        client: &mut v1::notification_service_client::NotificationServiceClient<
            tonic::transport::Channel,
        >,
        args: &Args,
        company_id: &str,
        name: &str,
        url: String,
    ) -> anyhow::Result<String> {
        Ok(client
            .create_channel(authed(
                args.token(),
                v1::CreateChannelRequest {
                    max_per_minute: 0,
                    company_id: company_id.to_owned(),
                    name: name.to_owned(),
                    config: Some(v1::create_channel_request::Config::Webhook(
                        v1::WebhookChannelConfig { url },
                    )),
                    max_attempts: 1,
                },
            ))
            .await
            .context("create channel")?
            .into_inner()
            .channel
            .context("channel")?
            .id)
    }

    pub(super) async fn run(args: &Args) -> anyhow::Result<()> {
        if args.rate == 0 {
            bail!("--rate must be at least 1");
        }
        let company = setup(args, 1).await?.remove(0);
        let t0 = Instant::now();
        let arrivals: Arrivals = Arc::default();
        let receivers = serve_receivers(t0, arrivals.clone()).await?;
        let mut client = v1::notification_service_client::NotificationServiceClient::new(
            channel(&args.url).await?,
        );
        let mut channel_ids = vec![
            webhook_channel(
                &mut client,
                args,
                &company.id,
                "fast",
                format!("{receivers}/fast"),
            )
            .await?,
        ];
        if args.hang_receiver {
            channel_ids.push(
                webhook_channel(
                    &mut client,
                    args,
                    &company.id,
                    "hang",
                    format!("{receivers}/hang"),
                )
                .await?,
            );
        }
        client
            .create_route(authed(
                args.token(),
                v1::CreateRouteRequest {
                    company_id: company.id.clone(),
                    name: "every incident".to_owned(),
                    events: vec![v1::NotifyEvent::Opened.into()],
                    max_priority: 4,
                    matchers: vec![],
                    levels: vec![v1::EscalationLevel {
                        channel_ids,
                        ..Default::default()
                    }],
                    ..Default::default()
                },
            ))
            .await
            .context("create route")?;
        println!(
            "loadgen: mode=Notify rate={}/s seconds={} hang_receiver={}",
            args.rate, args.seconds, args.hang_receiver
        );

        // One alert per tick, each a signature of its own (a new incident,
        // never a storm); the answer's time is the incident's opening.
        let answered: Arc<Mutex<Vec<(String, u64, u32)>>> = Arc::default();
        let errors = Arc::new(AtomicU64::new(0));
        let ingest = v1::ingest_service_client::IngestServiceClient::new(channel(&args.url).await?);
        let mut ticker = tokio::time::interval(Duration::from_micros(1_000_000 / args.rate));
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
        let deadline = Instant::now() + Duration::from_secs(args.seconds);
        let mut tasks = Vec::new();
        let mut serial = 0u64;
        while Instant::now() < deadline {
            ticker.tick().await;
            serial += 1;
            let mut ingest = ingest.clone();
            let key = company.key.clone();
            let answered = answered.clone();
            let errors = errors.clone();
            tasks.push(tokio::spawn(async move {
                let sent = Instant::now();
                let result = ingest
                    .ingest_alert(keyed(
                        &key,
                        v1::IngestAlertRequest {
                            alert: Some(v1::AlertInput {
                                asset: format!("host-{:03}", serial % 200),
                                signature: format!("notify_bench_{serial}"),
                                severity: v1::Severity::High.into(),
                                message: "notification benchmark".to_owned(),
                                tool_source: "loadgen".to_owned(),
                                ..Default::default()
                            }),
                        },
                    ))
                    .await;
                let took = u32::try_from(sent.elapsed().as_micros()).unwrap_or(u32::MAX);
                match result.map(|r| r.into_inner().result) {
                    Ok(Some(result)) if !result.incident_id.is_empty() => {
                        let at = u64::try_from(t0.elapsed().as_micros()).unwrap_or(u64::MAX);
                        answered
                            .lock()
                            .unwrap()
                            .push((result.incident_id, at, took));
                    }
                    _ => {
                        errors.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }));
        }
        let sending = t0.elapsed();
        for task in tasks {
            task.await?;
        }
        let answered = std::mem::take(&mut *answered.lock().unwrap());
        // Wait for the notifications (at most 30 s after the last answer).
        let wait_until = Instant::now() + Duration::from_secs(30);
        while Instant::now() < wait_until {
            let arrived = arrivals.lock().unwrap().len();
            if arrived >= answered.len() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let arrivals = arrivals.lock().unwrap().clone();
        let mut answer_us: Vec<u32> = answered.iter().map(|(_, _, took)| *took).collect();
        answer_us.sort_unstable();
        let mut delivery_us: Vec<u32> = answered
            .iter()
            .filter_map(|(id, at, _)| {
                arrivals
                    .get(id)
                    .map(|arrived| u32::try_from(arrived.saturating_sub(*at)).unwrap_or(u32::MAX))
            })
            .collect();
        delivery_us.sort_unstable();
        // percentile() answers milliseconds of microsecond samples.
        let ms = percentile;
        println!(
            "notify: incidents opened {} in {:.1} s ({:.1}/min), errors {}; answer p50 {:.1} ms p99 {:.1} ms",
            answered.len(),
            sending.as_secs_f64(),
            answered.len() as f64 * 60.0 / sending.as_secs_f64(),
            errors.load(Ordering::Relaxed),
            ms(&answer_us, 0.5),
            ms(&answer_us, 0.99),
        );
        println!(
            "notify: notified {} of {}; answer → notification p50 {:.1} ms p99 {:.1} ms max {:.1} ms",
            delivery_us.len(),
            answered.len(),
            ms(&delivery_us, 0.5),
            ms(&delivery_us, 0.99),
            delivery_us
                .last()
                .map_or(0.0, |max| f64::from(*max) / 1000.0),
        );
        if delivery_us.len() < answered.len() {
            bail!(
                "{} opened incidents were not notified within 30 s",
                answered.len() - delivery_us.len()
            );
        }
        Ok(())
    }
}

/// `--mode watch`: alert-to-stream latency and stream completeness.
mod watch {
    use super::*;
    use tokio_util::sync::CancellationToken;
    use v1::IncidentEventKind as Kind;
    use v1::watch_incidents_response::Payload;

    /// What one stream saw.
    struct StreamReport {
        company: usize,
        start: u64,
        /// Sequences in arrival order.
        sequences: Vec<u64>,
        /// Alert-to-event latency of the events an alert caused directly.
        latencies_us: Vec<u32>,
        /// Serials of the alerts whose events this stream saw.
        serials: HashSet<u64>,
        kinds: BTreeMap<i32, u64>,
        error: Option<String>,
    }

    /// What the senders saw.
    #[derive(Default)]
    struct SendReport {
        sent: u64,
        errors: u64,
        outcomes: BTreeMap<i32, u64>,
        latencies_us: Vec<u32>,
        /// (company, serial) of the alerts that opened, joined or repeated in an incident.
        incident_alerts: Vec<(usize, u64)>,
    }

    /// The token every alert message starts with: "lg <sent µs since t0> <serial> ".
    fn token_of(summary: &str) -> Option<(u64, u64)> {
        let mut parts = summary.strip_prefix("lg ")?.split(' ');
        Some((parts.next()?.parse().ok()?, parts.next()?.parse().ok()?))
    }

    async fn open(
        url: &str,
        token: &str,
        company_id: &str,
    ) -> anyhow::Result<(tonic::Streaming<v1::WatchIncidentsResponse>, u64)> {
        let mut client =
            v1::incident_service_client::IncidentServiceClient::new(channel(url).await?);
        let mut stream = client
            .watch_incidents(authed(
                token,
                v1::WatchIncidentsRequest {
                    company_id: company_id.to_owned(),
                    after_sequence: None,
                    ..Default::default()
                },
            ))
            .await?
            .into_inner();
        match stream.message().await?.and_then(|m| m.payload) {
            Some(Payload::Heartbeat(heartbeat)) => Ok((stream, heartbeat.sequence)),
            other => bail!("the first message of a stream is not a heartbeat: {other:?}"),
        }
    }

    async fn read(
        mut stream: tonic::Streaming<v1::WatchIncidentsResponse>,
        company: usize,
        start: u64,
        t0: Instant,
        progress: Arc<AtomicU64>,
        stop: CancellationToken,
    ) -> StreamReport {
        let mut report = StreamReport {
            company,
            start,
            sequences: Vec::new(),
            latencies_us: Vec::new(),
            serials: HashSet::new(),
            kinds: BTreeMap::new(),
            error: None,
        };
        loop {
            let message = tokio::select! {
                () = stop.cancelled() => break,
                message = stream.message() => message,
            };
            let received_us = u64::try_from(t0.elapsed().as_micros()).unwrap_or(u64::MAX);
            let event = match message {
                Ok(Some(v1::WatchIncidentsResponse {
                    payload: Some(Payload::Event(event)),
                })) => event,
                Ok(Some(_)) => continue,
                Ok(None) => {
                    report.error = Some("the stream ended".to_owned());
                    break;
                }
                Err(status) => {
                    report.error = Some(status.to_string());
                    break;
                }
            };
            report.sequences.push(event.sequence);
            progress.fetch_max(event.sequence, Ordering::Relaxed);
            *report.kinds.entry(event.kind).or_default() += 1;
            let caused = [Kind::Created, Kind::AlertAdded, Kind::AlertRepeated]
                .iter()
                .any(|kind| *kind as i32 == event.kind);
            if caused
                && let Some((sent_us, serial)) =
                    event.incident.as_ref().and_then(|i| token_of(&i.summary))
            {
                report.serials.insert(serial);
                report
                    .latencies_us
                    .push(u32::try_from(received_us.saturating_sub(sent_us)).unwrap_or(u32::MAX));
            }
        }
        report
    }

    #[allow(clippy::too_many_arguments)]
    async fn send(
        url: String,
        key: String,
        company: usize,
        assets: usize,
        per_second: f64,
        per_request: usize,
        t0: Instant,
        deadline: Instant,
        serials: Arc<AtomicU64>,
    ) -> SendReport {
        let client = v1::ingest_service_client::IngestServiceClient::new(
            channel(&url).await.expect("connect"),
        );
        let mut ticker = tokio::time::interval(Duration::from_secs_f64(1.0 / per_second));
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
        let mut rng = StdRng::from_os_rng();
        let mut inflight = tokio::task::JoinSet::new();
        let mut report = SendReport::default();
        loop {
            ticker.tick().await;
            if Instant::now() >= deadline {
                break;
            }
            let sent_us = u64::try_from(t0.elapsed().as_micros()).unwrap_or(u64::MAX);
            let batch: Vec<(u64, v1::AlertInput)> = (0..per_request)
                .map(|_| {
                    let serial = serials.fetch_add(1, Ordering::Relaxed);
                    let asset = rng.random_range(0..assets);
                    (
                        serial,
                        v1::AlertInput {
                            asset: format!("srv-{asset:05}.client.example"),
                            signature: SIGNATURES[rng.random_range(0..SIGNATURES.len())].to_owned(),
                            severity: rng.random_range(1..=5),
                            message: format!(
                                "lg {sent_us} {serial} check failed on srv-{asset:05}"
                            ),
                            tool_source: TOOLS[rng.random_range(0..TOOLS.len())].to_owned(),
                            ..Default::default()
                        },
                    )
                })
                .collect();
            let mut client = client.clone();
            let key = key.clone();
            inflight.spawn(async move {
                let (serials, alerts): (Vec<u64>, Vec<v1::AlertInput>) = batch.into_iter().unzip();
                let started = Instant::now();
                let results = if alerts.len() == 1 {
                    let alert = alerts.into_iter().next();
                    client
                        .ingest_alert(keyed(&key, v1::IngestAlertRequest { alert }))
                        .await
                        .map(|r| r.into_inner().result.into_iter().collect::<Vec<_>>())
                } else {
                    client
                        .ingest_alerts(keyed(&key, v1::IngestAlertsRequest { alerts }))
                        .await
                        .map(|r| r.into_inner().results)
                };
                (serials, results, started.elapsed())
            });
            // Collect finished requests as we go, so the set stays small.
            while let Some(done) = inflight.try_join_next() {
                tally(&mut report, company, done.unwrap());
            }
        }
        while let Some(done) = inflight.join_next().await {
            tally(&mut report, company, done.unwrap());
        }
        report
    }

    fn tally(
        report: &mut SendReport,
        company: usize,
        (serials, results, elapsed): (
            Vec<u64>,
            Result<Vec<v1::IngestResult>, tonic::Status>,
            Duration,
        ),
    ) {
        report.sent += serials.len() as u64;
        match results {
            Ok(results) => {
                report
                    .latencies_us
                    .push(u32::try_from(elapsed.as_micros()).unwrap_or(u32::MAX));
                for (serial, result) in serials.iter().zip(&results) {
                    *report.outcomes.entry(result.outcome).or_default() += 1;
                    let opened_or_joined = [
                        v1::AlertOutcome::NewIncident,
                        v1::AlertOutcome::Correlated,
                        v1::AlertOutcome::Deduplicated,
                    ]
                    .iter()
                    .any(|o| *o as i32 == result.outcome);
                    if opened_or_joined {
                        report.incident_alerts.push((company, *serial));
                    }
                }
            }
            Err(_) => report.errors += serials.len() as u64,
        }
    }

    fn kind_name(kind: i32) -> String {
        Kind::try_from(kind).map_or_else(
            |_| kind.to_string(),
            |k| {
                k.as_str_name()
                    .trim_start_matches("INCIDENT_EVENT_KIND_")
                    .to_lowercase()
            },
        )
    }

    pub(super) async fn run(args: &Args, companies: &[Company]) -> anyhow::Result<()> {
        if args.rate == 0 || args.alerts_per_request == 0 || args.watchers == 0 {
            bail!("--rate, --alerts-per-request and --watchers must be at least 1");
        }
        println!(
            "loadgen: mode=watch watchers={} companies={} rate={} alerts/s connections={} alerts/request={} seconds={} assets/company={}",
            args.watchers,
            companies.len(),
            args.rate,
            args.connections,
            args.alerts_per_request,
            args.seconds,
            args.assets
        );
        // Open every stream (each on its own connection, like one dashboard
        // each) and read its first heartbeat before any alert is sent.
        let opened = futures::future::join_all((0..args.watchers).map(|n| {
            let company = n % companies.len();
            let (url, token, id) = (&args.url, args.token(), &companies[company].id);
            async move { open(url, token, id).await.map(|opened| (company, opened)) }
        }))
        .await;
        let t0 = Instant::now();
        let stop = CancellationToken::new();
        let mut readers = Vec::new();
        let mut progress = Vec::new();
        for opened in opened {
            let (company, (stream, start)) = opened.context("open a WatchIncidents stream")?;
            let seen = Arc::new(AtomicU64::new(start));
            progress.push((company, seen.clone()));
            readers.push(tokio::spawn(read(
                stream,
                company,
                start,
                t0,
                seen,
                stop.clone(),
            )));
        }
        println!("{} streams open", readers.len());

        let deadline = t0 + Duration::from_secs(args.seconds);
        let serials = Arc::new(AtomicU64::new(0));
        let per_connection =
            args.rate as f64 / args.alerts_per_request as f64 / args.connections as f64;
        let senders: Vec<_> = (0..args.connections)
            .map(|n| {
                let company = n % companies.len();
                tokio::spawn(send(
                    args.url.clone(),
                    companies[company].key.clone(),
                    company,
                    args.assets,
                    per_connection,
                    args.alerts_per_request,
                    t0,
                    deadline,
                    serials.clone(),
                ))
            })
            .collect();
        let mut sent = SendReport::default();
        for sender in senders {
            let report = sender.await?;
            sent.sent += report.sent;
            sent.errors += report.errors;
            for (outcome, n) in report.outcomes {
                *sent.outcomes.entry(outcome).or_default() += n;
            }
            sent.latencies_us.extend(report.latencies_us);
            sent.incident_alerts.extend(report.incident_alerts);
        }
        let send_seconds = t0.elapsed().as_secs_f64();

        // Every answer came after its alerts were correlated, so the log
        // heads now cover every event they caused: a fresh stream's first
        // heartbeat tells each company's head.
        let mut heads = Vec::new();
        for company in companies {
            heads.push(open(&args.url, args.token(), &company.id).await?.1);
        }
        let drain_started = Instant::now();
        let drain_limit = Duration::from_secs(30);
        loop {
            let behind = progress
                .iter()
                .filter(|(company, seen)| seen.load(Ordering::Relaxed) < heads[*company])
                .count();
            if behind == 0 || drain_started.elapsed() > drain_limit {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let drain = drain_started.elapsed();
        stop.cancel();
        let mut streams = Vec::new();
        for reader in readers {
            streams.push(reader.await?);
        }

        // Ingestion side.
        sent.latencies_us.sort_unstable();
        let outcome_names: Vec<String> = sent
            .outcomes
            .iter()
            .map(|(outcome, n)| {
                let name = v1::AlertOutcome::try_from(*outcome).map_or_else(
                    |_| outcome.to_string(),
                    |o| {
                        o.as_str_name()
                            .trim_start_matches("ALERT_OUTCOME_")
                            .to_lowercase()
                    },
                );
                format!("{name} {n}")
            })
            .collect();
        println!(
            "alerts sent: {} in {:.1} s = {:.0} alerts/s ({} errors); outcomes: {}",
            sent.sent,
            send_seconds,
            sent.sent as f64 / send_seconds,
            sent.errors,
            outcome_names.join(", ")
        );
        // A server with deferred correlation answers every new alert STORED.
        let deferred = !sent.outcomes.is_empty()
            && sent
                .outcomes
                .keys()
                .all(|outcome| *outcome == v1::AlertOutcome::Stored as i32);
        println!(
            "ingest request latency ({}): p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
            if deferred {
                "answer after commit, correlation deferred"
            } else {
                "answer after commit and correlation"
            },
            percentile(&sent.latencies_us, 0.50),
            percentile(&sent.latencies_us, 0.99),
            percentile(&sent.latencies_us, 1.0)
        );

        // Stream side.
        let mut latencies: Vec<u32> = Vec::new();
        let mut kinds: BTreeMap<i32, u64> = BTreeMap::new();
        let (mut missing, mut repeated, mut reordered, mut incomplete) = (0u64, 0u64, 0u64, 0);
        let mut errors = Vec::new();
        let mut per_stream: Vec<u64> = Vec::new();
        let mut expected_serials: HashMap<usize, HashSet<u64>> = HashMap::new();
        for (company, serial) in &sent.incident_alerts {
            expected_serials
                .entry(*company)
                .or_default()
                .insert(*serial);
        }
        let mut unseen_alerts = 0u64;
        for stream in &streams {
            let head = heads[stream.company];
            let mut seen = HashSet::new();
            let mut previous = stream.start;
            for &sequence in &stream.sequences {
                if sequence <= previous {
                    reordered += 1;
                }
                previous = previous.max(sequence);
                if !seen.insert(sequence) {
                    repeated += 1;
                }
            }
            let stream_missing = (stream.start + 1..=head)
                .filter(|s| !seen.contains(s))
                .count() as u64;
            if stream_missing > 0 {
                incomplete += 1;
            }
            missing += stream_missing;
            if let Some(error) = &stream.error {
                errors.push(error.clone());
            }
            per_stream.push(stream.sequences.len() as u64);
            latencies.extend(&stream.latencies_us);
            for (kind, n) in &stream.kinds {
                *kinds.entry(*kind).or_default() += n;
            }
            if let Some(expected) = expected_serials.get(&stream.company) {
                unseen_alerts += expected.difference(&stream.serials).count() as u64;
            }
        }
        latencies.sort_unstable();
        per_stream.sort_unstable();
        let events: u64 = heads.iter().zip(companies).map(|(head, _)| *head).sum();
        println!(
            "event log: {} events over {} companies (heads {}..{}); per stream received min {} / median {} / max {}; streams caught up {:.2} s after the last answer",
            events,
            companies.len(),
            heads.iter().min().unwrap(),
            heads.iter().max().unwrap(),
            per_stream.first().unwrap_or(&0),
            per_stream.get(per_stream.len() / 2).unwrap_or(&0),
            per_stream.last().unwrap_or(&0),
            drain.as_secs_f64()
        );
        println!(
            "events received by all streams: {} ({})",
            kinds.values().sum::<u64>(),
            kinds
                .iter()
                .map(|(kind, n)| format!("{} {n}", kind_name(*kind)))
                .collect::<Vec<_>>()
                .join(", ")
        );
        println!(
            "alert-to-stream latency over {} created/alert_added/alert_repeated events on {} streams: p50 {:.1} ms, p90 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
            latencies.len(),
            streams.len(),
            percentile(&latencies, 0.50),
            percentile(&latencies, 0.90),
            percentile(&latencies, 0.99),
            percentile(&latencies, 1.0)
        );
        println!(
            "completeness: {} of {} streams received every sequence from their start to the company's head; missing {}, repeated {}, out of order {}; alerts whose event a stream of their company did not see: {}{}",
            streams.len() - incomplete,
            streams.len(),
            missing,
            repeated,
            reordered,
            unseen_alerts,
            if errors.is_empty() {
                String::new()
            } else {
                format!("; stream errors: {} (first: {})", errors.len(), errors[0])
            }
        );
        if let Some(pid) = args.server_pid {
            match peak_rss_mb(pid) {
                Some(mb) => println!("server peak RSS (VmHWM): {mb:.0} MB"),
                None => println!("server peak RSS: cannot read /proc/{pid}/status"),
            }
        }
        if missing > 0 || repeated > 0 || reordered > 0 || unseen_alerts > 0 || !errors.is_empty() {
            bail!("some stream missed, repeated or reordered events");
        }
        Ok(())
    }
}

/// `--mode storm`: noise reduction of a generated storm with a known answer.
mod storm {
    use super::*;
    use v1::AlertOutcome as Outcome;

    /// One generated alert and what the model says becomes of it.
    struct Planned {
        input: v1::AlertInput,
        expected: Outcome,
    }

    /// The model's answer.
    #[derive(Default)]
    struct Expected {
        /// Trigger events received (repeats count, retried deliveries and resolves do not).
        alerts: i64,
        incidents: i64,
        storm_parents: i64,
        storm_children: i64,
        deduplicated: i64,
        correlated: i64,
    }

    /// Counts an alert's outcome, and notes (the first five) that differ from the model's.
    fn tally(
        measured: &mut BTreeMap<i32, i64>,
        wrong: &mut Vec<String>,
        planned: &Planned,
        outcome: i32,
        reason: &str,
    ) {
        *measured.entry(outcome).or_default() += 1;
        if outcome != planned.expected as i32 && wrong.len() < 5 {
            wrong.push(format!(
                "{} {} key {}: expected {}, got {:?} ({})",
                planned.input.asset,
                planned.input.signature,
                planned.input.dedup_key,
                planned.expected.as_str_name(),
                Outcome::try_from(outcome),
                reason
            ));
        }
    }

    fn noise_reduction(incidents: i64, alerts: i64) -> f64 {
        if alerts == 0 {
            0.0
        } else {
            (1.0 - incidents as f64 / alerts as f64) * 100.0
        }
    }

    /// Generates the storm. Per wave, every (asset, signature) pair gets
    /// `storm_alerts` distinct alerts (distinct dedup keys: the first opens an
    /// incident, the others join it), then `storm_repeats` repeats of its first
    /// alert (same dedup key: deduplicated), then a resolve of its last alert
    /// (the incident stays open: other alerts still fire). Alerts of a wave
    /// span 4 minutes, inside the window; waves are the window plus 5 minutes
    /// apart, so each wave opens new incidents. Ordinary signatures have fewer
    /// assets than the storm threshold; the storming signature has
    /// `storm_fanout` assets and, at or above the threshold, one storm parent
    /// per wave. Some triggers are delivered twice with the same delivery id.
    fn generate(
        args: &Args,
        window_ms: i64,
        storm_min_assets: Option<usize>,
    ) -> (Vec<Planned>, Expected) {
        let spread_ms: i64 = 4 * 60_000;
        let gap_ms = window_ms + 5 * 60_000;
        let waves = i64::try_from(args.storm_waves).unwrap();
        let base = now_ms() - waves * (spread_ms + gap_ms) - 10 * 60_000;
        let mut pairs: Vec<(String, String)> = Vec::new();
        for s in 0..args.storm_signatures {
            for a in 0..args.storm_assets {
                pairs.push((format!("host-{a:02}"), format!("sig_{s:02}")));
            }
        }
        for m in 0..args.storm_fanout {
            pairs.push((format!("fan-{m:02}"), "link_down".to_owned()));
        }
        let (k, r) = (args.storm_alerts, args.storm_repeats);
        let rounds = i64::try_from(k + r).unwrap();
        let mut expected = Expected::default();
        let mut plan: Vec<(i64, Planned)> = Vec::new();
        for wave in 0..args.storm_waves {
            let start = base + i64::try_from(wave).unwrap() * (spread_ms + gap_ms);
            let mut triggers = Vec::new();
            for round in 0..k + r {
                for (p, (asset, signature)) in pairs.iter().enumerate() {
                    let p_ms = i64::try_from(p).unwrap();
                    let at = start + i64::try_from(round).unwrap() * spread_ms / rounds + p_ms;
                    let (alert, outcome) = if round < k {
                        (
                            round,
                            if round == 0 {
                                Outcome::NewIncident
                            } else {
                                Outcome::Correlated
                            },
                        )
                    } else {
                        (0, Outcome::Deduplicated)
                    };
                    let input = v1::AlertInput {
                        asset: asset.clone(),
                        signature: signature.clone(),
                        severity: v1::Severity::Medium as i32,
                        message: format!("{signature} on {asset}, wave {wave}, alert {alert}"),
                        tool_source: TOOLS[round % TOOLS.len()].to_owned(),
                        occur_time: Some(timestamp_ms(at)),
                        dedup_key: format!("w{wave}|p{p}|a{alert}"),
                        delivery_id: format!("w{wave}|p{p}|r{round}"),
                        ..Default::default()
                    };
                    triggers.push(plan.len());
                    plan.push((
                        at,
                        Planned {
                            input,
                            expected: outcome,
                        },
                    ));
                }
            }
            for (p, (asset, signature)) in pairs.iter().enumerate() {
                let at = start + spread_ms + i64::try_from(p).unwrap();
                plan.push((
                    at,
                    Planned {
                        input: v1::AlertInput {
                            asset: asset.clone(),
                            signature: signature.clone(),
                            severity: v1::Severity::Medium as i32,
                            message: format!("{signature} on {asset} cleared"),
                            tool_source: TOOLS[0].to_owned(),
                            occur_time: Some(timestamp_ms(at)),
                            action: v1::AlertAction::Resolve as i32,
                            dedup_key: format!("w{wave}|p{p}|a{}", k - 1),
                            delivery_id: format!("w{wave}|p{p}|resolve"),
                            ..Default::default()
                        },
                        expected: Outcome::Resolved,
                    },
                ));
            }
            // Retried deliveries: an exact copy (same delivery id) right after
            // the original.
            for n in 0..args.storm_retries.min(triggers.len()) {
                let original = triggers[n * triggers.len() / args.storm_retries.max(1)];
                let (at, copy) = (plan[original].0, plan[original].1.input.clone());
                plan.push((
                    at,
                    Planned {
                        input: copy,
                        expected: Outcome::Duplicate,
                    },
                ));
            }
            let pairs_n = i64::try_from(pairs.len()).unwrap();
            let (k_n, r_n) = (i64::try_from(k).unwrap(), i64::try_from(r).unwrap());
            expected.alerts += pairs_n * (k_n + r_n);
            expected.correlated += pairs_n * (k_n - 1);
            expected.deduplicated += pairs_n * r_n;
            expected.incidents += pairs_n;
            if storm_min_assets.is_some_and(|min| args.storm_fanout >= min) {
                expected.incidents += 1;
                expected.storm_parents += 1;
                expected.storm_children += i64::try_from(args.storm_fanout).unwrap();
            }
        }
        // Event-time order; a stable sort keeps each retry after its original.
        plan.sort_by_key(|(at, _)| *at);
        (plan.into_iter().map(|(_, p)| p).collect(), expected)
    }

    struct Check {
        failed: bool,
    }

    impl Check {
        fn row(
            &mut self,
            what: &str,
            expected: impl std::fmt::Display,
            measured: impl std::fmt::Display,
        ) {
            let (e, m) = (expected.to_string(), measured.to_string());
            let ok = e == m;
            self.failed |= !ok;
            println!(
                "  {what:<44} {e:>10} {m:>10}  {}",
                if ok { "ok" } else { "MISMATCH" }
            );
        }
    }

    pub(super) async fn run(args: &Args) -> anyhow::Result<()> {
        if args.storm_alerts < 2 {
            bail!("--storm-alerts must be at least 2 (the model keeps every incident open)");
        }
        let company = setup(args, 1)
            .await?
            .into_iter()
            .next()
            .context("company")?;
        let started_ms = now_ms();
        let chan = channel(&args.url).await?;
        let mut correlation =
            v1::correlation_service_client::CorrelationServiceClient::new(chan.clone());
        let mut incidents = v1::incident_service_client::IncidentServiceClient::new(chan.clone());
        let mut ingest = v1::ingest_service_client::IngestServiceClient::new(chan);
        let config = correlation
            .get_correlation_config(authed(
                args.token(),
                v1::GetCorrelationConfigRequest {
                    company_id: company.id.clone(),
                },
            ))
            .await?
            .into_inner()
            .config
            .context("config")?;
        let window = config.window.context("window")?;
        let window_ms = window.seconds * 1000 + i64::from(window.nanos / 1_000_000);
        let storm = config
            .storm_grouping
            .filter(|s| s.enabled)
            .map(|s| usize::try_from(s.min_assets).unwrap());
        if storm.is_some_and(|min| args.storm_assets >= min) {
            bail!(
                "--storm-assets {} reaches the storm threshold {:?}: the model does not cover storms of ordinary signatures",
                args.storm_assets,
                storm
            );
        }
        let (plan, expected) = generate(args, window_ms, storm);
        println!(
            "loadgen: mode=storm company {}: window {} min, storm grouping {}; {} waves × ({} assets × {} signatures + {} assets of one storming signature) × ({} alerts + {} repeats), 1 resolve per pair and wave, {} retried deliveries per wave: {} requests in batches of {}",
            company.id,
            window_ms / 60_000,
            storm.map_or("off".to_owned(), |min| format!("from {min} assets")),
            args.storm_waves,
            args.storm_assets,
            args.storm_signatures,
            args.storm_fanout,
            args.storm_alerts,
            args.storm_repeats,
            args.storm_retries,
            plan.len(),
            args.batch.min(1000),
        );

        let sending = Instant::now();
        let mut check = Check { failed: false };
        let mut measured_outcomes: BTreeMap<i32, i64> = BTreeMap::new();
        let mut wrong = Vec::new();
        // A server that defers correlation answers new alerts STORED: their
        // outcomes are read through ExplainAlert once they are correlated.
        let mut deferred: Vec<(&Planned, String)> = Vec::new();
        for chunk in plan.chunks(args.batch.clamp(1, 1000)) {
            let results = ingest
                .ingest_alerts(keyed(
                    &company.key,
                    v1::IngestAlertsRequest {
                        alerts: chunk.iter().map(|p| p.input.clone()).collect(),
                    },
                ))
                .await?
                .into_inner()
                .results;
            for (planned, result) in chunk.iter().zip(&results) {
                if result.outcome == Outcome::Stored as i32 && planned.expected != Outcome::Stored {
                    deferred.push((planned, result.alert_id.clone()));
                } else {
                    tally(
                        &mut measured_outcomes,
                        &mut wrong,
                        planned,
                        result.outcome,
                        &result.reason,
                    );
                }
            }
        }
        let send_seconds = sending.elapsed().as_secs_f64();
        if !deferred.is_empty() {
            println!(
                "{} answers were STORED (the server defers correlation): reading each one's outcome through ExplainAlert once it is correlated",
                deferred.len()
            );
            let deadline = Instant::now() + Duration::from_secs(60);
            for (planned, alert_id) in deferred {
                let explained = loop {
                    let explained = correlation
                        .explain_alert(authed(
                            args.token(),
                            v1::ExplainAlertRequest {
                                alert_id: alert_id.clone(),
                                ..Default::default()
                            },
                        ))
                        .await?
                        .into_inner();
                    if explained.outcome != Outcome::Stored as i32 {
                        break explained;
                    }
                    if Instant::now() > deadline {
                        bail!("alert {alert_id} is still uncorrelated 60 s after the storm");
                    }
                    tokio::time::sleep(Duration::from_millis(100)).await;
                };
                let reason = explained
                    .decisions
                    .last()
                    .map(|d| d.reason.clone())
                    .unwrap_or_default();
                tally(
                    &mut measured_outcomes,
                    &mut wrong,
                    planned,
                    explained.outcome,
                    &reason,
                );
            }
        }
        let mut expected_outcomes: BTreeMap<i32, i64> = BTreeMap::new();
        for planned in &plan {
            *expected_outcomes
                .entry(planned.expected as i32)
                .or_default() += 1;
        }

        let start_time = Some(timestamp_ms(started_ms - 60_000));
        let noise = correlation
            .get_noise_stats(authed(
                args.token(),
                v1::GetNoiseStatsRequest {
                    company_id: company.id.clone(),
                    start_time,
                    end_time: None,
                },
            ))
            .await?
            .into_inner();
        let kpis = incidents
            .get_kpis(authed(
                args.token(),
                v1::GetKpisRequest {
                    company_id: company.id.clone(),
                    start_time,
                    end_time: None,
                },
            ))
            .await?
            .into_inner()
            .total
            .context("kpis")?;
        let mut listed = Vec::new();
        let mut page_token = String::new();
        loop {
            let page = incidents
                .list_incidents(authed(
                    args.token(),
                    v1::ListIncidentsRequest {
                        company_ids: vec![company.id.clone()],
                        page_size: 500,
                        page_token: page_token.clone(),
                        ..Default::default()
                    },
                ))
                .await?
                .into_inner();
            listed.extend(page.incidents);
            if page.next_page_token.is_empty() {
                break;
            }
            page_token = page.next_page_token;
        }
        let parents: Vec<&v1::Incident> = listed
            .iter()
            .filter(|i| i.child_incident_count > 0)
            .collect();
        let children = listed
            .iter()
            .filter(|i| !i.parent_incident_id.is_empty())
            .count();
        let per_pair = i64::try_from(args.storm_alerts + args.storm_repeats).unwrap();
        let wrong_counts = listed
            .iter()
            .filter(|i| i.child_incident_count == 0 && i.alert_count != per_pair)
            .count();
        let wrong_parent_counts = parents
            .iter()
            .filter(|p| {
                p.alert_count != i64::from(p.child_incident_count) * per_pair
                    || usize::try_from(p.child_incident_count).unwrap() != args.storm_fanout
            })
            .count();
        let resolved = listed
            .iter()
            .filter(|i| i.status == v1::IncidentStatus::Resolved as i32)
            .count();

        let expected_nr = noise_reduction(expected.incidents, expected.alerts);
        println!("sent in {send_seconds:.2} s; expected (generator's model) vs measured (server):");
        println!("  {:<44} {:>10} {:>10}", "", "expected", "measured");
        for outcome in [
            Outcome::NewIncident,
            Outcome::Correlated,
            Outcome::Deduplicated,
            Outcome::Resolved,
            Outcome::Duplicate,
        ] {
            check.row(
                &format!(
                    "answers {}",
                    outcome.as_str_name().trim_start_matches("ALERT_OUTCOME_")
                ),
                expected_outcomes.get(&(outcome as i32)).unwrap_or(&0),
                measured_outcomes.get(&(outcome as i32)).unwrap_or(&0),
            );
        }
        check.row(
            "answers of any other outcome",
            0,
            measured_outcomes
                .iter()
                .filter(|(o, _)| !expected_outcomes.contains_key(o))
                .map(|(_, n)| n)
                .sum::<i64>(),
        );
        check.row(
            "GetNoiseStats alert_count",
            expected.alerts,
            noise.alert_count,
        );
        check.row(
            "GetNoiseStats incident_count",
            expected.incidents,
            noise.incident_count,
        );
        check.row(
            "GetNoiseStats noise_reduction_pct",
            format!("{expected_nr:.4}"),
            format!("{:.4}", noise.noise_reduction_pct),
        );
        check.row(
            "GetNoiseStats deduplicated_alert_count",
            expected.deduplicated,
            noise.deduplicated_alert_count,
        );
        check.row(
            "GetNoiseStats correlated_alert_count",
            expected.correlated,
            noise.correlated_alert_count,
        );
        check.row(
            "GetNoiseStats storm_incident_count",
            expected.storm_parents,
            noise.storm_incident_count,
        );
        check.row(
            "GetNoiseStats uncorrelated/silenced/inhibited/flapping",
            "0/0/0/0",
            format!(
                "{}/{}/{}/{}",
                noise.uncorrelated_alert_count,
                noise.silenced_alert_count,
                noise.inhibited_alert_count,
                noise.flapping_incident_count
            ),
        );
        check.row(
            "GetKpis raw_alert_count",
            expected.alerts,
            kpis.raw_alert_count,
        );
        // GetKpis counts what a technician handles: a storm's children
        // count through their parent.
        let top_level = expected.incidents - expected.storm_children;
        check.row("GetKpis incident_count", top_level, kpis.incident_count);
        check.row(
            "GetKpis noise_reduction_pct",
            format!("{:.4}", noise_reduction(top_level, expected.alerts)),
            format!("{:.4}", kpis.noise_reduction_pct),
        );
        check.row(
            "GetKpis open/resolved",
            format!("{top_level}/0"),
            format!("{}/{}", kpis.open_count, kpis.resolved_count),
        );
        check.row("ListIncidents incidents", expected.incidents, listed.len());
        check.row(
            "ListIncidents storm parents / children",
            format!("{}/{}", expected.storm_parents, expected.storm_children),
            format!("{}/{}", parents.len(), children),
        );
        check.row("ListIncidents resolved", 0, resolved);
        check.row(
            &format!("incidents whose alert_count is not {per_pair}"),
            0,
            wrong_counts,
        );
        check.row(
            "storm parents with wrong children or alert_count",
            0,
            wrong_parent_counts,
        );
        for line in &wrong {
            println!("  wrong outcome: {line}");
        }
        println!(
            "noise reduction: expected {:.2}% ({} incidents from {} alerts; {:.2}% counting the {} a technician handles), measured {:.2}% (GetNoiseStats) and {:.2}% (GetKpis) — {}",
            expected_nr,
            expected.incidents,
            expected.alerts,
            noise_reduction(
                expected.incidents - expected.storm_children,
                expected.alerts
            ),
            expected.incidents - expected.storm_children,
            noise.noise_reduction_pct,
            kpis.noise_reduction_pct,
            if check.failed {
                "DOES NOT MATCH"
            } else {
                "matches exactly"
            }
        );
        if check.failed {
            bail!("the server's figures differ from the generator's model");
        }
        Ok(())
    }
}
