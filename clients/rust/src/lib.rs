//! Rust client for Alert Whisperer.
//!
//! - [`v1`]: the generated tonic clients and messages of `alertwhisperer.v1`;
//! - [`BearerToken`]: an interceptor that sends an operator token (control plane);
//! - [`ApiKey`]: an interceptor that sends a company's ingest API key (IngestService);
//! - [`sign_webhook`]: the `X-Timestamp`/`X-Signature` headers for HMAC-signed webhooks.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use alert_whisperer_client::{BearerToken, v1};
//! let channel = tonic::transport::Channel::from_static("http://127.0.0.1:8080").connect().await?;
//! let mut tenants = v1::tenant_service_client::TenantServiceClient::with_interceptor(
//!     channel,
//!     BearerToken::new("awo_...")?,
//! );
//! let companies = tenants.list_companies(v1::ListCompaniesRequest::default()).await?;
//! # Ok(()) }
//! ```

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use tonic::metadata::{Ascii, MetadataValue};
use tonic::service::Interceptor;
use tonic::{Request, Status};

/// The generated messages and clients of `alertwhisperer.v1`.
#[allow(
    missing_docs,
    unreachable_pub,
    rust_2018_idioms,
    clippy::all,
    clippy::pedantic,
    clippy::unwrap_used
)]
pub mod v1 {
    tonic::include_proto!("alertwhisperer.v1");
}

/// A credential that is not valid in a metadata value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidCredential;

impl std::fmt::Display for InvalidCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the credential contains characters not allowed in gRPC metadata")
    }
}

impl std::error::Error for InvalidCredential {}

/// Sends `authorization: Bearer <operator token>` on every call.
#[derive(Debug, Clone)]
pub struct BearerToken(MetadataValue<Ascii>);

impl BearerToken {
    /// An interceptor for an operator token (`awo_…`).
    pub fn new(token: &str) -> Result<Self, InvalidCredential> {
        format!("Bearer {}", token.trim())
            .parse()
            .map(Self)
            .map_err(|_| InvalidCredential)
    }
}

impl Interceptor for BearerToken {
    fn call(&mut self, mut request: Request<()>) -> Result<Request<()>, Status> {
        request
            .metadata_mut()
            .insert("authorization", self.0.clone());
        Ok(request)
    }
}

/// Sends `x-api-key: <key>` on every call, for IngestService.
#[derive(Debug, Clone)]
pub struct ApiKey(MetadataValue<Ascii>);

impl ApiKey {
    /// An interceptor for a company's ingest API key (`awk_…`).
    pub fn new(key: &str) -> Result<Self, InvalidCredential> {
        key.trim().parse().map(Self).map_err(|_| InvalidCredential)
    }
}

impl Interceptor for ApiKey {
    fn call(&mut self, mut request: Request<()>) -> Result<Request<()>, Status> {
        request.metadata_mut().insert("x-api-key", self.0.clone());
        Ok(request)
    }
}

/// The two headers of a signed webhook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookSignature {
    /// Value of `X-Timestamp` (Unix seconds).
    pub timestamp: String,
    /// Value of `X-Signature` (`sha256=<hex>`).
    pub signature: String,
}

/// Signs a webhook body with the company's HMAC secret (the 64-character hex
/// string EnableHmac returned, used as bytes): HMAC-SHA256 over
/// `"{timestamp}.{body}"`. Send the exact `body` bytes that were signed.
pub fn sign_webhook(secret: &str, unix_seconds: u64, body: &[u8]) -> WebhookSignature {
    let timestamp = unix_seconds.to_string();
    // HMAC accepts keys of any length.
    let mut mac = match Hmac::<Sha256>::new_from_slice(secret.as_bytes()) {
        Ok(mac) => mac,
        Err(_) => unreachable!("hmac takes keys of any length"),
    };
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body);
    WebhookSignature {
        signature: format!("sha256={}", hex::encode(mac.finalize().into_bytes())),
        timestamp,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_matches_an_independent_computation() {
        // printf '1700000000.{"a":1}' | openssl dgst -sha256 -hmac secret
        let signed = sign_webhook("secret", 1_700_000_000, br#"{"a":1}"#);
        assert_eq!(signed.timestamp, "1700000000");
        assert_eq!(
            signed.signature,
            "sha256=49f24e537407743fa4a0242bb63b94b9a47ee99cbbe071ccd8a22550ae411686"
        );
    }

    #[test]
    fn interceptors_set_metadata() {
        let mut bearer = BearerToken::new("awo_abc").expect("ascii");
        let request = bearer.call(Request::new(())).expect("intercepts");
        assert_eq!(
            request.metadata().get("authorization").unwrap(),
            "Bearer awo_abc"
        );
        let mut key = ApiKey::new("awk_abc").expect("ascii");
        let request = key.call(Request::new(())).expect("intercepts");
        assert_eq!(request.metadata().get("x-api-key").unwrap(), "awk_abc");
        assert!(BearerToken::new("bad\nvalue").is_err());
    }
}
