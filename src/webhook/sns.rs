//! Verification of Amazon SNS message signatures (SignatureVersion 1: RSA with
//! SHA-1; 2: RSA with SHA-256), following
//! <https://docs.aws.amazon.com/sns/latest/dg/sns-verify-signature-of-message.html>.
//!
//! The signing certificate is fetched over HTTPS only from an
//! `sns.<region>.amazonaws.com` host and cached by URL. Where certificates
//! come from is a [`CertificateSource`], so tests can supply their own.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};
use std::time::Duration;

use base64::Engine;
use regex::Regex;
use ring::signature::{
    RSA_PKCS1_2048_8192_SHA1_FOR_LEGACY_USE_ONLY, RSA_PKCS1_2048_8192_SHA256, UnparsedPublicKey,
};
use x509_cert::Certificate;
use x509_cert::der::DecodePem;

use super::formats::cloudwatch::{SnsEnvelope, sns_string_to_sign};
use crate::error::{Error, Result};

/// Largest certificate accepted from a source.
const MAX_CERTIFICATE_BYTES: usize = 64 * 1024;
/// Most certificates kept in the cache (SNS rotates them rarely).
const MAX_CACHED_CERTIFICATES: usize = 64;

static SNS_CERT_HOST: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^sns\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$").expect("static regex")
});

/// Why a signing certificate cannot be had.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CertificateError {
    /// It could not be fetched (the network, a timeout, an error answer):
    /// the message is answered 503, which SNS retries, so a passing outage
    /// loses no alarm.
    Unreachable(String),
    /// The URL is not one SNS signs from, or what it served is no usable
    /// certificate: the message is refused (401) for good.
    Refused(String),
}

/// Where signing certificates come from.
#[tonic::async_trait]
pub trait CertificateSource: Send + Sync {
    /// The PEM certificate at `url`, or why it cannot be had.
    async fn certificate(&self, url: &str) -> std::result::Result<String, CertificateError>;
}

/// The real source: HTTPS from `sns.<region>.amazonaws.com` hosts only.
#[derive(Debug)]
pub struct AwsCertificateSource {
    http: reqwest::Client,
}

impl AwsCertificateSource {
    /// A source with a short timeout.
    pub fn new() -> Self {
        Self {
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                .build()
                .unwrap_or_default(),
        }
    }
}

impl Default for AwsCertificateSource {
    fn default() -> Self {
        Self::new()
    }
}

/// Whether `url` may serve SNS signing certificates: https, an
/// `sns.<region>.amazonaws.com` host, no port, no credentials.
pub fn trusted_certificate_url(url: &str) -> bool {
    let Ok(parsed) = url.parse::<http::Uri>() else {
        return false;
    };
    let host_ok = parsed.authority().is_some_and(|authority| {
        authority.port().is_none()
            && !authority.as_str().contains('@')
            && SNS_CERT_HOST.is_match(authority.host())
    });
    parsed.scheme_str() == Some("https") && host_ok && parsed.path().ends_with(".pem")
}

#[tonic::async_trait]
impl CertificateSource for AwsCertificateSource {
    async fn certificate(&self, url: &str) -> std::result::Result<String, CertificateError> {
        if !trusted_certificate_url(url) {
            return Err(CertificateError::Refused(format!(
                "SigningCertURL {url:?} is not an https .pem URL on an sns.<region>.amazonaws.com host"
            )));
        }
        let response = self.http.get(url).send().await.map_err(|error| {
            CertificateError::Unreachable(format!("cannot fetch the signing certificate: {error}"))
        })?;
        if !response.status().is_success() {
            return Err(CertificateError::Unreachable(format!(
                "fetching the signing certificate answered {}",
                response.status()
            )));
        }
        let bytes = response.bytes().await.map_err(|error| {
            CertificateError::Unreachable(format!("cannot read the signing certificate: {error}"))
        })?;
        if bytes.len() > MAX_CERTIFICATE_BYTES {
            return Err(CertificateError::Refused(
                "the signing certificate is too large".to_owned(),
            ));
        }
        String::from_utf8(bytes.to_vec())
            .map_err(|_| CertificateError::Refused("the certificate is not PEM text".to_owned()))
    }
}

