//! ReplicaService (`alertwhisperer.internal.v1`): the calls one replica
//! makes to another, authenticated by the cluster token, not by operators.

use tonic::{Request, Response, Status};

use crate::app::AppState;
use crate::owner::cluster::{FORWARD_LAYOUT, REPLICA_TOKEN_HEADER, forward_layout};
use crate::owner::command::Command;
use crate::proto::alertwhisperer::internal::v1::{
    ForwardRequest, ForwardResponse, replica_service_server::ReplicaService,
};
use crate::store::ScopedCompany;

/// The ReplicaService handler.
#[derive(Debug, Clone)]
pub struct ReplicaHandler {
    state: AppState,
}

impl ReplicaHandler {
    /// A handler over the shared state.
    pub fn new(state: AppState) -> Self {
        Self { state }
    }
}

#[tonic::async_trait]
impl ReplicaService for ReplicaHandler {
    async fn forward(
        &self,
        request: Request<ForwardRequest>,
    ) -> Result<Response<ForwardResponse>, Status> {
        let token = request
            .metadata()
            .get(REPLICA_TOKEN_HEADER)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default();
        if !self.state.owners.accepts_replica_token(token) {
            return Err(Status::unauthenticated(
                "only replicas of this deployment may forward requests",
            ));
        }
        let body = request.into_inner();
        let layout = forward_layout(body.layout);
        if layout != FORWARD_LAYOUT {
            return Err(Status::failed_precondition(format!(
                "forward layout {layout}, this replica reads {FORWARD_LAYOUT}: retry once the replicas run one build"
            )));
        }
        let command: Command = borsh::from_slice(&body.command)
            .map_err(|error| Status::invalid_argument(format!("command: {error}")))?;
        // A replica of this deployment checked the caller before it forwarded.
        let company = ScopedCompany::system(body.company_id);
        let result = self.state.owners.execute_forwarded(&company, command).await;
        let result = borsh::to_vec(&result)
            .map_err(|error| Status::internal(format!("encode the answer: {error}")))?;
        Ok(Response::new(ForwardResponse {
            result,
            layout: FORWARD_LAYOUT,
        }))
    }
}
