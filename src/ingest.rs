//! The ingest path shared by IngestService and the webhook adapter: API-key
//! authentication (cached), HMAC secrets (cached, decrypted), per-company rate
//! limits, and the group-commit writer that makes each accepted alert durable
//! before the caller is answered.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use governor::{DefaultKeyedRateLimiter, Quota};
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;

use crate::auth::IngestCaller;
use crate::config::Config;
use crate::correlator::{Correlator, EventOutcome};
use crate::error::{Error, Result};
use crate::secrets::{MasterKey, hash_credential};
use crate::store::incident::{PassMode, PassOutcome};
use crate::store::ingest::{BatchOutcome, IngestBatch, PreparedGroup};
use crate::store::{Store, WalSync};

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
    /// Whether the writer answered at commit and correlates the new events
    /// in its next round (`ingest_correlation_delay_ms` above 0): there is
    /// nothing to ask the correlator, and the answer cannot name incidents.
    pub deferred: bool,
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
    // Set, once and for good, when the writer's log could not be synced.
    stopped: Stopped,
}

/// Why ingest stopped, once it has: after a failed `fsync` the kernel may
/// have dropped the log's unwritten pages, and a later `fsync` that succeeds
/// says nothing about them, so nothing committed after the failure may be
/// acknowledged until a restart recovers the log from the disk.
type Stopped = Arc<OnceLock<String>>;

