//! AWS access in the companies' own accounts: each company's cross-account role
//! is assumed with its external ID (STS AssumeRole, 15-minute credentials that
//! the SDK caches and refreshes before they expire), and clients are cached
//! per company and role. The server's own identity reaches Secrets Manager
//! and KMS for the optional secrets backend (docs/secrets.md).

pub mod kms;
pub mod secrets_manager;

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::sts::AssumeRoleProvider;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_ssm::error::{DisplayErrorContext, ProvideErrorMetadata};

use crate::config::Config;
use crate::error::{Error, Result};
use crate::store::entity::company;

/// How long assumed-role credentials last (the SDK refreshes them before).
pub const SESSION_LENGTH: Duration = Duration::from_secs(15 * 60);
/// The session name AWS records in the company's CloudTrail.
pub const SESSION_NAME: &str = "alert-whisperer";

/// The AWS side of the service: the base configuration and cached clients.
pub struct Aws {
    base: Option<SdkConfig>,
    region: String,
    /// Per company and role: the base configuration with that role's
    /// credentials (one credentials cache shared by its S3 and QuickSight clients).
    roles: Mutex<HashMap<String, SdkConfig>>,
}

impl std::fmt::Debug for Aws {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Aws")
            .field("configured", &self.base.is_some())
            .field("region", &self.region)
            .finish_non_exhaustive()
    }
}

/// A company's role, checked to be set.
#[derive(Debug, Clone)]
pub struct CompanyRole {
    pub company_id: String,
    pub role_arn: String,
    pub external_id: String,
}

impl CompanyRole {
    /// The company's role, or FAILED_PRECONDITION saying how to set one.
    pub fn of(company: &company::Model) -> Result<Self> {
        match (&company.aws_role_arn, &company.aws_external_id) {
            (Some(role_arn), Some(external_id)) => Ok(Self {
                company_id: company.id.clone(),
                role_arn: role_arn.clone(),
                external_id: external_id.clone(),
            }),
            _ => Err(Error::FailedPrecondition(format!(
                "company {} has no AWS role: set its role ARN and external ID with TenantService.SetAwsRole",
                company.id
            ))),
        }
    }
}

impl CompanyRole {
    /// The AWS partition and account id of the role, from its ARN
    /// (`arn:<partition>:iam::<account>:role/...`): the account whose S3 and
    /// QuickSight the export writes to. No STS call is needed.
    pub fn partition_and_account(&self) -> Result<(String, String)> {
        let mut parts = self.role_arn.splitn(6, ':');
        let (arn, partition, service, _region, account) = (
            parts.next().unwrap_or_default(),
            parts.next().unwrap_or_default(),
            parts.next().unwrap_or_default(),
            parts.next().unwrap_or_default(),
            parts.next().unwrap_or_default(),
        );
        if arn != "arn"
            || partition.is_empty()
            || service != "iam"
            || account.len() != 12
            || !account.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(Error::FailedPrecondition(format!(
                "the AWS role ARN of company {} ({}) does not name an account (arn:aws:iam::<12 digits>:role/...): set it with TenantService.SetAwsRole",
                self.company_id, self.role_arn
            )));
        }
        Ok((partition.to_owned(), account.to_owned()))
    }
}

/// The SDK's HTTPS client on rustls with ring (the server's one crypto
/// provider; the SDK's default would build aws-lc). Every SDK configuration
/// needs it: with the SDK's `default-https-client` feature off, a
/// configuration without a client fails its first call.
pub fn https_client() -> aws_sdk_ssm::config::SharedHttpClient {
    aws_smithy_http_client::Builder::new()
        .tls_provider(aws_smithy_http_client::tls::Provider::Rustls(
            aws_smithy_http_client::tls::rustls_provider::CryptoMode::Ring,
        ))
        .build_https()
}

impl Aws {
    /// Loads the base configuration when `aws_region` is set; otherwise AWS is off.
    pub async fn from_config(config: &Config) -> Self {
        let base = if config.aws_region.is_empty() {
            None
        } else {
            let mut loader = aws_config::defaults(BehaviorVersion::latest())
                .http_client(https_client())
                .region(Region::new(config.aws_region.clone()))
                .retry_config(
                    RetryConfig::standard().with_max_attempts(config.aws_max_attempts.max(1)),
                );
            if !config.aws_endpoint_url.is_empty() {
                loader = loader.endpoint_url(&config.aws_endpoint_url);
            }
            if !config.aws_access_key_id.is_empty() {
                loader = loader.credentials_provider(aws_sdk_ssm::config::Credentials::new(
                    config.aws_access_key_id.clone(),
                    config.aws_secret_access_key.clone(),
                    None,
                    None,
                    "alert-whisperer-config",
                ));
            }
            Some(loader.load().await)
        };
        Self {
            base,
            region: config.aws_region.clone(),
            roles: Mutex::new(HashMap::new()),
        }
    }

    /// Whether AWS is configured at all.
    pub fn is_configured(&self) -> bool {
        self.base.is_some()
    }

