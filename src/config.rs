//! Typed configuration: defaults, then an optional TOML file, then
//! `ALERT_WHISPERER_*` environment variables (and `DATABASE_URL`), validated at load.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use base64::Engine;
use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

/// Everything the server can be configured with. See docs/configuration.md.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Address to listen on for gRPC, grpc-web and HTTP.
    pub listen: SocketAddr,
    /// Database URL: `sqlite://path?mode=rwc` or `postgres://…`.
    pub database_url: String,
    /// Directory for the default SQLite file and the generated master key.
    pub data_dir: PathBuf,
    /// PostgreSQL schema to use (created if missing); empty for the server's default
    /// search path. Lets several deployments, or test runs, share one database.
    pub database_schema: String,
    /// Most connections in the database pool.
    pub database_max_connections: u32,
    /// Base64 of a 32-byte key that encrypts secrets at rest; empty to use `master_key_file`.
    pub master_key: String,
    /// File holding the master key; created with mode 0600 on first start when missing.
    /// Empty means `<data_dir>/master.key`.
    pub master_key_file: PathBuf,
    /// An AWS KMS key (id, ARN or `alias/…`) that wraps the master key
    /// (envelope encryption): the first start has KMS generate a data key
    /// (GenerateDataKey) and stores it wrapped in the database, every start
    /// unwraps it (Decrypt). Empty keeps the master key local
    /// (`master_key`, `master_key_file`). Needs `aws_region`.
    pub master_key_kms_key_id: String,
    /// Where companies' HMAC secrets and channel credentials are kept:
    /// `local` (encrypted with the master key in the database) or
    /// `aws_secrets_manager` (one secret per company in AWS Secrets
    /// Manager; the database keeps a reference).
    pub secrets_backend: SecretsBackend,
    /// Secrets Manager: a company's secret is named this prefix followed by
    /// the company id.
    pub secrets_name_prefix: String,
    /// Secrets Manager: how long a company's secret is used before it is
    /// read again, in seconds (1–86400). When Secrets Manager cannot be
    /// reached, the last value read keeps serving past this time.
    pub secrets_cache_seconds: u64,
    /// Origins allowed to call grpc-web from a browser (`*` for any); empty disables CORS.
    pub cors_allowed_origins: Vec<String>,
    /// How long a shutdown waits for in-flight calls before it gives up, in seconds.
    pub shutdown_grace_seconds: u64,
    /// Alerts per second each company may send (gRPC and webhooks together); 0 disables the limit.
    pub ingest_rate_limit_per_second: u32,
    /// Alerts a company may send at once above its rate (bucket size).
    pub ingest_rate_limit_burst: u32,
    /// How long API-key and HMAC-secret lookups are cached, in seconds (a revoked key
    /// or changed secret takes effect on other replicas within this time).
    pub ingest_credential_cache_seconds: u64,
    /// Pin the ingest log's writer thread and its SQLite thread to one CPU
    /// (the last one the process may use), so that their hand-offs do not
    /// wake another core; no effect with a single CPU or on PostgreSQL.
    pub ingest_writer_pin_cpu: bool,
    /// SQLite only: the ingest log's file. Empty means beside the database
    /// file, named after it with `-log` (`data/alert-whisperer-log.db`).
    pub ingest_log_path: PathBuf,
    /// How long a retried delivery is recognised as a duplicate of the first
    /// (same delivery id, or same dedup key, occurrence time and action), in
    /// seconds (60–604800).
    pub ingest_idempotency_window_seconds: u64,
    /// Bounds the memory of the idempotency window: a company's window also
    /// ends after this many alerts per generation (two generations are
    /// kept), 1000–10000000.
    pub ingest_idempotency_keys: usize,
    /// Most log entries (alert events and incident or execution log entries)
    /// durable but not yet written into the tables; ingest waits while more
    /// are (1000–100000000).
    pub projector_max_lag: u64,
    /// How long a read waits for the tables to reflect everything answered
    /// before it, in milliseconds (0–60000).
    pub read_wait_ms: u64,
    /// A company whose state nothing used for this long is dropped from
    /// memory (and loaded again when needed), in seconds; 0 keeps it.
    pub resident_idle_seconds: u64,
    /// PostgreSQL replicas: the URL other replicas reach this one at to
    /// forward requests for the companies it owns; empty means
    /// `http://<listen>` (`https://` with TLS on; a wildcard listen address
    /// becomes 127.0.0.1).
    pub advertise_url: String,
    /// PostgreSQL replicas: how long a company's lease lasts unless renewed,
    /// in seconds (2–60); a replica that dies is taken over after it.
    pub lease_seconds: u64,
    /// Largest webhook body accepted, in bytes; larger bodies get 413.
    pub webhook_max_body_bytes: usize,
    /// Connections served at once (1–1000000); more wait in the listen backlog.
    pub max_connections: usize,
    /// Seconds a client may take to send a request's headers, which is also
    /// how long an idle HTTP/1 connection is kept (1–300).
    pub header_read_timeout_seconds: u64,
    /// Longest pause in seconds while a request body is read (1–600).
    pub body_read_timeout_seconds: u64,
    /// PEM certificate chain (the server's certificate first) that the port
    /// serves TLS with; empty serves plain HTTP. Set with `tls_key_file`.
    /// Read again when it changes.
    pub tls_cert_file: PathBuf,
    /// PEM private key of `tls_cert_file`.
    pub tls_key_file: PathBuf,
    /// PEM CA certificates: when set, every client must present a
    /// certificate that chains to one of them. Needs `tls_cert_file`.
    pub tls_client_ca_file: PathBuf,
    /// AWS region for SSM calls; empty disables everything AWS (those RPCs answer
    /// FAILED_PRECONDITION).
    pub aws_region: String,
    /// AWS endpoint override (e.g. moto's server in tests); empty for AWS's own endpoints.
    pub aws_endpoint_url: String,
    /// Base credentials that assume the companies' roles; empty uses the SDK's default
    /// chain (environment, profile, instance or task role).
    pub aws_access_key_id: String,
    /// Secret of `aws_access_key_id`.
    pub aws_secret_access_key: String,
    /// Attempts per AWS call, with the SDK's standard backoff; 1 disables retries.
    pub aws_max_attempts: u32,
    /// How often every company with an AWS role has its patch compliance synced, in
    /// seconds; 0 syncs only on demand (SyncCompliance).
    pub compliance_sync_interval_seconds: u64,
    /// How often (seconds) the Session Manager sessions started from incidents are
    /// checked in SSM, so that one that ended by itself reaches its incident's
    /// timeline; 0 turns the check off. 0 or 1–3600.
    pub session_watch_seconds: u64,
    /// Seconds between heartbeats on an idle WatchIncidents stream (1–300).
    pub watch_heartbeat_seconds: u64,
    /// Seconds between sweeps that correlate alert events left pending (after a
    /// crash, or by a replica that stopped); 1–3600.
    pub correlation_sweep_seconds: u64,
    /// Runbook executions of one company that may run at once (sent to SSM and
    /// unfinished); more wait queued. 1–100.
    pub max_running_executions_per_company: u64,
    /// The dashboard's address as technicians open it, for the links in
    /// notifications; empty means the advertised URL.
    pub public_url: String,
    /// Seconds a notification receiver has to answer one attempt (1–120).
    pub notify_timeout_seconds: u64,
    /// The first wait after a failed notification attempt, in milliseconds,
    /// doubled per attempt up to 15 minutes, with jitter (100–600000).
    pub notify_retry_base_ms: u64,
    /// Attempts of one channel in flight at once (1–64): a slow or hanging
    /// receiver holds at most these, never the others' deliveries.
    pub notify_concurrency_per_channel: usize,
    /// Refuse notification receivers on loopback, private (RFC 1918, CGNAT,
    /// IPv6 unique-local) addresses, checked on every connection after name
    /// resolution. Link-local (cloud metadata), unspecified, multicast and
    /// broadcast addresses are refused always.
    pub notify_block_private_networks: bool,
    /// Log filter in `tracing_subscriber::EnvFilter` syntax (overridden by `RUST_LOG`).
    pub log_filter: String,
    /// Log output format: `text` or `json`.
    pub log_format: LogFormat,
    /// OTLP/gRPC endpoint that traces are exported to (`http://…` or
    /// `https://…`, e.g. `http://otel-collector:4317`); empty exports none.
    pub otel_traces_endpoint: String,
    /// The `service.name` of the exported traces.
    pub otel_service_name: String,
    /// Share of traces started here that are exported (0.0–1.0); a request
    /// whose `traceparent` says sampled is always traced.
    pub otel_traces_sampling_ratio: f64,
}

