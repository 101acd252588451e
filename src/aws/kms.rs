//! The master key wrapped by an AWS KMS key (envelope encryption): KMS
//! generates a 32-byte data key once (GenerateDataKey), the database keeps
//! only KMS's ciphertext of it, and every start unwraps it (Decrypt). The
//! plaintext key lives only in the server's memory.

use aws_sdk_kms::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_kms::primitives::Blob;

use super::Aws;
use crate::error::{Error, Result};
use crate::secrets::MasterKey;
use crate::store::Store;

/// The encryption context every wrap and unwrap names (KMS refuses to
/// unwrap a blob under another context, and CloudTrail records it).
const CONTEXT: [(&str, &str); 2] = [("service", "alert-whisperer"), ("purpose", "master-key")];

/// The master key unwrapped by `kms_key_id`. The first start wraps a new
/// data key, or the local key when one exists (`local_key`, so that what it
/// encrypted stays readable), and stores the wrap in the database.
pub async fn master_key(
    aws: &Aws,
    store: &Store,
    kms_key_id: &str,
    local_key: Option<[u8; 32]>,
) -> Result<MasterKey> {
    let client = aws.kms()?;
    let stored = match store.wrapped_master_key().await? {
        Some(stored) => stored,
        None => {
            let (plain, wrapped) = match local_key {
                Some(key) => {
                    let mut request = client
                        .encrypt()
                        .key_id(kms_key_id)
                        .plaintext(Blob::new(key.to_vec()));
                    for (name, value) in CONTEXT {
                        request = request.encryption_context(name, value);
                    }
                    let output = request
                        .send()
                        .await
                        .map_err(|error| kms_error("Encrypt", kms_key_id, error))?;
                    tracing::info!(kms_key_id, "wrapped the existing local master key with kms");
                    (key, blob(output.ciphertext_blob(), "Encrypt")?)
                }
                None => {
                    let mut request = client
                        .generate_data_key()
                        .key_id(kms_key_id)
                        .key_spec(aws_sdk_kms::types::DataKeySpec::Aes256);
                    for (name, value) in CONTEXT {
                        request = request.encryption_context(name, value);
                    }
                    let output = request
                        .send()
                        .await
                        .map_err(|error| kms_error("GenerateDataKey", kms_key_id, error))?;
                    tracing::info!(kms_key_id, "generated a master key with kms");
                    (
                        key_bytes(output.plaintext())?,
                        blob(output.ciphertext_blob(), "GenerateDataKey")?,
                    )
                }
            };
            let stored = store
                .store_wrapped_master_key(kms_key_id, wrapped.clone())
                .await?;
            if stored.wrapped_key == wrapped {
                return Ok(MasterKey::from_bytes(&plain));
            }
            // Another replica stored its key first: that one is the key.
            stored
        }
    };
    let mut request = client
        .decrypt()
        .key_id(kms_key_id)
        .ciphertext_blob(Blob::new(stored.wrapped_key.clone()));
    for (name, value) in CONTEXT {
        request = request.encryption_context(name, value);
    }
    let output = request
        .send()
        .await
        .map_err(|error| kms_error("Decrypt", kms_key_id, error))?;
    tracing::info!(kms_key_id, "unwrapped the master key with kms");
    Ok(MasterKey::from_bytes(&key_bytes(output.plaintext())?))
}

fn blob(blob: Option<&Blob>, operation: &str) -> Result<Vec<u8>> {
    blob.map(|blob| blob.as_ref().to_vec())
        .ok_or_else(|| Error::Internal(format!("KMS {operation} answered no ciphertext")))
}

fn key_bytes(blob: Option<&Blob>) -> Result<[u8; 32]> {
    blob.and_then(|blob| <[u8; 32]>::try_from(blob.as_ref()).ok())
        .ok_or_else(|| Error::Internal("KMS answered no 32-byte plaintext key".to_owned()))
}

fn kms_error<E, R>(operation: &str, key_id: &str, error: SdkError<E, R>) -> Error
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    let code = error.code().unwrap_or_default().to_owned();
    let detail = if code.is_empty() {
        DisplayErrorContext(&error).to_string()
    } else {
        format!("{code}: {}", error.message().unwrap_or_default())
    };
    if code.contains("AccessDenied") {
        return Error::FailedPrecondition(format!(
            "the server's AWS identity may not call kms:{operation} with {key_id}: grant it (docs/secrets.md): {detail}"
        ));
    }
    Error::Unavailable(format!(
        "AWS KMS {operation} with {key_id} failed: {detail}"
    ))
}
