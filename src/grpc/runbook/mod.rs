//! RunbookService: the runbook catalogue (built-in and custom runbooks),
//! onboarding a company's servers to Systems Manager (CreateHybridActivation)
//! and listing its managed instances, converted to and from
//! [`crate::service::runbooks`]; remediation rules and executions are in
//! `remediation`, Session Manager sessions in `session`.

mod convert;
mod remediation;
mod session;

use tonic::{Request, Response, Status};

use self::convert::updated_fields;
use super::convert::{required_id, timestamp_ms};
use super::operator;
use super::watch::WatchStream;
use crate::app::AppState;
use crate::domain::tenant::Role;
use crate::error::Error;
use crate::proto::v1::{self, runbook_service_server::RunbookService};
use crate::service::runbooks::{self, RunbookFields};
use crate::store::Page;

/// The RunbookService handler.
#[derive(Debug, Clone)]
pub struct RunbookHandler {
    state: AppState,
}

impl RunbookHandler {
    /// A handler over the shared state.
    pub fn new(state: AppState) -> Self {
        Self { state }
    }
}

// A change's handler checks the role before it reads the request: a caller
// without the role is refused whatever it sent.
#[tonic::async_trait]
impl RunbookService for RunbookHandler {
    async fn create_runbook(
        &self,
        request: Request<v1::CreateRunbookRequest>,
    ) -> Result<Response<v1::CreateRunbookResponse>, Status> {
        let operator = operator(&request)?;
        operator.require(Role::Admin)?;
        let body = request.into_inner();
        let company_id = required_id("company_id", &body.company_id)?;
        let fields = RunbookFields::try_from(&body)?;
        let created = runbooks::create_runbook(&self.state, &operator, company_id, fields).await?;
        Ok(Response::new(v1::CreateRunbookResponse {
            runbook: Some(created.into()),
        }))
    }

    async fn list_runbooks(
        &self,
        request: Request<v1::ListRunbooksRequest>,
    ) -> Result<Response<v1::ListRunbooksResponse>, Status> {
        let operator = operator(&request)?;
        let body = request.into_inner();
        let company_id = required_id("company_id", &body.company_id)?;
        let page = Page::new(body.page_size, &body.page_token)?;
        let (runbooks, next_page_token) =
            runbooks::list_runbooks(&self.state, &operator, company_id, body.custom_only, &page)
                .await?;
        Ok(Response::new(v1::ListRunbooksResponse {
            runbooks: runbooks.into_iter().map(v1::Runbook::from).collect(),
            next_page_token,
        }))
    }

    async fn get_runbook(
        &self,
        request: Request<v1::GetRunbookRequest>,
    ) -> Result<Response<v1::GetRunbookResponse>, Status> {
        let operator = operator(&request)?;
        let body = request.into_inner();
        let id = required_id("runbook_id", &body.runbook_id)?;
        let runbook = runbooks::get_runbook(&self.state, &operator, id).await?;
        Ok(Response::new(v1::GetRunbookResponse {
            runbook: Some(runbook.into()),
        }))
    }

    async fn update_runbook(
        &self,
        request: Request<v1::UpdateRunbookRequest>,
    ) -> Result<Response<v1::UpdateRunbookResponse>, Status> {
        let operator = operator(&request)?;
        operator.require(Role::Admin)?;
        let body = request.into_inner();
        let id = required_id("runbook_id", &body.runbook_id)?;
        // The mask and the fields are read once the runbook is found.
        let updated = runbooks::update_runbook(&self.state, &operator, id, |current| {
            updated_fields(&body, current)
        })
        .await?;
        Ok(Response::new(v1::UpdateRunbookResponse {
            runbook: Some(updated.into()),
        }))
    }

    async fn delete_runbook(
        &self,
        request: Request<v1::DeleteRunbookRequest>,
    ) -> Result<Response<v1::DeleteRunbookResponse>, Status> {
        let operator = operator(&request)?;
        operator.require(Role::Admin)?;
        let body = request.into_inner();
        let id = required_id("runbook_id", &body.runbook_id)?;
        runbooks::delete_runbook(&self.state, &operator, id).await?;
        Ok(Response::new(v1::DeleteRunbookResponse {}))
    }

    async fn list_managed_instances(
        &self,
        request: Request<v1::ListManagedInstancesRequest>,
    ) -> Result<Response<v1::ListManagedInstancesResponse>, Status> {
        let operator = operator(&request)?;
        let body = request.into_inner();
        let company_id = required_id("company_id", &body.company_id)?;
        let ping_status = match v1::PingStatus::try_from(body.ping_status) {
            Ok(v1::PingStatus::Online) => Some("Online"),
            Ok(v1::PingStatus::ConnectionLost) => Some("ConnectionLost"),
            Ok(v1::PingStatus::Inactive) => Some("Inactive"),
            Ok(v1::PingStatus::Unspecified) => None,
            Err(_) => return Err(Error::invalid("ping_status", "unknown value").into()),
        };
        let resource_type = match v1::InstanceResourceType::try_from(body.resource_type) {
            Ok(v1::InstanceResourceType::Ec2Instance) => Some("EC2Instance"),
            Ok(v1::InstanceResourceType::ManagedInstance) => Some("ManagedInstance"),
            Ok(v1::InstanceResourceType::Unspecified) => None,
            Err(_) => return Err(Error::invalid("resource_type", "unknown value").into()),
        };
        let page = runbooks::list_managed_instances(
            &self.state,
            &operator,
            company_id,
            runbooks::InstanceQuery {
                page_size: body.page_size,
                page_token: &body.page_token,
                ping_status,
                resource_type,
            },
        )
        .await?;
        Ok(Response::new(page.into()))
    }

