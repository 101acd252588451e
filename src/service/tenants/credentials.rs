//! A company's ingest credentials: API keys (created, listed, revoked,
//! rotated with an overlap) and the HMAC secrets that sign its webhooks
//! (enabled, rotated with an overlap, disabled). A secret is generated here,
//! answered once and kept only sealed (encrypted, or in AWS Secrets
//! Manager); every change drops what the ingest path cached of the company.

use std::time::Duration;

use super::companies::Company;
use super::{Admin, page_of};
use crate::app::AppState;
use crate::auth::Operator;
use crate::domain::tenant::{rotation_overlap, validate_name};
use crate::error::{Error, Result};
use crate::secrets::{new_api_key, new_hmac_secret};
use crate::store::entity::{api_key, hmac_secret};
use crate::store::tenant::credential_active;
use crate::store::{Page, new_id, now_ms};

/// An API key of a company, without the key itself.
#[derive(Debug, Clone)]
pub struct ApiKey {
    pub id: String,
    pub company_id: String,
    /// The key's first characters, for display.
    pub prefix: String,
    pub label: String,
    pub created_at: i64,
    /// End of validity (a rotated key's overlap).
    pub expires_at: Option<i64>,
    pub revoked_at: Option<i64>,
    /// Last ingest with the key, to the minute.
    pub last_used_at: Option<i64>,
    /// Whether the key authenticates now.
    pub active: bool,
}

impl From<api_key::Model> for ApiKey {
    fn from(model: api_key::Model) -> Self {
        Self {
            active: credential_active(model.revoked_at, model.expires_at, now_ms()),
            id: model.id,
            company_id: model.company_id,
            prefix: model.prefix,
            label: model.label,
            created_at: model.created_at,
            expires_at: model.expires_at,
            revoked_at: model.revoked_at,
            last_used_at: model.last_used_at,
        }
    }
}

/// An HMAC secret of a company, without the secret itself.
#[derive(Debug, Clone)]
pub struct HmacSecret {
    pub id: String,
    pub created_at: i64,
    /// End of validity (a rotated secret's overlap).
    pub expires_at: Option<i64>,
}

impl From<hmac_secret::Model> for HmacSecret {
    fn from(model: hmac_secret::Model) -> Self {
        Self {
            id: model.id,
            created_at: model.created_at,
            expires_at: model.expires_at,
        }
    }
}

/// A new API key.
#[derive(Debug, Clone)]
pub struct CreatedApiKey {
    pub api_key: ApiKey,
    /// The key itself, shown only now.
    pub secret: String,
}

/// A rotated API key: the new key and the previous one, which expires at
/// the end of the overlap.
#[derive(Debug, Clone)]
pub struct RotatedApiKey {
    pub api_key: ApiKey,
    /// The new key itself, shown only now.
    pub secret: String,
    pub previous: ApiKey,
}

/// A company that now requires signed webhooks, with its first secret.
#[derive(Debug, Clone)]
pub struct EnabledHmac {
    pub company: Company,
    pub hmac_secret: HmacSecret,
    /// The secret itself, shown only now.
    pub secret: String,
}

/// A new HMAC secret and every secret that verifies signatures now.
#[derive(Debug, Clone)]
pub struct RotatedHmacSecret {
    pub hmac_secret: HmacSecret,
    /// The secret itself, shown only now.
    pub secret: String,
    /// The active secrets, the new one among them.
    pub active: Vec<HmacSecret>,
}

/// The overlap of a rotation in ms: `requested`, or the default.
fn overlap_ms(requested: Option<Duration>) -> Result<i64> {
    let overlap = rotation_overlap(requested)?;
    Ok(i64::try_from(overlap.as_millis()).unwrap_or(i64::MAX))
}

/// Creates an API key labelled `label` (may be empty) for the company.
pub async fn create_api_key(
    state: &AppState,
    admin: &Admin<'_>,
    company_id: &str,
    label: &str,
) -> Result<CreatedApiKey> {
    let label = if label.trim().is_empty() {
        String::new()
    } else {
        validate_name("label", label)?
    };
    let key = new_api_key();
    let created = state
        .store
        .create_api_key(
            &admin.audit("TenantService.CreateApiKey"),
            admin.scope(),
            company_id,
            &label,
            &key,
        )
        .await?;
    Ok(CreatedApiKey {
        api_key: created.into(),
        secret: key.secret,
    })
}

/// One page of the company's API keys (the revoked and expired ones too if
/// `include_inactive`), with the next page's token.
pub async fn list_api_keys(
    state: &AppState,
    operator: &Operator,
    company_id: &str,
    page: &Page,
    include_inactive: bool,
) -> Result<(Vec<ApiKey>, String)> {
    Ok(page_of(
        state
            .store
            .list_api_keys(&operator.scope, company_id, page, include_inactive)
            .await?,
    ))
}

