//! Native TLS on the port: the certificate, key and optional client CA read
//! from PEM files, ALPN offering `h2` (gRPC) and `http/1.1` (grpc-web,
//! webhooks), and the files read again when they change.
//!
//! A reload builds a new `ServerConfig` and swaps it in: handshakes from then
//! on use it, while connections already open keep the session they made.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use arc_swap::ArcSwap;
use rustls::ServerConfig;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::WebPkiClientVerifier;
use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;

use crate::config::Config;

/// How often the files are checked for a change (their modification time
/// and size: two `stat` calls, nothing read while they stay the same).
const RELOAD_POLL: Duration = Duration::from_secs(2);

/// A certificate, key or client CA that cannot be used; the message names
/// the configuration key and the file.
#[derive(Debug, thiserror::Error)]
pub(crate) enum TlsError {
    /// The file cannot be read.
    #[error("{key}: cannot read {path}: {source}")]
    Read {
        /// The configuration key that names the file.
        key: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    /// The file holds no usable PEM block of the kind expected.
    #[error("{key}: {path}: {why}")]
    Pem {
        /// The configuration key that names the file.
        key: &'static str,
        path: PathBuf,
        /// What is wrong with its contents.
        why: String,
    },
    /// rustls refused the certificate with its key (a key that does not
    /// match the certificate, an unsupported key type).
    #[error("tls_cert_file: {path} with tls_key_file {key_path}: {source}")]
    Certificate {
        /// The certificate file.
        path: PathBuf,
        key_path: PathBuf,
        source: rustls::Error,
    },
    /// The client CA cannot verify client certificates.
    #[error("tls_client_ca_file: {path}: {why}")]
    ClientCa {
        /// The client CA file.
        path: PathBuf,
        why: String,
    },
}

/// The files TLS is configured with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TlsFiles {
    /// PEM certificate chain, the server's certificate first.
    cert: PathBuf,
    /// PEM private key (PKCS#8, PKCS#1 or SEC1).
    key: PathBuf,
    /// PEM CA certificates that client certificates must chain to; `None`
    /// serves clients without a certificate.
    client_ca: Option<PathBuf>,
}

impl TlsFiles {
    /// The configured files, or `None` when TLS is off.
    pub(crate) fn from_config(config: &Config) -> Option<Self> {
        if !config.tls_enabled() {
            return None;
        }
        Some(Self {
            cert: config.tls_cert_file.clone(),
            key: config.tls_key_file.clone(),
            client_ca: (!config.tls_client_ca_file.as_os_str().is_empty())
                .then(|| config.tls_client_ca_file.clone()),
        })
    }

    fn paths(&self) -> impl Iterator<Item = &Path> {
        [Some(self.cert.as_path()), Some(self.key.as_path())]
            .into_iter()
            .chain(std::iter::once(self.client_ca.as_deref()))
            .flatten()
    }
}

/// What identifies a version of a file without reading it.
type Stamp = Option<(SystemTime, u64)>;

/// The port's TLS configuration, swapped whole when the files change.
pub(crate) struct ServerTls {
    files: TlsFiles,
    current: ArcSwap<ServerConfig>,
}

impl std::fmt::Debug for ServerTls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerTls")
            .field("files", &self.files)
            .finish_non_exhaustive()
    }
}

impl ServerTls {
    /// Reads the files and builds the configuration; start-up stops on an
    /// error.
    pub(crate) fn load(files: TlsFiles) -> Result<Self, TlsError> {
        let config = server_config(&files)?;
        Ok(Self {
            files,
            current: ArcSwap::from_pointee(config),
        })
    }

    /// An acceptor with the configuration in force now.
    pub(crate) fn acceptor(&self) -> TlsAcceptor {
        TlsAcceptor::from(self.current.load_full())
    }

    /// Checks the files every few seconds until `stopping`, and swaps in a
    /// new configuration when one changed. A file that cannot be used (half
    /// written, a key that does not match yet) is logged once and the
    /// configuration in force is kept; it is tried again at the next change.
    pub(crate) fn spawn_reload(self: Arc<Self>, stopping: CancellationToken) {
        tokio::spawn(async move {
            let mut loaded = self.stamps().await;
            let mut refused = None;
            let mut every = tokio::time::interval(RELOAD_POLL);
            every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    () = stopping.cancelled() => return,
                    _ = every.tick() => {}
                }
                let stamps = self.stamps().await;
                if stamps == loaded || refused.as_ref() == Some(&stamps) {
                    continue;
                }
                let files = self.files.clone();
                let built = tokio::task::spawn_blocking(move || server_config(&files)).await;
                match built {
                    Ok(Ok(config)) => {
                        self.current.store(Arc::new(config));
                        tracing::info!(cert = %self.files.cert.display(), "reloaded the tls certificate");
                        loaded = stamps;
                        refused = None;
                    }
                    Ok(Err(error)) => {
                        tracing::warn!(%error, "cannot reload the tls certificate; keeping the one in use");
                        refused = Some(stamps);
                    }
                    Err(error) => {
                        tracing::warn!(%error, "tls certificate reload did not finish");
                    }
                }
            }
        });
    }

    async fn stamps(&self) -> Vec<Stamp> {
        let mut stamps = Vec::new();
        for path in self.files.paths() {
            let stamp = tokio::fs::metadata(path)
                .await
                .ok()
                .and_then(|meta| Some((meta.modified().ok()?, meta.len())));
            stamps.push(stamp);
        }
        stamps
    }
}

