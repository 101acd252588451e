//! What the ingest path shared by IngestService and the webhook adapter
//! checks before a company's owner decides: API-key authentication
//! (cached), HMAC secrets (cached; decrypted, or read from AWS Secrets
//! Manager through [`SecretCache`]) and per-company rate limits.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use governor::{DefaultKeyedRateLimiter, Quota};
use tokio_util::sync::CancellationToken;

use crate::auth::IngestCaller;
use crate::config::{Config, SecretsBackend};
use crate::error::{Error, Result};
use crate::secret_cache::{SecretCache, StoredSecret};
use crate::secrets::{MasterKey, hash_credential};
use crate::store::tenant::SecretMaterial;
use crate::store::{Store, now_ms};

/// A secret another change wrote this recently is kept by the next change
/// even if the database does not list it yet (two changes at once).
const IN_FLIGHT_MS: i64 = 5 * 60 * 1000;

/// The cache of companies' secrets in AWS Secrets Manager, whenever AWS is
/// configured: with the `aws_secrets_manager` backend new secrets go there,
/// and with either backend secrets that were put there stay readable.
pub fn secret_cache(config: &Config, aws: &crate::aws::Aws) -> Result<Option<Arc<SecretCache>>> {
    if !aws.is_configured() {
        return Ok(None);
    }
    let source = crate::aws::secrets_manager::SecretsManagerSource::new(
        aws.secrets_manager()?,
        &config.secrets_name_prefix,
    );
    Ok(Some(Arc::new(SecretCache::new(
        Arc::new(source),
        Duration::from_secs(config.secrets_cache_seconds),
    ))))
}

/// Credential caches are cleared when they grow past this (bounds memory under
/// a flood of bad keys).
const MAX_CACHE_ENTRIES: usize = 10_000;

type Cached<T> = Mutex<HashMap<String, (Instant, T)>>;

/// The ingest path's shared state.
pub struct Ingestor {
    store: Store,
    master_key: MasterKey,
    /// Secrets Manager behind a cache, when AWS is configured.
    secret_cache: Option<Arc<SecretCache>>,
    /// Where new HMAC secrets go.
    backend: SecretsBackend,
    /// Held across each read-modify-write of a company's secret in Secrets
    /// Manager, so that two changes on this replica never lose one.
    changes: tokio::sync::Mutex<()>,
    keys: Cached<Option<IngestCaller>>,
    hmac: Cached<Option<Arc<Vec<Vec<u8>>>>>,
    cache_ttl: Duration,
    limiter: Option<DefaultKeyedRateLimiter<String>>,
}

impl std::fmt::Debug for Ingestor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ingestor").finish_non_exhaustive()
    }
}

fn cached<T: Clone>(cache: &Cached<T>, key: &str, ttl: Duration) -> Option<T> {
    let cache = cache
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    cache
        .get(key)
        .filter(|(at, _)| at.elapsed() < ttl)
        .map(|(_, value)| value.clone())
}

fn remember<T>(cache: &Cached<T>, key: String, value: T) {
    let mut cache = cache
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if cache.len() >= MAX_CACHE_ENTRIES {
        cache.clear();
    }
    cache.insert(key, (Instant::now(), value));
}

impl Ingestor {
    /// The caches and limits, and the task that prunes expired replay records.
    pub fn start(
        store: Store,
        master_key: MasterKey,
        secret_cache: Option<Arc<SecretCache>>,
        config: &Config,
        shutdown: CancellationToken,
    ) -> Arc<Self> {
        tokio::spawn(prune_replay_records(store.clone(), shutdown));
        let limiter = NonZeroU32::new(config.ingest_rate_limit_per_second).map(|rate| {
            let burst = NonZeroU32::new(config.ingest_rate_limit_burst).unwrap_or(rate);
            DefaultKeyedRateLimiter::keyed(Quota::per_second(rate).allow_burst(burst))
        });
        Arc::new(Self {
            store,
            master_key,
            secret_cache,
            backend: config.secrets_backend,
            changes: tokio::sync::Mutex::new(()),
            keys: Mutex::new(HashMap::new()),
            hmac: Mutex::new(HashMap::new()),
            cache_ttl: Duration::from_secs(config.ingest_credential_cache_seconds),
            limiter,
        })
    }

