//! The ingest path shared by IngestService and the webhook adapter: API-key
//! authentication (cached), HMAC secrets (cached, decrypted), per-company rate
//! limits, and the group-commit writer that makes each accepted alert durable
//! before the caller is answered.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use governor::{DefaultKeyedRateLimiter, Quota};
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;

use crate::auth::IngestCaller;
use crate::config::Config;
use crate::correlator::{Correlator, EventOutcome};
use crate::error::{Error, Result};
use crate::secrets::{MasterKey, hash_credential};
use crate::store::Store;
use crate::store::ingest::{BatchOutcome, IngestBatch, PreparedGroup};

/// Most events one group commit takes.
const MAX_GROUP_ROWS: usize = 4000;
/// Most requests one group commit takes.
const MAX_GROUP_JOBS: usize = 512;
/// Credential caches are cleared when they grow past this (bounds memory under
/// a flood of bad keys).
const MAX_CACHE_ENTRIES: usize = 10_000;

struct Job {
    batch: IngestBatch,
    reply: oneshot::Sender<Result<Ingested>>,
}

/// What the writer did with one batch.
#[derive(Debug, Clone)]
pub struct Ingested {
    /// Stored (or a replay).
    pub outcome: BatchOutcome,
    /// What correlation made of the batch's new events when the writer
    /// correlated them in its commit; `None` when it did not (the caller then
    /// asks the correlator). Events missing from it are still pending.
    pub correlated: Option<HashMap<String, EventOutcome>>,
    /// Whether the company's pass was skipped (auto-correlate is off): its
    /// events stay pending and there is nothing to ask the correlator.
    pub correlation_off: bool,
}

type Cached<T> = Mutex<HashMap<String, (Instant, T)>>;

/// The ingest path's shared state.
pub struct Ingestor {
    store: Store,
    master_key: MasterKey,
    jobs: mpsc::Sender<Job>,
    keys: Cached<Option<IngestCaller>>,
    hmac: Cached<Option<Arc<Vec<Vec<u8>>>>>,
    cache_ttl: Duration,
    // When each API key's last use was last written, to write it once a minute.
    key_touched: Mutex<HashMap<String, Instant>>,
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
    /// Starts the group-commit writer (which correlates what it commits, and
    /// tells `correlator`'s listeners) and the replay-record pruner.
    pub async fn start(
        store: Store,
        master_key: MasterKey,
        config: &Config,
        correlator: Correlator,
        shutdown: CancellationToken,
    ) -> Result<Arc<Self>> {
        let (jobs, receiver) = mpsc::channel(4096);
        // The writer runs on a thread of its own: on the shared runtime each of
        // its database round trips waited behind the request tasks (measured:
        // 0.3 ms per await under load), and the writer is the serial part.
        let writer_store = Store::connect_with_pool(config, 1).await?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|error| Error::Internal(format!("cannot start the ingest writer: {error}")))?;
        std::thread::Builder::new()
            .name("ingest-writer".to_owned())
            .spawn(move || runtime.block_on(write_groups(writer_store, correlator, receiver)))
            .map_err(|error| {
                Error::Internal(format!("cannot start the ingest writer thread: {error}"))
            })?;
        tokio::spawn(prune_replay_records(store.clone(), shutdown));
        let limiter = NonZeroU32::new(config.ingest_rate_limit_per_second).map(|rate| {
            let burst = NonZeroU32::new(config.ingest_rate_limit_burst).unwrap_or(rate);
            DefaultKeyedRateLimiter::keyed(Quota::per_second(rate).allow_burst(burst))
        });
        Ok(Arc::new(Self {
            store,
            master_key,
            jobs,
            keys: Mutex::new(HashMap::new()),
            hmac: Mutex::new(HashMap::new()),
            cache_ttl: Duration::from_secs(config.ingest_credential_cache_seconds),
            key_touched: Mutex::new(HashMap::new()),
            limiter,
        }))
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

