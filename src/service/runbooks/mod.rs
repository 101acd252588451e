//! Runbooks (RunbookService, apart from executions and sessions): the
//! catalogue of runbooks (`catalogue`), remediation rules (created and
//! deleted, the company's owner told to reload them), and the runbook side of
//! a company's AWS account that is not an execution: the instances SSM
//! manages there (DescribeInstanceInformation) and hybrid activations that
//! register the company's own servers (CreateActivation), both through the
//! company's role.

mod catalogue;

pub use catalogue::{
    Runbook, RunbookFields, create_runbook, delete_runbook, get_runbook, list_runbooks,
    update_runbook,
};

use aws_sdk_ssm::types::{InstanceInformation, InstanceInformationStringFilter, Tag};

use crate::app::AppState;
use crate::auth::Operator;
use crate::aws::{CompanyRole, aws_error};
use crate::domain::remediation::RuleSpec;
use crate::domain::tenant::Role;
use crate::error::{Error, Result};
use crate::owner::command::Reload;
use crate::store::execution::RuleRow;
use crate::store::tenant::Audit;
use crate::store::{ScopedCompany, now_ms};

/// CreateRemediationRule (technician): stored for the company (its runbook
/// must be the company's or a built-in), audited, and in force at once.
pub async fn create_rule(
    state: &AppState,
    operator: &Operator,
    company_id: &str,
    spec: RuleSpec,
) -> Result<RuleRow> {
    operator.require(Role::Technician)?;
    let rule = state
        .store
        .create_rule(
            &Audit::new(operator.actor(), "RunbookService.CreateRemediationRule"),
            &operator.scope,
            company_id,
            spec,
        )
        .await?;
    state
        .owners
        .reload_company(
            &ScopedCompany::system(rule.company_id.clone()),
            Reload::Remediation,
        )
        .await?;
    Ok(rule)
}

/// DeleteRemediationRule (technician): gone at once; its executions stay.
pub async fn delete_rule(state: &AppState, operator: &Operator, id: &str) -> Result<()> {
    operator.require(Role::Technician)?;
    let company = state
        .store
        .delete_rule(
            &Audit::new(operator.actor(), "RunbookService.DeleteRemediationRule"),
            &operator.scope,
            id,
        )
        .await?;
    state
        .owners
        .reload_company(&company, Reload::Remediation)
        .await
}

/// Longest a hybrid activation may be valid (SSM's limit).
const MAX_ACTIVATION_MS: i64 = 30 * 24 * 3600 * 1000;
/// How long a hybrid activation is valid by default.
const DEFAULT_ACTIVATION_MS: i64 = 24 * 3600 * 1000;

/// Which managed instances to list, one page.
#[derive(Debug, Default)]
pub struct InstanceQuery<'a> {
    /// 0 for SSM's largest page (50); otherwise clamped to 5–50.
    pub page_size: i32,
    pub page_token: &'a str,
    /// SSM's PingStatus ("Online", …), if filtered.
    pub ping_status: Option<&'static str>,
    /// SSM's ResourceType ("EC2Instance", "ManagedInstance"), if filtered.
    pub resource_type: Option<&'static str>,
}

/// One page of the instances SSM manages in a company's account.
#[derive(Debug, Clone)]
pub struct InstancePage {
    pub company_id: String,
    /// As SSM describes them.
    pub instances: Vec<InstanceInformation>,
    /// Empty at the end.
    pub next_page_token: String,
}

