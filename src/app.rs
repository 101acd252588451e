//! What every entry point shares: the handlers' state (the store, the owners
//! of the companies, the ingest checks, the AWS clients, …) and the
//! resolution of a request's credentials into a caller. gRPC, the webhook
//! routes and the report routes all take it from here.

use std::sync::Arc;

use crate::auth::{IngestCaller, Operator, bearer_token};
use crate::domain::tenant::Role;
use crate::error::{Error, Result};
use crate::metrics::Metrics;
use crate::secrets::{MasterKey, hash_credential};
use crate::store::{Scope, Store};

/// State shared by every handler.
#[derive(Debug, Clone)]
pub struct AppState {
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
    pub metrics: Arc<Metrics>,
    /// Cancelled when the server shuts down; streams end on it.
    pub shutdown: tokio_util::sync::CancellationToken,
}

impl AppState {
    /// The operator a request's `authorization: Bearer <token>` names, or
    /// UNAUTHENTICATED.
    pub(crate) async fn operator(&self, headers: &http::HeaderMap) -> Result<Operator> {
        let state = self;
        let value = headers
            .get(http::header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok());
        let token = bearer_token(value)?;
        let record = state
            .store
            .authenticate_operator_token(&hash_credential(token))
            .await?
            .ok_or_else(|| {
                Error::Unauthenticated(
                    "the operator token is unknown, revoked or expired".to_owned(),
                )
            })?;
        let role = Role::parse(&record.token.role)
            .ok_or_else(|| Error::Internal(format!("stored role {:?}", record.token.role)))?;
        let scope = if record.company_ids.is_empty() {
            Scope::All
        } else {
            Scope::Companies(record.company_ids.into())
        };
        Ok(Operator {
            token_id: record.token.id,
            name: record.token.name,
            role,
            scope,
        })
    }

    /// The ingest caller a request's `x-api-key` or bearer API key names, or
    /// UNAUTHENTICATED.
    pub(crate) async fn ingest_caller(&self, headers: &http::HeaderMap) -> Result<IngestCaller> {
        let state = self;
        let key = match headers
            .get("x-api-key")
            .and_then(|value| value.to_str().ok())
        {
            Some(key) => key.trim(),
            None => {
                let value = headers
                    .get(http::header::AUTHORIZATION)
                    .and_then(|value| value.to_str().ok());
                bearer_token(value).map_err(|_| {
                    Error::Unauthenticated(
                        "missing api key: send x-api-key: <key> or authorization: Bearer <key>"
                            .to_owned(),
                    )
                })?
            }
        };
        state.ingest.authenticate(key).await
    }
}
