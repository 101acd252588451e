//! Secrets at rest and credentials: the master key that encrypts HMAC secrets,
//! hashing of API keys and operator tokens, and generation of all three.

use std::io::Write;
use std::path::Path;

use base64::Engine;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::config::{Config, decode_master_key};
use crate::error::{Error, Result};

/// Prefix of ingest API keys.
pub const API_KEY_PREFIX: &str = "awk_";
/// Prefix of operator tokens.
pub const OPERATOR_TOKEN_PREFIX: &str = "awo_";
/// How many characters of a credential are kept for display.
const DISPLAY_PREFIX_LEN: usize = 12;

/// The key that encrypts secrets at rest (ChaCha20-Poly1305).
#[derive(Clone)]
pub struct MasterKey {
    cipher: ChaCha20Poly1305,
    /// What replicas present to each other (see [`MasterKey::replica_token`]).
    replica_token: std::sync::Arc<str>,
}

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKey(..)")
    }
}

impl MasterKey {
    /// Uses `master_key` from the config, or reads `master_key_file`, creating it
    /// (mode 0600) with a random key when it does not exist.
    pub fn load_or_create(config: &Config) -> Result<Self> {
        if !config.master_key.is_empty() {
            let key = decode_master_key(&config.master_key)
                .map_err(|why| Error::Internal(format!("master_key: {why}")))?;
            return Ok(Self::from_bytes(&key));
        }
        let path = &config.master_key_file;
        if path.exists() {
            let text = std::fs::read_to_string(path).map_err(|error| {
                Error::Internal(format!("cannot read {}: {error}", path.display()))
            })?;
            let key = decode_master_key(&text)
                .map_err(|why| Error::Internal(format!("{}: {why}", path.display())))?;
            return Ok(Self::from_bytes(&key));
        }
        let mut key = [0u8; 32];
        rand::rng().fill_bytes(&mut key);
        write_private_file(path, &base64::engine::general_purpose::STANDARD.encode(key))?;
        tracing::info!(path = %path.display(), "created master key file");
        Ok(Self::from_bytes(&key))
    }

    /// The local key when one is configured or its file exists, without
    /// creating one (what a first start with KMS wraps, see
    /// [`crate::aws::kms::master_key`]).
    pub fn existing_local_key(config: &Config) -> Result<Option<[u8; 32]>> {
        if !config.master_key.is_empty() {
            return decode_master_key(&config.master_key)
                .map(Some)
                .map_err(|why| Error::Internal(format!("master_key: {why}")));
        }
        let path = &config.master_key_file;
        if !path.exists() {
            return Ok(None);
        }
        let text = std::fs::read_to_string(path)
            .map_err(|error| Error::Internal(format!("cannot read {}: {error}", path.display())))?;
        decode_master_key(&text)
            .map(Some)
            .map_err(|why| Error::Internal(format!("{}: {why}", path.display())))
    }

    /// A key from raw bytes.
    pub fn from_bytes(key: &[u8; 32]) -> Self {
        use hmac::{Hmac, KeyInit as _, Mac};
        let token = Hmac::<sha2::Sha256>::new_from_slice(key)
            .map(|mut mac| {
                mac.update(b"alert-whisperer/replica-token/v1");
                hex::encode(mac.finalize().into_bytes())
            })
            .unwrap_or_default();
        Self {
            cipher: ChaCha20Poly1305::new(Key::from_slice(key)),
            replica_token: token.into(),
        }
    }

    /// The token replicas of one deployment present to each other when one
    /// forwards a request to the owner of a company: derived from the master
    /// key they share, so it needs no configuration of its own and never
    /// reveals the key.
    pub fn replica_token(&self) -> &str {
        &self.replica_token
    }