/// The error for a request refused or left unacknowledged after ingest stopped.
fn stopped_error(reason: &str) -> Error {
    Error::Unavailable(format!(
        "alert ingest has stopped: {reason}; the server must be restarted. Retry the \
         request then or against another replica: an alert that was committed but not \
         acknowledged is recognised as a duplicate (same delivery id, or same dedup key, \
         time and action)"
    ))
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
        log_sync: Option<Arc<dyn LogSync>>,
        shutdown: CancellationToken,
    ) -> Result<Arc<Self>> {
        let (jobs, receiver) = mpsc::channel(4096);
        // The writer runs on a thread of its own: on the shared runtime each of
        // its database round trips waited behind the request tasks (measured:
        // 0.3 ms per await under load), and the writer is the serial part.
        // It connects from that thread, so that sqlx's SQLite thread for its
        // connection starts there and inherits the thread's CPU.
        let stopped = Stopped::default();
        let writer_stopped = Arc::clone(&stopped);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|error| Error::Internal(format!("cannot start the ingest writer: {error}")))?;
        let writer_config = config.clone();
        let pin = config.ingest_writer_pin_cpu && config.is_sqlite();
        let defer = config.correlation_delay();
        let (connected, connection) = oneshot::channel::<Result<()>>();
        std::thread::Builder::new()
            .name("ingest-writer".to_owned())
            .spawn(move || {
                if pin {
                    pin_to_last_cpu();
                }
                runtime.block_on(async move {
                    let (writer_store, wal) =
                        match Store::connect_ingest_writer(&writer_config).await {
                            Ok(connected) => connected,
                            Err(error) => {
                                let _ = connected.send(Err(error));
                                return;
                            }
                        };
                    let _ = connected.send(Ok(()));
                    let log = log_sync.or_else(|| wal.map(|wal| Arc::new(wal) as Arc<dyn LogSync>));
                    write_groups(
                        writer_store,
                        log,
                        writer_stopped,
                        correlator,
                        defer,
                        receiver,
                    )
                    .await;
                });
            })
            .map_err(|error| {
                Error::Internal(format!("cannot start the ingest writer thread: {error}"))
            })?;
        connection.await.map_err(|_| {
            Error::Internal("the ingest writer thread ended before it connected".to_owned())
        })??;
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
            stopped,
        }))
    }

    /// Why ingest has stopped (its log could not be synced), if it has; the
    /// server then refuses alerts and its health checks fail until restarted.
    pub fn stopped(&self) -> Option<&str> {
        self.stopped.get().map(String::as_str)
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
        if let Some(reason) = self.stopped() {
            return Err(stopped_error(reason));
        }
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

/// Pins the calling thread, and the threads it starts afterwards, to the last
/// CPU the process may run on, when it may run on more than one. The ingest
/// writer and its SQLite thread hand every statement to each other; on one
/// core that is a context switch, across two it wakes the other core first
/// (measured: +14 % signed webhooks on 2 cores). The request tasks and
/// everything else stay free to use every CPU.
fn pin_to_last_cpu() -> Option<usize> {
    let cores = core_affinity::get_core_ids()?;
    if cores.len() < 2 {
        return None;
    }
    let last = *cores.last()?;
    if core_affinity::set_for_current(last) {
        tracing::debug!(cpu = last.id, "ingest writer pinned");
        Some(last.id)
    } else {
        tracing::warn!(cpu = last.id, "cannot pin the ingest writer to a CPU");
        None
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
/// one transaction; stage three (on SQLite) syncs the log and answers, so one
/// fsync serves many requests, and stage two need not wait for it.
///
/// Stage one starts a group as soon as the committer has taken the previous
/// one, so that building its statements overlaps the commit (for large
/// batches that is most of the gain), then tops it up with the requests that
/// arrived meanwhile once the committer has finished. Without the top-up the
/// requests in flight split over three groups (committing, built and waiting,
/// queued) instead of two: 22 requests per group at 64 webhook connections
/// instead of 32, and each commit has fixed costs and writes every page it
/// touches whole, so smaller groups cost more per alert.
///
/// With `defer` (deferred correlation), stage two commits the groups without
/// correlating them and correlates every company behind in a round at most
/// `defer` after its first uncorrelated commit: fewer, larger passes.
async fn write_groups(
    store: Store,
    log: Option<Arc<dyn LogSync>>,
    stopped: Stopped,
    correlator: Correlator,
    defer: Option<Duration>,
    mut receiver: mpsc::Receiver<Job>,
) {
    let (groups, ready) = mpsc::channel::<Group>(1);
    let free = Arc::new(tokio::sync::Semaphore::new(1));
    let committer = tokio::spawn(commit_groups(
        store.clone(),
        log,
        stopped,
        correlator,
        defer,
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

/// What a committed group owes: its answers, and the passes to tell the
/// streams and metrics about, once the commit is durable.
struct Settled {
    answers: Vec<(oneshot::Sender<Result<Ingested>>, Result<Ingested>)>,
    passes: Vec<(String, PassOutcome)>,
}

async fn commit_groups(
    store: Store,
    log: Option<Arc<dyn LogSync>>,
    stopped: Stopped,
    correlator: Correlator,
    defer: Option<Duration>,
    mut ready: mpsc::Receiver<Group>,
    free: Arc<tokio::sync::Semaphore>,
) {
    // Commits on SQLite do not wait for the disk; the syncer answers each
    // group after an fsync of the log that covers it, while this task goes
    // on with the next group. A bounded queue: a slow disk holds the writer.
    let (settled, pending) = mpsc::channel::<Settled>(64);
    let syncer = tokio::spawn(sync_and_answer(
        log,
        Arc::clone(&stopped),
        move |company_id: &str, pass: &PassOutcome| correlator.after_pass(company_id, pass),
        pending,
    ));
    let mut behind = Behind::default();
    loop {
        // With deferred correlation, a round is due `defer` after the oldest
        // uncorrelated commit, also when no further group arrives.
        let due = defer.and_then(|delay| behind.due(delay));
        let next = match due {
            Some(due) => tokio::select! {
                group = ready.recv() => group,
                () = tokio::time::sleep_until(due.into()) => {
                    if !correlate_behind(&store, &stopped, &mut behind, &settled).await {
                        break;
                    }
                    continue;
                }
            },
            None => ready.recv().await,
        };
        let Some(group) = next else {
            break;
        };
        let done = commit_one(&store, group, defer.is_some(), &mut behind, &free).await;
        if settled.send(done).await.is_err() {
            break;
        }
        if due.is_some_and(|due| Instant::now() >= due)
            && !correlate_behind(&store, &stopped, &mut behind, &settled).await
        {
            break;
        }
    }
    // Whatever is still uncorrelated at shutdown is correlated by the
    // correlator's sweep, here or after the restart.
    drop(settled);
    let _ = syncer.await;
}

/// Commits one group: with its correlation in the same transaction, or
/// (`deferred`) without it, noting the companies whose new events wait for
/// the next round. Answers what the group owes once the commit is durable.
async fn commit_one(
    store: &Store,
    group: Group,
    deferred: bool,
    behind: &mut Behind,
    free: &tokio::sync::Semaphore,
) -> Settled {
    // Whatever happens to this group, the builder may collect the next one
    // once it is committed.
    let _done = ReleaseOnDrop(free);
    let Group {
        batches,
        replies,
        prepared,
        rows,
    } = group;
    let started = Instant::now();
    // The passes when the group was correlated in its commit; None when deferred.
    let result = match prepared {
        Ok(prepared) if deferred => store
            .commit_group(&batches, prepared)
            .await
            .map(|outcomes| (outcomes, None)),
        Ok(prepared) => store
            .commit_group_correlated(&batches, prepared)
            .await
            .map(|(outcomes, passes)| (outcomes, Some(passes))),
        Err(error) => Err(error),
    };
    tracing::debug!(
        requests = batches.len(),
        rows,
        elapsed_us = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX),
        "group commit"
    );
    match result {
        Ok((outcomes, Some(passes))) => Settled {
            answers: correlated_answers(&batches, replies, outcomes, &passes),
            passes,
        },
        Ok((outcomes, None)) => {
            behind.note(&batches, &outcomes);
            Settled {
                answers: deferred_answers(replies, outcomes),
                passes: Vec::new(),
            }
        }
        Err(error) => Settled {
            answers: commit_uncorrelated(store, batches, replies, &error).await,
            passes: Vec::new(),
        },
    }
}

/// The companies with events committed but not correlated yet (deferred
/// correlation), and since when.
#[derive(Debug, Default)]
struct Behind {
    companies: std::collections::BTreeSet<String>,
    since: Option<Instant>,
    // A company had more pending than its pass took: the next round is due at once.
    again: bool,
}

impl Behind {
    /// When the next round is due, if any company is behind.
    fn due(&self, delay: Duration) -> Option<Instant> {
        if self.companies.is_empty() {
            None
        } else if self.again {
            Some(Instant::now())
        } else {
            self.since.map(|since| since + delay)
        }
    }

    /// Notes the companies of a committed group that got new events.
    fn note(&mut self, batches: &[IngestBatch], outcomes: &[BatchOutcome]) {
        for (batch, outcome) in batches.iter().zip(outcomes) {
            if outcome.has_new_events() {
                self.companies.insert(batch.company_id.clone());
                self.since.get_or_insert_with(Instant::now);
            }
        }
    }
}

/// Each request's answer from a group committed without its correlation:
/// stored, to be correlated in the writer's next round.
fn deferred_answers(
    replies: Vec<oneshot::Sender<Result<Ingested>>>,
    outcomes: Vec<BatchOutcome>,
) -> Vec<(oneshot::Sender<Result<Ingested>>, Result<Ingested>)> {
    replies
        .into_iter()
        .zip(outcomes)
        .map(|(reply, outcome)| {
            let ingested = Ingested {
                outcome,
                correlated: None,
                correlation_off: false,
                deferred: true,
            };
            (reply, Ok(ingested))
        })
        .collect()
}

/// A deferred-correlation round: one pass for every company behind, in one
/// transaction on the writer's own connection (SQLite has one writer; a
/// second connection would take turns on its lock), then again for any
/// company with more pending than a pass takes. A failed round is retried
/// company by company; what still fails is left to the correlator's sweep.
/// The passes reach the streams and metrics through the syncer, after the
/// fsync that covers them. Answers false when the syncer has gone.
async fn correlate_behind(
    store: &Store,
    stopped: &Stopped,
    behind: &mut Behind,
    settled: &mpsc::Sender<Settled>,
) -> bool {
    let companies: Vec<String> = std::mem::take(&mut behind.companies).into_iter().collect();
    behind.since = None;
    behind.again = false;
    if companies.is_empty() || stopped.get().is_some() {
        return true;
    }
    let started = Instant::now();
    let passes = match store.correlate_round(&companies, PassMode::Auto).await {
        Ok(passes) => passes,
        Err(error) => {
            tracing::warn!(%error, companies = companies.len(), "deferred correlation round failed; correlating company by company");
            let mut passes = Vec::new();
            for company_id in companies {
                match store.correlate_pass(&company_id, PassMode::Auto).await {
                    Ok(pass) => passes.push((company_id, pass)),
                    Err(error) => {
                        tracing::warn!(%error, company_id, "deferred correlation pass failed; the correlator's sweep retries it");
                    }
                }
            }
            passes
        }
    };
    tracing::debug!(
        companies = passes.len(),
        events = passes.iter().map(|(_, p)| p.results.len()).sum::<usize>(),
        round_us = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX),
        "deferred correlation round"
    );
    for (company_id, pass) in &passes {
        if pass.more {
            behind.companies.insert(company_id.clone());
            behind.since.get_or_insert(started);
            behind.again = true;
        }
    }
    settled
        .send(Settled {
            answers: Vec::new(),
            passes,
        })
        .await
        .is_ok()
}

/// Each request's answer from a group committed with its correlation.
fn correlated_answers(
    batches: &[IngestBatch],
    replies: Vec<oneshot::Sender<Result<Ingested>>>,
    outcomes: Vec<BatchOutcome>,
    passes: &[(String, PassOutcome)],
) -> Vec<(oneshot::Sender<Result<Ingested>>, Result<Ingested>)> {
    let mut decided: HashMap<String, EventOutcome> = HashMap::new();
    let mut off = std::collections::HashSet::new();
    for (company_id, pass) in passes {
        if pass.skipped {
            off.insert(company_id.as_str());
        }
        for result in &pass.results {
            decided.insert(result.event_id.clone(), EventOutcome::of(result));
        }
    }
    batches
        .iter()
        .zip(replies)
        .zip(outcomes)
        .map(|((batch, reply), outcome)| {
            let correlated = match &outcome {
                BatchOutcome::Stored(events) => events
                    .iter()
                    .filter(|event| !event.duplicate)
                    .filter_map(|event| decided.remove(&event.id).map(|o| (event.id.clone(), o)))
                    .collect(),
                BatchOutcome::Replay => HashMap::new(),
            };
            let ingested = Ingested {
                outcome,
                correlated: Some(correlated),
                correlation_off: off.contains(batch.company_id.as_str()),
                deferred: false,
            };
            (reply, Ok(ingested))
        })
        .collect()
}

/// Commits a group whose correlated commit failed without correlating it
/// (the callers then ask the correlator); one request must not fail its
/// neighbours, so on a second failure each is retried alone.
async fn commit_uncorrelated(
    store: &Store,
    batches: Vec<IngestBatch>,
    replies: Vec<oneshot::Sender<Result<Ingested>>>,
    error: &Error,
) -> Vec<(oneshot::Sender<Result<Ingested>>, Result<Ingested>)> {
    tracing::warn!(%error, requests = batches.len(), "group commit with correlation failed; committing without it");
    let uncorrelated = |outcome: BatchOutcome| Ingested {
        outcome,
        correlated: None,
        correlation_off: false,
        deferred: false,
    };
    match store.insert_batches(&batches).await {
        Ok(outcomes) => replies
            .into_iter()
            .zip(outcomes)
            .map(|(reply, outcome)| (reply, Ok(uncorrelated(outcome))))
            .collect(),
        Err(error) if batches.len() > 1 => {
            tracing::warn!(%error, requests = batches.len(), "group commit failed; committing requests one by one");
            let mut answers = Vec::with_capacity(replies.len());
            for (batch, reply) in batches.into_iter().zip(replies) {
                let outcome = store
                    .insert_batches(std::slice::from_ref(&batch))
                    .await
                    .and_then(|mut outcomes| {
                        outcomes
                            .pop()
                            .ok_or_else(|| Error::Internal("no outcome for a batch".to_owned()))
                    });
                answers.push((reply, outcome.map(uncorrelated)));
            }
            answers
        }
        Err(error) => replies
            .into_iter()
            .map(|reply| {
                (
                    reply,
                    Err(Error::Internal(format!("ingest commit: {error}"))),
                )
            })
            .collect(),
    }
}

/// Makes the writer's commits durable (an `fsync` of SQLite's log); a trait
/// so that tests can watch and fail it (`ServerOptions::log_sync`).
pub trait LogSync: Send + Sync + 'static {
    /// Blocks until everything committed before the call is on the disk.
    fn sync(&self) -> std::io::Result<()>;
}

impl LogSync for WalSync {
    fn sync(&self) -> std::io::Result<()> {
        WalSync::sync(self)
    }
}

/// Answers committed groups in order, each after an fsync of the log that
/// covers it (one fsync for every group waiting), and tells the streams and
/// metrics (`after_pass`) what their passes did. Without a log to sync
/// (PostgreSQL) it answers at once.
///
/// A failed fsync stops ingest for good (`stopped`): that group and every
/// later one is answered UNAVAILABLE without another fsync, since one that
/// succeeds after a failure does not prove the earlier pages reached the disk.
async fn sync_and_answer(
    log: Option<Arc<dyn LogSync>>,
    stopped: Stopped,
    after_pass: impl Fn(&str, &PassOutcome),
    mut pending: mpsc::Receiver<Settled>,
) {
    while let Some(first) = pending.recv().await {
        let mut groups = vec![first];
        while let Ok(next) = pending.try_recv() {
            groups.push(next);
        }
        let synced = match (stopped.get(), log.clone()) {
            (Some(reason), _) => Err(reason.clone()),
            (None, Some(log)) => {
                let result = tokio::task::spawn_blocking(move || log.sync())
                    .await
                    .unwrap_or_else(|error| Err(std::io::Error::other(error)));
                result.map_err(|error| {
                    let at = chrono::DateTime::<chrono::Utc>::from(std::time::SystemTime::now())
                        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
                    let reason = format!("the write-ahead log could not be synced at {at} ({error})");
                    tracing::error!(%error, "cannot sync the write-ahead log; ingest stops and no alert committed since the last sync is acknowledged; restart the server");
                    stopped.get_or_init(|| reason).clone()
                })
            }
            (None, None) => Ok(()),
        };
        for group in groups {
            for (company_id, pass) in &group.passes {
                after_pass(company_id, pass);
            }
            for (reply, answer) in group.answers {
                let answer = match &synced {
                    Ok(()) => answer,
                    Err(reason) => Err(stopped_error(reason)),
                };
                let _ = reply.send(answer);
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

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    /// A log whose syncs wait for the test's permission and count themselves.
    struct GatedLog {
        gate: std::sync::Mutex<std::sync::mpsc::Receiver<std::io::Result<()>>>,
        calls: AtomicUsize,
    }

    impl LogSync for GatedLog {
        fn sync(&self) -> std::io::Result<()> {
            self.calls.fetch_add(1, Ordering::SeqCst);
            self.gate
                .lock()
                .expect("gate")
                .recv()
                .unwrap_or_else(|_| Err(std::io::Error::other("gate closed")))
        }
    }

    fn gated() -> (Arc<GatedLog>, std::sync::mpsc::Sender<std::io::Result<()>>) {
        let (open, gate) = std::sync::mpsc::channel();
        let log = Arc::new(GatedLog {
            gate: std::sync::Mutex::new(gate),
            calls: AtomicUsize::new(0),
        });
        (log, open)
    }

    fn settled() -> (Settled, oneshot::Receiver<Result<Ingested>>) {
        let (reply, answer) = oneshot::channel();
        let ingested = Ingested {
            outcome: BatchOutcome::Replay,
            correlated: None,
            correlation_off: false,
            deferred: false,
        };
        let done = Settled {
            answers: vec![(reply, Ok(ingested))],
            passes: Vec::new(),
        };
        (done, answer)
    }

    async fn wait_for_calls(log: &GatedLog, calls: usize) {
        for _ in 0..500 {
            if log.calls.load(Ordering::SeqCst) >= calls {
                return;
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        panic!("the log was not synced {calls} times");
    }

    #[tokio::test]
    async fn committed_groups_are_answered_only_after_the_log_sync_and_share_it() {
        let (log, open) = gated();
        let (groups, pending) = mpsc::channel(8);
        let syncer = tokio::spawn(sync_and_answer(
            Some(log.clone() as Arc<dyn LogSync>),
            Stopped::default(),
            |_: &str, _: &PassOutcome| {},
            pending,
        ));
        let (first, mut first_answer) = settled();
        groups.send(first).await.expect("send");
        wait_for_calls(&log, 1).await;
        // Two more groups commit while the first one's sync is running.
        let (second, mut second_answer) = settled();
        let (third, third_answer) = settled();
        groups.send(second).await.expect("send");
        groups.send(third).await.expect("send");
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(
            first_answer.try_recv().is_err(),
            "answered before its commit was synced"
        );
        open.send(Ok(())).expect("open");
        assert!(first_answer.await.expect("answer").is_ok());
        wait_for_calls(&log, 2).await;
        assert!(
            second_answer.try_recv().is_err(),
            "a later group was answered by an earlier group's sync"
        );
        open.send(Ok(())).expect("open");
        assert!(second_answer.await.expect("answer").is_ok());
        assert!(third_answer.await.expect("answer").is_ok());
        assert_eq!(
            log.calls.load(Ordering::SeqCst),
            2,
            "the two groups that waited together share one sync"
        );
        drop(groups);
        syncer.await.expect("syncer");
    }

    #[tokio::test]
    async fn a_failed_log_sync_answers_unavailable_and_stops_ingest_for_good() {
        let (log, open) = gated();
        let (groups, pending) = mpsc::channel(8);
        let published = Arc::new(AtomicUsize::new(0));
        let counted = published.clone();
        let stopped = Stopped::default();
        let syncer = tokio::spawn(sync_and_answer(
            Some(log.clone() as Arc<dyn LogSync>),
            Arc::clone(&stopped),
            move |_: &str, _: &PassOutcome| {
                counted.fetch_add(1, Ordering::SeqCst);
            },
            pending,
        ));
        let (mut group, answer) = settled();
        group
            .passes
            .push(("company".to_owned(), PassOutcome::default()));
        open.send(Err(std::io::Error::other("disk gone")))
            .expect("open");
        groups.send(group).await.expect("send");
        let error = answer
            .await
            .expect("answer")
            .expect_err("a commit that is not durable must not be acknowledged");
        let Error::Unavailable(message) = &error else {
            panic!("expected UNAVAILABLE, got {error:?}");
        };
        assert!(
            message.contains("disk gone")
                && message.contains("restart")
                && message.contains("Retry"),
            "the caller is told the cause and what to do: {message}"
        );
        // The message reaches the caller (it is not an internal error's "internal error").
        let message = message.clone();
        assert_eq!(tonic::Status::from(error).message(), message);
        assert!(
            stopped
                .get()
                .is_some_and(|reason| reason.contains("disk gone")),
            "ingest is stopped with the cause"
        );
        // What was committed is visible to readers, so the streams hear of it.
        assert_eq!(published.load(Ordering::SeqCst), 1);

        // A later group is not acknowledged, although a sync would now
        // succeed: it is not even tried.
        open.send(Ok(())).expect("open");
        let (later, later_answer) = settled();
        groups.send(later).await.expect("send");
        assert!(matches!(
            later_answer.await.expect("answer"),
            Err(Error::Unavailable(_))
        ));
        assert_eq!(
            log.calls.load(Ordering::SeqCst),
            1,
            "no sync after the failure"
        );
        drop(groups);
        syncer.await.expect("syncer");
    }

    /// The CPUs the calling thread may run on, as the kernel lists them.
    fn allowed_cpus() -> String {
        let status = std::fs::read_to_string("/proc/thread-self/status").expect("status");
        status
            .lines()
            .find_map(|line| line.strip_prefix("Cpus_allowed_list:"))
            .expect("Cpus_allowed_list")
            .trim()
            .to_owned()
    }

    #[test]
    fn the_pinned_writer_and_the_threads_it_starts_share_one_cpu() {
        let cores = core_affinity::get_core_ids().expect("cores");
        let outside = allowed_cpus();
        std::thread::spawn(move || {
            let before = allowed_cpus();
            match pin_to_last_cpu() {
                Some(cpu) => {
                    assert_eq!(cpu, cores.last().expect("a cpu").id);
                    assert_eq!(allowed_cpus(), cpu.to_string(), "was {before}");
                    // sqlx's SQLite thread is started by the writer's connect,
                    // so it inherits the CPU.
                    let child = std::thread::spawn(allowed_cpus).join().expect("child");
                    assert_eq!(child, cpu.to_string());
                }
                None => {
                    assert!(
                        cores.len() < 2,
                        "with {} CPUs the writer is pinned",
                        cores.len()
                    );
                    assert_eq!(allowed_cpus(), before);
                }
            }
        })
        .join()
        .expect("thread");
        // Only the pinned thread and its children: the caller is untouched.
        assert_eq!(allowed_cpus(), outside);
    }

    fn batch_of(company_id: &str) -> IngestBatch {
        IngestBatch {
            company_id: company_id.to_owned(),
            api_key_id: format!("key-{company_id}"),
            source: "grpc",
            events: Vec::new(),
            signature: None,
            touch_api_key: false,
        }
    }

    fn stored(duplicates: &[bool]) -> BatchOutcome {
        BatchOutcome::Stored(
            duplicates
                .iter()
                .enumerate()
                .map(|(n, &duplicate)| crate::store::ingest::StoredEvent {
                    id: format!("event-{n}"),
                    duplicate,
                })
                .collect(),
        )
    }

    #[test]
    fn a_round_is_due_for_companies_with_new_events_only() {
        let delay = Duration::from_millis(200);
        let mut behind = Behind::default();
        assert_eq!(behind.due(delay), None, "nobody behind, no round");
        let batches = [batch_of("a"), batch_of("b"), batch_of("c"), batch_of("d")];
        let outcomes = [
            stored(&[true, false]),
            stored(&[true]),
            BatchOutcome::Replay,
            stored(&[]),
        ];
        let before = Instant::now();
        behind.note(&batches, &outcomes);
        let after = Instant::now();
        assert_eq!(
            behind
                .companies
                .iter()
                .map(String::as_str)
                .collect::<Vec<_>>(),
            ["a"],
            "retries, replays and empty batches leave nothing to correlate"
        );
        let due = behind.due(delay).expect("a round is due");
        assert!(
            due >= before + delay && due <= after + delay,
            "due one delay after the first uncorrelated commit"
        );
        // A later commit does not push the round back.
        behind.note(&[batch_of("b")], &[stored(&[false])]);
        assert_eq!(behind.due(delay), Some(due));
        // A pass that left more pending makes the next round due at once.
        behind.again = true;
        assert!(behind.due(delay).expect("due") <= Instant::now());
    }

    #[tokio::test]
    async fn without_a_log_to_sync_groups_are_answered_at_once() {
        let (groups, pending) = mpsc::channel(8);
        let syncer = tokio::spawn(sync_and_answer(
            None,
            Stopped::default(),
            |_: &str, _: &PassOutcome| {},
            pending,
        ));
        let (group, answer) = settled();
        groups.send(group).await.expect("send");
        assert!(answer.await.expect("answer").is_ok());
        drop(groups);
        syncer.await.expect("syncer");
    }
}