    /// Commits the batch (together with concurrent ones), correlating it in
    /// the same transaction, and answers what became of it.
    pub async fn ingest(&self, mut batch: IngestBatch) -> Result<Ingested> {
        batch.touch_api_key = {
            let mut touched = self
                .key_touched
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let due = touched
                .get(&batch.api_key_id)
                .is_none_or(|at| at.elapsed() >= Duration::from_secs(60));
            if due {
                if touched.len() >= MAX_CACHE_ENTRIES {
                    touched.clear();
                }
                touched.insert(batch.api_key_id.clone(), Instant::now());
            }
            due
        };
        let (reply, answer) = oneshot::channel();
        self.jobs
            .send(Job { batch, reply })
            .await
            .map_err(|_| Error::Internal("the ingest writer has stopped".to_owned()))?;
        answer
            .await
            .map_err(|_| Error::Internal("the ingest writer dropped a batch".to_owned()))?
    }
}

/// A group on its way from the builder to the committer.
struct Group {
    batches: Vec<IngestBatch>,
    replies: Vec<oneshot::Sender<Result<Ingested>>>,
    prepared: Result<PreparedGroup>,
    rows: usize,
}

/// The group-commit writer. Stage one takes every request waiting in the
/// queue (up to a bound) and builds one group; stage two commits each group in
/// one transaction, so one fsync serves many requests.
///
/// Stage one starts a group as soon as the committer has taken the previous
/// one, so that building its statements overlaps the commit (for large
/// batches that is most of the gain), then tops it up with the requests that
/// arrived meanwhile once the committer has finished. Without the top-up the
/// requests in flight split over three groups (committing, built and waiting,
/// queued) instead of two: 22 requests per group at 64 webhook connections
/// instead of 32, and each commit has fixed costs and writes every page it
/// touches whole, so smaller groups cost more per alert.
async fn write_groups(store: Store, correlator: Correlator, mut receiver: mpsc::Receiver<Job>) {
    let (groups, ready) = mpsc::channel::<Group>(1);
    let free = Arc::new(tokio::sync::Semaphore::new(1));
    let committer = tokio::spawn(commit_groups(
        store.clone(),
        correlator,
        ready,
        Arc::clone(&free),
    ));
    while let Some(first) = receiver.recv().await {
        // Wait until the committer has taken the previous group.
        let Ok(slot) = groups.reserve().await else {
            break;
        };
        let mut rows = first.batch.events.len();
        let mut jobs = vec![first];
        take_waiting(&mut receiver, &mut jobs, &mut rows);
        let (mut batches, mut replies) = split_jobs(jobs);
        let mut prepared = store.prepare_group(&batches);
        // Then until it has finished it, and top up.
        let Ok(permit) = free.acquire().await else {
            break;
        };
        permit.forget();
        let mut more = Vec::new();
        take_waiting(&mut receiver, &mut more, &mut rows);
        if !more.is_empty() {
            let (more_batches, more_replies) = split_jobs(more);
            prepared = match (prepared, store.prepare_group(&more_batches)) {
                (Ok(mut group), Ok(extra)) => {
                    group.append(extra, batches.len());
                    Ok(group)
                }
                (Err(error), _) | (_, Err(error)) => Err(error),
            };
            batches.extend(more_batches);
            replies.extend(more_replies);
        }
        slot.send(Group {
            batches,
            replies,
            prepared,
            rows,
        });
    }
    drop(groups);
    let _ = committer.await;
}

/// Moves waiting requests into `jobs` while the group's bounds allow.
fn take_waiting(receiver: &mut mpsc::Receiver<Job>, jobs: &mut Vec<Job>, rows: &mut usize) {
    while *rows < MAX_GROUP_ROWS && jobs.len() < MAX_GROUP_JOBS {
        match receiver.try_recv() {
            Ok(job) => {
                *rows += job.batch.events.len();
                jobs.push(job);
            }
            Err(_) => break,
        }
    }
}