    /// Encrypts `plaintext`, bound to `context` (e.g. the company id), answering (nonce, ciphertext).
    pub fn encrypt(&self, context: &str, plaintext: &[u8]) -> Result<(Vec<u8>, Vec<u8>)> {
        let mut nonce = [0u8; 12];
        rand::rng().fill_bytes(&mut nonce);
        let ciphertext = self
            .cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: plaintext,
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| Error::Internal("encryption failed".to_owned()))?;
        Ok((nonce.to_vec(), ciphertext))
    }

    /// Decrypts what [`MasterKey::encrypt`] produced with the same `context`.
    pub fn decrypt(&self, context: &str, nonce: &[u8], ciphertext: &[u8]) -> Result<Vec<u8>> {
        if nonce.len() != 12 {
            return Err(Error::Internal(
                "stored nonce has the wrong length".to_owned(),
            ));
        }
        self.cipher
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| {
                Error::Internal("decryption failed: wrong master key or corrupt secret".to_owned())
            })
    }
}

fn write_private_file(path: &Path, contents: &str) -> Result<()> {
    if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|error| {
            Error::Internal(format!("cannot create {}: {error}", dir.display()))
        })?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options
        .open(path)
        .map_err(|error| Error::Internal(format!("cannot create {}: {error}", path.display())))?;
    file.write_all(contents.as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|error| Error::Internal(format!("cannot write {}: {error}", path.display())))
}

/// Hex SHA-256 of a credential. Credentials are 192-bit random values, so a
/// plain hash is enough: there is nothing to brute-force.
pub fn hash_credential(credential: &str) -> String {
    hex::encode(Sha256::digest(credential.as_bytes()))
}

/// A freshly generated credential: the value shown once, its hash and its display prefix.
#[derive(Debug, Clone)]
pub struct NewCredential {
    /// The credential itself (shown once).
    pub secret: String,
    /// Hex SHA-256 of `secret` (stored).
    pub hash: String,
    /// First characters of `secret` (stored, shown in lists).
    pub prefix: String,
}

fn random_hex(bytes: usize) -> String {
    let mut buffer = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut buffer);
    hex::encode(buffer)
}

fn new_credential(prefix: &str) -> NewCredential {
    let secret = format!("{prefix}{}", random_hex(24));
    NewCredential {
        hash: hash_credential(&secret),
        prefix: secret.chars().take(DISPLAY_PREFIX_LEN).collect(),
        secret,
    }
}

/// A new ingest API key.
pub fn new_api_key() -> NewCredential {
    new_credential(API_KEY_PREFIX)
}

/// A new operator token.
pub fn new_operator_token() -> NewCredential {
    new_credential(OPERATOR_TOKEN_PREFIX)
}

/// A new HMAC secret: 32 random bytes as 64 hex characters. Senders use the
/// hex string's bytes as the HMAC key, as the seed prototype did.
pub fn new_hmac_secret() -> String {
    random_hex(32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encryption_round_trips_and_binds_context() {
        let key = MasterKey::from_bytes(&[7u8; 32]);
        let (nonce, ciphertext) = key.encrypt("company-a", b"secret").expect("encrypts");
        assert_eq!(
            key.decrypt("company-a", &nonce, &ciphertext)
                .expect("decrypts"),
            b"secret"
        );
        assert!(key.decrypt("company-b", &nonce, &ciphertext).is_err());
        let other = MasterKey::from_bytes(&[8u8; 32]);
        assert!(other.decrypt("company-a", &nonce, &ciphertext).is_err());
    }

    #[test]
    fn credentials_are_unique_and_hash_matches() {
        let a = new_api_key();
        let b = new_api_key();
        assert_ne!(a.secret, b.secret);
        assert!(a.secret.starts_with(API_KEY_PREFIX));
        assert_eq!(a.hash, hash_credential(&a.secret));
        assert_eq!(a.prefix.len(), DISPLAY_PREFIX_LEN);
        assert_eq!(new_hmac_secret().len(), 64);
    }

    #[test]
    fn key_file_is_created_private_and_reused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let config = Config {
            master_key_file: dir.path().join("keys/master.key"),
            ..Config::default()
        };
        let first = MasterKey::load_or_create(&config).expect("creates");
        let (nonce, ciphertext) = first.encrypt("c", b"x").expect("encrypts");
        let second = MasterKey::load_or_create(&config).expect("reads");
        assert_eq!(
            second.decrypt("c", &nonce, &ciphertext).expect("same key"),
            b"x"
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&config.master_key_file)
                .expect("exists")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
