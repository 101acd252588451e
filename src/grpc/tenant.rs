//! TenantService: converts its messages to and from
//! [`crate::service::tenants`] (companies, API keys, HMAC secrets, AWS
//! roles, technicians, operator tokens and the audit log).

mod convert;

use tonic::{Request, Response, Status};

use self::convert::{company_changes, messages, optional_duration, technician_changes};
use super::convert::required_id;
use super::operator;
use crate::app::AppState;
use crate::proto::v1::{self, tenant_service_server::TenantService};
use crate::service::tenants::{self, Admin};
use crate::store::Page;
use crate::store::tenant::AuditFilter;

/// The TenantService handler.
#[derive(Debug, Clone)]
pub struct TenantHandler {
    state: AppState,
}

impl TenantHandler {
    /// A handler over the shared state.
    pub fn new(state: AppState) -> Self {
        Self { state }
    }
}

// A change's handler checks the admin role before it reads the request: a
// caller without the role is refused whatever it sent.
#[tonic::async_trait]
impl TenantService for TenantHandler {
    async fn create_company(
        &self,
        request: Request<v1::CreateCompanyRequest>,
    ) -> Result<Response<v1::CreateCompanyResponse>, Status> {
        let operator = operator(&request)?;
        let fields = request.into_inner().into();
        let created = tenants::create_company(&self.state, &operator, fields).await?;
        Ok(Response::new(created.into()))
    }

    async fn get_company(
        &self,
        request: Request<v1::GetCompanyRequest>,
    ) -> Result<Response<v1::GetCompanyResponse>, Status> {
        let operator = operator(&request)?;
        let body = request.into_inner();
        let id = required_id("company_id", &body.company_id)?;
        let company = tenants::get_company(&self.state, &operator, id).await?;
        Ok(Response::new(v1::GetCompanyResponse {
            company: Some(company.into()),
        }))
    }

    async fn list_companies(
        &self,
        request: Request<v1::ListCompaniesRequest>,
    ) -> Result<Response<v1::ListCompaniesResponse>, Status> {
        let operator = operator(&request)?;
        let body = request.into_inner();
        let page = Page::new(body.page_size, &body.page_token)?;
        let (companies, next_page_token) =
            tenants::list_companies(&self.state, &operator, &page, &body.name_contains).await?;
        Ok(Response::new(v1::ListCompaniesResponse {
            companies: messages(companies),
            next_page_token,
        }))
    }

    async fn update_company(
        &self,
        request: Request<v1::UpdateCompanyRequest>,
    ) -> Result<Response<v1::UpdateCompanyResponse>, Status> {
        let operator = operator(&request)?;
        let admin = Admin::check(&operator)?;
        let body = request.into_inner();
        let id = required_id("company_id", &body.company_id)?;
        let changes = company_changes(&body)?;
        let company = tenants::update_company(&self.state, &admin, id, changes).await?;
        Ok(Response::new(v1::UpdateCompanyResponse {
            company: Some(company.into()),
        }))
    }

    async fn delete_company(
        &self,
        request: Request<v1::DeleteCompanyRequest>,
    ) -> Result<Response<v1::DeleteCompanyResponse>, Status> {
        let operator = operator(&request)?;
        let admin = Admin::check(&operator)?;
        let body = request.into_inner();
        let id = required_id("company_id", &body.company_id)?;
        tenants::delete_company(&self.state, &admin, id).await?;
        Ok(Response::new(v1::DeleteCompanyResponse {}))
    }

    async fn create_api_key(
        &self,
        request: Request<v1::CreateApiKeyRequest>,
    ) -> Result<Response<v1::CreateApiKeyResponse>, Status> {
        let operator = operator(&request)?;
        let admin = Admin::check(&operator)?;
        let body = request.into_inner();
        let company_id = required_id("company_id", &body.company_id)?;
        let created = tenants::create_api_key(&self.state, &admin, company_id, &body.label).await?;
        Ok(Response::new(created.into()))
    }

    async fn list_api_keys(
        &self,
        request: Request<v1::ListApiKeysRequest>,
    ) -> Result<Response<v1::ListApiKeysResponse>, Status> {
        let operator = operator(&request)?;
        let body = request.into_inner();
        let company_id = required_id("company_id", &body.company_id)?;
        let page = Page::new(body.page_size, &body.page_token)?;
        let (api_keys, next_page_token) = tenants::list_api_keys(
            &self.state,
            &operator,
            company_id,
            &page,
            body.include_inactive,
        )
        .await?;
        Ok(Response::new(v1::ListApiKeysResponse {
            api_keys: messages(api_keys),
            next_page_token,
        }))
    }

