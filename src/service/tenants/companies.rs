//! Companies: created with their first API key, listed, renamed, given an
//! AWS role, deleted (which releases their owner), and the SNS subscription
//! confirmations their CloudWatch webhook received.

use super::credentials::ApiKey;
use super::{Admin, page_of};
use crate::app::AppState;
use crate::auth::Operator;
use crate::domain::tenant::{
    MAX_NAME_LEN, validate_aws_role, validate_email, validate_name, validate_website,
};
use crate::error::{Error, Result};
use crate::secrets::new_api_key;
use crate::store::entity::{company, sns_subscription};
use crate::store::tenant::{Audit, CompanyChanges, NewCompany};
use crate::store::{Page, ScopedCompany};

/// A company.
#[derive(Debug, Clone)]
pub struct Company {
    pub id: String,
    pub name: String,
    pub website: String,
    pub contact_email: String,
    /// Whether its webhooks must be signed.
    pub hmac_enabled: bool,
    /// The role assumed in its AWS account, if it has one.
    pub aws_role: Option<AwsRole>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// The cross-account role assumed in a company's AWS account.
#[derive(Debug, Clone)]
pub struct AwsRole {
    pub role_arn: String,
    pub external_id: String,
}

impl From<company::Model> for Company {
    fn from(model: company::Model) -> Self {
        let aws_role = match (model.aws_role_arn, model.aws_external_id) {
            (Some(role_arn), Some(external_id)) => Some(AwsRole {
                role_arn,
                external_id,
            }),
            _ => None,
        };
        Self {
            id: model.id,
            name: model.name,
            website: model.website,
            contact_email: model.contact_email,
            hmac_enabled: model.hmac_enabled,
            aws_role,
            created_at: model.created_at,
            updated_at: model.updated_at,
        }
    }
}

/// One change to a company as asked, validated by [`update_company`].
#[derive(Debug, Clone)]
pub enum CompanyChange {
    Name(String),
    Website(String),
    ContactEmail(String),
}

/// A new company with its first API key.
#[derive(Debug, Clone)]
pub struct CreatedCompany {
    pub company: Company,
    pub api_key: ApiKey,
    /// The API key itself, shown only now.
    pub api_key_secret: String,
}

/// A confirmation message of an SNS subscription, kept for its URL.
#[derive(Debug, Clone)]
pub struct SnsConfirmation {
    pub id: String,
    pub company_id: String,
    pub topic_arn: String,
    /// `SubscriptionConfirmation` or `UnsubscribeConfirmation`.
    pub message_type: String,
    pub message_id: String,
    /// The URL that confirms the subscription.
    pub subscribe_url: String,
    pub received_at: i64,
}

impl From<sns_subscription::Model> for SnsConfirmation {
    fn from(model: sns_subscription::Model) -> Self {
        Self {
            id: model.id,
            company_id: model.company_id,
            topic_arn: model.topic_arn,
            message_type: model.message_type,
            message_id: model.message_id,
            subscribe_url: model.subscribe_url,
            received_at: model.received_at,
        }
    }
}

/// Creates the company `new` (as asked: its fields are validated here) and
/// its first API key; only an admin of every company may.
pub async fn create_company(
    state: &AppState,
    operator: &Operator,
    new: NewCompany,
) -> Result<CreatedCompany> {
    operator.require_unlimited_admin()?;
    let new = NewCompany {
        name: validate_name("name", &new.name)?,
        website: validate_website(&new.website)?,
        contact_email: validate_email("contact_email", &new.contact_email, false)?,
    };
    let key = new_api_key();
    let (company, api_key) = state
        .store
        .create_company(
            &Audit::new(operator.actor(), "TenantService.CreateCompany"),
            new,
            &key,
        )
        .await?;
    tracing::info!(company_id = %company.id, "company created");
    Ok(CreatedCompany {
        company: company.into(),
        api_key: api_key.into(),
        api_key_secret: key.secret,
    })
}

/// The company `id` (NOT_FOUND outside the operator's scope).
pub async fn get_company(state: &AppState, operator: &Operator, id: &str) -> Result<Company> {
    Ok(state.store.get_company(&operator.scope, id).await?.into())
}

/// One page of the companies the operator may see whose name contains
/// `name_contains` (all when empty), with the next page's token.
pub async fn list_companies(
    state: &AppState,
    operator: &Operator,
    page: &Page,
    name_contains: &str,
) -> Result<(Vec<Company>, String)> {
    // No name is longer, and SQLite refuses LIKE patterns beyond 50,000
    // bytes: a longer filter is the caller's mistake, not a server error.
    if name_contains.trim().chars().count() > MAX_NAME_LEN {
        return Err(Error::invalid(
            "name_contains",
            format!("at most {MAX_NAME_LEN} characters (a company name's limit)"),
        ));
    }
    Ok(page_of(
        state
            .store
            .list_companies(&operator.scope, page, name_contains.trim())
            .await?,
    ))
}

/// Applies `changes` to the company `id`, each validated in turn.
pub async fn update_company(
    state: &AppState,
    admin: &Admin<'_>,
    id: &str,
    changes: Vec<CompanyChange>,
) -> Result<Company> {
    let mut validated = CompanyChanges::default();
    for change in changes {
        match change {
            CompanyChange::Name(name) => validated.name = Some(validate_name("name", &name)?),
            CompanyChange::Website(website) => {
                validated.website = Some(validate_website(&website)?);
            }
            CompanyChange::ContactEmail(email) => {
                validated.contact_email = Some(validate_email("contact_email", &email, false)?);
            }
        }
    }
    let company = state
        .store
        .update_company(
            &admin.audit("TenantService.UpdateCompany"),
            admin.scope(),
            id,
            validated,
        )
        .await?;
    Ok(company.into())
}

/// Deletes the company `id`: its API keys stop authenticating and its owner
/// lets it go.
pub async fn delete_company(state: &AppState, admin: &Admin<'_>, id: &str) -> Result<()> {
    state
        .store
        .delete_company(
            &admin.audit("TenantService.DeleteCompany"),
            admin.scope(),
            id,
        )
        .await?;
    state.ingest.invalidate_company(id);
    state
        .owners
        .release_company(&ScopedCompany::system(id.to_owned()))
        .await?;
    tracing::info!(company_id = %id, "company deleted");
    Ok(())
}

/// Sets (or, with both parts empty, clears) the role assumed in the
/// company's AWS account.
pub async fn set_aws_role(
    state: &AppState,
    admin: &Admin<'_>,
    company_id: &str,
    role_arn: &str,
    external_id: &str,
) -> Result<Company> {
    let role = validate_aws_role(role_arn, external_id)?;
    let company = state
        .store
        .set_aws_role(
            &admin.audit("TenantService.SetAwsRole"),
            admin.scope(),
            company_id,
            role,
        )
        .await?;
    Ok(company.into())
}

/// One page of the company's SNS subscription confirmations, newest first.
pub async fn list_sns_confirmations(
    state: &AppState,
    operator: &Operator,
    company_id: &str,
    page: &Page,
) -> Result<(Vec<SnsConfirmation>, String)> {
    Ok(page_of(
        state
            .store
            .list_sns_confirmations(&operator.scope, company_id, page)
            .await?,
    ))
}
