//! TenantService's messages to and from [`crate::service::tenants`]: the
//! requests' shape checked (required ids, update masks, enum numbers,
//! durations), the service's records and answers as messages.

use std::time::Duration;

use super::super::convert::{
    duration, json_struct, optional_timestamp, required_id, timestamp, timestamp_ms,
};
use crate::domain::tenant::Role;
use crate::error::{Error, Result};
use crate::proto::v1;
use crate::service::tenants::{
    ApiKey, AuditEvent, Caller, Company, CompanyChange, CreatedApiKey, CreatedCompany,
    CreatedOperatorToken, EnabledHmac, HmacSecret, OperatorToken, OperatorTokenFields,
    RotatedApiKey, RotatedHmacSecret, SnsConfirmation, Technician, TechnicianChange,
};
use crate::store::tenant::{AuditFilter, NewCompany, NewTechnician};

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

/// An optional protobuf duration, naming `field` when it is invalid.
pub(super) fn optional_duration(
    field: &str,
    value: Option<&prost_types::Duration>,
) -> Result<Option<Duration>> {
    value.map(|value| duration(field, value)).transpose()
}

/// The changes an UpdateCompany asks for, in the mask's order.
pub(super) fn company_changes(body: &v1::UpdateCompanyRequest) -> Result<Vec<CompanyChange>> {
    let paths = mask_paths(
        body.update_mask.as_ref(),
        &["name", "website", "contact_email"],
    )?;
    Ok(paths
        .into_iter()
        .map(|path| match path {
            "name" => CompanyChange::Name(body.name.clone()),
            "website" => CompanyChange::Website(body.website.clone()),
            _ => CompanyChange::ContactEmail(body.contact_email.clone()),
        })
        .collect())
}

/// The changes an UpdateTechnician asks for, in the mask's order.
pub(super) fn technician_changes(
    body: &v1::UpdateTechnicianRequest,
) -> Result<Vec<TechnicianChange>> {
    let paths = mask_paths(
        body.update_mask.as_ref(),
        &["name", "email", "skills", "on_duty", "slack_member_id"],
    )?;
    Ok(paths
        .into_iter()
        .map(|path| match path {
            "name" => TechnicianChange::Name(body.name.clone()),
            "email" => TechnicianChange::Email(body.email.clone()),
            "skills" => TechnicianChange::Skills(body.skills.clone()),
            "slack_member_id" => TechnicianChange::SlackMemberId(body.slack_member_id.clone()),
            _ => TechnicianChange::OnDuty(body.on_duty),
        })
        .collect())
}

impl From<v1::CreateCompanyRequest> for NewCompany {
    fn from(body: v1::CreateCompanyRequest) -> Self {
        Self {
            name: body.name,
            website: body.website,
            contact_email: body.contact_email,
        }
    }
}

impl TryFrom<v1::CreateTechnicianRequest> for NewTechnician {
    type Error = Error;

    fn try_from(body: v1::CreateTechnicianRequest) -> Result<Self> {
        Ok(Self {
            company_id: required_id("company_id", &body.company_id)?.to_owned(),
            name: body.name,
            email: body.email,
            skills: body.skills,
            on_duty: body.on_duty,
            slack_member_id: body.slack_member_id,
        })
    }
}

impl TryFrom<v1::CreateOperatorTokenRequest> for OperatorTokenFields {
    type Error = Error;

    fn try_from(body: v1::CreateOperatorTokenRequest) -> Result<Self> {
        let role = match v1::OperatorRole::try_from(body.role) {
            Ok(v1::OperatorRole::Admin) => Role::Admin,
            Ok(v1::OperatorRole::Technician) => Role::Technician,
            Ok(v1::OperatorRole::Viewer) => Role::Viewer,
            Ok(v1::OperatorRole::Unspecified) | Err(_) => {
                return Err(Error::invalid(
                    "role",
                    "must be admin, technician or viewer",
                ));
            }
        };
        Ok(Self {
            ttl: optional_duration("ttl", body.ttl.as_ref())?,
            name: body.name,
            role,
            company_ids: body.company_ids,
            technician_id: body.technician_id,
        })
    }
}

