//! IngestService: converts its messages to and from [`crate::service::ingest`].

use tonic::{Request, Response, Status};

use super::ingest_caller;
use crate::app::AppState;
use crate::error::Error;
use crate::proto::v1::{self, ingest_service_server::IngestService};
use crate::service::ingest::ingest_alerts;

/// The IngestService handler.
#[derive(Debug, Clone)]
pub struct IngestHandler {
    state: AppState,
}

impl IngestHandler {
    /// A handler over the shared state.
    pub fn new(state: AppState) -> Self {
        Self { state }
    }
}

#[tonic::async_trait]
impl IngestService for IngestHandler {
    async fn ingest_alert(
        &self,
        request: Request<v1::IngestAlertRequest>,
    ) -> Result<Response<v1::IngestAlertResponse>, Status> {
        let caller = ingest_caller(&request)?;
        let alert = request
            .into_inner()
            .alert
            .ok_or_else(|| Error::invalid("alert", "is required"))?;
        let mut results = ingest_alerts(&self.state, &caller, "grpc", &[alert], None).await?;
        Ok(Response::new(v1::IngestAlertResponse {
            result: results.pop(),
        }))
    }

    async fn ingest_alerts(
        &self,
        request: Request<v1::IngestAlertsRequest>,
    ) -> Result<Response<v1::IngestAlertsResponse>, Status> {
        let caller = ingest_caller(&request)?;
        let alerts = request.into_inner().alerts;
        let results = ingest_alerts(&self.state, &caller, "grpc", &alerts, None).await?;
        Ok(Response::new(v1::IngestAlertsResponse { results }))
    }
}
