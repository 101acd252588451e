//! Operator tokens: the bearer credentials of the API's users, each with a
//! role, optionally limited to some companies and linked to a technician;
//! and the caller's own token (GetCaller).

use std::time::Duration;

use super::technicians::Technician;
use super::{Admin, page_of};
use crate::app::AppState;
use crate::auth::Operator;
use crate::domain::tenant::{Role, validate_name};
use crate::error::{Error, Result};
use crate::secrets::new_operator_token;
use crate::store::tenant::{NewOperatorToken, OperatorTokenRecord, credential_active};
use crate::store::{Page, now_ms};

/// Longest lifetime of an operator token that expires (ten years): later
/// expiries do not fit every client's timestamp type.
const MAX_TOKEN_TTL: Duration = Duration::from_secs(3650 * 24 * 3600);

/// An operator token, without the token itself.
#[derive(Debug, Clone)]
pub struct OperatorToken {
    pub id: String,
    pub name: String,
    /// `None` for a stored role this server does not know.
    pub role: Option<Role>,
    /// The companies it is limited to; empty for all.
    pub company_ids: Vec<String>,
    /// The token's first characters, for display.
    pub prefix: String,
    pub created_at: i64,
    pub expires_at: Option<i64>,
    pub revoked_at: Option<i64>,
    /// The technician it is linked to, if any.
    pub technician_id: Option<String>,
    /// Whether the token authenticates now.
    pub active: bool,
}

impl From<OperatorTokenRecord> for OperatorToken {
    fn from(record: OperatorTokenRecord) -> Self {
        let token = record.token;
        Self {
            active: credential_active(token.revoked_at, token.expires_at, now_ms()),
            role: Role::parse(&token.role),
            id: token.id,
            name: token.name,
            company_ids: record.company_ids,
            prefix: token.prefix,
            created_at: token.created_at,
            expires_at: token.expires_at,
            revoked_at: token.revoked_at,
            technician_id: token.technician_id,
        }
    }
}

/// The fields of a new operator token as asked, validated by
/// [`create_operator_token`].
#[derive(Debug, Clone)]
pub struct OperatorTokenFields {
    pub name: String,
    pub role: Role,
    /// The companies it is limited to; empty for all.
    pub company_ids: Vec<String>,
    /// The technician to link it to; empty for none.
    pub technician_id: String,
    /// How long it is valid; `None` for ever.
    pub ttl: Option<Duration>,
}

/// A new operator token.
#[derive(Debug, Clone)]
pub struct CreatedOperatorToken {
    pub operator_token: OperatorToken,
    /// The token itself, shown only now.
    pub token: String,
}

/// Who is calling: the operator's token and the technician it is linked
/// to, if the operator may see them.
#[derive(Debug, Clone)]
pub struct Caller {
    pub operator_token: OperatorToken,
    pub technician: Option<Technician>,
}

/// Creates an operator token. A token limited to some companies creates
/// only tokens limited to some of them (the store checks which).
pub async fn create_operator_token(
    state: &AppState,
    admin: &Admin<'_>,
    fields: OperatorTokenFields,
) -> Result<CreatedOperatorToken> {
    let name = validate_name("name", &fields.name)?;
    let mut company_ids: Vec<String> = fields
        .company_ids
        .iter()
        .map(|id| id.trim().to_owned())
        .collect();
    company_ids.sort();
    company_ids.dedup();
    if company_ids.is_empty() && !admin.scope().is_all() {
        return Err(Error::invalid(
            "company_ids",
            "a token limited to some companies can only create tokens limited to some of them",
        ));
    }
    if let Some(ttl) = fields.ttl
        && (ttl.is_zero() || ttl > MAX_TOKEN_TTL)
    {
        return Err(Error::invalid(
            "ttl",
            "must be more than 0 and at most 3650 days (omit it for a token that does not expire)",
        ));
    }
    let expires_at = fields
        .ttl
        .map(|ttl| now_ms().saturating_add(i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX)));
    let technician_id = Some(fields.technician_id.trim())
        .filter(|id| !id.is_empty())
        .map(str::to_owned);
    let token = new_operator_token();
    let record = state
        .store
        .create_operator_token(
            &admin.audit("TenantService.CreateOperatorToken"),
            admin.scope(),
            &NewOperatorToken {
                name,
                role: fields.role,
                company_ids,
                technician_id,
                expires_at,
            },
            &token,
        )
        .await?;
    Ok(CreatedOperatorToken {
        operator_token: record.into(),
        token: token.secret,
    })
}

/// One page of the operator tokens the admin may see (the revoked and
/// expired ones too if `include_inactive`), with the next page's token.
pub async fn list_operator_tokens(
    state: &AppState,
    admin: &Admin<'_>,
    include_inactive: bool,
    page: &Page,
) -> Result<(Vec<OperatorToken>, String)> {
    Ok(page_of(
        state
            .store
            .list_operator_tokens(admin.scope(), include_inactive, page)
            .await?,
    ))
}

/// Revokes the operator token `id` at once.
pub async fn revoke_operator_token(
    state: &AppState,
    admin: &Admin<'_>,
    id: &str,
) -> Result<OperatorToken> {
    let record = state
        .store
        .revoke_operator_token(
            &admin.audit("TenantService.RevokeOperatorToken"),
            admin.scope(),
            id,
        )
        .await?;
    Ok(record.into())
}

/// The operator's own token, and its technician if the operator may see them.
pub async fn get_caller(state: &AppState, operator: &Operator) -> Result<Caller> {
    let record = state.store.operator_token(&operator.token_id).await?;
    let technician = match &record.token.technician_id {
        Some(id) => state
            .store
            .visible_technician(&operator.scope, id)
            .await?
            .map(Technician::from),
        None => None,
    };
    Ok(Caller {
        operator_token: record.into(),
        technician,
    })
}