    async fn revoke_api_key(
        &self,
        request: Request<v1::RevokeApiKeyRequest>,
    ) -> Result<Response<v1::RevokeApiKeyResponse>, Status> {
        let operator = operator(&request)?;
        let admin = Admin::check(&operator)?;
        let body = request.into_inner();
        let company_id = required_id("company_id", &body.company_id)?;
        let key_id = required_id("api_key_id", &body.api_key_id)?;
        let revoked = tenants::revoke_api_key(&self.state, &admin, company_id, key_id).await?;
        Ok(Response::new(v1::RevokeApiKeyResponse {
            api_key: Some(revoked.into()),
        }))
    }

    async fn rotate_api_key(
        &self,
        request: Request<v1::RotateApiKeyRequest>,
    ) -> Result<Response<v1::RotateApiKeyResponse>, Status> {
        let operator = operator(&request)?;
        let admin = Admin::check(&operator)?;
        let body = request.into_inner();
        let company_id = required_id("company_id", &body.company_id)?;
        let key_id = required_id("api_key_id", &body.api_key_id)?;
        let overlap = optional_duration("overlap", body.overlap.as_ref())?;
        let rotated =
            tenants::rotate_api_key(&self.state, &admin, company_id, key_id, overlap).await?;
        Ok(Response::new(rotated.into()))
    }

    async fn enable_hmac(
        &self,
        request: Request<v1::EnableHmacRequest>,
    ) -> Result<Response<v1::EnableHmacResponse>, Status> {
        let operator = operator(&request)?;
        let admin = Admin::check(&operator)?;
        let body = request.into_inner();
        let company_id = required_id("company_id", &body.company_id)?;
        let enabled = tenants::enable_hmac(&self.state, &admin, company_id).await?;
        Ok(Response::new(enabled.into()))
    }

    async fn rotate_hmac_secret(
        &self,
        request: Request<v1::RotateHmacSecretRequest>,
    ) -> Result<Response<v1::RotateHmacSecretResponse>, Status> {
        let operator = operator(&request)?;
        let admin = Admin::check(&operator)?;
        let body = request.into_inner();
        let company_id = required_id("company_id", &body.company_id)?;
        let overlap = optional_duration("overlap", body.overlap.as_ref())?;
        let rotated = tenants::rotate_hmac_secret(&self.state, &admin, company_id, overlap).await?;
        Ok(Response::new(rotated.into()))
    }

    async fn disable_hmac(
        &self,
        request: Request<v1::DisableHmacRequest>,
    ) -> Result<Response<v1::DisableHmacResponse>, Status> {
        let operator = operator(&request)?;
        let admin = Admin::check(&operator)?;
        let body = request.into_inner();
        let company_id = required_id("company_id", &body.company_id)?;
        let company = tenants::disable_hmac(&self.state, &admin, company_id).await?;
        Ok(Response::new(v1::DisableHmacResponse {
            company: Some(company.into()),
        }))
    }

    async fn set_aws_role(
        &self,
        request: Request<v1::SetAwsRoleRequest>,
    ) -> Result<Response<v1::SetAwsRoleResponse>, Status> {
        let operator = operator(&request)?;
        let admin = Admin::check(&operator)?;
        let body = request.into_inner();
        let company_id = required_id("company_id", &body.company_id)?;
        let company = tenants::set_aws_role(
            &self.state,
            &admin,
            company_id,
            &body.role_arn,
            &body.external_id,
        )
        .await?;
        Ok(Response::new(v1::SetAwsRoleResponse {
            company: Some(company.into()),
        }))
    }

    async fn create_technician(
        &self,
        request: Request<v1::CreateTechnicianRequest>,
    ) -> Result<Response<v1::CreateTechnicianResponse>, Status> {
        let operator = operator(&request)?;
        let admin = Admin::check(&operator)?;
        let fields = request.into_inner().try_into()?;
        let created = tenants::create_technician(&self.state, &admin, fields).await?;
        Ok(Response::new(v1::CreateTechnicianResponse {
            technician: Some(created.into()),
        }))
    }

    async fn list_technicians(
        &self,
        request: Request<v1::ListTechniciansRequest>,
    ) -> Result<Response<v1::ListTechniciansResponse>, Status> {
        let operator = operator(&request)?;
        let body = request.into_inner();
        let page = Page::new(body.page_size, &body.page_token)?;
        let company_id = Some(body.company_id.as_str()).filter(|id| !id.is_empty());
        let (technicians, next_page_token) =
            tenants::list_technicians(&self.state, &operator, company_id, body.on_duty_only, &page)
                .await?;
        Ok(Response::new(v1::ListTechniciansResponse {
            technicians: messages(technicians),
            next_page_token,
        }))
    }

