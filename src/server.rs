//! Server assembly: one listener serving gRPC, grpc-web and plain HTTP routes,
//! first-start bootstrap, and graceful shutdown.

use std::future::Future;
use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::response::IntoResponse;
use axum::routing::get;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::app::AppState;
use crate::config::Config;
use crate::domain::tenant::Role;
use crate::error::{Error, Result};
use crate::grpc;
use crate::metrics::Metrics;
use crate::secrets::{MasterKey, new_operator_token};
use crate::store::tenant::{Audit, NewOperatorToken};
use crate::store::{Scope, Store};
use crate::webhook::sns::{AwsCertificateSource, CertificateSource, SnsVerifier};

/// Dependencies that tests replace.
#[derive(Clone)]
pub struct ServerOptions {
    /// Where SNS signing certificates come from (HTTPS from AWS by default).
    pub sns_certificates: Arc<dyn CertificateSource>,
    /// Replaces what makes the ingest log's commits durable (on SQLite, an
    /// `fsync` of its write-ahead log) so that tests can make it fail;
    /// `None`: the real one.
    pub log_sync: Option<Arc<dyn crate::owner::log::LogSync>>,
}

impl Default for ServerOptions {
    fn default() -> Self {
        Self {
            sns_certificates: Arc::new(AwsCertificateSource::new()),
            log_sync: None,
        }
    }
}

impl std::fmt::Debug for ServerOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerOptions").finish_non_exhaustive()
    }
}

/// A server ready to serve: database migrated, admin token bootstrapped, router built.
pub struct Server {
    config: Config,
    state: AppState,
    app: Router,
    health: tonic_health::server::HealthReporter,
    initial_admin_token: Option<String>,
    tls: Option<Arc<crate::tls::ServerTls>>,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("listen", &self.config.listen)
            .finish_non_exhaustive()
    }
}

impl Server {
    /// Connects to the configured database and prepares the server.
    pub async fn prepare(config: Config) -> Result<Self> {
        Self::prepare_with(config, ServerOptions::default()).await
    }

    /// Prepares the server: connects and migrates the database, loads the
    /// master key and creates the first admin token if there is none.
    pub async fn prepare_with(config: Config, options: ServerOptions) -> Result<Self> {
        // A certificate that cannot be used stops start-up before anything
        // else is done, naming the key.
        let tls = crate::tls::TlsFiles::from_config(&config)
            .map(crate::tls::ServerTls::load)
            .transpose()
            .map_err(|error| Error::Internal(format!("configuration: {error}")))?
            .map(Arc::new);
        let store = Store::connect(&config).await?;
        store.migrate().await?;
        store.seed_built_in_runbooks().await?;
        let aws = Arc::new(crate::aws::Aws::from_config(&config).await);
        let master_key = if config.master_key_kms_key_id.is_empty() {
            MasterKey::load_or_create(&config)?
        } else {
            crate::aws::kms::master_key(
                &aws,
                &store,
                &config.master_key_kms_key_id,
                MasterKey::existing_local_key(&config)?,
            )
            .await?
        };
        let secret_cache = crate::ingest::secret_cache(&config, &aws)?;
        let initial_admin_token = bootstrap_admin_token(&store).await?;
        let metrics = Arc::new(Metrics::new(crate::proto::method_paths()));
        let shutdown = CancellationToken::new();
        spawn_checkpoints(store.clone(), shutdown.clone());
        let hub = Arc::new(crate::feed::Hub::new());
        crate::feed::spawn_listener(&store, hub.clone(), shutdown.clone());
        let executor_wake = Arc::new(tokio::sync::Notify::new());
        // Recovery first: every record of the ingest log after the tables'
        // checkpoints is written into them before anything is served.
        let owners = crate::owner::Owners::start(
            &config,
            crate::owner::Start {
                store: store.clone(),
                hub: hub.clone(),
                metrics: metrics.clone(),
                executor: executor_wake.clone(),
                log_sync: options.log_sync.clone(),
                replica_token: master_key.replica_token().to_owned(),
                shutdown: shutdown.clone(),
            },
        )
        .await?;
        let ingest = crate::ingest::Ingestor::start(
            store.clone(),
            master_key.clone(),
            secret_cache.clone(),
            &config,
            shutdown.clone(),
        );
        let executor = crate::executor::Executor::start(
            store.clone(),
            owners.clone(),
            aws.clone(),
            metrics.clone(),
            config.max_running_executions_per_company,
            crate::executor::ExecutorHandle::new(executor_wake),
            shutdown.clone(),
        );
        let notifier = crate::notify::Notifier::new(
            &config,
            store.clone(),
            owners.clone(),
            master_key.clone(),
            secret_cache,
            hub.clone(),
        )?;
        notifier.spawn(shutdown.clone());
        let state = AppState {
            store,
            executor,
            notifier,
            master_key,
            ingest,
            owners,
            hub,
            heartbeat: std::time::Duration::from_secs(config.watch_heartbeat_seconds),
            sns: Arc::new(SnsVerifier::new(options.sns_certificates)),
            aws,
            metrics,
            shutdown,
        };
        let (health, health_service) = tonic_health::server::health_reporter();
        let grpc_router = grpc::router(&config, state.clone(), health_service)?;
        let app = Router::new()
            .route("/healthz", get(healthz))
            .route("/readyz", get(readyz))
            .route("/metrics", get(metrics_text))
            .with_state(state.clone())
            .merge(crate::reports::routes(state.clone()))
            .merge(crate::dashboard::routes())
            .merge(crate::webhook::routes::routes(
                state.clone(),
                config.webhook_max_body_bytes,
            ))
            .fallback(move |request: axum::extract::Request| {
                grpc_or_not_found(grpc_router.clone(), request)
            })
            .layer(axum::middleware::from_fn(refuse_long_uri))
            // A client that stops sending its body ends its request (a
            // silent client holds nothing for ever; see connections.rs for
            // headers).
            .layer(tower_http::timeout::RequestBodyTimeoutLayer::new(
                config.body_read_timeout(),
            ))
            // Spans carry the path only: a query string may hold an api key.
            // Each request's span is the root of its trace, or the child of
            // the caller's `traceparent` (docs/observability.md).
            .layer(
                tower_http::trace::TraceLayer::new_for_http().make_span_with(
                    |request: &axum::extract::Request| {
                        let span = tracing::info_span!(
                            "request",
                            method = %request.method(),
                            path = %request.uri().path()
                        );
                        crate::telemetry::join_remote_parent(&span, request.headers());
                        span
                    },
                ),
            );
        Ok(Self {
            config,
            state,
            app,
            health,
            initial_admin_token,
            tls,
        })
    }