/// ListManagedInstances: one page of the instances SSM manages in the
/// company's account.
pub async fn list_managed_instances(
    state: &AppState,
    operator: &Operator,
    company_id: &str,
    query: InstanceQuery<'_>,
) -> Result<InstancePage> {
    if query.page_size < 0 {
        return Err(Error::invalid("page_size", "must not be negative"));
    }
    let company = state.store.get_company(&operator.scope, company_id).await?;
    let role = CompanyRole::of(&company)?;
    let ssm = state.aws.ssm(&role).await?;
    // SSM pages DescribeInstanceInformation 5 to 50 at a time.
    let page_size = if query.page_size == 0 {
        50
    } else {
        query.page_size.clamp(5, 50)
    };
    let mut call = ssm.describe_instance_information().max_results(page_size);
    if !query.page_token.is_empty() {
        call = call.next_token(query.page_token);
    }
    let filters = [
        ("PingStatus", query.ping_status),
        ("ResourceType", query.resource_type),
    ];
    for (key, value) in filters {
        if let Some(value) = value {
            let filter = InstanceInformationStringFilter::builder()
                .key(key)
                .values(value)
                .build()
                .map_err(|error| Error::Internal(error.to_string()))?;
            call = call.filters(filter);
        }
    }
    let answer = call
        .send()
        .await
        .map_err(|error| aws_error("ssm:DescribeInstanceInformation", &role, error))?;
    Ok(InstancePage {
        company_id: company_id.to_owned(),
        instances: answer.instance_information_list().to_vec(),
        next_page_token: answer.next_token().unwrap_or_default().to_owned(),
    })
}

/// What a hybrid activation is asked for.
#[derive(Debug, Default)]
pub struct NewActivation<'a> {
    /// The IAM service role (name) the registered servers assume.
    pub iam_role: &'a str,
    /// 0 for 1; at most 1,000.
    pub registration_limit: i32,
    /// When it expires (ms); None for a day from now.
    pub expire_at: Option<i64>,
    pub description: &'a str,
    pub default_instance_name: &'a str,
    pub tags: Vec<(&'a str, &'a str)>,
}

/// A created activation: what a server needs to register.
#[derive(Debug, Clone)]
pub struct Activation {
    pub activation_id: String,
    pub activation_code: String,
    pub region: String,
    pub expire_at: i64,
}

/// CreateHybridActivation (admin): an SSM activation in the company's
/// account for registering its own servers; audited.
pub async fn create_hybrid_activation(
    state: &AppState,
    operator: &Operator,
    company_id: &str,
    new: NewActivation<'_>,
) -> Result<Activation> {
    operator.require(Role::Admin)?;
    let iam_role = new.iam_role.trim();
    if iam_role.is_empty() || iam_role.len() > 64 {
        return Err(Error::invalid(
            "iam_role",
            "is required: the IAM service role (name) that the registered servers assume, e.g. SSMServiceRole",
        ));
    }
    let registration_limit = match new.registration_limit {
        0 => 1,
        n @ 1..=1000 => n,
        _ => {
            return Err(Error::invalid(
                "registration_limit",
                "must be between 1 and 1000",
            ));
        }
    };
    let now = now_ms();
    let expire_at = match new.expire_at {
        // SSM allows up to 30 days.
        Some(at) if at <= now || at > now + MAX_ACTIVATION_MS => {
            return Err(Error::invalid(
                "expire_time",
                "must be within the next 30 days",
            ));
        }
        Some(at) => at,
        None => now + DEFAULT_ACTIVATION_MS,
    };
    if new.description.chars().count() > 256 || new.default_instance_name.chars().count() > 256 {
        return Err(Error::invalid(
            "description",
            "description and default_instance_name are at most 256 characters",
        ));
    }
    let company = state.store.get_company(&operator.scope, company_id).await?;
    let role = CompanyRole::of(&company)?;
    let ssm = state.aws.ssm(&role).await?;
    let mut call = ssm
        .create_activation()
        .iam_role(iam_role)
        .registration_limit(registration_limit)
        .expiration_date(aws_sdk_ssm::primitives::DateTime::from_millis(expire_at));
    if !new.description.is_empty() {
        call = call.description(new.description);
    }
    if !new.default_instance_name.is_empty() {
        call = call.default_instance_name(new.default_instance_name);
    }
    for (key, value) in new.tags {
        let tag = Tag::builder()
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
    state
        .store
        .record_audit(
            &Audit::new(operator.actor(), "RunbookService.CreateHybridActivation"),
            Some(company_id),
            "hybrid_activation",
            &activation_id,
            serde_json::json!({
                "iam_role": iam_role,
                "registration_limit": registration_limit,
                "expires_at": expire_at,
            }),
        )
        .await?;
    Ok(Activation {
        activation_id,
        activation_code: answer.activation_code().unwrap_or_default().to_owned(),
        region: state.aws.region().to_owned(),
        expire_at,
    })
}