    async fn update_technician(
        &self,
        request: Request<v1::UpdateTechnicianRequest>,
    ) -> Result<Response<v1::UpdateTechnicianResponse>, Status> {
        let operator = operator(&request)?;
        let admin = Admin::check(&operator)?;
        let body = request.into_inner();
        let id = required_id("technician_id", &body.technician_id)?;
        let changes = technician_changes(&body)?;
        let updated = tenants::update_technician(&self.state, &admin, id, changes).await?;
        Ok(Response::new(v1::UpdateTechnicianResponse {
            technician: Some(updated.into()),
        }))
    }

    async fn delete_technician(
        &self,
        request: Request<v1::DeleteTechnicianRequest>,
    ) -> Result<Response<v1::DeleteTechnicianResponse>, Status> {
        let operator = operator(&request)?;
        let admin = Admin::check(&operator)?;
        let body = request.into_inner();
        let id = required_id("technician_id", &body.technician_id)?;
        tenants::delete_technician(&self.state, &admin, id).await?;
        Ok(Response::new(v1::DeleteTechnicianResponse {}))
    }

    async fn create_operator_token(
        &self,
        request: Request<v1::CreateOperatorTokenRequest>,
    ) -> Result<Response<v1::CreateOperatorTokenResponse>, Status> {
        let operator = operator(&request)?;
        let admin = Admin::check(&operator)?;
        let fields = request.into_inner().try_into()?;
        let created = tenants::create_operator_token(&self.state, &admin, fields).await?;
        Ok(Response::new(created.into()))
    }

    async fn list_operator_tokens(
        &self,
        request: Request<v1::ListOperatorTokensRequest>,
    ) -> Result<Response<v1::ListOperatorTokensResponse>, Status> {
        let operator = operator(&request)?;
        let admin = Admin::check(&operator)?;
        let body = request.into_inner();
        let page = Page::new(body.page_size, &body.page_token)?;
        let (operator_tokens, next_page_token) =
            tenants::list_operator_tokens(&self.state, &admin, body.include_inactive, &page)
                .await?;
        Ok(Response::new(v1::ListOperatorTokensResponse {
            operator_tokens: messages(operator_tokens),
            next_page_token,
        }))
    }

    async fn revoke_operator_token(
        &self,
        request: Request<v1::RevokeOperatorTokenRequest>,
    ) -> Result<Response<v1::RevokeOperatorTokenResponse>, Status> {
        let operator = operator(&request)?;
        let admin = Admin::check(&operator)?;
        let body = request.into_inner();
        let id = required_id("operator_token_id", &body.operator_token_id)?;
        let revoked = tenants::revoke_operator_token(&self.state, &admin, id).await?;
        Ok(Response::new(v1::RevokeOperatorTokenResponse {
            operator_token: Some(revoked.into()),
        }))
    }

    async fn get_caller(
        &self,
        request: Request<v1::GetCallerRequest>,
    ) -> Result<Response<v1::GetCallerResponse>, Status> {
        let operator = operator(&request)?;
        let caller = tenants::get_caller(&self.state, &operator).await?;
        Ok(Response::new(caller.into()))
    }

    async fn list_audit_events(
        &self,
        request: Request<v1::ListAuditEventsRequest>,
    ) -> Result<Response<v1::ListAuditEventsResponse>, Status> {
        let operator = operator(&request)?;
        let body = request.into_inner();
        let page = Page::new(body.page_size, &body.page_token)?;
        let filter = AuditFilter::try_from(body)?;
        let (audit_events, next_page_token) =
            tenants::list_audit_events(&self.state, &operator, &filter, &page).await?;
        Ok(Response::new(v1::ListAuditEventsResponse {
            audit_events: messages(audit_events),
            next_page_token,
        }))
    }

    async fn list_sns_confirmations(
        &self,
        request: Request<v1::ListSnsConfirmationsRequest>,
    ) -> Result<Response<v1::ListSnsConfirmationsResponse>, Status> {
        let operator = operator(&request)?;
        let body = request.into_inner();
        let company_id = required_id("company_id", &body.company_id)?;
        let page = Page::new(body.page_size, &body.page_token)?;
        let (sns_confirmations, next_page_token) =
            tenants::list_sns_confirmations(&self.state, &operator, company_id, &page).await?;
        Ok(Response::new(v1::ListSnsConfirmationsResponse {
            sns_confirmations: messages(sns_confirmations),
            next_page_token,
        }))
    }
}