/// Revokes the company's API key `key_id` at once.
pub async fn revoke_api_key(
    state: &AppState,
    admin: &Admin<'_>,
    company_id: &str,
    key_id: &str,
) -> Result<ApiKey> {
    let revoked = state
        .store
        .revoke_api_key(
            &admin.audit("TenantService.RevokeApiKey"),
            admin.scope(),
            company_id,
            key_id,
        )
        .await?;
    state.ingest.invalidate_company(company_id);
    Ok(revoked.into())
}

/// Replaces the company's API key `key_id` by a new one; the old key
/// authenticates on through `overlap` (default one day).
pub async fn rotate_api_key(
    state: &AppState,
    admin: &Admin<'_>,
    company_id: &str,
    key_id: &str,
    overlap: Option<Duration>,
) -> Result<RotatedApiKey> {
    let overlap = overlap_ms(overlap)?;
    let key = new_api_key();
    let (created, previous) = state
        .store
        .rotate_api_key(
            &admin.audit("TenantService.RotateApiKey"),
            admin.scope(),
            company_id,
            key_id,
            overlap,
            &key,
        )
        .await?;
    state.ingest.invalidate_company(company_id);
    Ok(RotatedApiKey {
        api_key: created.into(),
        secret: key.secret,
        previous: previous.into(),
    })
}

/// Has the company's webhooks signed with a new HMAC secret
/// (FAILED_PRECONDITION if they already are).
pub async fn enable_hmac(
    state: &AppState,
    admin: &Admin<'_>,
    company_id: &str,
) -> Result<EnabledHmac> {
    // Checked before the secret is kept anywhere: a company outside the
    // caller's scope, or one whose secret would be replaced, is refused
    // before Secrets Manager is written (the store checks again).
    let current = state.store.get_company(admin.scope(), company_id).await?;
    if current.hmac_enabled {
        return Err(Error::FailedPrecondition(
            "hmac is already enabled; use RotateHmacSecret for a new secret".to_owned(),
        ));
    }
    let secret = new_hmac_secret();
    let id = new_id();
    let material = state
        .ingest
        .seal_hmac_secret(company_id, &id, &secret, &[], &[])
        .await?;
    let (company, stored) = state
        .store
        .enable_hmac(
            &admin.audit("TenantService.EnableHmac"),
            admin.scope(),
            company_id,
            &id,
            material,
        )
        .await?;
    state.ingest.invalidate_company(company_id);
    Ok(EnabledHmac {
        company: company.into(),
        hmac_secret: stored.into(),
        secret,
    })
}

/// Adds a new HMAC secret to the company's; the newest of the others
/// verifies on through `overlap` (default one day). FAILED_PRECONDITION
/// unless HMAC is enabled.
pub async fn rotate_hmac_secret(
    state: &AppState,
    admin: &Admin<'_>,
    company_id: &str,
    overlap: Option<Duration>,
) -> Result<RotatedHmacSecret> {
    let overlap = overlap_ms(overlap)?;
    let current = state.store.get_company(admin.scope(), company_id).await?;
    if !current.hmac_enabled {
        return Err(Error::FailedPrecondition(
            "hmac is not enabled; use EnableHmac first".to_owned(),
        ));
    }
    // The newest secret verifies on through the overlap: the new version
    // of a Secrets Manager secret keeps it (and drops what ended).
    let listed: Vec<String> = state
        .store
        .active_hmac_secrets(company_id)
        .await?
        .into_iter()
        .map(|secret| secret.id)
        .collect();
    let keep = &listed[..listed.len().min(1)];
    let secret = new_hmac_secret();
    let id = new_id();
    let material = state
        .ingest
        .seal_hmac_secret(company_id, &id, &secret, keep, &listed)
        .await?;
    let (stored, active) = state
        .store
        .rotate_hmac_secret(
            &admin.audit("TenantService.RotateHmacSecret"),
            admin.scope(),
            company_id,
            overlap,
            &id,
            material,
        )
        .await?;
    state.ingest.invalidate_company(company_id);
    Ok(RotatedHmacSecret {
        hmac_secret: stored.into(),
        secret,
        active: active.into_iter().map(HmacSecret::from).collect(),
    })
}

/// Stops requiring signed webhooks from the company and forgets its secrets.
pub async fn disable_hmac(
    state: &AppState,
    admin: &Admin<'_>,
    company_id: &str,
) -> Result<Company> {
    state.store.get_company(admin.scope(), company_id).await?;
    let had_aws = state
        .store
        .active_hmac_secrets(company_id)
        .await?
        .iter()
        .any(|secret| secret.secret_arn.is_some());
    let company = state
        .store
        .disable_hmac(
            &admin.audit("TenantService.DisableHmac"),
            admin.scope(),
            company_id,
        )
        .await?;
    state.ingest.invalidate_company(company_id);
    // HMAC is off at this point whatever follows; a secret that cannot
    // be cleared now is cleared by calling DisableHmac again.
    state.ingest.clear_hmac_secrets(company_id, had_aws).await?;
    Ok(company.into())
}
