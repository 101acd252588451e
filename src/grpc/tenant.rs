//! TenantService: companies, API keys, HMAC secrets, AWS roles, technicians,
//! operator tokens and the audit log.

use crate::owner::command::Reload;
use crate::store::ScopedCompany;
use tonic::{Request, Response, Status};

use super::convert::{
    duration, duration_ms, json_struct, optional_timestamp, required_id, timestamp, timestamp_ms,
};
use super::operator;
use crate::app::AppState;
use crate::domain::tenant::{
    Role, rotation_overlap, validate_aws_role, validate_email, validate_name, validate_skills,
    validate_slack_member_id, validate_website,
};
use crate::error::{Error, Result};
use crate::proto::v1::{self, tenant_service_server::TenantService};
use crate::secrets::{new_api_key, new_hmac_secret, new_operator_token};
use crate::store::entity::{api_key, audit_event, company, hmac_secret, technician};
use crate::store::tenant::{
    Audit, AuditFilter, CompanyChanges, NewCompany, NewOperatorToken, NewTechnician,
    OperatorTokenRecord, TechnicianChanges, credential_active,
};
use crate::store::{Page, new_id, now_ms};

/// Longest lifetime of an operator token that expires (ten years): later
/// expiries do not fit every client's timestamp type.
const MAX_TOKEN_TTL: std::time::Duration = std::time::Duration::from_secs(3650 * 24 * 3600);

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

fn company_message(model: company::Model) -> v1::Company {
    let aws_role = match (model.aws_role_arn, model.aws_external_id) {
        (Some(role_arn), Some(external_id)) => Some(v1::AwsRole {
            role_arn,
            external_id,
        }),
        _ => None,
    };
    v1::Company {
        id: model.id,
        name: model.name,
        website: model.website,
        contact_email: model.contact_email,
        hmac_enabled: model.hmac_enabled,
        aws_role,
        create_time: Some(timestamp(model.created_at)),
        update_time: Some(timestamp(model.updated_at)),
    }
}

fn api_key_message(model: api_key::Model) -> v1::ApiKey {
    let active = credential_active(model.revoked_at, model.expires_at, now_ms());
    v1::ApiKey {
        id: model.id,
        company_id: model.company_id,
        prefix: model.prefix,
        label: model.label,
        create_time: Some(timestamp(model.created_at)),
        expire_time: optional_timestamp(model.expires_at),
        revoke_time: optional_timestamp(model.revoked_at),
        last_used_time: optional_timestamp(model.last_used_at),
        active,
    }
}

fn hmac_secret_message(model: &hmac_secret::Model) -> v1::HmacSecret {
    v1::HmacSecret {
        id: model.id.clone(),
        create_time: Some(timestamp(model.created_at)),
        expire_time: optional_timestamp(model.expires_at),
    }
}

fn technician_message(model: technician::Model) -> v1::Technician {
    v1::Technician {
        skills: serde_json::from_str(&model.skills).unwrap_or_default(),
        id: model.id,
        company_id: model.company_id,
        name: model.name,
        email: model.email,
        on_duty: model.on_duty,
        slack_member_id: model.slack_member_id,
        open_incident_count: model.open_incident_count,
        create_time: Some(timestamp(model.created_at)),
        update_time: Some(timestamp(model.updated_at)),
    }
}

fn role_message(role: Role) -> v1::OperatorRole {
    match role {
        Role::Admin => v1::OperatorRole::Admin,
        Role::Technician => v1::OperatorRole::Technician,
        Role::Viewer => v1::OperatorRole::Viewer,
    }
}

fn operator_token_message(record: OperatorTokenRecord) -> v1::OperatorToken {
    let token = record.token;
    let role = Role::parse(&token.role).map_or(v1::OperatorRole::Unspecified, role_message);
    v1::OperatorToken {
        active: credential_active(token.revoked_at, token.expires_at, now_ms()),
        id: token.id,
        name: token.name,
        role: role.into(),
        company_ids: record.company_ids,
        prefix: token.prefix,
        create_time: Some(timestamp(token.created_at)),
        expire_time: optional_timestamp(token.expires_at),
        revoke_time: optional_timestamp(token.revoked_at),
        technician_id: token.technician_id.unwrap_or_default(),
    }
}