    /// The owners of this server's companies (tests and tools drive them
    /// directly).
    pub fn owners(&self) -> crate::owner::Owners {
        self.state.owners.clone()
    }

    /// The admin token created by this start, when the database had no operator token.
    pub fn initial_admin_token(&self) -> Option<&str> {
        self.initial_admin_token.as_deref()
    }

    /// Serves on `listener` until `shutdown` completes, then stops accepting,
    /// ends streams, drains in-flight calls for up to the grace period and returns.
    pub async fn serve(
        self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<()> {
        for service in [
            "alertwhisperer.v1.IngestService",
            "alertwhisperer.v1.CorrelationService",
            "alertwhisperer.v1.IncidentService",
            "alertwhisperer.v1.RunbookService",
            "alertwhisperer.v1.ComplianceService",
            "alertwhisperer.v1.TenantService",
            "alertwhisperer.v1.NotificationService",
        ] {
            self.health
                .set_service_status(service, tonic_health::ServingStatus::Serving)
                .await;
        }
        let address = listener
            .local_addr()
            .map_err(|error| Error::Internal(error.to_string()))?;
        tracing::info!(%address, tls = self.tls.is_some(), "listening for grpc, grpc-web and http");
        if let Some(tls) = &self.tls {
            tls.clone().spawn_reload(self.state.shutdown.clone());
        }

        let stopping = self.state.shutdown.clone();
        let health = self.health.clone();
        tokio::spawn({
            let stopping = stopping.clone();
            async move {
                shutdown.await;
                tracing::info!("shutting down: no new connections, draining calls");
                health
                    .set_service_status("", tonic_health::ServingStatus::NotServing)
                    .await;
                stopping.cancel();
            }
        });

        tokio::spawn(report_stopped_ingest(
            self.state.owners.clone(),
            self.state.metrics.clone(),
            self.health.clone(),
            self.state.shutdown.clone(),
        ));

        if self.state.aws.is_configured() && self.config.compliance_sync_interval_seconds > 0 {
            tokio::spawn(crate::service::compliance::sync::sync_on_schedule(
                self.state.store.clone(),
                self.state.aws.clone(),
                std::time::Duration::from_secs(self.config.compliance_sync_interval_seconds),
                self.state.shutdown.clone(),
            ));
        }
        if self.state.aws.is_configured() && self.config.session_watch_seconds > 0 {
            tokio::spawn(crate::service::sessions::watch(
                self.state.clone(),
                std::time::Duration::from_secs(self.config.session_watch_seconds),
                self.state.shutdown.clone(),
            ));
        }
        let grace = self.config.shutdown_grace();
        let serve = crate::connections::serve(
            listener,
            self.app,
            self.config.connection_limits(),
            self.tls.clone(),
            stopping.clone(),
        );
        let deadline = async {
            stopping.cancelled().await;
            tokio::time::sleep(grace).await;
        };
        let owners = self.state.owners.clone();
        tokio::select! {
            () = serve => {
                tracing::info!("all calls drained");
            }
            () = deadline => {
                tracing::warn!(grace_seconds = grace.as_secs(), "calls still running after the grace period; stopping anyway");
            }
        }
        // Other replicas may take this one's companies at once.
        owners.release_all().await;
        owners.close().await;
        Ok(())
    }
}

/// Binds the configured address, prints the first admin token if one was
/// created, and serves until SIGINT or SIGTERM.
pub async fn run(mut config: Config) -> Result<()> {
    let stop = shutdown_signal();
    let listener = TcpListener::bind(config.listen)
        .await
        .map_err(|error| Error::Internal(format!("cannot listen on {}: {error}", config.listen)))?;
    // The port actually bound (for `listen = …:0`): what replicas advertise.
    if let Ok(bound) = listener.local_addr() {
        config.listen = bound;
    }
    // Where this server is reached (the advertised URL, else the listen address).
    let dashboard = format!("{}/", config.advertise_url());
    let server = Server::prepare(config).await?;
    if let Some(token) = server.initial_admin_token() {
        // Printed once, never logged: only its hash is stored.
        println!(
            "\nFirst start: created an admin operator token. It is shown only now; keep it safe:\n\n    {token}\n\nUse it as `authorization: Bearer <token>`, or sign in to the dashboard at {dashboard} with it.\n"
        );
    }
    server.serve(listener, stop).await
}

/// Resolves on SIGTERM or Ctrl-C. The handlers are installed when this is
/// called, not when it is first polled: `run` calls it before the port
/// answers, so that a SIGTERM right after start-up stops the server
/// gracefully instead of killing it (the default action).
fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let handlers = signal(SignalKind::terminate())
            .and_then(|terminate| Ok((terminate, signal(SignalKind::interrupt())?)));
        async move {
            match handlers {
                Ok((mut terminate, mut interrupt)) => {
                    tokio::select! {
                        _ = terminate.recv() => {}
                        _ = interrupt.recv() => {}
                    }
                }
                Err(error) => {
                    tracing::error!(%error, "cannot listen for SIGTERM");
                    let _ = tokio::signal::ctrl_c().await;
                }
            }
        }
    }
    #[cfg(not(unix))]
    {
        async {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

/// Creates an admin token when the database has no operator token at all.
async fn bootstrap_admin_token(store: &Store) -> Result<Option<String>> {
    if store.has_operator_tokens().await? {
        return Ok(None);
    }
    let token = new_operator_token();
    store
        .create_operator_token(
            &Audit::new("system", "bootstrap"),
            &Scope::All,
            &NewOperatorToken {
                name: "initial admin".to_owned(),
                role: Role::Admin,
                company_ids: Vec::new(),
                technician_id: None,
                expires_at: None,
            },
            &token,
        )
        .await?;
    tracing::info!(prefix = %token.prefix, "created the initial admin token");
    Ok(Some(token.secret))
}

/// Longest request URI (path and query) taken, in bytes. Nothing the service
/// serves needs more; hyper itself answers 414 without a body above 64 KiB.
const MAX_URI_BYTES: usize = 8192;

/// Answers 414 with the service's JSON error for a URI over [`MAX_URI_BYTES`].
async fn refuse_long_uri(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let length = request
        .uri()
        .path_and_query()
        .map_or(0, |path| path.as_str().len());
    if length > MAX_URI_BYTES {
        drain_body(request.into_body()).await;
        let body = serde_json::json!({
            "error": "uri_too_long",
            "message": format!("the request URI is {length} bytes; at most {MAX_URI_BYTES} are taken"),
        });
        return (http::StatusCode::URI_TOO_LONG, axum::Json(body)).into_response();
    }
    next.run(request).await
}

/// Most of a refused request's body read before the answer.
const DRAIN_LIMIT_BYTES: usize = 4 << 20;
/// Longest wait for a refused request's body.
const DRAIN_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

/// Reads and drops a refused request's body (at most [`DRAIN_LIMIT_BYTES`],
/// for at most [`DRAIN_WAIT`]): an answer sent while the client still writes
/// its body makes hyper close the connection, and the client then sees a
/// broken pipe instead of the answer.
async fn drain_body(body: axum::body::Body) {
    use futures::StreamExt as _;
    let mut stream = body.into_data_stream();
    let drain = async {
        let mut read = 0_usize;
        while let Some(Ok(chunk)) = stream.next().await {
            read += chunk.len();
            if read > DRAIN_LIMIT_BYTES {
                break;
            }
        }
    };
    let _ = tokio::time::timeout(DRAIN_WAIT, drain).await;
}

/// Sends gRPC, grpc-web and CORS preflight requests to the gRPC router, and
/// answers 404 to any other unknown path (the grpc-web layer would answer 400).
async fn grpc_or_not_found(
    grpc: Router,
    request: axum::extract::Request,
) -> axum::response::Response {
    use tower::ServiceExt;
    let is_grpc = request
        .headers()
        .get(http::header::CONTENT_TYPE)
        .is_some_and(|value| value.as_bytes().starts_with(b"application/grpc"));
    if is_grpc || request.method() == http::Method::OPTIONS {
        match grpc.oneshot(request).await {
            Ok(response) => response,
            Err(never) => match never {},
        }
    } else {
        (http::StatusCode::NOT_FOUND, "not found\n").into_response()
    }
}

/// 503 naming why, once ingest has stopped (its log could not be synced).
fn ingest_stopped(state: &AppState) -> Option<axum::response::Response> {
    state.owners.stopped().map(|reason| {
        (
            http::StatusCode::SERVICE_UNAVAILABLE,
            format!("ingest stopped: {reason}; restart the server\n"),
        )
            .into_response()
    })
}

/// Liveness: fails once ingest has stopped, since only a restart recovers
/// from that; a supervisor should restart us.
async fn healthz(State(state): State<AppState>) -> axum::response::Response {
    ingest_stopped(&state).unwrap_or_else(|| "ok\n".into_response())
}

async fn readyz(State(state): State<AppState>) -> axum::response::Response {
    if state.shutdown.is_cancelled() {
        return (http::StatusCode::SERVICE_UNAVAILABLE, "shutting down\n").into_response();
    }
    if let Some(stopped) = ingest_stopped(&state) {
        return stopped;
    }
    match state.store.ping().await {
        Ok(()) => "ready\n".into_response(),
        Err(error) => {
            tracing::warn!(%error, "readiness: database unreachable");
            (
                http::StatusCode::SERVICE_UNAVAILABLE,
                "database unreachable\n",
            )
                .into_response()
        }
    }
}

async fn metrics_text(State(state): State<AppState>) -> axum::response::Response {
    (
        [(
            http::header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        state.metrics.render(),
    )
        .into_response()
}

/// Tells gRPC health checkers (the server as a whole and IngestService) that
/// the server is no longer serving once ingest has stopped, and sets the
/// `ingest_stopped` metric; `/healthz` and `/readyz` say so on their own.
async fn report_stopped_ingest(
    ingest: crate::owner::Owners,
    metrics: std::sync::Arc<Metrics>,
    health: tonic_health::server::HealthReporter,
    shutdown: CancellationToken,
) {
    let mut every = tokio::time::interval(std::time::Duration::from_secs(1));
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = shutdown.cancelled() => return,
            _ = every.tick() => {}
        }
        if ingest.stopped().is_some() {
            metrics.record_ingest_stopped();
            for service in ["", "alertwhisperer.v1.IngestService"] {
                health
                    .set_service_status(service, tonic_health::ServingStatus::NotServing)
                    .await;
            }
            return;
        }
    }
}

/// Checkpoints SQLite's write-ahead log every second in the background, so
/// that the projector's commits rarely have to.
fn spawn_checkpoints(store: Store, shutdown: CancellationToken) {
    if store.backend() != sea_orm::DbBackend::Sqlite {
        return;
    }
    tokio::spawn(async move {
        let mut every = tokio::time::interval(std::time::Duration::from_secs(1));
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                () = shutdown.cancelled() => return,
                _ = every.tick() => {
                    if let Err(error) = store.checkpoint().await {
                        tracing::warn!(%error, "WAL checkpoint failed");
                    }
                }
            }
        }
    });
}