/// Reads the files and checks that they make a TLS configuration.
pub(crate) fn check(files: &TlsFiles) -> Result<(), TlsError> {
    server_config(files).map(drop)
}

/// The one crypto provider of the port's TLS (and of the replicas'
/// forwarding client): ring, named explicitly because the AWS SDK brings
/// aws-lc-rs into the build too, and rustls will not pick between them.
fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn read(key: &'static str, path: &Path) -> Result<Vec<u8>, TlsError> {
    std::fs::read(path).map_err(|source| TlsError::Read {
        key,
        path: path.to_path_buf(),
        source,
    })
}

fn certificates(key: &'static str, path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let pem_error = |why: String| TlsError::Pem {
        key,
        path: path.to_path_buf(),
        why,
    };
    let certificates = CertificateDer::pem_slice_iter(&read(key, path)?)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|error| pem_error(pem_text(error)))?;
    if certificates.is_empty() {
        return Err(pem_error("no PEM CERTIFICATE block".to_owned()));
    }
    Ok(certificates)
}

fn private_key(path: &Path) -> Result<PrivateKeyDer<'static>, TlsError> {
    PrivateKeyDer::from_pem_slice(&read("tls_key_file", path)?).map_err(|error| TlsError::Pem {
        key: "tls_key_file",
        path: path.to_path_buf(),
        why: match error {
            rustls::pki_types::pem::Error::NoItemsFound => {
                "no PEM PRIVATE KEY block (PKCS#8, RSA or EC)".to_owned()
            }
            other => pem_text(other),
        },
    })
}

/// A PEM error with the lines it quotes as text (its own message prints
/// them as byte arrays).
fn pem_text(error: rustls::pki_types::pem::Error) -> String {
    use rustls::pki_types::pem::Error;
    match error {
        Error::MissingSectionEnd { end_marker } => format!(
            "no \"-----END {}-----\" line (half written?)",
            String::from_utf8_lossy(&end_marker)
        ),
        Error::IllegalSectionStart { line } => {
            format!("malformed PEM line {:?}", String::from_utf8_lossy(&line))
        }
        other => other.to_string(),
    }
}

fn server_config(files: &TlsFiles) -> Result<ServerConfig, TlsError> {
    let chain = certificates("tls_cert_file", &files.cert)?;
    let key = private_key(&files.key)?;
    let provider = provider();
    let builder = ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|source| TlsError::Certificate {
            path: files.cert.clone(),
            key_path: files.key.clone(),
            source,
        })?;
    let builder = match &files.client_ca {
        None => builder.with_no_client_auth(),
        Some(path) => {
            let mut roots = rustls::RootCertStore::empty();
            for certificate in certificates("tls_client_ca_file", path)? {
                roots.add(certificate).map_err(|error| TlsError::ClientCa {
                    path: path.clone(),
                    why: error.to_string(),
                })?;
            }
            let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
                .build()
                .map_err(|error| TlsError::ClientCa {
                    path: path.clone(),
                    why: error.to_string(),
                })?;
            builder.with_client_cert_verifier(verifier)
        }
    };
    // Checks that the key is the certificate's.
    let mut config =
        builder
            .with_single_cert(chain, key)
            .map_err(|source| TlsError::Certificate {
                path: files.cert.clone(),
                key_path: files.key.clone(),
                source,
            })?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(config)
}

/// The TLS settings of the client one replica forwards requests to another
/// with, when replicas advertise `https://`: the other's certificate is
/// verified against the system's roots (rustls-native-certs, which honours
/// `SSL_CERT_FILE` and `SSL_CERT_DIR`); when the port requires client
/// certificates, the replica presents its own certificate and key. Read
/// when a client is made, so a client made after a reload presents the new
/// certificate.
pub(crate) fn replica_client_config(
    files: &TlsFiles,
) -> Result<tonic::transport::ClientTlsConfig, TlsError> {
    let mut config = tonic::transport::ClientTlsConfig::new().with_native_roots();
    if files.client_ca.is_some() {
        let cert = read("tls_cert_file", &files.cert)?;
        let key = read("tls_key_file", &files.key)?;
        config = config.identity(tonic::transport::Identity::from_pem(cert, key));
    }
    Ok(config)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_and_empty_files_name_the_key() {
        let dir = tempfile::tempdir().expect("tempdir");
        let files = TlsFiles {
            cert: dir.path().join("missing.pem"),
            key: dir.path().join("key.pem"),
            client_ca: None,
        };
        let error = ServerTls::load(files.clone()).expect_err("no file");
        assert!(error.to_string().starts_with("tls_cert_file: "), "{error}");

        std::fs::write(&files.cert, "not pem\n").expect("write");
        let error = ServerTls::load(files.clone()).expect_err("no certificate");
        assert!(
            error.to_string().contains("no PEM CERTIFICATE block"),
            "{error}"
        );

        std::fs::write(&files.cert, "-----BEGIN CERTIFICATE-----\nbm9wZQ==\n").expect("write");
        let error = ServerTls::load(files).expect_err("half a certificate");
        assert!(
            error
                .to_string()
                .contains("no \"-----END CERTIFICATE-----\" line"),
            "{error}"
        );
    }
}