fn audit_event_message(model: audit_event::Model) -> v1::AuditEvent {
    v1::AuditEvent {
        details: json_struct(&model.details),
        id: model.id,
        company_id: model.company_id.unwrap_or_default(),
        actor: model.actor,
        action: model.action,
        target_type: model.target_type,
        target_id: model.target_id,
        create_time: Some(timestamp(model.created_at)),
    }
}

/// The paths of an update mask, or every updatable field when it is empty.
fn mask_paths<'a>(
    mask: Option<&'a prost_types::FieldMask>,
    allowed: &'a [&'a str],
) -> Result<Vec<&'a str>> {
    let paths: Vec<&str> = match mask {
        Some(mask) if !mask.paths.is_empty() => mask.paths.iter().map(String::as_str).collect(),
        _ => return Ok(allowed.to_vec()),
    };
    for path in &paths {
        if !allowed.contains(path) {
            return Err(Error::invalid(
                "update_mask",
                format!("unknown field {path:?}; allowed: {}", allowed.join(", ")),
            ));
        }
    }
    Ok(paths)
}

fn overlap_ms(overlap: Option<&prost_types::Duration>) -> Result<i64> {
    let requested = overlap
        .map(|value| duration("overlap", value))
        .transpose()?;
    Ok(duration_ms(rotation_overlap(requested)?))
}

fn audit(operator: &crate::auth::Operator, action: &'static str) -> Audit {
    Audit::new(operator.actor(), action)
}

#[tonic::async_trait]
impl TenantService for TenantHandler {
    async fn create_company(
        &self,
        request: Request<v1::CreateCompanyRequest>,
    ) -> Result<Response<v1::CreateCompanyResponse>, Status> {
        let operator = operator(&request)?;
        operator.require_unlimited_admin()?;
        let body = request.into_inner();
        let new = NewCompany {
            name: validate_name("name", &body.name)?,
            website: validate_website(&body.website)?,
            contact_email: validate_email("contact_email", &body.contact_email, false)?,
        };
        let key = new_api_key();
        let (company, api_key) = self
            .state
            .store
            .create_company(&audit(&operator, "TenantService.CreateCompany"), new, &key)
            .await?;
        tracing::info!(company_id = %company.id, "company created");
        Ok(Response::new(v1::CreateCompanyResponse {
            company: Some(company_message(company)),
            api_key: Some(api_key_message(api_key)),
            api_key_secret: key.secret,
        }))
    }

    async fn get_company(
        &self,
        request: Request<v1::GetCompanyRequest>,
    ) -> Result<Response<v1::GetCompanyResponse>, Status> {
        let operator = operator(&request)?;
        let body = request.into_inner();
        let id = required_id("company_id", &body.company_id)?;
        let company = self.state.store.get_company(&operator.scope, id).await?;
        Ok(Response::new(v1::GetCompanyResponse {
            company: Some(company_message(company)),
        }))
    }

    async fn list_companies(
        &self,
        request: Request<v1::ListCompaniesRequest>,
    ) -> Result<Response<v1::ListCompaniesResponse>, Status> {
        let operator = operator(&request)?;
        let body = request.into_inner();
        let page = Page::new(body.page_size, &body.page_token)?;
        // No name is longer, and SQLite refuses LIKE patterns beyond 50,000
        // bytes: a longer filter is the caller's mistake, not a server error.
        if body.name_contains.trim().chars().count() > crate::domain::tenant::MAX_NAME_LEN {
            return Err(Error::invalid(
                "name_contains",
                format!(
                    "at most {} characters (a company name's limit)",
                    crate::domain::tenant::MAX_NAME_LEN
                ),
            )
            .into());
        }
        let (rows, next_page_token) = self
            .state
            .store
            .list_companies(&operator.scope, &page, body.name_contains.trim())
            .await?;
        Ok(Response::new(v1::ListCompaniesResponse {
            companies: rows.into_iter().map(company_message).collect(),
            next_page_token,
        }))
    }

