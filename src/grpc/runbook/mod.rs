//! RunbookService: the runbook catalogue (built-in and custom runbooks),
//! onboarding a company's servers to Systems Manager (CreateHybridActivation)
//! and listing its managed instances, both in the company's AWS account
//! through its role; remediation rules and executions are in `remediation`.

use tonic::{Request, Response, Status};

use super::convert::{duration, required_id, timestamp, timestamp_ms};
use super::operator;
use super::watch::WatchStream;
use crate::app::AppState;

mod convert;
mod remediation;
mod session;
use crate::domain::runbook::{Parameter, ParameterType, RunbookKind, RunbookSpec, Targets};
use crate::domain::tenant::Role;
use crate::error::{Error, Result};
use crate::proto::v1::{self, runbook_service_server::RunbookService};
use crate::service::runbooks;
use crate::store::Page;
use crate::store::entity::runbook;
use crate::store::runbook::spec_of;
use crate::store::tenant::Audit;

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

fn parameter_of(message: &v1::RunbookParameter, index: usize) -> Result<Parameter> {
    let kind = match v1::RunbookParameterType::try_from(message.r#type) {
        Ok(v1::RunbookParameterType::String) => ParameterType::String,
        Ok(v1::RunbookParameterType::Integer) => ParameterType::Integer,
        Ok(v1::RunbookParameterType::Boolean) => ParameterType::Boolean,
        Ok(v1::RunbookParameterType::StringList) => ParameterType::StringList,
        Ok(v1::RunbookParameterType::Unspecified) | Err(_) => {
            return Err(Error::invalid(
                &format!("parameters[{index}].type"),
                "must be string, integer, boolean or string list",
            ));
        }
    };
    Ok(Parameter {
        name: message.name.trim().to_owned(),
        kind,
        required: message.required,
        default_value: message.default_value.clone(),
        allowed_pattern: message.allowed_pattern.clone(),
        allowed_values: message.allowed_values.clone(),
        description: message.description.clone(),
    })
}

/// The fields a Create/UpdateRunbook request carries.
struct RunbookFields<'a> {
    name: &'a str,
    description: &'a str,
    document_name: &'a str,
    document_version: &'a str,
    parameters: &'a [v1::RunbookParameter],
    targets: Option<&'a v1::RunbookTargets>,
    timeout: Option<&'a prost_types::Duration>,
    max_concurrency: &'a str,
    max_errors: &'a str,
    platform_types: &'a [i32],
    kind: RunbookKind,
    target_parameter: &'a str,
}

/// The kind a CreateRunbook request asks for (unset: Run Command).
fn kind_of(value: i32) -> Result<RunbookKind> {
    match v1::RunbookKind::try_from(value) {
        Ok(v1::RunbookKind::Unspecified | v1::RunbookKind::RunCommand) => {
            Ok(RunbookKind::RunCommand)
        }
        Ok(v1::RunbookKind::Automation) => Ok(RunbookKind::Automation),
        Err(_) => Err(Error::invalid("kind", "must be run command or automation")),
    }
}

/// The proto form of a runbook kind.
pub(crate) fn kind_message(kind: RunbookKind) -> v1::RunbookKind {
    match kind {
        RunbookKind::RunCommand => v1::RunbookKind::RunCommand,
        RunbookKind::Automation => v1::RunbookKind::Automation,
    }
}

fn spec_of_fields(fields: &RunbookFields<'_>) -> Result<RunbookSpec> {
    let parameters = fields
        .parameters
        .iter()
        .enumerate()
        .map(|(index, parameter)| parameter_of(parameter, index))
        .collect::<Result<Vec<_>>>()?;
    for (index, platform) in fields.platform_types.iter().enumerate() {
        if !matches!(
            v1::PlatformType::try_from(*platform),
            Ok(v1::PlatformType::Linux | v1::PlatformType::Windows | v1::PlatformType::Macos)
        ) {
            return Err(Error::invalid(
                &format!("platform_types[{index}]"),
                "must be linux, windows or macos",
            ));
        }
    }
    let spec = RunbookSpec {
        name: fields.name.trim().to_owned(),
        description: fields.description.trim().to_owned(),
        document_name: fields.document_name.trim().to_owned(),
        document_version: if fields.document_version.trim().is_empty() {
            "$DEFAULT".to_owned()
        } else {
            fields.document_version.trim().to_owned()
        },
        parameters,
        targets: fields.targets.map(Targets::from).unwrap_or_default(),
        timeout: match fields.timeout {
            Some(timeout) => duration("timeout", timeout)?,
            None => std::time::Duration::from_secs(600),
        },
        max_concurrency: if fields.max_concurrency.is_empty() {
            "10".to_owned()
        } else {
            fields.max_concurrency.to_owned()
        },
        max_errors: if fields.max_errors.is_empty() {
            "0".to_owned()
        } else {
            fields.max_errors.to_owned()
        },
        platform_types: fields.platform_types.to_vec(),
        kind: fields.kind,
        target_parameter: fields.target_parameter.trim().to_owned(),
    };
    spec.validate()?;
    Ok(spec)
}