impl TryFrom<v1::ListAuditEventsRequest> for AuditFilter {
    type Error = Error;

    fn try_from(body: v1::ListAuditEventsRequest) -> Result<Self> {
        let non_empty = |value: String| Some(value).filter(|v| !v.is_empty());
        Ok(Self {
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
        })
    }
}

impl From<Company> for v1::Company {
    fn from(company: Company) -> Self {
        Self {
            id: company.id,
            name: company.name,
            website: company.website,
            contact_email: company.contact_email,
            hmac_enabled: company.hmac_enabled,
            aws_role: company.aws_role.map(|role| v1::AwsRole {
                role_arn: role.role_arn,
                external_id: role.external_id,
            }),
            create_time: Some(timestamp(company.created_at)),
            update_time: Some(timestamp(company.updated_at)),
        }
    }
}

impl From<ApiKey> for v1::ApiKey {
    fn from(key: ApiKey) -> Self {
        Self {
            id: key.id,
            company_id: key.company_id,
            prefix: key.prefix,
            label: key.label,
            create_time: Some(timestamp(key.created_at)),
            expire_time: optional_timestamp(key.expires_at),
            revoke_time: optional_timestamp(key.revoked_at),
            last_used_time: optional_timestamp(key.last_used_at),
            active: key.active,
        }
    }
}

impl From<HmacSecret> for v1::HmacSecret {
    fn from(secret: HmacSecret) -> Self {
        Self {
            id: secret.id,
            create_time: Some(timestamp(secret.created_at)),
            expire_time: optional_timestamp(secret.expires_at),
        }
    }
}

impl From<Technician> for v1::Technician {
    fn from(technician: Technician) -> Self {
        Self {
            id: technician.id,
            company_id: technician.company_id,
            name: technician.name,
            email: technician.email,
            skills: technician.skills,
            on_duty: technician.on_duty,
            slack_member_id: technician.slack_member_id,
            open_incident_count: technician.open_incident_count,
            create_time: Some(timestamp(technician.created_at)),
            update_time: Some(timestamp(technician.updated_at)),
        }
    }
}

impl From<Role> for v1::OperatorRole {
    fn from(role: Role) -> Self {
        match role {
            Role::Admin => Self::Admin,
            Role::Technician => Self::Technician,
            Role::Viewer => Self::Viewer,
        }
    }
}

impl From<OperatorToken> for v1::OperatorToken {
    fn from(token: OperatorToken) -> Self {
        let role = token
            .role
            .map_or(v1::OperatorRole::Unspecified, v1::OperatorRole::from);
        Self {
            id: token.id,
            name: token.name,
            role: role.into(),
            company_ids: token.company_ids,
            prefix: token.prefix,
            create_time: Some(timestamp(token.created_at)),
            expire_time: optional_timestamp(token.expires_at),
            revoke_time: optional_timestamp(token.revoked_at),
            technician_id: token.technician_id.unwrap_or_default(),
            active: token.active,
        }
    }
}

impl From<AuditEvent> for v1::AuditEvent {
    fn from(event: AuditEvent) -> Self {
        Self {
            details: json_struct(&event.details),
            id: event.id,
            company_id: event.company_id.unwrap_or_default(),
            actor: event.actor,
            action: event.action,
            target_type: event.target_type,
            target_id: event.target_id,
            create_time: Some(timestamp(event.created_at)),
        }
    }
}

impl From<SnsConfirmation> for v1::SnsConfirmation {
    fn from(confirmation: SnsConfirmation) -> Self {
        Self {
            id: confirmation.id,
            company_id: confirmation.company_id,
            topic_arn: confirmation.topic_arn,
            message_type: confirmation.message_type,
            message_id: confirmation.message_id,
            subscribe_url: confirmation.subscribe_url,
            receive_time: Some(timestamp(confirmation.received_at)),
        }
    }
}