    async fn update_company(
        &self,
        request: Request<v1::UpdateCompanyRequest>,
    ) -> Result<Response<v1::UpdateCompanyResponse>, Status> {
        let operator = operator(&request)?;
        operator.require(Role::Admin)?;
        let body = request.into_inner();
        let id = required_id("company_id", &body.company_id)?;
        let mut changes = CompanyChanges::default();
        for path in mask_paths(
            body.update_mask.as_ref(),
            &["name", "website", "contact_email"],
        )? {
            match path {
                "name" => changes.name = Some(validate_name("name", &body.name)?),
                "website" => changes.website = Some(validate_website(&body.website)?),
                _ => {
                    changes.contact_email =
                        Some(validate_email("contact_email", &body.contact_email, false)?);
                }
            }
        }
        let company = self
            .state
            .store
            .update_company(
                &audit(&operator, "TenantService.UpdateCompany"),
                &operator.scope,
                id,
                changes,
            )
            .await?;
        Ok(Response::new(v1::UpdateCompanyResponse {
            company: Some(company_message(company)),
        }))
    }

    async fn delete_company(
        &self,
        request: Request<v1::DeleteCompanyRequest>,
    ) -> Result<Response<v1::DeleteCompanyResponse>, Status> {
        let operator = operator(&request)?;
        operator.require(Role::Admin)?;
        let body = request.into_inner();
        let id = required_id("company_id", &body.company_id)?;
        self.state
            .store
            .delete_company(
                &audit(&operator, "TenantService.DeleteCompany"),
                &operator.scope,
                id,
            )
            .await?;
        self.state.ingest.invalidate_company(id);
        self.state
            .owners
            .release_company(&ScopedCompany::system(id.to_owned()))
            .await?;
        tracing::info!(company_id = %id, "company deleted");
        Ok(Response::new(v1::DeleteCompanyResponse {}))
    }

    async fn create_api_key(
        &self,
        request: Request<v1::CreateApiKeyRequest>,
    ) -> Result<Response<v1::CreateApiKeyResponse>, Status> {
        let operator = operator(&request)?;
        operator.require(Role::Admin)?;
        let body = request.into_inner();
        let company_id = required_id("company_id", &body.company_id)?;
        let label = if body.label.trim().is_empty() {
            String::new()
        } else {
            validate_name("label", &body.label)?
        };
        let key = new_api_key();
        let created = self
            .state
            .store
            .create_api_key(
                &audit(&operator, "TenantService.CreateApiKey"),
                &operator.scope,
                company_id,
                &label,
                &key,
            )
            .await?;
        Ok(Response::new(v1::CreateApiKeyResponse {
            api_key: Some(api_key_message(created)),
            api_key_secret: key.secret,
        }))
    }

    async fn list_api_keys(
        &self,
        request: Request<v1::ListApiKeysRequest>,
    ) -> Result<Response<v1::ListApiKeysResponse>, Status> {
        let operator = operator(&request)?;
        let body = request.into_inner();
        let company_id = required_id("company_id", &body.company_id)?;
        let page = Page::new(body.page_size, &body.page_token)?;
        let (rows, next_page_token) = self
            .state
            .store
            .list_api_keys(&operator.scope, company_id, &page, body.include_inactive)
            .await?;
        Ok(Response::new(v1::ListApiKeysResponse {
            api_keys: rows.into_iter().map(api_key_message).collect(),
            next_page_token,
        }))
    }

    async fn revoke_api_key(
        &self,
        request: Request<v1::RevokeApiKeyRequest>,
    ) -> Result<Response<v1::RevokeApiKeyResponse>, Status> {
        let operator = operator(&request)?;
        operator.require(Role::Admin)?;
        let body = request.into_inner();
        let company_id = required_id("company_id", &body.company_id)?;
        let key_id = required_id("api_key_id", &body.api_key_id)?;
        let revoked = self
            .state
            .store
            .revoke_api_key(
                &audit(&operator, "TenantService.RevokeApiKey"),
                &operator.scope,
                company_id,
                key_id,
            )
            .await?;
        self.state.ingest.invalidate_company(company_id);
        Ok(Response::new(v1::RevokeApiKeyResponse {
            api_key: Some(api_key_message(revoked)),
        }))
    }