    /// The configured region ("" when AWS is off).
    pub fn region(&self) -> &str {
        &self.region
    }

    fn base(&self) -> Result<&SdkConfig> {
        self.base.as_ref().ok_or_else(|| {
            Error::FailedPrecondition(
                "AWS is not configured on this server: set aws_region (ALERT_WHISPERER_AWS_REGION) and base credentials"
                    .to_owned(),
            )
        })
    }

    /// A Secrets Manager client with the server's own identity. Its calls
    /// are bounded in time, so that an unreachable endpoint fails a
    /// webhook's secret lookup in seconds rather than holding it.
    pub fn secrets_manager(&self) -> Result<aws_sdk_secretsmanager::Client> {
        let base = self.base()?;
        Ok(aws_sdk_secretsmanager::Client::from_conf(
            aws_sdk_secretsmanager::config::Builder::from(base)
                .timeout_config(own_call_timeouts())
                .build(),
        ))
    }

    /// A KMS client with the server's own identity.
    pub fn kms(&self) -> Result<aws_sdk_kms::Client> {
        let base = self.base()?;
        Ok(aws_sdk_kms::Client::from_conf(
            aws_sdk_kms::config::Builder::from(base)
                .timeout_config(own_call_timeouts())
                .build(),
        ))
    }

    /// An SSM client acting in the company's account through its role (the
    /// credentials cache is shared with the company's other clients).
    pub async fn ssm(&self, role: &CompanyRole) -> Result<aws_sdk_ssm::Client> {
        let config = self.role_config(role).await?;
        Ok(aws_sdk_ssm::Client::new(&config))
    }
}

fn own_call_timeouts() -> aws_config::timeout::TimeoutConfig {
    aws_config::timeout::TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(3))
        .operation_attempt_timeout(Duration::from_secs(5))
        .operation_timeout(Duration::from_secs(10))
        .build()
}

impl Aws {
    /// The base configuration acting through the company's role (STS
    /// AssumeRole with its external ID), cached per company and role.
    async fn role_config(&self, role: &CompanyRole) -> Result<SdkConfig> {
        let base = self.base()?;
        let key = format!(
            "{}\n{}\n{}",
            role.company_id, role.role_arn, role.external_id
        );
        if let Some(config) = self
            .roles
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(&key)
        {
            return Ok(config.clone());
        }
        let provider = AssumeRoleProvider::builder(role.role_arn.clone())
            .external_id(role.external_id.clone())
            .session_name(SESSION_NAME)
            .session_length(SESSION_LENGTH)
            .configure(base)
            .build()
            .await;
        let config = base
            .to_builder()
            .credentials_provider(aws_sdk_s3::config::SharedCredentialsProvider::new(provider))
            .identity_cache(aws_config::identity::IdentityCache::lazy().build())
            .build();
        self.roles
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(key, config.clone());
        Ok(config)
    }

    /// An S3 client acting in the company's account through its role. With an
    /// endpoint override (moto, MinIO on 127.0.0.1) it addresses buckets by
    /// path, since `bucket.127.0.0.1` does not resolve.
    pub async fn s3(&self, role: &CompanyRole) -> Result<aws_sdk_s3::Client> {
        let config = self.role_config(role).await?;
        let path_style = config.endpoint_url().is_some();
        Ok(aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(&config)
                .force_path_style(path_style)
                .build(),
        ))
    }

    /// A QuickSight client acting in the company's account through its role.
    pub async fn quicksight(&self, role: &CompanyRole) -> Result<aws_sdk_quicksight::Client> {
        let config = self.role_config(role).await?;
        Ok(aws_sdk_quicksight::Client::new(&config))
    }
}

/// Maps an SDK error of `operation` to the service's error: a refused role
/// becomes FAILED_PRECONDITION naming the role, the rest UNAVAILABLE with AWS's
/// code and message. Never a generic INTERNAL.
pub fn aws_error<E, R>(
    operation: &str,
    role: &CompanyRole,
    error: aws_sdk_ssm::error::SdkError<E, R>,
) -> Error
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    let code = error.code().unwrap_or_default().to_owned();
    let detail = DisplayErrorContext(&error).to_string();
    let denied = code.contains("AccessDenied")
        || detail.contains("AccessDenied")
        || detail.contains("not authorized to perform: sts:AssumeRole");
    if denied {
        if detail.contains("sts:AssumeRole") || code.is_empty() {
            return Error::FailedPrecondition(format!(
                "AWS refused to let Alert Whisperer assume {} for company {}: check the role's trust policy (principal and external ID)",
                role.role_arn, role.company_id
            ));
        }
        return Error::FailedPrecondition(format!(
            "the role {} of company {} may not call {operation}: grant it in the role's permissions policy ({})",
            role.role_arn,
            role.company_id,
            error.message().unwrap_or("access denied")
        ));
    }
    Error::Upstream(format!(
        "AWS {operation} failed for company {}: {}",
        role.company_id,
        if code.is_empty() {
            detail
        } else {
            format!("{code}: {}", error.message().unwrap_or_default())
        }
    ))
}
