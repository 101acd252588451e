//! Companies' HMAC secrets kept outside the database (AWS Secrets Manager,
//! docs/secrets.md): the document one company's secret holds, the
//! [`SecretSource`] it is read from and written to, and the cache in front of
//! it that keeps ingest going while the source cannot be reached.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::future::BoxFuture;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// After a failed read, how long a stale value is served before the source
/// is tried again (at most the cache lifetime): an outage costs one failed
/// call per company per this time, not one per request.
const RETRY_AFTER_FAILURE: Duration = Duration::from_secs(5);

/// A value read this recently is not read again for a secret it lacks (a
/// secret the database names but the source does not hold would otherwise
/// cost a read per request).
const MIN_REREAD: Duration = Duration::from_secs(1);

/// What one company's secret holds: its HMAC secrets by id (the ids of the
/// `hmac_secrets` rows, which say which of them verify and until when) and
/// its notification channels' credentials by channel id.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompanySecrets {
    /// HMAC secrets by id.
    #[serde(default)]
    pub hmac_secrets: BTreeMap<String, StoredSecret>,
    /// Channel credentials by channel id.
    #[serde(default)]
    pub channel_secrets: BTreeMap<String, StoredSecret>,
    /// Fields a later version wrote: kept through a change made by this one.
    #[serde(flatten)]
    pub other: serde_json::Map<String, serde_json::Value>,
}

impl CompanySecrets {
    /// The secret of this id (an HMAC secret's or a channel's).
    pub fn get(&self, id: &str) -> Option<&StoredSecret> {
        self.hmac_secrets
            .get(id)
            .or_else(|| self.channel_secrets.get(id))
    }
}

/// One secret in a [`CompanySecrets`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredSecret {
    /// The secret as it is used (an HMAC secret's 64 hex characters, a
    /// channel's signing secret, URL, password or routing key).
    pub secret: String,
    /// When it was created (Unix ms).
    pub created_at: i64,
}

/// A company's secret as read.
#[derive(Debug, Clone)]
pub struct Fetched {
    pub secrets: CompanySecrets,
    pub version_id: String,
}

/// Where a write went.
#[derive(Debug, Clone)]
pub struct Written {
    /// The secret's ARN.
    pub arn: String,
    /// The version the write created.
    pub version_id: String,
}

/// Where companies' secrets are kept: AWS Secrets Manager in the server, a
/// fake in tests.
pub trait SecretSource: Send + Sync + std::fmt::Debug {
    /// The company's secret (its current version), or `None` when it has none.
    fn read<'a>(&'a self, company_id: &'a str) -> BoxFuture<'a, Result<Option<Fetched>>>;
    /// Writes a new version of the company's secret (creating the secret
    /// the first time).
    fn write<'a>(
        &'a self,
        company_id: &'a str,
        secrets: &'a CompanySecrets,
    ) -> BoxFuture<'a, Result<Written>>;
}

#[derive(Debug, Clone)]
struct Entry {
    secrets: Arc<CompanySecrets>,
    read_at: Instant,
    /// No read before this (set after a failed one).
    retry_at: Instant,
}

/// A cache with a lifetime in front of a [`SecretSource`]. A value past its
/// lifetime is read again; when that read fails, the old value is served
/// (and the failure logged), so that an outage of the source does not stop
/// companies it already holds. A company it does not hold gets
/// [`Error::Unavailable`] meanwhile: retryable, never an accept without a
/// check.
#[derive(Debug)]
pub struct SecretCache {
    source: Arc<dyn SecretSource>,
    ttl: Duration,
    entries: Mutex<HashMap<String, Entry>>,
}

impl SecretCache {
    /// A cache of `source` whose values live `ttl`.
    pub fn new(source: Arc<dyn SecretSource>, ttl: Duration) -> Self {
        Self {
            source,
            ttl,
            entries: Mutex::new(HashMap::new()),
        }
    }

    fn entry(&self, company_id: &str) -> Option<Entry> {
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(company_id)
            .cloned()
    }

    fn remember(&self, company_id: &str, secrets: Arc<CompanySecrets>) {
        let now = Instant::now();
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(
                company_id.to_owned(),
                Entry {
                    secrets,
                    read_at: now,
                    retry_at: now,
                },
            );
    }