fn parameter_message(parameter: &Parameter) -> v1::RunbookParameter {
    v1::RunbookParameter {
        name: parameter.name.clone(),
        r#type: match parameter.kind {
            ParameterType::String => v1::RunbookParameterType::String,
            ParameterType::Integer => v1::RunbookParameterType::Integer,
            ParameterType::Boolean => v1::RunbookParameterType::Boolean,
            ParameterType::StringList => v1::RunbookParameterType::StringList,
        }
        .into(),
        required: parameter.required,
        default_value: parameter.default_value.clone(),
        allowed_pattern: parameter.allowed_pattern.clone(),
        allowed_values: parameter.allowed_values.clone(),
        description: parameter.description.clone(),
    }
}

fn runbook_message(row: runbook::Model) -> v1::Runbook {
    let spec = spec_of(&row);
    v1::Runbook {
        id: row.id,
        company_id: row.company_id.unwrap_or_default(),
        name: spec.name,
        description: spec.description,
        document_name: spec.document_name,
        document_version: spec.document_version,
        parameters: spec.parameters.iter().map(parameter_message).collect(),
        targets: Some(v1::RunbookTargets::from(&spec.targets)),
        timeout: prost_types::Duration::try_from(spec.timeout).ok(),
        max_concurrency: spec.max_concurrency,
        max_errors: spec.max_errors,
        platform_types: spec.platform_types,
        built_in: row.built_in,
        create_time: Some(timestamp(row.created_at)),
        update_time: Some(timestamp(row.updated_at)),
        kind: kind_message(spec.kind).into(),
        target_parameter_name: spec.target_parameter,
    }
}

fn epoch_timestamp(
    value: Option<&aws_sdk_ssm::primitives::DateTime>,
) -> Option<prost_types::Timestamp> {
    value.map(|time| prost_types::Timestamp {
        seconds: time.secs(),
        nanos: i32::try_from(time.subsec_nanos()).unwrap_or(0),
    })
}

