//! Load generator: drives a running Alert Whisperer with signed single-alert
//! webhooks and/or gRPC batches over many connections, and prints alerts/s and
//! latency percentiles. See docs/benchmarks.md.
//!
//! ```sh
//! cargo run --release --example loadgen -- --url http://127.0.0.1:8080 \
//!     --token awo_... --mode webhook --connections 64 --seconds 20
//! ```

#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

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
}

/// Drives a running server and prints throughput and latency.
#[derive(Debug, Parser)]
struct Args {
    /// Server base URL.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    url: String,
    /// An admin operator token (used to create the benchmark companies).
    #[arg(long, env = "AW_TOKEN")]
    token: String,
    /// What to send.
    #[arg(long, value_enum, default_value_t = Mode::Webhook)]
    mode: Mode,
    /// Concurrent connections.
    #[arg(long, default_value_t = 64)]
    connections: usize,
    /// How long to send, in seconds.
    #[arg(long, default_value_t = 20)]
    seconds: u64,
    /// Alerts per gRPC batch (grpc mode).
    #[arg(long, default_value_t = 500)]
    batch: usize,
    /// Companies to spread the load over (each with its own key and HMAC secret).
    #[arg(long, default_value_t = 8)]
    companies: usize,
    /// Distinct assets per company.
    #[arg(long, default_value_t = 5000)]
    assets: usize,
    /// Send webhooks unsigned (HMAC disabled).
    #[arg(long)]
    unsigned: bool,
    /// PID of the server, to report its peak resident memory (VmHWM).
    #[arg(long)]
    server_pid: Option<u32>,
}

struct Company {
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
    latencies_us: Vec<u32>,
}

fn authed<T>(token: &str, message: T) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    request.metadata_mut().insert(
        "authorization",
        MetadataValue::try_from(format!("Bearer {token}")).unwrap(),
    );
    request
}

async fn setup(args: &Args) -> anyhow::Result<Vec<Company>> {
    let mut tenants = v1::tenant_service_client::TenantServiceClient::connect(args.url.clone())
        .await
        .context("connect")?;
    let run = rand::rng().random::<u32>();
    let mut companies = Vec::new();
    for n in 0..args.companies {
        let created = tenants
            .create_company(authed(
                &args.token,
                v1::CreateCompanyRequest {
                    name: format!("bench-{run:08x}-{n}"),
                    ..Default::default()
                },
            ))
            .await
            .context("create company")?
            .into_inner();
        let id = created.company.context("company")?.id;
        let secret = if args.mode == Mode::Webhook && !args.unsigned {
            Some(
                tenants
                    .enable_hmac(authed(
                        &args.token,
                        v1::EnableHmacRequest { company_id: id },
                    ))
                    .await
                    .context("enable hmac")?
                    .into_inner()
                    .secret,
            )
        } else {
            None
        };
        companies.push(Company {
            key: created.api_key_secret,
            secret,
        });
    }
    Ok(companies)
}

fn seed_body(rng: &mut impl Rng, assets: usize) -> String {
    let asset = rng.random_range(0..assets);
    serde_json::json!({
        "asset_name": format!("srv-{asset:05}.client.example"),
        "signature": SIGNATURES[rng.random_range(0..SIGNATURES.len())],
        "severity": SEVERITIES[rng.random_range(0..SEVERITIES.len())],
        "message": format!("check failed on srv-{asset:05}: value {}", rng.random_range(0..1000)),
        "tool_source": TOOLS[rng.random_range(0..TOOLS.len())],
    })
    .to_string()
}

async fn webhook_worker(
    url: String,
    company: (String, Option<String>),
    assets: usize,
    deadline: Instant,
) -> Tally {
    // One connection per worker, like one sender per connection.
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(1)
        .build()
        .unwrap();
    let endpoint = format!("{url}/api/webhooks/alerts");
    let mut rng = StdRng::from_os_rng();
    let mut tally = Tally::default();
    while Instant::now() < deadline {
        let body = seed_body(&mut rng, assets);
        let mut request = http
            .post(&endpoint)
            .header("content-type", "application/json")
            .header("x-api-key", &company.0);
        if let Some(secret) = &company.1 {
            let timestamp = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_secs() as i64;
            request = request.header("x-timestamp", timestamp.to_string()).header(
                "x-signature",
                alert_whisperer::webhook::signature::sign(
                    secret.as_bytes(),
                    timestamp,
                    body.as_bytes(),
                ),
            );
        }
        let started = Instant::now();
        let result = request.body(body).send().await;
        let elapsed = started.elapsed();
        match result {
            Ok(response) if response.status() == 202 => {
                let text = response.text().await.unwrap_or_default();
                tally.alerts += 1;
                if text.contains("\"duplicate\"") {
                    tally.duplicates += 1;
                }
                tally
                    .latencies_us
                    .push(u32::try_from(elapsed.as_micros()).unwrap_or(u32::MAX));
            }
            Ok(_) | Err(_) => tally.errors += 1,
        }
    }
    tally
}

async fn grpc_worker(
    url: String,
    key: String,
    assets: usize,
    batch: usize,
    deadline: Instant,
) -> Tally {
    let mut client = v1::ingest_service_client::IngestServiceClient::connect(url)
        .await
        .unwrap();
    let mut rng = StdRng::from_os_rng();
    let mut tally = Tally::default();
    while Instant::now() < deadline {
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
            Err(_) => tally.errors += 1,
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

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    if args.connections == 0 || args.companies == 0 {
        bail!("--connections and --companies must be at least 1");
    }
    let companies = setup(&args).await?;
    println!(
        "loadgen: mode={:?} connections={} seconds={} companies={} assets/company={}{}",
        args.mode,
        args.connections,
        args.seconds,
        args.companies,
        args.assets,
        match args.mode {
            Mode::Grpc => format!(" batch={}", args.batch),
            Mode::Webhook => format!(" signed={}", !args.unsigned),
        }
    );
    let started = Instant::now();
    let deadline = started + Duration::from_secs(args.seconds);
    let mut workers = Vec::new();
    for n in 0..args.connections {
        let company = &companies[n % companies.len()];
        workers.push(match args.mode {
            Mode::Webhook => tokio::spawn(webhook_worker(
                args.url.clone(),
                (company.key.clone(), company.secret.clone()),
                args.assets,
                deadline,
            )),
            Mode::Grpc => tokio::spawn(grpc_worker(
                args.url.clone(),
                company.key.clone(),
                args.assets,
                args.batch,
                deadline,
            )),
        });
    }
    let mut total = Tally::default();
    for worker in workers {
        let tally = worker.await?;
        total.alerts += tally.alerts;
        total.duplicates += tally.duplicates;
        total.errors += tally.errors;
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
    if let Some(pid) = args.server_pid {
        match peak_rss_mb(pid) {
            Some(mb) => println!("server peak RSS (VmHWM): {mb:.0} MB"),
            None => println!("server peak RSS: cannot read /proc/{pid}/status"),
        }
    }
    Ok(())
}