    async fn rotate_api_key(
        &self,
        request: Request<v1::RotateApiKeyRequest>,
    ) -> Result<Response<v1::RotateApiKeyResponse>, Status> {
        let operator = operator(&request)?;
        operator.require(Role::Admin)?;
        let body = request.into_inner();
        let company_id = required_id("company_id", &body.company_id)?;
        let key_id = required_id("api_key_id", &body.api_key_id)?;
        let overlap = overlap_ms(body.overlap.as_ref())?;
        let key = new_api_key();
        let (created, previous) = self
            .state
            .store
            .rotate_api_key(
                &audit(&operator, "TenantService.RotateApiKey"),
                &operator.scope,
                company_id,
                key_id,
                overlap,
                &key,
            )
            .await?;
        self.state.ingest.invalidate_company(company_id);
        Ok(Response::new(v1::RotateApiKeyResponse {
            api_key: Some(api_key_message(created)),
            api_key_secret: key.secret,
            previous_api_key: Some(api_key_message(previous)),
        }))
    }

    async fn enable_hmac(
        &self,
        request: Request<v1::EnableHmacRequest>,
    ) -> Result<Response<v1::EnableHmacResponse>, Status> {
        let operator = operator(&request)?;
        operator.require(Role::Admin)?;
        let body = request.into_inner();
        let company_id = required_id("company_id", &body.company_id)?;
        // Checked before the secret is kept anywhere: a company outside the
        // caller's scope, or one whose secret would be replaced, is refused
        // before Secrets Manager is written (the store checks again).
        let current = self
            .state
            .store
            .get_company(&operator.scope, company_id)
            .await?;
        if current.hmac_enabled {
            return Err(Error::FailedPrecondition(
                "hmac is already enabled; use RotateHmacSecret for a new secret".to_owned(),
            )
            .into());
        }
        let secret = new_hmac_secret();
        let id = new_id();
        let material = self
            .state
            .ingest
            .seal_hmac_secret(company_id, &id, &secret, &[], &[])
            .await?;
        let (company, stored) = self
            .state
            .store
            .enable_hmac(
                &audit(&operator, "TenantService.EnableHmac"),
                &operator.scope,
                company_id,
                &id,
                material,
            )
            .await?;
        self.state.ingest.invalidate_company(company_id);
        Ok(Response::new(v1::EnableHmacResponse {
            company: Some(company_message(company)),
            hmac_secret: Some(hmac_secret_message(&stored)),
            secret,
        }))
    }

    async fn rotate_hmac_secret(
        &self,
        request: Request<v1::RotateHmacSecretRequest>,
    ) -> Result<Response<v1::RotateHmacSecretResponse>, Status> {
        let operator = operator(&request)?;
        operator.require(Role::Admin)?;
        let body = request.into_inner();
        let company_id = required_id("company_id", &body.company_id)?;
        let overlap = overlap_ms(body.overlap.as_ref())?;
        let current = self
            .state
            .store
            .get_company(&operator.scope, company_id)
            .await?;
        if !current.hmac_enabled {
            return Err(Error::FailedPrecondition(
                "hmac is not enabled; use EnableHmac first".to_owned(),
            )
            .into());
        }
        // The newest secret verifies on through the overlap: the new version
        // of a Secrets Manager secret keeps it (and drops what ended).
        let listed: Vec<String> = self
            .state
            .store
            .active_hmac_secrets(company_id)
            .await?
            .into_iter()
            .map(|secret| secret.id)
            .collect();
        let keep = &listed[..listed.len().min(1)];
        let secret = new_hmac_secret();
        let id = new_id();
        let material = self
            .state
            .ingest
            .seal_hmac_secret(company_id, &id, &secret, keep, &listed)
            .await?;
        let (stored, active) = self
            .state
            .store
            .rotate_hmac_secret(
                &audit(&operator, "TenantService.RotateHmacSecret"),
                &operator.scope,
                company_id,
                overlap,
                &id,
                material,
            )
            .await?;
        self.state.ingest.invalidate_company(company_id);
        Ok(Response::new(v1::RotateHmacSecretResponse {
            hmac_secret: Some(hmac_secret_message(&stored)),
            secret,
            active_secrets: active.iter().map(hmac_secret_message).collect(),
        }))
    }

