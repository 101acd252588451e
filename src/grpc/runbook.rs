//! RunbookService. Implemented so far: onboarding a company's servers to
//! Systems Manager (CreateHybridActivation) and listing its managed instances,
//! both in the company's AWS account through its role. The runbook catalogue,
//! rules and executions answer UNIMPLEMENTED until they land.

use tonic::{Request, Response, Status};

use super::convert::{required_id, timestamp, timestamp_ms};
use super::{AppState, operator};
use crate::aws::{CompanyRole, aws_error};
use crate::domain::tenant::Role;
use crate::error::{Error, Result};
use crate::proto::v1::{self, runbook_service_server::RunbookService};
use crate::store::now_ms;
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
    async fn list_managed_instances(
        &self,
        request: Request<v1::ListManagedInstancesRequest>,
    ) -> Result<Response<v1::ListManagedInstancesResponse>, Status> {
        let operator = operator(&request)?;
        let body = request.into_inner();
        let company_id = required_id("company_id", &body.company_id)?;
        if body.page_size < 0 {
            return Err(Error::invalid("page_size", "must not be negative").into());
        }
        let company = self
            .state
            .store
            .get_company(&operator.scope, company_id)
            .await?;
        let role = CompanyRole::of(&company)?;
        let ssm = self.state.aws.ssm(&role).await?;
        // SSM pages DescribeInstanceInformation 5 to 50 at a time.
        let page_size = if body.page_size == 0 {
            50
        } else {
            body.page_size.clamp(5, 50)
        };
        let mut call = ssm.describe_instance_information().max_results(page_size);
        if !body.page_token.is_empty() {
            call = call.next_token(body.page_token.clone());
        }
        let mut filters = Vec::new();
        let ping = match v1::PingStatus::try_from(body.ping_status) {
            Ok(v1::PingStatus::Online) => Some("Online"),
            Ok(v1::PingStatus::ConnectionLost) => Some("ConnectionLost"),
            Ok(v1::PingStatus::Inactive) => Some("Inactive"),
            Ok(v1::PingStatus::Unspecified) => None,
            Err(_) => return Err(Error::invalid("ping_status", "unknown value").into()),
        };
        if let Some(ping) = ping {
            filters.push(("PingStatus", ping));
        }
        let resource = match v1::InstanceResourceType::try_from(body.resource_type) {
            Ok(v1::InstanceResourceType::Ec2Instance) => Some("EC2Instance"),
            Ok(v1::InstanceResourceType::ManagedInstance) => Some("ManagedInstance"),
            Ok(v1::InstanceResourceType::Unspecified) => None,
            Err(_) => return Err(Error::invalid("resource_type", "unknown value").into()),
        };
        if let Some(resource) = resource {
            filters.push(("ResourceType", resource));
        }
        for (key, value) in filters {
            let filter = aws_sdk_ssm::types::InstanceInformationStringFilter::builder()
                .key(key)
                .values(value)
                .build()
                .map_err(|error| Error::Internal(error.to_string()))?;
            call = call.filters(filter);
        }
        let answer = call
            .send()
            .await
            .map_err(|error| aws_error("ssm:DescribeInstanceInformation", &role, error))?;
        Ok(Response::new(v1::ListManagedInstancesResponse {
            instances: answer
                .instance_information_list()
                .iter()
                .map(|info| instance_message(company_id, info))
                .collect(),
            next_page_token: answer.next_token().unwrap_or_default().to_owned(),
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
        let iam_role = body.iam_role.trim();
        if iam_role.is_empty() || iam_role.len() > 64 {
            return Err(Error::invalid(
                "iam_role",
                "is required: the IAM service role (name) that the registered servers assume, e.g. SSMServiceRole",
            )
            .into());
        }
        let registration_limit = match body.registration_limit {
            0 => 1,
            n @ 1..=1000 => n,
            _ => {
                return Err(
                    Error::invalid("registration_limit", "must be between 1 and 1000").into(),
                );
            }
        };
        let now = now_ms();
        let expire_ms = match &body.expire_time {
            Some(time) => {
                let ms = timestamp_ms("expire_time", time)?;
                // SSM allows up to 30 days; default 24 hours.
                if ms <= now || ms > now + 30 * 24 * 3600 * 1000 {
                    return Err(
                        Error::invalid("expire_time", "must be within the next 30 days").into(),
                    );
                }
                ms
            }
            None => now + 24 * 3600 * 1000,
        };
        if body.description.chars().count() > 256
            || body.default_instance_name.chars().count() > 256
        {
            return Err(Error::invalid(
                "description",
                "description and default_instance_name are at most 256 characters",
            )
            .into());
        }
        let company = self
            .state
            .store
            .get_company(&operator.scope, company_id)
            .await?;
        let role = CompanyRole::of(&company)?;
        let ssm = self.state.aws.ssm(&role).await?;
        let mut call = ssm
            .create_activation()
            .iam_role(iam_role)
            .registration_limit(registration_limit)
            .expiration_date(aws_sdk_ssm::primitives::DateTime::from_millis(expire_ms));
        if !body.description.is_empty() {
            call = call.description(body.description.clone());
        }
        if !body.default_instance_name.is_empty() {
            call = call.default_instance_name(body.default_instance_name.clone());
        }
        for (key, value) in &body.tags {
            let tag = aws_sdk_ssm::types::Tag::builder()
                .key(key)
                .value(value)
                .build()
                .map_err(|error| Error::invalid("tags", error.to_string()))?;
            call = call.tags(tag);
        }
        let answer = call
            .send()
            .await
            .map_err(|error| aws_error("ssm:CreateActivation", &role, error))?;
        let activation_id = answer.activation_id().unwrap_or_default().to_owned();
        self.state
            .store
            .record_audit(
                &Audit::new(operator.actor(), "RunbookService.CreateHybridActivation"),
                Some(company_id),
                "hybrid_activation",
                &activation_id,
                serde_json::json!({
                    "iam_role": iam_role,
                    "registration_limit": registration_limit,
                    "expires_at": expire_ms,
                }),
            )
            .await?;
        Ok(Response::new(v1::CreateHybridActivationResponse {
            activation_id,
            activation_code: answer.activation_code().unwrap_or_default().to_owned(),
            region: self.state.aws.region().to_owned(),
            expire_time: Some(timestamp(expire_ms)),
        }))
    }
}