/// Where companies' HMAC secrets are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SecretsBackend {
    /// Encrypted with the master key in the database.
    Local,
    /// One secret per company in AWS Secrets Manager.
    AwsSecretsManager,
}

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// A configuration that could not be loaded; the message names the bad key.
#[derive(Debug, thiserror::Error)]
#[error("configuration: {0}")]
pub struct ConfigError(String);

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            database_url: String::new(),
            data_dir: PathBuf::from("data"),
            database_schema: String::new(),
            database_max_connections: 16,
            master_key: String::new(),
            master_key_file: PathBuf::new(),
            master_key_kms_key_id: String::new(),
            secrets_backend: SecretsBackend::Local,
            secrets_name_prefix: "alert-whisperer/companies/".to_owned(),
            secrets_cache_seconds: 300,
            cors_allowed_origins: Vec::new(),
            shutdown_grace_seconds: 30,
            ingest_rate_limit_per_second: 5_000,
            ingest_rate_limit_burst: 20_000,
            ingest_credential_cache_seconds: 5,
            ingest_writer_pin_cpu: true,
            ingest_log_path: PathBuf::new(),
            ingest_idempotency_window_seconds: 3600,
            ingest_idempotency_keys: 250_000,
            projector_max_lag: 20_000,
            read_wait_ms: 10_000,
            resident_idle_seconds: 3600,
            advertise_url: String::new(),
            lease_seconds: 5,
            webhook_max_body_bytes: 1024 * 1024,
            max_connections: 10_000,
            header_read_timeout_seconds: 30,
            body_read_timeout_seconds: 30,
            tls_cert_file: PathBuf::new(),
            tls_key_file: PathBuf::new(),
            tls_client_ca_file: PathBuf::new(),
            aws_region: String::new(),
            aws_endpoint_url: String::new(),
            aws_access_key_id: String::new(),
            aws_secret_access_key: String::new(),
            aws_max_attempts: 3,
            compliance_sync_interval_seconds: 21_600,
            session_watch_seconds: 60,
            watch_heartbeat_seconds: 15,
            correlation_sweep_seconds: 5,
            max_running_executions_per_company: 3,
            public_url: String::new(),
            notify_timeout_seconds: 10,
            notify_retry_base_ms: 2_000,
            notify_concurrency_per_channel: 4,
            notify_block_private_networks: false,
            log_filter: "info".to_owned(),
            log_format: LogFormat::Text,
            otel_traces_endpoint: String::new(),
            otel_service_name: "alert-whisperer".to_owned(),
            otel_traces_sampling_ratio: 1.0,
        }
    }
}