    async fn disable_hmac(
        &self,
        request: Request<v1::DisableHmacRequest>,
    ) -> Result<Response<v1::DisableHmacResponse>, Status> {
        let operator = operator(&request)?;
        operator.require(Role::Admin)?;
        let body = request.into_inner();
        let company_id = required_id("company_id", &body.company_id)?;
        self.state
            .store
            .get_company(&operator.scope, company_id)
            .await?;
        let had_aws = self
            .state
            .store
            .active_hmac_secrets(company_id)
            .await?
            .iter()
            .any(|secret| secret.secret_arn.is_some());
        let company = self
            .state
            .store
            .disable_hmac(
                &audit(&operator, "TenantService.DisableHmac"),
                &operator.scope,
                company_id,
            )
            .await?;
        self.state.ingest.invalidate_company(company_id);
        // HMAC is off at this point whatever follows; a secret that cannot
        // be cleared now is cleared by calling DisableHmac again.
        self.state
            .ingest
            .clear_hmac_secrets(company_id, had_aws)
            .await?;
        Ok(Response::new(v1::DisableHmacResponse {
            company: Some(company_message(company)),
        }))
    }

    async fn set_aws_role(
        &self,
        request: Request<v1::SetAwsRoleRequest>,
    ) -> Result<Response<v1::SetAwsRoleResponse>, Status> {
        let operator = operator(&request)?;
        operator.require(Role::Admin)?;
        let body = request.into_inner();
        let company_id = required_id("company_id", &body.company_id)?;
        let role = validate_aws_role(&body.role_arn, &body.external_id)?;
        let company = self
            .state
            .store
            .set_aws_role(
                &audit(&operator, "TenantService.SetAwsRole"),
                &operator.scope,
                company_id,
                role,
            )
            .await?;
        Ok(Response::new(v1::SetAwsRoleResponse {
            company: Some(company_message(company)),
        }))
    }