fn instance_message(
    company_id: &str,
    info: &aws_sdk_ssm::types::InstanceInformation,
) -> v1::ManagedInstance {
    use aws_sdk_ssm::types::{PingStatus, PlatformType, ResourceType};
    v1::ManagedInstance {
        company_id: company_id.to_owned(),
        instance_id: info.instance_id().unwrap_or_default().to_owned(),
        name: info
            .name()
            .or(info.computer_name())
            .unwrap_or_default()
            .to_owned(),
        platform_type: match info.platform_type() {
            Some(PlatformType::Linux) => v1::PlatformType::Linux,
            Some(PlatformType::Windows) => v1::PlatformType::Windows,
            Some(PlatformType::Macos) => v1::PlatformType::Macos,
            _ => v1::PlatformType::Unspecified,
        }
        .into(),
        platform_name: info.platform_name().unwrap_or_default().to_owned(),
        platform_version: info.platform_version().unwrap_or_default().to_owned(),
        ping_status: match info.ping_status() {
            Some(PingStatus::Online) => v1::PingStatus::Online,
            Some(PingStatus::ConnectionLost) => v1::PingStatus::ConnectionLost,
            Some(PingStatus::Inactive) => v1::PingStatus::Inactive,
            _ => v1::PingStatus::Unspecified,
        }
        .into(),
        agent_version: info.agent_version().unwrap_or_default().to_owned(),
        ip_address: info.ip_address().unwrap_or_default().to_owned(),
        last_ping_time: epoch_timestamp(info.last_ping_date_time()),
        resource_type: match info.resource_type() {
            Some(ResourceType::Ec2Instance) => v1::InstanceResourceType::Ec2Instance,
            Some(ResourceType::ManagedInstance) => v1::InstanceResourceType::ManagedInstance,
            _ => v1::InstanceResourceType::Unspecified,
        }
        .into(),
        activation_id: info.activation_id().unwrap_or_default().to_owned(),
        registration_time: epoch_timestamp(info.registration_date()),
    }
}

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
        let spec = spec_of_fields(&RunbookFields {
            name: &body.name,
            description: &body.description,
            document_name: &body.document_name,
            document_version: &body.document_version,
            parameters: &body.parameters,
            targets: body.targets.as_ref(),
            timeout: body.timeout.as_ref(),
            max_concurrency: &body.max_concurrency,
            max_errors: &body.max_errors,
            platform_types: &body.platform_types,
            kind: kind_of(body.kind)?,
            target_parameter: &body.target_parameter_name,
        })?;
        let created = self
            .state
            .store
            .create_runbook(
                &Audit::new(operator.actor(), "RunbookService.CreateRunbook"),
                &operator.scope,
                company_id,
                &spec,
            )
            .await?;
        Ok(Response::new(v1::CreateRunbookResponse {
            runbook: Some(runbook_message(created)),
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
        let (rows, next_page_token) = self
            .state
            .store
            .list_runbooks(&operator.scope, company_id, body.custom_only, &page)
            .await?;
        Ok(Response::new(v1::ListRunbooksResponse {
            runbooks: rows.into_iter().map(runbook_message).collect(),
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
        let row = self.state.store.get_runbook(&operator.scope, id).await?;
        Ok(Response::new(v1::GetRunbookResponse {
            runbook: Some(runbook_message(row)),
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
        let current = spec_of(&self.state.store.get_runbook(&operator.scope, id).await?);
        let all = [
            "name",
            "description",
            "document_name",
            "document_version",
            "parameters",
            "targets",
            "timeout",
            "max_concurrency",
            "max_errors",
            "platform_types",
        ];
        let paths: Vec<&str> = match &body.update_mask {
            Some(mask) if !mask.paths.is_empty() => mask.paths.iter().map(String::as_str).collect(),
            _ => all.to_vec(),
        };
        if let Some(unknown) = paths.iter().find(|path| !all.contains(path)) {
            return Err(Error::invalid(
                "update_mask",
                format!("unknown field {unknown:?}; allowed: {}", all.join(", ")),
            )
            .into());
        }
        let has = |field: &str| paths.contains(&field);
        let current_parameters: Vec<v1::RunbookParameter> =
            current.parameters.iter().map(parameter_message).collect();
        let current_targets = v1::RunbookTargets::from(&current.targets);
        let current_timeout = prost_types::Duration::try_from(current.timeout).ok();
        let spec = spec_of_fields(&RunbookFields {
            name: if has("name") {
                &body.name
            } else {
                &current.name
            },
            description: if has("description") {
                &body.description
            } else {
                &current.description
            },
            document_name: if has("document_name") {
                &body.document_name
            } else {
                &current.document_name
            },
            document_version: if has("document_version") {
                &body.document_version
            } else {
                &current.document_version
            },
            parameters: if has("parameters") {
                &body.parameters
            } else {
                &current_parameters
            },
            targets: if has("targets") {
                body.targets.as_ref()
            } else {
                Some(&current_targets)
            },
            timeout: if has("timeout") {
                body.timeout.as_ref()
            } else {
                current_timeout.as_ref()
            },
            max_concurrency: if has("max_concurrency") {
                &body.max_concurrency
            } else {
                &current.max_concurrency
            },
            max_errors: if has("max_errors") {
                &body.max_errors
            } else {
                &current.max_errors
            },
            platform_types: if has("platform_types") {
                &body.platform_types
            } else {
                &current.platform_types
            },
            // Fixed at creation.
            kind: current.kind,
            target_parameter: &current.target_parameter,
        })?;
        let updated = self
            .state
            .store
            .update_runbook(
                &Audit::new(operator.actor(), "RunbookService.UpdateRunbook"),
                &operator.scope,
                id,
                &spec,
            )
            .await?;
        // Rules of any company may run it: their owners reload their rules.
        self.state
            .owners
            .reload_all(crate::owner::command::Reload::Remediation)
            .await?;
        Ok(Response::new(v1::UpdateRunbookResponse {
            runbook: Some(runbook_message(updated)),
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
        self.state
            .store
            .delete_runbook(
                &Audit::new(operator.actor(), "RunbookService.DeleteRunbook"),
                &operator.scope,
                id,
            )
            .await?;
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
        let (instances, next_page_token) = runbooks::list_managed_instances(
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
        Ok(Response::new(v1::ListManagedInstancesResponse {
            instances: instances
                .iter()
                .map(|info| instance_message(company_id, info))
                .collect(),
            next_page_token,
        }))
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
        Ok(Response::new(v1::CreateHybridActivationResponse {
            activation_id: activation.activation_id,
            activation_code: activation.activation_code,
            region: activation.region,
            expire_time: Some(timestamp(activation.expire_at)),
        }))
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