impl Config {
    /// Loads defaults, then `file` if given, then the environment, and validates the result.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        if let Some(file) = file {
            if !file.exists() {
                return Err(ConfigError(format!(
                    "config file {} does not exist",
                    file.display()
                )));
            }
            figment = figment.merge(Toml::file(file));
        }
        figment = figment.merge(Env::raw().only(&["DATABASE_URL"])).merge(
            // ALERT_WHISPERER_CONFIG names the file (a CLI option), not a setting.
            Env::prefixed("ALERT_WHISPERER_")
                .ignore(&["CONFIG"])
                .map(|key| key.as_str().to_lowercase().into()),
        );
        let config: Config = figment.extract().map_err(|error| {
            // figment names the key and where its value came from.
            ConfigError(
                error
                    .into_iter()
                    .map(|e| e.to_string())
                    .collect::<Vec<_>>()
                    .join("; "),
            )
        })?;
        config.validated()
    }

    /// Fills derived defaults and checks every value, naming the key that is wrong.
    pub fn validated(mut self) -> Result<Self, ConfigError> {
        if self.database_url.is_empty() {
            self.database_url = format!(
                "sqlite://{}?mode=rwc",
                self.data_dir.join("alert-whisperer.db").display()
            );
        }
        if !(self.database_url.starts_with("sqlite:")
            || self.database_url.starts_with("postgres://")
            || self.database_url.starts_with("postgresql://"))
        {
            return Err(ConfigError(
                "database_url: must start with sqlite:, postgres:// or postgresql://".to_owned(),
            ));
        }
        if !self.database_schema.is_empty() {
            let valid = self.database_schema.len() <= 63
                && self
                    .database_schema
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
                && !self
                    .database_schema
                    .starts_with(|c: char| c.is_ascii_digit());
            if !valid {
                return Err(ConfigError(
                    "database_schema: must be 1 to 63 characters of a-z, 0-9 and _, not starting with a digit"
                        .to_owned(),
                ));
            }
            if self.is_sqlite() {
                return Err(ConfigError(
                    "database_schema: only applies to PostgreSQL".to_owned(),
                ));
            }
        }
        if self.database_max_connections == 0 {
            return Err(ConfigError(
                "database_max_connections: must be at least 1".to_owned(),
            ));
        }
        if !self.master_key.is_empty() {
            decode_master_key(&self.master_key)
                .map_err(|why| ConfigError(format!("master_key: {why}")))?;
        }
        if self.master_key_file.as_os_str().is_empty() {
            self.master_key_file = self.data_dir.join("master.key");
        }
        for origin in &self.cors_allowed_origins {
            if origin != "*" && http::HeaderValue::from_str(origin).is_err() {
                return Err(ConfigError(format!(
                    "cors_allowed_origins: {origin:?} is not a valid origin"
                )));
            }
        }
        if self.shutdown_grace_seconds > 3600 {
            return Err(ConfigError(
                "shutdown_grace_seconds: must be at most 3600".to_owned(),
            ));
        }
        if self.ingest_credential_cache_seconds > 300 {
            return Err(ConfigError(
                "ingest_credential_cache_seconds: must be at most 300".to_owned(),
            ));
        }
        if !(60..=604_800).contains(&self.ingest_idempotency_window_seconds) {
            return Err(ConfigError(
                "ingest_idempotency_window_seconds: must be between 60 and 604800".to_owned(),
            ));
        }
        if !(1000..=10_000_000).contains(&self.ingest_idempotency_keys) {
            return Err(ConfigError(
                "ingest_idempotency_keys: must be between 1000 and 10000000".to_owned(),
            ));
        }
        if !(1000..=100_000_000).contains(&self.projector_max_lag) {
            return Err(ConfigError(
                "projector_max_lag: must be between 1000 and 100000000".to_owned(),
            ));
        }
        if self.read_wait_ms > 60_000 {
            return Err(ConfigError(
                "read_wait_ms: must be between 0 and 60000".to_owned(),
            ));
        }
        if !(2..=60).contains(&self.lease_seconds) {
            return Err(ConfigError(
                "lease_seconds: must be between 2 and 60".to_owned(),
            ));
        }
        if !self.advertise_url.is_empty()
            && self
                .advertise_url
                .parse::<http::Uri>()
                .map_or(true, |uri| uri.scheme().is_none() || uri.host().is_none())
        {
            return Err(ConfigError(
                "advertise_url: must be an absolute URL such as http://10.0.0.5:8080".to_owned(),
            ));
        }
        if !self.public_url.is_empty()
            && self
                .public_url
                .parse::<http::Uri>()
                .map_or(true, |uri| uri.scheme().is_none() || uri.host().is_none())
        {
            return Err(ConfigError(
                "public_url: must be an absolute URL such as https://alerts.msp.example".to_owned(),
            ));
        }
        if !(1..=120).contains(&self.notify_timeout_seconds) {
            return Err(ConfigError(
                "notify_timeout_seconds: must be between 1 and 120".to_owned(),
            ));
        }
        if !(100..=600_000).contains(&self.notify_retry_base_ms) {
            return Err(ConfigError(
                "notify_retry_base_ms: must be between 100 and 600000".to_owned(),
            ));
        }
        if !(1..=64).contains(&self.notify_concurrency_per_channel) {
            return Err(ConfigError(
                "notify_concurrency_per_channel: must be between 1 and 64".to_owned(),
            ));
        }
        if !self.ingest_log_path.as_os_str().is_empty() && !self.is_sqlite() {
            return Err(ConfigError(
                "ingest_log_path: only applies to SQLite (on PostgreSQL the log is a table)"
                    .to_owned(),
            ));
        }
        if !(1..=1_000_000).contains(&self.max_connections) {
            return Err(ConfigError(
                "max_connections: must be between 1 and 1000000".to_owned(),
            ));
        }
        if !(1..=300).contains(&self.header_read_timeout_seconds) {
            return Err(ConfigError(
                "header_read_timeout_seconds: must be between 1 and 300".to_owned(),
            ));
        }
        if !(1..=600).contains(&self.body_read_timeout_seconds) {
            return Err(ConfigError(
                "body_read_timeout_seconds: must be between 1 and 600".to_owned(),
            ));
        }
        if self.tls_cert_file.as_os_str().is_empty() != self.tls_key_file.as_os_str().is_empty() {
            return Err(ConfigError(
                "tls_cert_file: set it together with tls_key_file, or neither".to_owned(),
            ));
        }
        if !self.tls_client_ca_file.as_os_str().is_empty() && !self.tls_enabled() {
            return Err(ConfigError(
                "tls_client_ca_file: needs tls_cert_file and tls_key_file (client certificates are checked in the TLS handshake)"
                    .to_owned(),
            ));
        }
        if let Some(files) = crate::tls::TlsFiles::from_config(&self) {
            // The files are read here too, so that a certificate that
            // cannot be used stops start-up like any other bad value.
            crate::tls::check(&files).map_err(|error| ConfigError(error.to_string()))?;
        }
        if !(1024..=64 * 1024 * 1024).contains(&self.webhook_max_body_bytes) {
            return Err(ConfigError(
                "webhook_max_body_bytes: must be between 1024 and 67108864".to_owned(),
            ));
        }
        if self.compliance_sync_interval_seconds != 0 && self.compliance_sync_interval_seconds < 300
        {
            return Err(ConfigError(
                "compliance_sync_interval_seconds: must be 0 (off) or at least 300".to_owned(),
            ));
        }
        if self.session_watch_seconds > 3600 {
            return Err(ConfigError(
                "session_watch_seconds: must be 0 (off) or between 1 and 3600".to_owned(),
            ));
        }
        if !(1..=300).contains(&self.watch_heartbeat_seconds) {
            return Err(ConfigError(
                "watch_heartbeat_seconds: must be between 1 and 300".to_owned(),
            ));
        }
        if !(1..=3600).contains(&self.correlation_sweep_seconds) {
            return Err(ConfigError(
                "correlation_sweep_seconds: must be between 1 and 3600".to_owned(),
            ));
        }
        if !(1..=100).contains(&self.max_running_executions_per_company) {
            return Err(ConfigError(
                "max_running_executions_per_company: must be between 1 and 100".to_owned(),
            ));
        }
        if !(1..=10).contains(&self.aws_max_attempts) {
            return Err(ConfigError(
                "aws_max_attempts: must be between 1 and 10".to_owned(),
            ));
        }
        if self.aws_access_key_id.is_empty() != self.aws_secret_access_key.is_empty() {
            return Err(ConfigError(
                "aws_access_key_id: set it together with aws_secret_access_key, or neither"
                    .to_owned(),
            ));
        }
        if !self.aws_endpoint_url.is_empty()
            && self
                .aws_endpoint_url
                .parse::<http::Uri>()
                .map_or(true, |uri| uri.scheme().is_none())
        {
            return Err(ConfigError(
                "aws_endpoint_url: must be an absolute URL such as http://127.0.0.1:5000"
                    .to_owned(),
            ));
        }
        if !self.master_key_kms_key_id.is_empty() {
            if !self.master_key.is_empty() {
                return Err(ConfigError(
                    "master_key_kms_key_id: set it or master_key, not both (with KMS the key is wrapped in the database)"
                        .to_owned(),
                ));
            }
            if self.aws_region.is_empty() {
                return Err(ConfigError(
                    "master_key_kms_key_id: needs aws_region (and AWS credentials)".to_owned(),
                ));
            }
        }
        if self.secrets_backend == SecretsBackend::AwsSecretsManager && self.aws_region.is_empty() {
            return Err(ConfigError(
                "secrets_backend: aws_secrets_manager needs aws_region (and AWS credentials)"
                    .to_owned(),
            ));
        }
        // Secrets Manager names: 1–512 of A-Z a-z 0-9 / _ + = . @ -, and a
        // company id (a UUID) is 36 of them.
        if self.secrets_name_prefix.len() > 400
            || !self
                .secrets_name_prefix
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "/_+=.@-".contains(c))
        {
            return Err(ConfigError(
                "secrets_name_prefix: at most 400 characters of A-Z, a-z, 0-9 and /_+=.@-"
                    .to_owned(),
            ));
        }
        if !(1..=86_400).contains(&self.secrets_cache_seconds) {
            return Err(ConfigError(
                "secrets_cache_seconds: must be between 1 and 86400".to_owned(),
            ));
        }
        if !self.otel_traces_endpoint.is_empty()
            && self
                .otel_traces_endpoint
                .parse::<http::Uri>()
                .map_or(true, |uri| {
                    !matches!(uri.scheme_str(), Some("http" | "https")) || uri.host().is_none()
                })
        {
            return Err(ConfigError(
                "otel_traces_endpoint: must be an http:// or https:// URL such as http://127.0.0.1:4317"
                    .to_owned(),
            ));
        }
        if self.otel_service_name.trim().is_empty() {
            return Err(ConfigError(
                "otel_service_name: must not be empty".to_owned(),
            ));
        }
        if !(0.0..=1.0).contains(&self.otel_traces_sampling_ratio) {
            return Err(ConfigError(
                "otel_traces_sampling_ratio: must be between 0.0 and 1.0".to_owned(),
            ));
        }
        if let Err(error) = tracing_subscriber::EnvFilter::try_new(&self.log_filter) {
            return Err(ConfigError(format!("log_filter: {error}")));
        }
        Ok(self)
    }

    /// The SQLite URL of the ingest log: `ingest_log_path`, or beside the
    /// database file (`<name>-log.db`); in memory for an in-memory database.
    pub fn ingest_log_url(&self) -> String {
        if !self.ingest_log_path.as_os_str().is_empty() {
            return format!("sqlite://{}?mode=rwc", self.ingest_log_path.display());
        }
        let path = self
            .database_url
            .trim_start_matches("sqlite://")
            .trim_start_matches("sqlite:");
        let path = path.split('?').next().unwrap_or_default();
        if path.is_empty() || path == ":memory:" {
            return "sqlite::memory:".to_owned();
        }
        let path = Path::new(path);
        let stem = path
            .file_stem()
            .map(|stem| stem.to_string_lossy().into_owned())
            .unwrap_or_else(|| "alert-whisperer".to_owned());
        let log = path.with_file_name(format!("{stem}-log.db"));
        format!("sqlite://{}?mode=rwc", log.display())
    }

    /// Whether the port serves TLS.
    pub fn tls_enabled(&self) -> bool {
        !self.tls_cert_file.as_os_str().is_empty()
    }

    /// Where technicians open the dashboard (`public_url`, else the
    /// advertised URL), without a trailing slash.
    pub fn public_url(&self) -> String {
        if self.public_url.is_empty() {
            self.advertise_url()
        } else {
            self.public_url.trim_end_matches('/').to_owned()
        }
    }

    /// Where other replicas reach this one (`advertise_url`, or derived
    /// from `listen`, `https://` when the port serves TLS).
    pub fn advertise_url(&self) -> String {
        if !self.advertise_url.is_empty() {
            return self.advertise_url.trim_end_matches('/').to_owned();
        }
        let host = if self.listen.ip().is_unspecified() {
            std::net::IpAddr::from([127, 0, 0, 1])
        } else {
            self.listen.ip()
        };
        let scheme = if self.tls_enabled() { "https" } else { "http" };
        format!("{scheme}://{}", SocketAddr::new(host, self.listen.port()))
    }

    /// The limits of the port's connections.
    pub(crate) fn connection_limits(&self) -> crate::connections::Limits {
        crate::connections::Limits {
            max_connections: self.max_connections,
            header_read_timeout: Duration::from_secs(self.header_read_timeout_seconds),
            http2_keep_alive: Duration::from_secs(20),
        }
    }

    /// Longest pause while a request body is read.
    pub fn body_read_timeout(&self) -> Duration {
        Duration::from_secs(self.body_read_timeout_seconds)
    }

    /// How long a read waits for the projector.
    pub fn read_wait(&self) -> Duration {
        Duration::from_millis(self.read_wait_ms)
    }

    /// Whether the database is SQLite.
    pub fn is_sqlite(&self) -> bool {
        self.database_url.starts_with("sqlite:")
    }

    /// The grace period of a shutdown.
    pub fn shutdown_grace(&self) -> Duration {
        Duration::from_secs(self.shutdown_grace_seconds)
    }
}

