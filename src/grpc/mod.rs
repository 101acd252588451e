//! The gRPC services, their authentication layer and their assembly into one router.

pub mod auth;
pub mod codec;
pub mod compliance;
pub(crate) mod convert;
pub mod correlation;
pub mod incident;
pub mod ingest;
pub mod notification;
pub mod replica;
pub mod runbook;
pub mod tenant;
pub(crate) mod watch;

use std::sync::Arc;

use axum::Router;
use tonic::service::Routes;
use tower_http::cors::{AllowOrigin, CorsLayer};

use crate::auth::{IngestCaller, Operator};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::metrics::Metrics;
use crate::proto::v1;
use crate::secrets::MasterKey;
use crate::store::Store;

/// State shared by every handler.
#[derive(Debug, Clone)]
pub struct AppState {
    /// The database.
    pub store: Store,
    /// Encrypts and decrypts secrets at rest.
    pub master_key: MasterKey,
    /// The ingest path's checks (credential caches, rate limits).
    pub ingest: Arc<crate::ingest::Ingestor>,
    /// The companies this server owns: every decision goes through them.
    pub owners: crate::owner::Owners,
    /// Wakes the runbook executor.
    pub executor: crate::executor::ExecutorHandle,
    /// Sends notifications (TestChannel) and is woken by redeliveries.
    pub notifier: crate::notify::Notifier,
    /// Wakes WatchIncidents streams when a company's event log grows.
    pub hub: Arc<crate::feed::Hub>,
    /// Heartbeat interval of idle watch streams.
    pub heartbeat: std::time::Duration,
    /// AWS clients in the companies' accounts.
    pub aws: Arc<crate::aws::Aws>,
    /// Verifies SNS message signatures for the CloudWatch webhook.
    pub sns: Arc<crate::webhook::sns::SnsVerifier>,
    /// Request metrics.
    pub metrics: Arc<Metrics>,
    /// Cancelled when the server shuts down; streams end on it.
    pub shutdown: tokio_util::sync::CancellationToken,
}

/// The operator that the auth layer put into the request.
pub(crate) fn operator<T>(request: &tonic::Request<T>) -> Result<Operator> {
    request
        .extensions()
        .get::<Operator>()
        .cloned()
        .ok_or_else(|| Error::Unauthenticated("an operator token is required".to_owned()))
}

/// The ingest caller that the auth layer put into the request.
pub(crate) fn ingest_caller<T>(request: &tonic::Request<T>) -> Result<IngestCaller> {
    request
        .extensions()
        .get::<IngestCaller>()
        .cloned()
        .ok_or_else(|| Error::Unauthenticated("an ingest api key is required".to_owned()))
}

/// Every gRPC service (with health and reflection) behind auth, grpc-web and CORS.
pub(crate) fn router(
    config: &Config,
    state: AppState,
    health: tonic_health::pb::health_server::HealthServer<
        impl tonic_health::pb::health_server::Health,
    >,
) -> Result<Router> {
    let reflection_v1 = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(crate::proto::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .build_v1()
        .map_err(|error| Error::Internal(format!("reflection: {error}")))?;
    let reflection_v1alpha = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(crate::proto::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .build_v1alpha()
        .map_err(|error| Error::Internal(format!("reflection: {error}")))?;

    let routes = Routes::new(health)
        .add_service(reflection_v1)
        .add_service(reflection_v1alpha)
        .add_service(v1::tenant_service_server::TenantServiceServer::new(
            tenant::TenantHandler::new(state.clone()),
        ))
        .add_service(v1::ingest_service_server::IngestServiceServer::new(
            ingest::IngestHandler::new(state.clone()),
        ))
        .add_service(
            v1::correlation_service_server::CorrelationServiceServer::new(
                correlation::CorrelationHandler::new(state.clone()),
            ),
        )
        .add_service(v1::incident_service_server::IncidentServiceServer::new(
            incident::IncidentHandler::new(state.clone()),
        ))
        .add_service(v1::runbook_service_server::RunbookServiceServer::new(
            runbook::RunbookHandler::new(state.clone()),
        ))
        .add_service(v1::compliance_service_server::ComplianceServiceServer::new(
            compliance::ComplianceHandler::new(state.clone()),
        ))
        .add_service(
            v1::notification_service_server::NotificationServiceServer::new(
                notification::NotificationHandler::new(state.clone()),
            ),
        )
        .add_service(
            crate::proto::alertwhisperer::internal::v1::replica_service_server::ReplicaServiceServer::new(
                replica::ReplicaHandler::new(state.clone()),
            ),
        );

    let mut router = routes
        .into_axum_router()
        .fallback(auth::not_found)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::authenticate,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.metrics.clone(),
            crate::metrics::track_grpc,
        ))
        // grpc-web only on the gRPC routes: on plain HTTP routes it would answer 400.
        .layer(tonic_web::GrpcWebLayer::new());
    if let Some(cors) = cors_layer(&config.cors_allowed_origins)? {
        router = router.layer(cors);
    }
    Ok(router)
}

fn cors_layer(origins: &[String]) -> Result<Option<CorsLayer>> {
    if origins.is_empty() {
        return Ok(None);
    }
    let allow_origin = if origins.iter().any(|origin| origin == "*") {
        AllowOrigin::any()
    } else {
        let values = origins
            .iter()
            .map(|origin| {
                http::HeaderValue::from_str(origin)
                    .map_err(|_| Error::Internal(format!("bad cors origin {origin:?}")))
            })
            .collect::<Result<Vec<_>>>()?;
        AllowOrigin::list(values)
    };
    let header = http::HeaderName::from_static;
    Ok(Some(
        CorsLayer::new()
            .allow_origin(allow_origin)
            .allow_methods([http::Method::POST, http::Method::OPTIONS])
            .allow_headers([
                header("authorization"),
                header("content-type"),
                header("x-grpc-web"),
                header("x-user-agent"),
                header("grpc-timeout"),
                header("x-api-key"),
            ])
            .expose_headers([
                header("grpc-status"),
                header("grpc-message"),
                header("grpc-status-details-bin"),
            ])
            .max_age(std::time::Duration::from_secs(3600)),
    ))
}