    /// The company and key id of an ingest API key, or UNAUTHENTICATED.
    pub async fn authenticate(&self, key: &str) -> Result<IngestCaller> {
        let hash = hash_credential(key.trim());
        let caller = match cached(&self.keys, &hash, self.cache_ttl) {
            Some(caller) => caller,
            None => {
                let caller =
                    self.store
                        .authenticate_api_key(&hash)
                        .await?
                        .map(|record| IngestCaller {
                            company_id: record.company_id,
                            api_key_id: record.id,
                        });
                remember(&self.keys, hash, caller.clone());
                caller
            }
        };
        caller.ok_or_else(|| {
            Error::Unauthenticated("the api key is unknown, revoked or expired".to_owned())
        })
    }

    /// The company's HMAC secrets (newest first) when HMAC is enabled; `None` when not.
    pub async fn hmac_secrets(&self, company_id: &str) -> Result<Option<Arc<Vec<Vec<u8>>>>> {
        if let Some(secrets) = cached(&self.hmac, company_id, self.cache_ttl) {
            return Ok(secrets);
        }
        let company = self
            .store
            .get_company(&crate::store::Scope::All, company_id)
            .await?;
        let secrets = if company.hmac_enabled {
            let rows = self.store.active_hmac_secrets(company_id).await?;
            let in_aws: Vec<&str> = rows
                .iter()
                .filter(|row| row.secret_arn.is_some())
                .map(|row| row.id.as_str())
                .collect();
            let kept = if in_aws.is_empty() {
                None
            } else {
                Some(self.cache()?.secrets(company_id, &in_aws).await?)
            };
            let mut plain = Vec::new();
            for secret in &rows {
                match &kept {
                    Some(kept) if secret.secret_arn.is_some() => {
                        match kept.get(&secret.id) {
                            Some(stored) => plain.push(stored.secret.as_bytes().to_vec()),
                            // Verifying with the others is still right: a
                            // sender of this one is refused, nobody is let in.
                            None => tracing::warn!(
                                company_id,
                                secret_id = %secret.id,
                                "hmac secret missing from the company's secret in secrets manager"
                            ),
                        }
                    }
                    _ => plain.push(self.master_key.decrypt(
                        company_id,
                        &secret.nonce,
                        &secret.ciphertext,
                    )?),
                }
            }
            Some(Arc::new(plain))
        } else {
            None
        };
        remember(&self.hmac, company_id.to_owned(), secrets.clone());
        Ok(secrets)
    }

    fn cache(&self) -> Result<&SecretCache> {
        self.secret_cache.as_deref().ok_or_else(|| {
            Error::FailedPrecondition(
                "this company's HMAC secrets are in AWS Secrets Manager, but AWS is not configured on this server: set aws_region (ALERT_WHISPERER_AWS_REGION)"
                    .to_owned(),
            )
        })
    }

    /// Keeps a new HMAC secret `id` of a company where the secrets backend
    /// says: encrypted for the database, or as a new version of the
    /// company's secret in Secrets Manager that also holds the secrets of
    /// `keep` (those that verify on) and drops the others the database
    /// lists (`listed`). A recent one it does not list yet is another
    /// change's, whose transaction has not committed: it is kept too.
    pub async fn seal_hmac_secret(
        &self,
        company_id: &str,
        id: &str,
        secret: &str,
        keep: &[String],
        listed: &[String],
    ) -> Result<SecretMaterial> {
        if self.backend == SecretsBackend::Local {
            let (nonce, ciphertext) = self.master_key.encrypt(company_id, secret.as_bytes())?;
            return Ok(SecretMaterial::Encrypted { nonce, ciphertext });
        }
        let cache = self.cache()?;
        let _change = self.changes.lock().await;
        let mut secrets = cache.read_now(company_id).await?;
        let now = now_ms();
        secrets.hmac_secrets.retain(|kept_id, stored| {
            keep.contains(kept_id)
                || (!listed.contains(kept_id)
                    && stored.created_at > now.saturating_sub(IN_FLIGHT_MS))
        });
        secrets.hmac_secrets.insert(
            id.to_owned(),
            StoredSecret {
                secret: secret.to_owned(),
                created_at: now,
            },
        );
        let written = cache.write(company_id, secrets).await?;
        tracing::info!(company_id, secret_id = id, version_id = %written.version_id, "stored an hmac secret in secrets manager");
        Ok(SecretMaterial::SecretsManager {
            arn: written.arn,
            version_id: written.version_id,
        })
    }