/// Verifies SNS envelopes, caching each certificate's public key by URL.
pub struct SnsVerifier {
    source: Arc<dyn CertificateSource>,
    keys: Mutex<HashMap<String, Arc<Vec<u8>>>>,
}

impl std::fmt::Debug for SnsVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SnsVerifier").finish_non_exhaustive()
    }
}

fn rejected(reason: &'static str, message: String) -> Error {
    Error::CredentialRejected {
        check: "sns_signature",
        reason,
        message,
    }
}

/// The RSAPublicKey (PKCS#1 DER) inside a PEM certificate.
fn public_key_of(pem: &str) -> std::result::Result<Vec<u8>, String> {
    let certificate = Certificate::from_pem(pem.as_bytes())
        .map_err(|error| format!("the signing certificate does not parse: {error}"))?;
    let key = &certificate.tbs_certificate.subject_public_key_info;
    // rsaEncryption
    if key.algorithm.oid.to_string() != "1.2.840.113549.1.1.1" {
        return Err("the signing certificate's key is not RSA".to_owned());
    }
    Ok(key.subject_public_key.raw_bytes().to_vec())
}

impl SnsVerifier {
    /// A verifier over `source`.
    pub fn new(source: Arc<dyn CertificateSource>) -> Self {
        Self {
            source,
            keys: Mutex::new(HashMap::new()),
        }
    }

    async fn key_for(&self, url: &str) -> Result<Arc<Vec<u8>>> {
        if let Some(key) = self
            .keys
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(url)
        {
            return Ok(key.clone());
        }
        let pem = self
            .source
            .certificate(url)
            .await
            .map_err(|error| match error {
                CertificateError::Unreachable(why) => {
                    tracing::warn!(url, %why, "sns signing certificate unreachable; answering 503 so that sns retries");
                    Error::Unavailable(why)
                }
                CertificateError::Refused(why) => rejected("certificate", why),
            })?;
        let key = Arc::new(public_key_of(&pem).map_err(|why| rejected("certificate", why))?);
        let mut keys = self
            .keys
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if keys.len() >= MAX_CACHED_CERTIFICATES {
            keys.clear();
        }
        keys.insert(url.to_owned(), key.clone());
        Ok(key)
    }

    /// Checks the envelope's signature; a bad one is refused with a
    /// `CredentialRejected` naming `sns_signature`.
    pub async fn verify(&self, envelope: &SnsEnvelope) -> Result<()> {
        let algorithm: &'static dyn ring::signature::VerificationAlgorithm =
            match envelope.signature_version() {
                "1" => &RSA_PKCS1_2048_8192_SHA1_FOR_LEGACY_USE_ONLY,
                "2" => &RSA_PKCS1_2048_8192_SHA256,
                other => {
                    return Err(rejected(
                        "malformed",
                        format!("SignatureVersion {other:?} is not 1 or 2"),
                    ));
                }
            };
        let signature = base64::engine::general_purpose::STANDARD
            .decode(envelope.signature())
            .map_err(|_| rejected("malformed", "Signature is not base64".to_owned()))?;
        let key = self.key_for(envelope.signing_cert_url()).await?;
        let message = sns_string_to_sign(envelope);
        UnparsedPublicKey::new(algorithm, key.as_slice())
            .verify(message.as_bytes(), &signature)
            .map_err(|_| {
                rejected(
                    "mismatch",
                    "the SNS signature does not match the message".to_owned(),
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_sns_hosts_over_https_are_trusted() {
        assert!(trusted_certificate_url(
            "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-abc.pem"
        ));
        assert!(trusted_certificate_url(
            "https://sns.cn-north-1.amazonaws.com.cn/SimpleNotificationService-abc.pem"
        ));
        for url in [
            "http://sns.us-east-1.amazonaws.com/x.pem",
            "https://sns.us-east-1.amazonaws.com.evil.example/x.pem",
            "https://evil.example/sns.us-east-1.amazonaws.com/x.pem",
            "https://sns.us-east-1.amazonaws.com:8443/x.pem",
            "https://user@sns.us-east-1.amazonaws.com/x.pem",
            "https://sns.us-east-1.amazonaws.com/x.txt",
            "not a url",
        ] {
            assert!(!trusted_certificate_url(url), "{url}");
        }
    }
}
