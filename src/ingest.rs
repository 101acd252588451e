//! What the ingest path shared by IngestService and the webhook adapter
//! checks before a company's owner decides: API-key authentication
//! (cached), HMAC secrets (cached, decrypted) and per-company rate limits.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use governor::{DefaultKeyedRateLimiter, Quota};
use tokio_util::sync::CancellationToken;

use crate::auth::IngestCaller;
use crate::config::Config;
use crate::error::{Error, Result};
use crate::secrets::{MasterKey, hash_credential};
use crate::store::Store;

/// Credential caches are cleared when they grow past this (bounds memory under
/// a flood of bad keys).
const MAX_CACHE_ENTRIES: usize = 10_000;

type Cached<T> = Mutex<HashMap<String, (Instant, T)>>;

/// The ingest path's shared state.
pub struct Ingestor {
    store: Store,
    master_key: MasterKey,
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
            let mut plain = Vec::new();
            for secret in self.store.active_hmac_secrets(company_id).await? {
                plain.push(self.master_key.decrypt(
                    company_id,
                    &secret.nonce,
                    &secret.ciphertext,
                )?);
            }
            Some(Arc::new(plain))
        } else {
            None
        };
        remember(&self.hmac, company_id.to_owned(), secrets.clone());
        Ok(secrets)
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