/// Decodes a base64 master key and checks it is 32 bytes.
pub(crate) fn decode_master_key(text: &str) -> Result<[u8; 32], String> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(text.trim())
        .map_err(|error| format!("not base64: {error}"))?;
    <[u8; 32]>::try_from(bytes.as_slice())
        .map_err(|_| format!("must decode to 32 bytes, got {}", bytes.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_database_is_sqlite_under_data_dir() {
        let config = Config::default().validated().expect("defaults are valid");
        assert_eq!(
            config.database_url,
            "sqlite://data/alert-whisperer.db?mode=rwc"
        );
        assert_eq!(config.master_key_file, PathBuf::from("data/master.key"));
        assert_eq!(
            config.ingest_log_url(),
            "sqlite://data/alert-whisperer-log.db?mode=rwc",
            "the log lives beside the database"
        );
    }

    #[test]
    fn bad_master_key_names_the_key() {
        let config = Config {
            master_key: "c2hvcnQ=".to_owned(),
            ..Config::default()
        };
        let error = config.validated().expect_err("short key is refused");
        assert!(error.to_string().contains("master_key"), "{error}");
    }

    #[test]
    fn aws_secrets_need_a_region_and_exclude_a_literal_key() {
        let config = Config {
            secrets_backend: SecretsBackend::AwsSecretsManager,
            ..Config::default()
        };
        let error = config.validated().expect_err("no region");
        assert!(error.to_string().contains("secrets_backend"), "{error}");
        let config = Config {
            master_key_kms_key_id: "alias/aw".to_owned(),
            master_key: base64::engine::general_purpose::STANDARD.encode([1u8; 32]),
            aws_region: "us-east-1".to_owned(),
            ..Config::default()
        };
        let error = config.validated().expect_err("both keys");
        assert!(
            error.to_string().contains("master_key_kms_key_id"),
            "{error}"
        );
        let config = Config {
            secrets_name_prefix: "bad prefix/".to_owned(),
            ..Config::default()
        };
        let error = config.validated().expect_err("space in a name");
        assert!(error.to_string().contains("secrets_name_prefix"), "{error}");
        let config = Config {
            secrets_backend: SecretsBackend::AwsSecretsManager,
            master_key_kms_key_id: "alias/aw".to_owned(),
            aws_region: "us-east-1".to_owned(),
            ..Config::default()
        };
        config.validated().expect("a complete AWS setup is valid");
    }

    #[test]
    #[allow(clippy::result_large_err)] // figment's Jail closure signature
    fn trace_export_is_off_by_default_and_configured_from_the_environment() {
        let config = Config::default().validated().expect("defaults are valid");
        assert!(config.otel_traces_endpoint.is_empty(), "off by default");
        assert_eq!(config.otel_service_name, "alert-whisperer");
        assert!((config.otel_traces_sampling_ratio - 1.0).abs() < f64::EPSILON);
        figment::Jail::expect_with(|jail| {
            jail.set_env(
                "ALERT_WHISPERER_OTEL_TRACES_ENDPOINT",
                "http://127.0.0.1:4317",
            );
            jail.set_env("ALERT_WHISPERER_OTEL_SERVICE_NAME", "aw-eu");
            jail.set_env("ALERT_WHISPERER_OTEL_TRACES_SAMPLING_RATIO", "0.25");
            let config = Config::load(None).expect("loads");
            assert_eq!(config.otel_traces_endpoint, "http://127.0.0.1:4317");
            assert_eq!(config.otel_service_name, "aw-eu");
            assert!((config.otel_traces_sampling_ratio - 0.25).abs() < f64::EPSILON);
            for (value, why) in [
                ("1.5", "above 1"),
                ("-0.1", "below 0"),
                ("often", "not a number"),
            ] {
                jail.set_env("ALERT_WHISPERER_OTEL_TRACES_SAMPLING_RATIO", value);
                let error = Config::load(None).expect_err(why);
                assert!(
                    error
                        .to_string()
                        .to_lowercase()
                        .contains("otel_traces_sampling_ratio"),
                    "{why}: {error}"
                );
            }
            jail.set_env("ALERT_WHISPERER_OTEL_TRACES_SAMPLING_RATIO", "0");
            jail.set_env("ALERT_WHISPERER_OTEL_SERVICE_NAME", " ");
            let error = Config::load(None).expect_err("blank service name");
            assert!(error.to_string().contains("otel_service_name"), "{error}");
            jail.set_env("ALERT_WHISPERER_OTEL_SERVICE_NAME", "aw");
            for endpoint in ["127.0.0.1:4317", "grpc://collector:4317", "http://"] {
                jail.set_env("ALERT_WHISPERER_OTEL_TRACES_ENDPOINT", endpoint);
                let error = Config::load(None).expect_err(endpoint);
                assert!(
                    error.to_string().contains("otel_traces_endpoint"),
                    "{endpoint}: {error}"
                );
            }
            jail.set_env(
                "ALERT_WHISPERER_OTEL_TRACES_ENDPOINT",
                "https://collector.example:4317",
            );
            Config::load(None).expect("an https endpoint");
            Ok(())
        });
    }

    #[test]
    fn unknown_database_scheme_is_refused() {
        let config = Config {
            database_url: "mysql://localhost/db".to_owned(),
            ..Config::default()
        };
        let error = config.validated().expect_err("mysql is refused");
        assert!(error.to_string().contains("database_url"), "{error}");
    }

    #[test]
    fn tls_files_come_in_pairs_and_make_the_advertised_url_https() {
        let config = Config {
            tls_cert_file: PathBuf::from("cert.pem"),
            ..Config::default()
        };
        let error = config.validated().expect_err("a certificate without a key");
        assert!(error.to_string().contains("tls_cert_file"), "{error}");
        let config = Config {
            tls_client_ca_file: PathBuf::from("ca.pem"),
            ..Config::default()
        };
        let error = config.validated().expect_err("a client CA without TLS");
        assert!(error.to_string().contains("tls_client_ca_file"), "{error}");
        assert_eq!(Config::default().advertise_url(), "http://127.0.0.1:8080");
        // (A pair that can be read is validated in tests/it/tls.rs.)
        let config = Config {
            tls_cert_file: PathBuf::from("cert.pem"),
            tls_key_file: PathBuf::from("key.pem"),
            ..Config::default()
        };
        assert_eq!(config.advertise_url(), "https://127.0.0.1:8080");
    }

    #[test]
    #[allow(clippy::result_large_err)] // figment's Jail closure signature
    fn file_then_environment_layering_names_bad_key() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "aw.toml",
                "listen = \"127.0.0.1:9000\"\nshutdown_grace_seconds = 5\n",
            )?;
            jail.set_env("ALERT_WHISPERER_SHUTDOWN_GRACE_SECONDS", "7");
            let config = Config::load(Some(Path::new("aw.toml"))).expect("loads");
            assert_eq!(config.listen.port(), 9000);
            assert_eq!(config.shutdown_grace_seconds, 7);
            assert!(config.ingest_writer_pin_cpu, "pinned by default");
            jail.set_env("ALERT_WHISPERER_INGEST_WRITER_PIN_CPU", "false");
            let config = Config::load(Some(Path::new("aw.toml"))).expect("loads");
            assert!(!config.ingest_writer_pin_cpu);
            assert_eq!(config.ingest_idempotency_window_seconds, 3600);
            jail.set_env("ALERT_WHISPERER_INGEST_IDEMPOTENCY_WINDOW_SECONDS", "600");
            let config = Config::load(Some(Path::new("aw.toml"))).expect("loads");
            assert_eq!(config.ingest_idempotency_window_seconds, 600);
            jail.set_env("ALERT_WHISPERER_INGEST_IDEMPOTENCY_WINDOW_SECONDS", "10");
            let error = Config::load(Some(Path::new("aw.toml"))).expect_err("too short a window");
            assert!(
                error
                    .to_string()
                    .contains("ingest_idempotency_window_seconds"),
                "{error}"
            );
            jail.set_env("ALERT_WHISPERER_INGEST_IDEMPOTENCY_WINDOW_SECONDS", "3600");
            jail.set_env("ALERT_WHISPERER_PROJECTOR_MAX_LAG", "10");
            let error = Config::load(Some(Path::new("aw.toml"))).expect_err("too small a lag");
            assert!(error.to_string().contains("projector_max_lag"), "{error}");
            jail.set_env("ALERT_WHISPERER_PROJECTOR_MAX_LAG", "20000");

            // The variable that names the config file is not a setting.
            jail.set_env("ALERT_WHISPERER_CONFIG", "aw.toml");
            Config::load(Some(Path::new("aw.toml"))).expect("ALERT_WHISPERER_CONFIG is accepted");

            jail.set_env("ALERT_WHISPERER_SECRETS_BACKEND", "aws_secrets_manager");
            jail.set_env("ALERT_WHISPERER_AWS_REGION", "eu-west-1");
            let config = Config::load(Some(Path::new("aw.toml"))).expect("loads");
            assert_eq!(config.secrets_backend, SecretsBackend::AwsSecretsManager);
            jail.set_env("ALERT_WHISPERER_SECRETS_BACKEND", "vault");
            let error = Config::load(Some(Path::new("aw.toml"))).expect_err("unknown backend");
            assert!(
                error.to_string().to_lowercase().contains("secrets_backend"),
                "{error}"
            );
            jail.set_env("ALERT_WHISPERER_SECRETS_BACKEND", "local");

            jail.set_env("ALERT_WHISPERER_LISTEN", "not-an-address");
            let error = Config::load(Some(Path::new("aw.toml"))).expect_err("bad listen");
            assert!(
                error.to_string().to_lowercase().contains("listen"),
                "{error}"
            );
            Ok(())
        });
    }
}