    async fn create_hybrid_activation(
        &self,
        request: Request<v1::CreateHybridActivationRequest>,
    ) -> Result<Response<v1::CreateHybridActivationResponse>, Status> {
        let operator = operator(&request)?;
        operator.require(Role::Admin)?;
        let body = request.into_inner();
        let company_id = required_id("company_id", &body.company_id)?;
        let expire_at = body
            .expire_time
            .as_ref()
            .map(|time| timestamp_ms("expire_time", time))
            .transpose()?;
        let activation = runbooks::create_hybrid_activation(
            &self.state,
            &operator,
            company_id,
            runbooks::NewActivation {
                iam_role: &body.iam_role,
                registration_limit: body.registration_limit,
                expire_at,
                description: &body.description,
                default_instance_name: &body.default_instance_name,
                tags: body
                    .tags
                    .iter()
                    .map(|(key, value)| (key.as_str(), value.as_str()))
                    .collect(),
            },
        )
        .await?;
        Ok(Response::new(activation.into()))
    }

    async fn create_remediation_rule(
        &self,
        request: Request<v1::CreateRemediationRuleRequest>,
    ) -> Result<Response<v1::CreateRemediationRuleResponse>, Status> {
        let operator = operator(&request)?;
        Ok(Response::new(
            remediation::create_rule(&self.state, &operator, request.into_inner()).await?,
        ))
    }

    async fn list_remediation_rules(
        &self,
        request: Request<v1::ListRemediationRulesRequest>,
    ) -> Result<Response<v1::ListRemediationRulesResponse>, Status> {
        let operator = operator(&request)?;
        Ok(Response::new(
            remediation::list_rules(&self.state, &operator, request.into_inner()).await?,
        ))
    }

    async fn delete_remediation_rule(
        &self,
        request: Request<v1::DeleteRemediationRuleRequest>,
    ) -> Result<Response<v1::DeleteRemediationRuleResponse>, Status> {
        let operator = operator(&request)?;
        Ok(Response::new(
            remediation::delete_rule(&self.state, &operator, request.into_inner()).await?,
        ))
    }

    async fn execute_runbook(
        &self,
        request: Request<v1::ExecuteRunbookRequest>,
    ) -> Result<Response<v1::ExecuteRunbookResponse>, Status> {
        let operator = operator(&request)?;
        Ok(Response::new(
            remediation::execute(&self.state, &operator, request.into_inner()).await?,
        ))
    }

    async fn approve_execution(
        &self,
        request: Request<v1::ApproveExecutionRequest>,
    ) -> Result<Response<v1::ApproveExecutionResponse>, Status> {
        let operator = operator(&request)?;
        Ok(Response::new(
            remediation::approve(&self.state, &operator, request.into_inner()).await?,
        ))
    }

    async fn reject_execution(
        &self,
        request: Request<v1::RejectExecutionRequest>,
    ) -> Result<Response<v1::RejectExecutionResponse>, Status> {
        let operator = operator(&request)?;
        Ok(Response::new(
            remediation::reject(&self.state, &operator, request.into_inner()).await?,
        ))
    }

    async fn cancel_execution(
        &self,
        request: Request<v1::CancelExecutionRequest>,
    ) -> Result<Response<v1::CancelExecutionResponse>, Status> {
        let operator = operator(&request)?;
        Ok(Response::new(
            remediation::cancel(&self.state, &operator, request.into_inner()).await?,
        ))
    }

    async fn get_execution(
        &self,
        request: Request<v1::GetExecutionRequest>,
    ) -> Result<Response<v1::GetExecutionResponse>, Status> {
        let operator = operator(&request)?;
        Ok(Response::new(
            remediation::get(&self.state, &operator, request.into_inner()).await?,
        ))
    }

    async fn list_executions(
        &self,
        request: Request<v1::ListExecutionsRequest>,
    ) -> Result<Response<v1::ListExecutionsResponse>, Status> {
        let operator = operator(&request)?;
        Ok(Response::new(
            remediation::list(&self.state, &operator, request.into_inner()).await?,
        ))
    }

    async fn watch_executions(
        &self,
        request: Request<v1::WatchExecutionsRequest>,
    ) -> Result<Response<WatchStream<v1::WatchExecutionsResponse>>, Status> {
        let operator = operator(&request)?;
        Ok(Response::new(
            remediation::watch(&self.state, &operator, request.into_inner()).await?,
        ))
    }

    async fn start_session(
        &self,
        request: Request<v1::StartSessionRequest>,
    ) -> Result<Response<v1::StartSessionResponse>, Status> {
        let operator = operator(&request)?;
        Ok(Response::new(
            session::start(&self.state, &operator, request.into_inner()).await?,
        ))
    }

    async fn terminate_session(
        &self,
        request: Request<v1::TerminateSessionRequest>,
    ) -> Result<Response<v1::TerminateSessionResponse>, Status> {
        let operator = operator(&request)?;
        Ok(Response::new(
            session::terminate(&self.state, &operator, request.into_inner()).await?,
        ))
    }

    async fn list_sessions(
        &self,
        request: Request<v1::ListSessionsRequest>,
    ) -> Result<Response<v1::ListSessionsResponse>, Status> {
        let operator = operator(&request)?;
        Ok(Response::new(
            session::list(&self.state, &operator, request.into_inner()).await?,
        ))
    }
}