impl From<CreatedCompany> for v1::CreateCompanyResponse {
    fn from(created: CreatedCompany) -> Self {
        Self {
            company: Some(created.company.into()),
            api_key: Some(created.api_key.into()),
            api_key_secret: created.api_key_secret,
        }
    }
}

impl From<CreatedApiKey> for v1::CreateApiKeyResponse {
    fn from(created: CreatedApiKey) -> Self {
        Self {
            api_key: Some(created.api_key.into()),
            api_key_secret: created.secret,
        }
    }
}

impl From<RotatedApiKey> for v1::RotateApiKeyResponse {
    fn from(rotated: RotatedApiKey) -> Self {
        Self {
            api_key: Some(rotated.api_key.into()),
            api_key_secret: rotated.secret,
            previous_api_key: Some(rotated.previous.into()),
        }
    }
}

impl From<EnabledHmac> for v1::EnableHmacResponse {
    fn from(enabled: EnabledHmac) -> Self {
        Self {
            company: Some(enabled.company.into()),
            hmac_secret: Some(enabled.hmac_secret.into()),
            secret: enabled.secret,
        }
    }
}

impl From<RotatedHmacSecret> for v1::RotateHmacSecretResponse {
    fn from(rotated: RotatedHmacSecret) -> Self {
        Self {
            hmac_secret: Some(rotated.hmac_secret.into()),
            secret: rotated.secret,
            active_secrets: messages(rotated.active),
        }
    }
}

impl From<CreatedOperatorToken> for v1::CreateOperatorTokenResponse {
    fn from(created: CreatedOperatorToken) -> Self {
        Self {
            operator_token: Some(created.operator_token.into()),
            token: created.token,
        }
    }
}

impl From<Caller> for v1::GetCallerResponse {
    fn from(caller: Caller) -> Self {
        Self {
            operator_token: Some(caller.operator_token.into()),
            technician: caller.technician.map(v1::Technician::from),
        }
    }
}

/// The service's records as messages.
pub(super) fn messages<Record, Message: From<Record>>(records: Vec<Record>) -> Vec<Message> {
    records.into_iter().map(Message::from).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn update_mask_keeps_its_order_and_names_unknown_fields() {
        let mut body = v1::UpdateCompanyRequest {
            name: "Acme".to_owned(),
            contact_email: "ops@acme.test".to_owned(),
            update_mask: Some(prost_types::FieldMask {
                paths: vec!["contact_email".to_owned(), "name".to_owned()],
            }),
            ..Default::default()
        };
        let changes = company_changes(&body).expect("known fields");
        assert!(matches!(
            changes.as_slice(),
            [CompanyChange::ContactEmail(email), CompanyChange::Name(name)]
                if email == "ops@acme.test" && name == "Acme"
        ));
        body.update_mask = None;
        assert_eq!(company_changes(&body).expect("every field").len(), 3);
        body.update_mask = Some(prost_types::FieldMask {
            paths: vec!["hmac_enabled".to_owned()],
        });
        let error = company_changes(&body).expect_err("unknown field");
        assert!(error.to_string().starts_with("update_mask"), "{error}");
    }

    #[test]
    fn operator_roles_convert_both_ways() {
        for role in [Role::Admin, Role::Technician, Role::Viewer] {
            let body = v1::CreateOperatorTokenRequest {
                role: v1::OperatorRole::from(role).into(),
                ..Default::default()
            };
            let fields = OperatorTokenFields::try_from(body).expect("a role");
            assert_eq!(fields.role, role);
        }
        for number in [v1::OperatorRole::Unspecified as i32, 99] {
            let body = v1::CreateOperatorTokenRequest {
                role: number,
                ..Default::default()
            };
            let error = OperatorTokenFields::try_from(body).expect_err("no role");
            assert!(error.to_string().starts_with("role"), "{error}");
        }
    }
}