    async fn create_technician(
        &self,
        request: Request<v1::CreateTechnicianRequest>,
    ) -> Result<Response<v1::CreateTechnicianResponse>, Status> {
        let operator = operator(&request)?;
        operator.require(Role::Admin)?;
        let body = request.into_inner();
        let new = NewTechnician {
            company_id: required_id("company_id", &body.company_id)?.to_owned(),
            name: validate_name("name", &body.name)?,
            email: validate_email("email", &body.email, true)?,
            skills: validate_skills(&body.skills)?,
            on_duty: body.on_duty,
            slack_member_id: validate_slack_member_id(&body.slack_member_id)?,
        };
        let created = self
            .state
            .store
            .create_technician(
                &audit(&operator, "TenantService.CreateTechnician"),
                &operator.scope,
                new,
            )
            .await?;
        self.state
            .owners
            .reload_company(
                &ScopedCompany::system(created.company_id.clone()),
                Reload::Technicians,
            )
            .await?;
        Ok(Response::new(v1::CreateTechnicianResponse {
            technician: Some(technician_message(created)),
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
        let (rows, next_page_token) = self
            .state
            .store
            .list_technicians(&operator.scope, company_id, body.on_duty_only, &page)
            .await?;
        Ok(Response::new(v1::ListTechniciansResponse {
            technicians: rows.into_iter().map(technician_message).collect(),
            next_page_token,
        }))
    }

    async fn update_technician(
        &self,
        request: Request<v1::UpdateTechnicianRequest>,
    ) -> Result<Response<v1::UpdateTechnicianResponse>, Status> {
        let operator = operator(&request)?;
        operator.require(Role::Admin)?;
        let body = request.into_inner();
        let id = required_id("technician_id", &body.technician_id)?;
        let mut changes = TechnicianChanges::default();
        for path in mask_paths(
            body.update_mask.as_ref(),
            &["name", "email", "skills", "on_duty", "slack_member_id"],
        )? {
            match path {
                "name" => changes.name = Some(validate_name("name", &body.name)?),
                "email" => changes.email = Some(validate_email("email", &body.email, true)?),
                "skills" => changes.skills = Some(validate_skills(&body.skills)?),
                "slack_member_id" => {
                    changes.slack_member_id =
                        Some(validate_slack_member_id(&body.slack_member_id)?);
                }
                _ => changes.on_duty = Some(body.on_duty),
            }
        }
        let updated = self
            .state
            .store
            .update_technician(
                &audit(&operator, "TenantService.UpdateTechnician"),
                &operator.scope,
                id,
                changes,
            )
            .await?;
        self.state
            .owners
            .reload_company(
                &ScopedCompany::system(updated.company_id.clone()),
                Reload::Technicians,
            )
            .await?;
        Ok(Response::new(v1::UpdateTechnicianResponse {
            technician: Some(technician_message(updated)),
        }))
    }

    async fn delete_technician(
        &self,
        request: Request<v1::DeleteTechnicianRequest>,
    ) -> Result<Response<v1::DeleteTechnicianResponse>, Status> {
        let operator = operator(&request)?;
        operator.require(Role::Admin)?;
        let body = request.into_inner();
        let id = required_id("technician_id", &body.technician_id)?;
        let company = self
            .state
            .store
            .delete_technician(
                &audit(&operator, "TenantService.DeleteTechnician"),
                &operator.scope,
                id,
            )
            .await?;
        self.state
            .owners
            .reload_company(&company, Reload::Technicians)
            .await?;
        Ok(Response::new(v1::DeleteTechnicianResponse {}))
    }

    async fn create_operator_token(
        &self,
        request: Request<v1::CreateOperatorTokenRequest>,
    ) -> Result<Response<v1::CreateOperatorTokenResponse>, Status> {
        let operator = operator(&request)?;
        operator.require(Role::Admin)?;
        let body = request.into_inner();
        let name = validate_name("name", &body.name)?;
        let role = match v1::OperatorRole::try_from(body.role) {
            Ok(v1::OperatorRole::Admin) => Role::Admin,
            Ok(v1::OperatorRole::Technician) => Role::Technician,
            Ok(v1::OperatorRole::Viewer) => Role::Viewer,
            Ok(v1::OperatorRole::Unspecified) | Err(_) => {
                return Err(Error::invalid("role", "must be admin, technician or viewer").into());
            }
        };
        let mut company_ids: Vec<String> = body
            .company_ids
            .iter()
            .map(|id| id.trim().to_owned())
            .collect();
        company_ids.sort();
        company_ids.dedup();
        if company_ids.is_empty() && !operator.scope.is_all() {
            return Err(Error::invalid(
                "company_ids",
                "a token limited to some companies can only create tokens limited to some of them",
            )
            .into());
        }
        let ttl = body
            .ttl
            .as_ref()
            .map(|ttl| duration("ttl", ttl))
            .transpose()?;
        if let Some(ttl) = ttl
            && (ttl.is_zero() || ttl > MAX_TOKEN_TTL)
        {
            return Err(Error::invalid(
                "ttl",
                "must be more than 0 and at most 3650 days (omit it for a token that does not expire)",
            )
            .into());
        }
        let expires_at = ttl.map(|ttl| now_ms().saturating_add(duration_ms(ttl)));
        let technician_id = Some(body.technician_id.trim())
            .filter(|id| !id.is_empty())
            .map(str::to_owned);
        let token = new_operator_token();
        let record = self
            .state
            .store
            .create_operator_token(
                &audit(&operator, "TenantService.CreateOperatorToken"),
                &operator.scope,
                &NewOperatorToken {
                    name,
                    role,
                    company_ids,
                    technician_id,
                    expires_at,
                },
                &token,
            )
            .await?;
        Ok(Response::new(v1::CreateOperatorTokenResponse {
            operator_token: Some(operator_token_message(record)),
            token: token.secret,
        }))
    }

    async fn list_operator_tokens(
        &self,
        request: Request<v1::ListOperatorTokensRequest>,
    ) -> Result<Response<v1::ListOperatorTokensResponse>, Status> {
        let operator = operator(&request)?;
        operator.require(Role::Admin)?;
        let body = request.into_inner();
        let page = Page::new(body.page_size, &body.page_token)?;
        let (records, next_page_token) = self
            .state
            .store
            .list_operator_tokens(&operator.scope, body.include_inactive, &page)
            .await?;
        Ok(Response::new(v1::ListOperatorTokensResponse {
            operator_tokens: records.into_iter().map(operator_token_message).collect(),
            next_page_token,
        }))
    }

    async fn revoke_operator_token(
        &self,
        request: Request<v1::RevokeOperatorTokenRequest>,
    ) -> Result<Response<v1::RevokeOperatorTokenResponse>, Status> {
        let operator = operator(&request)?;
        operator.require(Role::Admin)?;
        let body = request.into_inner();
        let id = required_id("operator_token_id", &body.operator_token_id)?;
        let record = self
            .state
            .store
            .revoke_operator_token(
                &audit(&operator, "TenantService.RevokeOperatorToken"),
                &operator.scope,
                id,
            )
            .await?;
        Ok(Response::new(v1::RevokeOperatorTokenResponse {
            operator_token: Some(operator_token_message(record)),
        }))
    }

    async fn get_caller(
        &self,
        request: Request<v1::GetCallerRequest>,
    ) -> Result<Response<v1::GetCallerResponse>, Status> {
        let operator = operator(&request)?;
        let record = self.state.store.operator_token(&operator.token_id).await?;
        let technician = match &record.token.technician_id {
            Some(id) => self
                .state
                .store
                .visible_technician(&operator.scope, id)
                .await?
                .map(technician_message),
            None => None,
        };
        Ok(Response::new(v1::GetCallerResponse {
            operator_token: Some(operator_token_message(record)),
            technician,
        }))
    }

    async fn list_audit_events(
        &self,
        request: Request<v1::ListAuditEventsRequest>,
    ) -> Result<Response<v1::ListAuditEventsResponse>, Status> {
        let operator = operator(&request)?;
        let body = request.into_inner();
        let page = Page::new(body.page_size, &body.page_token)?;
        let non_empty = |value: String| Some(value).filter(|v| !v.is_empty());
        let filter = AuditFilter {
            company_id: non_empty(body.company_id),
            action: non_empty(body.action),
            actor: non_empty(body.actor),
            start_ms: body
                .start_time
                .as_ref()
                .map(|t| timestamp_ms("start_time", t))
                .transpose()?,
            end_ms: body
                .end_time
                .as_ref()
                .map(|t| timestamp_ms("end_time", t))
                .transpose()?,
        };
        let (rows, next_page_token) = self
            .state
            .store
            .list_audit_events(&operator.scope, &filter, &page)
            .await?;
        Ok(Response::new(v1::ListAuditEventsResponse {
            audit_events: rows.into_iter().map(audit_event_message).collect(),
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
        let (rows, next_page_token) = self
            .state
            .store
            .list_sns_confirmations(&operator.scope, company_id, &page)
            .await?;
        Ok(Response::new(v1::ListSnsConfirmationsResponse {
            sns_confirmations: rows
                .into_iter()
                .map(|row| v1::SnsConfirmation {
                    id: row.id,
                    company_id: row.company_id,
                    topic_arn: row.topic_arn,
                    message_type: row.message_type,
                    message_id: row.message_id,
                    subscribe_url: row.subscribe_url,
                    receive_time: Some(timestamp(row.received_at)),
                })
                .collect(),
            next_page_token,
        }))
    }
}