    /// The company's secrets, holding every id of `needed` if the source
    /// does: from the cache while fresh and complete, else read again; when
    /// the read fails, the cached value however old, else UNAVAILABLE.
    pub async fn secrets(&self, company_id: &str, needed: &[&str]) -> Result<Arc<CompanySecrets>> {
        let now = Instant::now();
        let cached = self.entry(company_id);
        if let Some(entry) = &cached {
            let complete = needed.iter().all(|id| entry.secrets.get(id).is_some());
            let fresh = now.duration_since(entry.read_at) < self.ttl;
            if (fresh && complete)
                || now < entry.retry_at
                || (!complete && now.duration_since(entry.read_at) < MIN_REREAD)
            {
                return Ok(entry.secrets.clone());
            }
        }
        match self.source.read(company_id).await {
            Ok(fetched) => {
                let secrets = Arc::new(fetched.map(|f| f.secrets).unwrap_or_default());
                self.remember(company_id, secrets.clone());
                Ok(secrets)
            }
            Err(error) => match cached {
                Some(entry) => {
                    tracing::warn!(
                        company_id,
                        %error,
                        age_seconds = now.duration_since(entry.read_at).as_secs(),
                        "secrets source unreachable: serving the cached hmac secrets"
                    );
                    if let Some(current) = self
                        .entries
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner)
                        .get_mut(company_id)
                    {
                        current.retry_at = now + RETRY_AFTER_FAILURE.min(self.ttl);
                    }
                    Ok(entry.secrets)
                }
                None => {
                    tracing::warn!(
                        company_id,
                        %error,
                        "secrets source unreachable and the company's hmac secrets are not cached"
                    );
                    Err(Error::Unavailable(format!(
                        "the HMAC secrets of company {company_id} are kept in AWS Secrets Manager, which cannot be reached now; retry later"
                    )))
                }
            },
        }
    }

    /// The company's secrets read from the source now (for a change of them),
    /// empty when it has none.
    pub async fn read_now(&self, company_id: &str) -> Result<CompanySecrets> {
        Ok(self
            .source
            .read(company_id)
            .await?
            .map(|fetched| fetched.secrets)
            .unwrap_or_default())
    }

    /// Writes a new version of the company's secrets and caches it.
    pub async fn write(&self, company_id: &str, secrets: CompanySecrets) -> Result<Written> {
        let written = self.source.write(company_id, &secrets).await?;
        self.remember(company_id, Arc::new(secrets));
        Ok(written)
    }

    /// Forgets the company's cached secrets.
    pub fn invalidate(&self, company_id: &str) {
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(company_id);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

    use super::*;

    /// A source in memory that can be made to fail, counting its reads.
    #[derive(Debug, Default)]
    struct FakeSource {
        secrets: Mutex<HashMap<String, CompanySecrets>>,
        down: AtomicBool,
        reads: AtomicUsize,
    }

    impl SecretSource for FakeSource {
        fn read<'a>(&'a self, company_id: &'a str) -> BoxFuture<'a, Result<Option<Fetched>>> {
            Box::pin(async move {
                self.reads.fetch_add(1, Ordering::SeqCst);
                if self.down.load(Ordering::SeqCst) {
                    return Err(Error::Unavailable("connection refused".to_owned()));
                }
                Ok(self
                    .secrets
                    .lock()
                    .unwrap()
                    .get(company_id)
                    .cloned()
                    .map(|secrets| Fetched {
                        secrets,
                        version_id: "v".to_owned(),
                    }))
            })
        }

        fn write<'a>(
            &'a self,
            company_id: &'a str,
            secrets: &'a CompanySecrets,
        ) -> BoxFuture<'a, Result<Written>> {
            Box::pin(async move {
                if self.down.load(Ordering::SeqCst) {
                    return Err(Error::Unavailable("connection refused".to_owned()));
                }
                self.secrets
                    .lock()
                    .unwrap()
                    .insert(company_id.to_owned(), secrets.clone());
                Ok(Written {
                    arn: format!("arn:{company_id}"),
                    version_id: "v".to_owned(),
                })
            })
        }
    }

    fn one(id: &str, secret: &str) -> CompanySecrets {
        CompanySecrets {
            hmac_secrets: BTreeMap::from([(
                id.to_owned(),
                StoredSecret {
                    secret: secret.to_owned(),
                    created_at: 1,
                },
            )]),
            ..CompanySecrets::default()
        }
    }

    #[test]
    fn fields_of_a_later_version_survive_a_change() {
        let text = r#"{"hmac_secrets":{},"channel_secrets":{"c":{"secret":"u","created_at":2}},"totp":{"x":1}}"#;
        let mut secrets: CompanySecrets = serde_json::from_str(text).unwrap();
        assert_eq!(secrets.get("c").unwrap().secret, "u");
        secrets.hmac_secrets.insert(
            "h".to_owned(),
            StoredSecret {
                secret: "s".to_owned(),
                created_at: 3,
            },
        );
        let written: serde_json::Value =
            serde_json::from_str(&serde_json::to_string(&secrets).unwrap()).unwrap();
        assert_eq!(written["totp"]["x"], 1);
        assert_eq!(written["hmac_secrets"]["h"]["secret"], "s");
    }

    fn cache(source: &Arc<FakeSource>, ttl: Duration) -> SecretCache {
        SecretCache::new(source.clone(), ttl)
    }

    #[tokio::test]
    async fn fresh_values_are_served_without_a_read() {
        let source = Arc::new(FakeSource::default());
        source
            .secrets
            .lock()
            .unwrap()
            .insert("a".into(), one("s1", "x"));
        let cache = cache(&source, Duration::from_secs(60));
        for _ in 0..3 {
            let secrets = cache.secrets("a", &["s1"]).await.unwrap();
            assert_eq!(secrets.hmac_secrets["s1"].secret, "x");
        }
        assert_eq!(source.reads.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn a_secret_the_cache_lacks_is_read_at_once() {
        let source = Arc::new(FakeSource::default());
        source
            .secrets
            .lock()
            .unwrap()
            .insert("a".into(), one("s1", "x"));
        let cache = cache(&source, Duration::from_secs(60));
        cache.secrets("a", &["s1"]).await.unwrap();
        // Rotated elsewhere (another replica): the database names s2.
        source
            .secrets
            .lock()
            .unwrap()
            .insert("a".into(), one("s2", "y"));
        tokio::time::sleep(MIN_REREAD).await;
        let secrets = cache.secrets("a", &["s2"]).await.unwrap();
        assert_eq!(secrets.hmac_secrets["s2"].secret, "y");
        assert_eq!(source.reads.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn an_outage_serves_the_stale_value_and_refuses_unknown_companies() {
        let source = Arc::new(FakeSource::default());
        source
            .secrets
            .lock()
            .unwrap()
            .insert("a".into(), one("s1", "x"));
        source
            .secrets
            .lock()
            .unwrap()
            .insert("b".into(), one("s9", "z"));
        let cache = cache(&source, Duration::from_millis(50));
        cache.secrets("a", &["s1"]).await.unwrap();
        source.down.store(true, Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(60)).await;
        let secrets = cache.secrets("a", &["s1"]).await.expect("stale value");
        assert_eq!(secrets.hmac_secrets["s1"].secret, "x");
        assert_eq!(source.reads.load(Ordering::SeqCst), 2, "one failed read");
        // Within the retry delay the source is not asked again.
        cache.secrets("a", &["s1"]).await.expect("stale value");
        assert_eq!(source.reads.load(Ordering::SeqCst), 2);
        let error = cache.secrets("b", &["s9"]).await.expect_err("not cached");
        assert!(matches!(error, Error::Unavailable(_)), "{error:?}");
        assert!(error.to_string().contains("retry later"), "{error}");
        // Back up: the next read after the retry delay refreshes.
        source.down.store(false, Ordering::SeqCst);
        assert_eq!(
            cache.secrets("b", &["s9"]).await.unwrap().hmac_secrets["s9"].secret,
            "z"
        );
    }

    #[tokio::test]
    async fn writes_are_cached_and_invalidation_forgets() {
        let source = Arc::new(FakeSource::default());
        let cache = cache(&source, Duration::from_secs(60));
        assert_eq!(
            cache.read_now("a").await.unwrap(),
            CompanySecrets::default()
        );
        let written = cache.write("a", one("s1", "x")).await.unwrap();
        assert_eq!(written.arn, "arn:a");
        let reads = source.reads.load(Ordering::SeqCst);
        cache.secrets("a", &["s1"]).await.unwrap();
        assert_eq!(
            source.reads.load(Ordering::SeqCst),
            reads,
            "written value cached"
        );
        cache.invalidate("a");
        source.down.store(true, Ordering::SeqCst);
        assert!(matches!(
            cache.secrets("a", &["s1"]).await,
            Err(Error::Unavailable(_))
        ));
    }
}
