//! Companies' HMAC secrets in AWS Secrets Manager: one secret per company,
//! named `secrets_name_prefix` + company id, whose every change is a new
//! version (PutSecretValue). Called with the server's own AWS identity, not
//! a company's role: the secrets are the MSP's, not the client's.

use aws_sdk_secretsmanager::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use futures::future::BoxFuture;

use crate::error::{Error, Result};
use crate::secret_cache::{CompanySecrets, Fetched, SecretSource, Written};

/// The Secrets Manager side of [`crate::secret_cache::SecretCache`].
#[derive(Debug, Clone)]
pub struct SecretsManagerSource {
    client: aws_sdk_secretsmanager::Client,
    prefix: String,
}

impl SecretsManagerSource {
    /// A source over `client` naming secrets `prefix` + company id.
    pub fn new(client: aws_sdk_secretsmanager::Client, prefix: &str) -> Self {
        Self {
            client,
            prefix: prefix.to_owned(),
        }
    }

    /// The name of the company's secret.
    pub fn name(&self, company_id: &str) -> String {
        format!("{}{company_id}", self.prefix)
    }

    async fn read_secret(&self, company_id: &str) -> Result<Option<Fetched>> {
        let name = self.name(company_id);
        let output = match self.client.get_secret_value().secret_id(&name).send().await {
            Ok(output) => output,
            Err(error)
                if error
                    .as_service_error()
                    .is_some_and(|e| e.is_resource_not_found_exception()) =>
            {
                return Ok(None);
            }
            Err(error) => return Err(secrets_manager_error("GetSecretValue", &name, error)),
        };
        let secrets = serde_json::from_str(output.secret_string().unwrap_or_default()).map_err(
            |error| {
                Error::FailedPrecondition(format!(
                    "the Secrets Manager secret {name} does not hold Alert Whisperer's HMAC secrets: {error}"
                ))
            },
        )?;
        Ok(Some(Fetched {
            secrets,
            version_id: output.version_id().unwrap_or_default().to_owned(),
        }))
    }

    async fn write_secret(&self, company_id: &str, secrets: &CompanySecrets) -> Result<Written> {
        let name = self.name(company_id);
        let text = serde_json::to_string(secrets)
            .map_err(|error| Error::Internal(format!("cannot encode secrets: {error}")))?;
        // The token makes a retried call (the SDK's own retries) one version.
        let token = uuid::Uuid::now_v7().to_string();
        let put = self
            .client
            .put_secret_value()
            .secret_id(&name)
            .secret_string(&text)
            .client_request_token(&token)
            .send()
            .await;
        match put {
            Ok(output) => Ok(Written {
                arn: output.arn().unwrap_or(&name).to_owned(),
                version_id: output.version_id().unwrap_or_default().to_owned(),
            }),
            Err(error)
                if error
                    .as_service_error()
                    .is_some_and(|e| e.is_resource_not_found_exception()) =>
            {
                let output = self
                    .client
                    .create_secret()
                    .name(&name)
                    .description(format!(
                        "Alert Whisperer: webhook HMAC secrets of company {company_id}"
                    ))
                    .tags(
                        aws_sdk_secretsmanager::types::Tag::builder()
                            .key("alert-whisperer:company-id")
                            .value(company_id)
                            .build(),
                    )
                    .secret_string(&text)
                    .client_request_token(&token)
                    .send()
                    .await
                    .map_err(|error| secrets_manager_error("CreateSecret", &name, error))?;
                tracing::info!(company_id, secret = %name, "created the company's secret in secrets manager");
                Ok(Written {
                    arn: output.arn().unwrap_or(&name).to_owned(),
                    version_id: output.version_id().unwrap_or_default().to_owned(),
                })
            }
            Err(error) => Err(secrets_manager_error("PutSecretValue", &name, error)),
        }
    }
}

impl SecretSource for SecretsManagerSource {
    fn read<'a>(&'a self, company_id: &'a str) -> BoxFuture<'a, Result<Option<Fetched>>> {
        Box::pin(self.read_secret(company_id))
    }

    fn write<'a>(
        &'a self,
        company_id: &'a str,
        secrets: &'a CompanySecrets,
    ) -> BoxFuture<'a, Result<Written>> {
        Box::pin(self.write_secret(company_id, secrets))
    }
}

/// A refused call becomes FAILED_PRECONDITION naming the permission to
/// grant; anything else (unreachable, throttled, AWS's own failure)
/// UNAVAILABLE, which callers may retry.
fn secrets_manager_error<E, R>(operation: &str, name: &str, error: SdkError<E, R>) -> Error
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    let code = error.code().unwrap_or_default().to_owned();
    if code.contains("AccessDenied") {
        return Error::FailedPrecondition(format!(
            "the server's AWS identity may not call secretsmanager:{operation} on {name}: grant it (docs/secrets.md)"
        ));
    }
    let detail = if code.is_empty() {
        DisplayErrorContext(&error).to_string()
    } else {
        format!("{code}: {}", error.message().unwrap_or_default())
    };
    Error::Unavailable(format!(
        "AWS Secrets Manager {operation} on {name} failed: {detail}"
    ))
}