fn split_jobs(jobs: Vec<Job>) -> (Vec<IngestBatch>, Vec<oneshot::Sender<Result<Ingested>>>) {
    jobs.into_iter().map(|job| (job.batch, job.reply)).unzip()
}

async fn commit_groups(
    store: Store,
    correlator: Correlator,
    mut ready: mpsc::Receiver<Group>,
    free: Arc<tokio::sync::Semaphore>,
) {
    while let Some(group) = ready.recv().await {
        // Whatever happens to this group, the builder may collect the next
        // one once it is answered.
        let _done = ReleaseOnDrop(&free);
        let Group {
            batches,
            replies,
            prepared,
            rows,
        } = group;
        let started = Instant::now();
        let result = match prepared {
            Ok(prepared) => store.commit_group_correlated(&batches, prepared).await,
            Err(error) => Err(error),
        };
        tracing::debug!(
            requests = batches.len(),
            rows,
            elapsed_us = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX),
            "group commit"
        );
        match result {
            Ok((outcomes, passes)) => {
                let mut decided: HashMap<String, EventOutcome> = HashMap::new();
                let mut off = std::collections::HashSet::new();
                for (company_id, pass) in &passes {
                    correlator.after_pass(company_id, pass);
                    if pass.skipped {
                        off.insert(company_id.as_str());
                    }
                    for result in &pass.results {
                        decided.insert(result.event_id.clone(), EventOutcome::of(result));
                    }
                }
                for ((batch, reply), outcome) in batches.iter().zip(replies).zip(outcomes) {
                    let correlated = match &outcome {
                        BatchOutcome::Stored(events) => events
                            .iter()
                            .filter(|event| !event.duplicate)
                            .filter_map(|event| {
                                decided.remove(&event.id).map(|o| (event.id.clone(), o))
                            })
                            .collect(),
                        BatchOutcome::Replay => HashMap::new(),
                    };
                    let _ = reply.send(Ok(Ingested {
                        outcome,
                        correlated: Some(correlated),
                        correlation_off: off.contains(batch.company_id.as_str()),
                    }));
                }
            }
            Err(error) => {
                // Commit without correlating (the callers then ask the
                // correlator); one request must not fail its neighbours, so
                // on a second failure each is retried alone.
                tracing::warn!(%error, requests = batches.len(), "group commit with correlation failed; committing without it");
                let uncorrelated = |outcome: BatchOutcome| Ingested {
                    outcome,
                    correlated: None,
                    correlation_off: false,
                };
                match store.insert_batches(&batches).await {
                    Ok(outcomes) => {
                        for (reply, outcome) in replies.into_iter().zip(outcomes) {
                            let _ = reply.send(Ok(uncorrelated(outcome)));
                        }
                    }
                    Err(error) if batches.len() > 1 => {
                        tracing::warn!(%error, requests = batches.len(), "group commit failed; committing requests one by one");
                        for (batch, reply) in batches.into_iter().zip(replies) {
                            let outcome = store
                                .insert_batches(std::slice::from_ref(&batch))
                                .await
                                .and_then(|mut outcomes| {
                                    outcomes.pop().ok_or_else(|| {
                                        Error::Internal("no outcome for a batch".to_owned())
                                    })
                                });
                            let _ = reply.send(outcome.map(uncorrelated));
                        }
                    }
                    Err(error) => {
                        for reply in replies {
                            let _ =
                                reply.send(Err(Error::Internal(format!("ingest commit: {error}"))));
                        }
                    }
                }
            }
        }
    }
}

/// Gives the writer's builder its permit back when a group is answered.
struct ReleaseOnDrop<'a>(&'a tokio::sync::Semaphore);

impl Drop for ReleaseOnDrop<'_> {
    fn drop(&mut self) {
        self.0.add_permits(1);
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