    /// Keeps a new notification channel's credential where the secrets
    /// backend says: encrypted for the database, or in the company's secret
    /// in Secrets Manager under the channel id.
    pub async fn seal_channel_secret(
        &self,
        company_id: &str,
        channel_id: &str,
        secret: &str,
    ) -> Result<SecretMaterial> {
        if self.backend == SecretsBackend::Local {
            let (nonce, ciphertext) = self.master_key.encrypt(
                &crate::notify::secret_context(company_id),
                secret.as_bytes(),
            )?;
            return Ok(SecretMaterial::Encrypted { nonce, ciphertext });
        }
        let cache = self.cache()?;
        let _change = self.changes.lock().await;
        let mut secrets = cache.read_now(company_id).await?;
        secrets.channel_secrets.insert(
            channel_id.to_owned(),
            StoredSecret {
                secret: secret.to_owned(),
                created_at: now_ms(),
            },
        );
        let written = cache.write(company_id, secrets).await?;
        tracing::info!(company_id, channel_id, version_id = %written.version_id, "stored a channel credential in secrets manager");
        Ok(SecretMaterial::SecretsManager {
            arn: written.arn,
            version_id: written.version_id,
        })
    }

    /// After a channel whose credential is in Secrets Manager was deleted:
    /// a new version of the company's secret without it.
    pub async fn forget_channel_secret(&self, company_id: &str, channel_id: &str) -> Result<()> {
        let cache = self.cache()?;
        let _change = self.changes.lock().await;
        let mut secrets = cache.read_now(company_id).await?;
        if secrets.channel_secrets.remove(channel_id).is_some() {
            cache.write(company_id, secrets).await?;
        }
        Ok(())
    }

    /// After HMAC was disabled: a new version of the company's secret in
    /// Secrets Manager without HMAC secrets, if it holds any. Secrets
    /// Manager is asked only with that backend or when the company had
    /// secrets there (`had_aws`).
    pub async fn clear_hmac_secrets(&self, company_id: &str, had_aws: bool) -> Result<()> {
        if self.backend == SecretsBackend::Local && !had_aws {
            return Ok(());
        }
        let cache = self.cache()?;
        let _change = self.changes.lock().await;
        let mut secrets = cache.read_now(company_id).await?;
        if secrets.hmac_secrets.is_empty() {
            return Ok(());
        }
        secrets.hmac_secrets.clear();
        cache.write(company_id, secrets).await?;
        Ok(())
    }

    /// Forgets cached credentials of a company (after a key or HMAC change here;
    /// other replicas notice within the cache lifetime).
    pub fn invalidate_company(&self, company_id: &str) {
        self.hmac
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(company_id);
        self.keys
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .retain(|_, (_, caller)| {
                caller
                    .as_ref()
                    .is_none_or(|caller| caller.company_id != company_id)
            });
    }

    /// Takes `alerts` from the company's rate budget, or answers how long to wait.
    pub fn check_rate(&self, company_id: &str, alerts: usize) -> Result<(), Duration> {
        let Some(limiter) = &self.limiter else {
            return Ok(());
        };
        let n = NonZeroU32::new(u32::try_from(alerts.max(1)).unwrap_or(u32::MAX))
            .unwrap_or(NonZeroU32::MIN);
        match limiter.check_key_n(&company_id.to_owned(), n) {
            Ok(Ok(())) => Ok(()),
            Ok(Err(not_until)) => Err(not_until.wait_time_from(governor::clock::Clock::now(
                &governor::clock::DefaultClock::default(),
            ))),
            // More alerts at once than the burst allows: a second is the honest hint.
            Err(_) => Err(Duration::from_secs(1)),
        }
    }
}

async fn prune_replay_records(store: Store, shutdown: CancellationToken) {
    let mut interval = tokio::time::interval(Duration::from_secs(60));
    loop {
        tokio::select! {
            () = shutdown.cancelled() => return,
            _ = interval.tick() => {}
        }
        match store.prune_webhook_signatures().await {
            Ok(0) => {}
            Ok(pruned) => tracing::debug!(pruned, "pruned expired webhook signatures"),
            Err(error) => tracing::warn!(%error, "cannot prune webhook signatures"),
        }
    }
}
