//! The hot path: each company's correlation state lives in memory in the
//! server that owns the company; every decision is made there, appended to
//! a durable ingest log with what it decided, and answered once durable;
//! the tables are a projection of the log, written behind.
//!
//! ```text
//! request ─▶ owner: decide in memory ─▶ ingest log (group commit, fsync) ─▶ answer + streams
//!                                               └─▶ projector ─▶ tables (+ checkpoint)
//! ```
//!
//! - [`state`]: one company's resident state and its decisions;
//! - [`crate::domain::record`]: what a decision did, as the log holds it;
//! - [`log`]: the group-commit writer;
//! - [`projector`]: the log into the tables, coalesced, with checkpoints;
//! - [`resident`]: a company this server owns (state, durability, recent
//!   entries for the streams);
//! - [`command`]: what an owner is asked and answers (forwardable).
//!
//! Recovery: at start the projector writes every record after the
//! checkpoints into the tables (recorded decisions, never decided again),
//! and companies are then loaded from the tables as they are used. See
//! docs/architecture.md.

pub(crate) mod cluster;
pub mod command;
pub mod deadline;
pub(crate) mod load;
pub mod log;
pub(crate) mod projector;
pub(crate) mod resident;
pub(crate) mod state;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sea_orm::DatabaseTransaction;
use tokio::sync::{Notify, mpsc, oneshot, watch};
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use self::command::{Answer, Command, ExecChange, IngestBatch, Reload};
use self::log::{Message, Stopped, Submission};
use self::resident::Resident;
use self::state::{CompanyState, Windows};
use crate::config::Config;
use crate::domain::execution::Execution;
use crate::domain::incident::{EventKind, Outcome};
use crate::domain::lifecycle::IncidentCommand;
use crate::domain::record::{Entry, Record};
use crate::error::{Error, Result};
use crate::feed::Hub;
use crate::metrics::Metrics;
use crate::store::event_log::{LogEntry, StoredEvent};
use crate::store::{ScopedCompany, Store, now_ms};

/// Pending events one decision takes (CorrelateNow takes them in pages).
pub const PASS_EVENTS: u64 = 2000;

/// Checks inside an append that this replica still owns the companies at
/// the epochs their states were loaded at (PostgreSQL replicas: the leases);
/// an error refuses the group.
#[tonic::async_trait]
pub trait Fence: Send + Sync + 'static {
    /// Fails unless every (company, epoch) is still this replica's.
    async fn check(&self, txn: &DatabaseTransaction, companies: &[(&str, i64)]) -> Result<()>;
}

/// How far the log is durable and projected, in group commits, and how
/// much durable work the tables have still to take.
#[derive(Debug)]
pub(crate) struct Progress {
    durable: AtomicU64,
    projected: watch::Sender<u64>,
    /// Alert events and log entries durable but not yet projected.
    backlog: watch::Sender<u64>,
}

impl Progress {
    fn new() -> Self {
        Self {
            durable: AtomicU64::new(0),
            projected: watch::channel(0).0,
            backlog: watch::channel(0).0,
        }
    }

    fn weight(record: &Record) -> u64 {
        u64::try_from(record.events.len() + record.entries.len() + 1).unwrap_or(u64::MAX)
    }

    /// A record is durable.
    pub(crate) fn note_durable(&self, record: &Record) {
        let weight = Self::weight(record);
        self.backlog.send_modify(|backlog| *backlog += weight);
    }

    /// Group `lsn` is durable.
    pub(crate) fn set_durable(&self, lsn: u64) {
        self.durable.fetch_max(lsn, Ordering::SeqCst);
    }

    /// Groups up to `lsn` are projected, `records` among them.
    pub(crate) fn set_projected(&self, lsn: u64, records: &[&Record]) {
        let weight: u64 = records.iter().map(|record| Self::weight(record)).sum();
        self.backlog
            .send_modify(|backlog| *backlog = backlog.saturating_sub(weight));
        self.projected.send_if_modified(|projected| {
            let moved = lsn > *projected;
            *projected = (*projected).max(lsn);
            moved
        });
    }

    /// The last durable group.
    pub(crate) fn durable(&self) -> u64 {
        self.durable.load(Ordering::SeqCst)
    }

    /// Waits until every group durable now is projected, at most `wait`;
    /// answers whether it got there.
    async fn caught_up(&self, wait: Duration) -> bool {
        let target = self.durable();
        let mut projected = self.projected.subscribe();
        tokio::time::timeout(wait, projected.wait_for(|lsn| *lsn >= target))
            .await
            .is_ok_and(|result| result.is_ok())
    }

    /// Durable work not projected yet.
    fn backlog(&self) -> u64 {
        *self.backlog.borrow()
    }
}

/// Where a company's decisions are made.
enum Route {
    Local(Arc<Resident>),
    /// At the replica advertised at this address.
    Remote(String),
}

/// What the owners are configured with.
#[derive(Debug, Clone)]
struct Settings {
    windows: Windows,
    max_lag: u64,
    read_wait: Duration,
    idle_ms: i64,
    sweep: Duration,
}

/// The companies this server owns, and the log and projector behind them.
#[derive(Clone)]
pub struct Owners {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    settings: Settings,
    companies: Mutex<HashMap<String, Arc<Resident>>>,
    /// Serialises the loading of each company.
    loading: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    log: mpsc::UnboundedSender<Message>,
    progress: Arc<Progress>,
    hub: Arc<Hub>,
    metrics: Arc<Metrics>,
    stopped: Stopped,
    /// With replicas on PostgreSQL: leases and forwarding.
    cluster: Option<Arc<cluster::Cluster>>,
    /// Cancelled when the last handle goes: the writer's and the projector's
    /// threads (and their connections) end with the owners.
    closed: CancellationToken,
    /// SQLite: the lock that keeps a second server off this ingest log,
    /// given up by [`Owners::close`].
    exclusive: Mutex<Option<std::fs::File>>,
    /// Signalled when the writer's and the projector's threads have ended.
    threads: Mutex<Vec<tokio::sync::oneshot::Receiver<()>>>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.closed.cancel();
    }
}

impl std::fmt::Debug for Owners {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Owners").finish_non_exhaustive()
    }
}

/// What [`Owners::start`] needs.
pub struct Start {
    pub store: Store,
    /// Wakes streams.
    pub hub: Arc<Hub>,
    pub metrics: Arc<Metrics>,
    /// Woken when executions reach the tables (the executor reads them there).
    pub executor: Arc<Notify>,
    /// Replaces what makes the log's commits durable (tests).
    pub log_sync: Option<Arc<dyn log::LogSync>>,
    /// The token replicas present to each other (from the master key).
    pub replica_token: String,
    /// Stops the background tasks.
    pub shutdown: CancellationToken,
}

impl Owners {
    /// Recovers (projects every logged record the tables do not reflect
    /// yet), then starts the log writer, the projector and the sweeps.
    pub async fn start(config: &Config, start: Start) -> Result<Self> {
        let exclusive = lock_log_file(config).await?;
        let progress = Arc::new(Progress::new());
        let stopped = Stopped::default();
        // On SQLite this creates and migrates the log's file.
        drop(Store::connect_ingest_log(config).await?);
        let reader = Store::connect_ingest_log_reader(config).await?;
        let recovered = projector::recover(&start.store, &reader).await?;
        drop(reader);
        if recovered.records > 0 {
            tracing::info!(
                records = recovered.records,
                events = recovered.events,
                "recovered the ingest log's records into the tables"
            );
        }
        let (writer_tx, writer_rx) = mpsc::unbounded_channel();
        let (projector_tx, projector_rx) = mpsc::unbounded_channel();
        let closed = CancellationToken::new();
        let projector_store = Store::connect_projector(config).await?;
        // On PostgreSQL several replicas may share the database: companies
        // are owned through leases, and every append is fenced by them.
        let cluster = (!config.is_sqlite()).then(|| {
            Arc::new(cluster::Cluster::new(
                start.store.clone(),
                config.advertise_url(),
                Duration::from_secs(config.lease_seconds),
                &start.replica_token,
                crate::tls::TlsFiles::from_config(config),
            ))
        });
        let fence: Option<Arc<dyn Fence>> = cluster.as_ref().map(|cluster| {
            Arc::new(cluster::LeaseFence {
                replica_id: cluster.replica_id.clone(),
            }) as Arc<dyn Fence>
        });
        if let Some(cluster) = &cluster {
            tracing::info!(replica_id = %cluster.replica_id, address = %config.advertise_url(), "replica on a shared database: companies are owned through leases");
        }
        let writer_thread = spawn_thread("ingest-log", {
            let config = config.clone();
            let closed = closed.clone();
            let stopped = stopped.clone();
            let progress = progress.clone();
            let log_sync = start.log_sync.clone();
            let pin = config.ingest_writer_pin_cpu && config.is_sqlite();
            move || async move {
                if pin {
                    pin_to_last_cpu();
                }
                let (log, wal) = match Store::connect_ingest_log(&config).await {
                    Ok(connected) => connected,
                    Err(error) => {
                        tracing::error!(%error, "the ingest log writer cannot connect");
                        let _ = stopped.set(format!("the ingest log cannot be opened ({error})"));
                        return;
                    }
                };
                let sync =
                    log_sync.or_else(|| wal.map(|wal| Arc::new(wal) as Arc<dyn log::LogSync>));
                log::Writer {
                    log,
                    sync,
                    stopped,
                    progress,
                    projector: projector_tx,
                    fence,
                    closed,
                }
                .run(writer_rx)
                .await;
            }
        })?;
        let inner = Arc::new(Inner {
            store: start.store,
            settings: Settings {
                windows: Windows {
                    idempotency_ms: i64::try_from(config.ingest_idempotency_window_seconds)
                        .unwrap_or(3600)
                        * 1000,
                    idempotency_keys: config.ingest_idempotency_keys,
                },
                max_lag: config.projector_max_lag,
                read_wait: config.read_wait(),
                idle_ms: i64::try_from(config.resident_idle_seconds).unwrap_or(0) * 1000,
                sweep: Duration::from_secs(config.correlation_sweep_seconds),
            },
            companies: Mutex::new(HashMap::new()),
            loading: Mutex::new(HashMap::new()),
            log: writer_tx.clone(),
            progress: progress.clone(),
            hub: start.hub,
            metrics: start.metrics,
            stopped,
            cluster,
            closed: closed.clone(),
            exclusive: Mutex::new(exclusive),
            threads: Mutex::new(vec![writer_thread]),
        });
        let projector_thread = spawn_thread("projector", {
            let progress = progress.clone();
            let executor = start.executor;
            move || async move {
                projector::Projector {
                    store: projector_store,
                    progress,
                    log: writer_tx,
                    executor,
                    closed,
                }
                .run(projector_rx)
                .await;
            }
        })?;
        inner
            .threads
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(projector_thread);
        let owners = Self { inner };
        tokio::spawn(owners.clone().sweep(start.shutdown.clone()));
        if owners.inner.cluster.is_some() {
            tokio::spawn(owners.clone().renew(start.shutdown));
        }
        Ok(owners)
    }

    /// Why ingest has stopped (its log could not be synced), if it has; the
    /// server then refuses alerts and its health checks fail until restarted.
    pub fn stopped(&self) -> Option<&str> {
        self.inner.stopped.get().map(String::as_str)
    }

    /// Waits until the tables reflect everything answered before the call
    /// (at most `read_wait_ms`): reads call it first, so that an id an
    /// answer or a stream gave is found. With replicas, what the others
    /// answered too.
    pub async fn read_barrier(&self) {
        let wait = self.inner.settings.read_wait;
        if !self.inner.progress.caught_up(wait).await {
            tracing::warn!(
                backlog = self.inner.progress.backlog(),
                "a read did not wait for the projector any longer"
            );
        }
        if let Some(cluster) = &self.inner.cluster {
            match cluster.barrier(wait).await {
                Ok(true) => {}
                Ok(false) => {
                    tracing::warn!(
                        "a read did not wait for the other replicas' projectors any longer"
                    )
                }
                Err(error) => tracing::warn!(%error, "cannot see how far the replicas projected"),
            }
        }
    }

    /// Whether `token` is this deployment's cluster token (forwarded calls).
    pub fn accepts_replica_token(&self, token: &str) -> bool {
        self.inner
            .cluster
            .as_ref()
            .is_some_and(|cluster| cluster.accepts(token))
    }

    /// Decides `command` for `company` where its owner is (this replica, or
    /// the one it is forwarded to), logged durably, and answers.
    pub async fn execute(&self, company: &ScopedCompany, command: Command) -> Result<Answer> {
        if let Some(reason) = self.stopped()
            && matches!(command, Command::Ingest(_))
        {
            return Err(log::stopped_error(reason));
        }
        let deadline = deadline::current();
        let mut dropped = 0;
        loop {
            match self.route(company).await? {
                Route::Local(resident) => match self.run(&resident, company, command.clone()).await
                {
                    // A state dropped after a failed append (or a lost
                    // lease) is loaded again, or the request goes where
                    // the company is now.
                    Err(Error::Unavailable(_)) if dropped < 2 && resident.is_invalid() => {
                        dropped += 1;
                    }
                    result => return result,
                },
                Route::Remote(address) => {
                    let Some(cluster) = &self.inner.cluster else {
                        return Err(Error::Internal(
                            "a remote owner without a cluster".to_owned(),
                        ));
                    };
                    let left = deadline.saturating_duration_since(tokio::time::Instant::now());
                    if left.is_zero() {
                        return Err(Error::Unavailable(format!(
                            "the owner of company {company} did not answer in time; retry"
                        )));
                    }
                    match cluster
                        .forward(&address, company.id(), &command, left)
                        .await
                    {
                        Ok(answer) => return Ok(answer),
                        Err(cluster::Unreached::Refused(error)) => return Err(error),
                        Err(cluster::Unreached::Moved) => {}
                        Err(cluster::Unreached::Down(why)) => {
                            // Until its lease expires the company is the
                            // owner's; then this replica takes it over.
                            tracing::debug!(company_id = %company, address, why, "the owner does not answer");
                            tokio::time::sleep(Duration::from_millis(200).min(left)).await;
                        }
                    }
                }
            }
        }
    }

    /// Decides a command forwarded by another replica: here, never passed on
    /// again (answers `NotOwner` when another replica owns the company).
    pub(crate) async fn execute_forwarded(
        &self,
        company: &ScopedCompany,
        command: Command,
    ) -> cluster::Forwarded {
        let resident = match self.held(company.id()) {
            Some(resident) => resident,
            None => match self.take(company).await {
                Ok(Some(resident)) => resident,
                Ok(None) => return Err(cluster::Refusal::NotOwner),
                Err(error) => return Err(cluster::Refusal::of(error)),
            },
        };
        self.run(&resident, company, command)
            .await
            .map_err(cluster::Refusal::of)
    }

    /// Where the company's decisions are made: here (loaded or taken over
    /// when needed), or at the replica that owns it.
    async fn route(&self, company: &ScopedCompany) -> Result<Route> {
        loop {
            if let Some(resident) = self.held(company.id()) {
                return Ok(Route::Local(resident));
            }
            if let Some(cluster) = &self.inner.cluster
                && let Some(lease) = cluster.lease(company.id()).await?
                && lease.live
                && lease.owner_id != cluster.replica_id
            {
                return Ok(Route::Remote(lease.address));
            }
            if let Some(resident) = self.take(company).await? {
                return Ok(Route::Local(resident));
            }
        }
    }

    async fn run(
        &self,
        resident: &Arc<Resident>,
        company: &ScopedCompany,
        command: Command,
    ) -> Result<Answer> {
        let now = now_ms();
        resident.touch(now);
        match command {
            Command::Ingest(batch) => {
                self.wait_for_room().await?;
                // Events stored while auto-correlate was off come first, as
                // they would have in the order they arrived.
                let waiting = {
                    let state = resident.lock();
                    state.pending > 0 && state.world.settings.auto_correlate
                };
                if waiting {
                    self.correlate_pending(resident, company, false).await?;
                }
                self.decide(resident, |state| Ok(state.ingest(batch, now_ms())))
                    .await
            }
            Command::ChangeIncident {
                incident_id,
                actor,
                command,
            } => {
                self.hold_incident(resident, company, &incident_id).await?;
                self.decide(resident, |state| {
                    state.change_incident(&incident_id, &actor, &command, now_ms())
                })
                .await
            }
            Command::CorrelatePending { manual } => {
                self.correlate_pending(resident, company, manual).await
            }
            Command::SettleFlapping { at } => {
                self.decide(resident, |state| Ok(state.settle_flapping(at)))
                    .await
            }
            Command::InsertExecution { execution, change } => {
                let execution = parse_execution(&execution)?;
                if let Some(incident_id) = &execution.incident_id {
                    self.hold_incident(resident, company, incident_id).await?;
                }
                self.decide(resident, |state| state.insert_execution(execution, change))
                    .await
            }
            Command::UpdateExecution {
                read_version,
                execution,
                changes,
                incident,
            } => {
                let execution = parse_execution(&execution)?;
                self.hold_execution(resident, company, &execution.id)
                    .await?;
                if let Some(incident_id) = &execution.incident_id {
                    self.hold_incident(resident, company, incident_id).await?;
                }
                self.decide(resident, |state| {
                    state.update_execution(read_version, execution, &changes, incident.as_ref())
                })
                .await
            }
            Command::Reload(what) => {
                self.reload(resident, company, what).await?;
                Ok(Answer::Done)
            }
            Command::Release => {
                self.release(company.id());
                Ok(Answer::Done)
            }
        }
    }

    /// Decides under the state's lock and hands the record to the log in
    /// decision order; answers once the record (or, for a decision that
    /// changed nothing, everything decided before it) is durable.
    async fn decide(
        &self,
        resident: &Arc<Resident>,
        decide: impl FnOnce(&mut CompanyState) -> Result<(Option<Record>, Answer)>,
    ) -> Result<Answer> {
        let (receipt, answer, position) = {
            let mut state = resident.lock();
            if resident.is_invalid() {
                return Err(Error::Unavailable(
                    "the company's state is being reloaded; retry".to_owned(),
                ));
            }
            let (record, answer) = {
                let _decide =
                    tracing::debug_span!("owner.decide", company_id = %resident.company_id)
                        .entered();
                decide(&mut state)?
            };
            match record {
                Some(record) => {
                    let bytes = match record.encode() {
                        Ok(bytes) => bytes,
                        Err(error) => {
                            // The state is ahead of the log now: drop it.
                            resident.invalidate();
                            self.forget(resident);
                            return Err(error.into());
                        }
                    };
                    let record = Arc::new(record);
                    let (reply, receipt) = oneshot::channel();
                    let position = record.position;
                    // From the hand-off to the log until the record is
                    // durable; the group's spans link to it.
                    let commit = tracing::debug_span!("ingest_log.commit", position);
                    let submitted = self.inner.log.send(Message::Append(Submission {
                        resident: resident.clone(),
                        generation: resident.generation(),
                        record: record.clone(),
                        bytes,
                        reply,
                        span: commit.clone(),
                    }));
                    if submitted.is_err() {
                        resident.invalidate();
                        self.forget(resident);
                        return Err(Error::Unavailable(
                            "the ingest log writer has stopped".to_owned(),
                        ));
                    }
                    (Some((receipt, record, commit)), answer, position)
                }
                None => (None, answer, state.position),
            }
        };
        match receipt {
            Some((receipt, record, commit)) => {
                let durable = receipt.instrument(commit).await.map_err(|_| {
                    Error::Unavailable("the ingest log writer has stopped".to_owned())
                })?;
                if let Err(error) = durable {
                    if resident.is_invalid() {
                        self.forget(resident);
                    }
                    return Err(error);
                }
                self.record_metrics(&record);
            }
            None => {
                if !resident.wait_durable(position).await {
                    return Err(Error::Unavailable(
                        "the company's state was reloaded; retry".to_owned(),
                    ));
                }
            }
        }
        Ok(answer)
    }

    fn record_metrics(&self, record: &Record) {
        let metrics = &self.inner.metrics;
        for result in &record.outcomes {
            metrics.record_correlation(&record.company_id, result.outcome);
        }
        let mut created = 0u64;
        for entry in &record.entries {
            let Entry::Incident(entry) = entry else {
                continue;
            };
            match entry.kind {
                EventKind::Created => created += 1,
                EventKind::Resolved => {
                    metrics.record_resolved(entry.at - entry.incident.created_at);
                }
                EventKind::Acknowledged
                    if entry.incident.first_acknowledged_at == Some(entry.at) =>
                {
                    metrics.record_acknowledged(entry.at - entry.incident.created_at);
                }
                _ => {}
            }
        }
        if created > 0 {
            metrics.record_incidents_created(&record.company_id, created);
        }
    }

    /// Waits while the tables are more than `projector_max_lag` behind the
    /// log (bounded memory and recovery time under overload).
    async fn wait_for_room(&self) -> Result<()> {
        let max = self.inner.settings.max_lag;
        if self.inner.progress.backlog() <= max {
            return Ok(());
        }
        let mut backlog = self.inner.progress.backlog.subscribe();
        match tokio::time::timeout(
            Duration::from_secs(30),
            backlog.wait_for(|backlog| *backlog <= max),
        )
        .await
        {
            Ok(Ok(_)) => Ok(()),
            _ => Err(Error::Unavailable(
                "the server is behind writing its tables; retry in a moment".to_owned(),
            )),
        }
    }

    /// Takes the company: with replicas its lease first (`None` when
    /// another replica holds a live one) and what the previous owner logged
    /// but did not project; then loads its state from the tables.
    async fn take(&self, company: &ScopedCompany) -> Result<Option<Arc<Resident>>> {
        if let Some(resident) = self.held(company.id()) {
            return Ok(Some(resident));
        }
        let lock = {
            let mut loading = self
                .inner
                .loading
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            loading.entry(company.id().to_owned()).or_default().clone()
        };
        let _loading = lock.lock().await;
        if let Some(resident) = self.held(company.id()) {
            return Ok(Some(resident));
        }
        let mut epoch = 0;
        if let Some(cluster) = &self.inner.cluster {
            let Some(taken) = cluster.acquire(company.id()).await? else {
                return Ok(None);
            };
            epoch = taken;
            // What the previous owner logged and did not project (the log
            // is in this database): recorded decisions, written as they are.
            let recovered =
                projector::recover_company(&self.inner.store, &self.inner.store, company.id())
                    .await?;
            if recovered.records > 0 {
                tracing::info!(company_id = %company, records = recovered.records, epoch, "took over a company and projected what its previous owner logged");
            }
        }
        // Everything durable of the company must be in the tables first
        // (after a dropped state, its records may still be on their way).
        if !self.inner.progress.caught_up(Duration::from_secs(60)).await {
            return Err(Error::Unavailable(
                "the server is behind writing its tables; retry in a moment".to_owned(),
            ));
        }
        let state = load::company(&self.inner.store, company, self.inner.settings.windows).await?;
        let resident = Arc::new(Resident::new(
            state,
            epoch,
            self.inner.hub.clone(),
            now_ms(),
        ));
        self.inner
            .companies
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(company.id().to_owned(), resident.clone());
        Ok(Some(resident))
    }

    fn held(&self, company_id: &str) -> Option<Arc<Resident>> {
        self.inner
            .companies
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(company_id)
            .filter(|resident| !resident.is_invalid())
            .cloned()
    }

    /// Stops holding a dropped state (the next request loads it again).
    fn forget(&self, resident: &Arc<Resident>) {
        let mut companies = self
            .inner
            .companies
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if companies
            .get(&resident.company_id)
            .is_some_and(|held| Arc::ptr_eq(held, resident))
        {
            companies.remove(&resident.company_id);
        }
    }

    fn release(&self, company_id: &str) {
        if let Some(resident) = self
            .inner
            .companies
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(company_id)
        {
            resident.invalidate();
        }
    }

    /// Makes sure the state holds an incident (a resolved one it dropped,
    /// for a comment or a reopen), read from the tables.
    async fn hold_incident(
        &self,
        resident: &Arc<Resident>,
        company: &ScopedCompany,
        incident_id: &str,
    ) -> Result<()> {
        if resident.lock().world.incident(incident_id).is_some() {
            return Ok(());
        }
        // Not in memory: the tables have its latest state (it was dropped
        // only once projected, or resolved before the company was loaded).
        let Some((incident, alerts)) = self
            .inner
            .store
            .incident_with_alerts(company, incident_id)
            .await?
        else {
            return Err(Error::NotFound(format!("incident {incident_id}")));
        };
        let mut state = resident.lock();
        if state.world.incident(incident_id).is_none() {
            for alert in alerts {
                if state.world.alert(&alert.id).is_none() {
                    state.world.load_alert(alert);
                }
            }
            state.world.load_incident(incident);
        }
        Ok(())
    }

    /// Makes sure the state knows an execution's version.
    async fn hold_execution(
        &self,
        resident: &Arc<Resident>,
        company: &ScopedCompany,
        execution_id: &str,
    ) -> Result<()> {
        if resident.lock().executions.contains_key(execution_id) {
            return Ok(());
        }
        let Some((version, _)) = self
            .inner
            .store
            .execution_version(company, execution_id)
            .await?
        else {
            return Err(Error::NotFound(format!("execution {execution_id}")));
        };
        resident
            .lock()
            .executions
            .entry(execution_id.to_owned())
            .or_insert(version);
        Ok(())
    }

    /// Correlates the company's pending events, a page at a time.
    async fn correlate_pending(
        &self,
        resident: &Arc<Resident>,
        company: &ScopedCompany,
        manual: bool,
    ) -> Result<Answer> {
        let _io = resident.io.lock().await;
        let mut results = Vec::new();
        let mut incidents_created = 0;
        loop {
            // Pending events answered before this call are in the tables,
            // and those an earlier page decided are marked there.
            if !resident.wait_projected(self.inner.settings.read_wait).await {
                return Err(Error::Unavailable(
                    "the server is behind writing its tables; retry in a moment".to_owned(),
                ));
            }
            let page = self
                .inner
                .store
                .pending_events(company, PASS_EVENTS)
                .await?;
            let full = u64::try_from(page.len()).unwrap_or(0) >= PASS_EVENTS;
            let answer = self
                .decide(resident, |state| {
                    Ok(state.correlate_pending(page, manual, now_ms()))
                })
                .await?;
            if let Answer::Correlated {
                results: page_results,
                incidents_created: created,
            } = answer
            {
                let decided = !page_results.is_empty();
                results.extend(page_results);
                incidents_created += created;
                if full && decided {
                    continue;
                }
            }
            return Ok(Answer::Correlated {
                results,
                incidents_created,
            });
        }
    }

    /// Reloads settings that changed in the tables into the state.
    async fn reload(
        &self,
        resident: &Arc<Resident>,
        company: &ScopedCompany,
        what: Reload,
    ) -> Result<()> {
        let _io = resident.io.lock().await;
        let store = &self.inner.store;
        let now = now_ms();
        match what {
            Reload::Settings => {
                let settings = store.company_settings(company).await?;
                let turned_on = {
                    let mut state = resident.lock();
                    let was = state.world.settings.auto_correlate;
                    state.world.settings = settings;
                    !was && state.world.settings.auto_correlate && state.pending > 0
                };
                if turned_on {
                    drop(_io);
                    self.correlate_pending(resident, company, false).await?;
                }
            }
            Reload::Suppression => {
                let (silences, inhibitions) = store
                    .suppression_rules(
                        company,
                        now.saturating_sub(crate::store::resident::SILENCE_HORIZON_MS),
                    )
                    .await?;
                let mut state = resident.lock();
                state.world.silences = silences;
                state.world.set_inhibitions(inhibitions);
            }
            Reload::Technicians => {
                let technicians = store.on_duty_technicians(company).await?;
                let mut state = resident.lock();
                state.world.technicians = technicians;
                state.recount_technicians();
            }
            Reload::Remediation => {
                let remediation = store.remediation(company, now).await?;
                resident.lock().remediation = remediation;
            }
        }
        Ok(())
    }

    /// Tells the owner of `company` that settings changed (nothing when no
    /// server holds the company: it loads them fresh).
    pub async fn reload_company(&self, company: &ScopedCompany, what: Reload) -> Result<()> {
        if self.held(company.id()).is_none() {
            return Ok(());
        }
        self.execute(company, Command::Reload(what)).await.map(drop)
    }

    /// Reloads `what` in every company this server holds (a runbook that
    /// rules of any company may use changed).
    pub async fn reload_all(&self, what: Reload) -> Result<()> {
        let held: Vec<String> = self
            .inner
            .companies
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .keys()
            .cloned()
            .collect();
        for company_id in held {
            self.reload_company(&ScopedCompany::system(company_id), what)
                .await?;
        }
        Ok(())
    }

    /// Drops a deleted company's state.
    pub async fn release_company(&self, company: &ScopedCompany) -> Result<()> {
        self.release(company.id());
        Ok(())
    }

    /// Settles the company's flapping incidents that are quiet at `at` (ms):
    /// the sweep calls it with now; answers how many settled.
    pub async fn settle_flapping(&self, company: &ScopedCompany, at: i64) -> Result<u64> {
        match self
            .execute(company, Command::SettleFlapping { at })
            .await?
        {
            Answer::Settled(settled) => Ok(settled),
            other => Err(unexpected(&other)),
        }
    }

    /// Stores and correlates one request's alerts.
    pub async fn ingest(&self, company: &ScopedCompany, batch: IngestBatch) -> Result<Answer> {
        self.execute(company, Command::Ingest(batch)).await
    }

    /// Changes an incident the caller may see (`company` is its company,
    /// checked against the caller's scope).
    pub async fn change_incident(
        &self,
        company: &ScopedCompany,
        incident_id: &str,
        actor: &str,
        command: IncidentCommand,
    ) -> Result<(crate::domain::incident::Incident, Vec<StoredEvent>)> {
        match self
            .execute(
                company,
                Command::ChangeIncident {
                    incident_id: incident_id.to_owned(),
                    actor: actor.to_owned(),
                    command,
                },
            )
            .await?
        {
            Answer::IncidentChanged { incident, entries } => Ok((
                *incident,
                entries
                    .into_iter()
                    .map(|entry| StoredEvent::of_entry(entry, company.id()))
                    .collect(),
            )),
            other => Err(unexpected(&other)),
        }
    }

    /// Stores a new execution with its first event; answers the sequence.
    pub async fn insert_execution(&self, execution: &Execution, change: ExecChange) -> Result<i64> {
        let company = ScopedCompany::system(execution.company_id.clone());
        match self
            .execute(
                &company,
                Command::InsertExecution {
                    execution: crate::store::to_json(execution)?,
                    change,
                },
            )
            .await?
        {
            Answer::ExecutionWritten(Some(sequence)) => Ok(sequence),
            other => Err(unexpected(&other)),
        }
    }

    /// Writes an execution changed from `read_version`; `None` when another
    /// writer moved it first (nothing is written then).
    pub async fn update_execution(
        &self,
        read_version: i64,
        execution: &Execution,
        changes: Vec<ExecChange>,
        incident: Option<(String, IncidentCommand)>,
    ) -> Result<Option<i64>> {
        let company = ScopedCompany::system(execution.company_id.clone());
        match self
            .execute(
                &company,
                Command::UpdateExecution {
                    read_version,
                    execution: crate::store::to_json(execution)?,
                    changes,
                    incident,
                },
            )
            .await?
        {
            Answer::ExecutionWritten(sequence) => Ok(sequence),
            other => Err(unexpected(&other)),
        }
    }

    /// The company's last durable sequence: from memory when this server
    /// holds the company, else from the tables.
    pub async fn head_sequence(&self, company: &ScopedCompany) -> Result<i64> {
        match self.held(company.id()) {
            Some(resident) => Ok(resident.durable_sequence()),
            None => Ok(self.inner.store.head_sequence(company).await?),
        }
    }

    /// The company's log entries after `after` (at most `limit`): from
    /// memory while it holds them, else from the tables.
    pub async fn entries_after(
        &self,
        company: &ScopedCompany,
        after: i64,
        limit: usize,
        incidents: bool,
    ) -> Result<Vec<LogEntry>> {
        if let Some(resident) = self.held(company.id())
            && let Some(entries) = resident.entries_after(after, limit)
        {
            return Ok(entries);
        }
        let limit = u64::try_from(limit).unwrap_or(u64::MAX);
        let store = &self.inner.store;
        Ok(if incidents {
            store
                .events_after(company, after, limit)
                .await?
                .into_iter()
                .map(LogEntry::Incident)
                .collect()
        } else {
            store
                .execution_events_after(company, after, limit)
                .await?
                .into_iter()
                .map(LogEntry::Execution)
                .collect()
        })
    }

    /// Every `correlation_sweep_seconds`: settles quiet flapping incidents,
    /// correlates what waits pending where auto-correlate is on, drops what
    /// companies no longer need from memory, and idle companies.
    async fn sweep(self, shutdown: CancellationToken) {
        let mut every = tokio::time::interval(self.inner.settings.sweep);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                () = shutdown.cancelled() => return,
                _ = every.tick() => {}
            }
            if let Err(error) = self.sweep_once().await {
                tracing::warn!(%error, "sweep failed");
            }
        }
    }

    /// Renews the leases of the companies this replica holds, every third
    /// of the lease time; drops those it lost. If it cannot renew for a
    /// whole lease time it drops them all: another replica may own them now.
    async fn renew(self, shutdown: CancellationToken) {
        let Some(cluster) = self.inner.cluster.clone() else {
            return;
        };
        let lease = cluster.lease_time();
        let mut every = tokio::time::interval(lease / 3);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut renewed = tokio::time::Instant::now();
        loop {
            tokio::select! {
                () = shutdown.cancelled() => return,
                _ = every.tick() => {}
            }
            let held = self.held_leases();
            match cluster.renew(&held).await {
                Ok(lost) => {
                    renewed = tokio::time::Instant::now();
                    for company_id in lost {
                        tracing::warn!(
                            company_id,
                            "lost the lease of a company; its state is dropped"
                        );
                        self.release(&company_id);
                    }
                }
                Err(error) => {
                    tracing::warn!(%error, "cannot renew the leases");
                    if renewed.elapsed() >= lease {
                        for (company_id, _) in held {
                            self.release(&company_id);
                        }
                    }
                }
            }
        }
    }

    /// The (company, epoch) of every company this replica holds.
    fn held_leases(&self) -> Vec<(String, i64)> {
        self.inner
            .companies
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .values()
            .filter(|resident| !resident.is_invalid())
            .map(|resident| (resident.company_id.clone(), resident.epoch))
            .collect()
    }

    /// Gives up every company (at shutdown): with replicas another one may
    /// take them at once instead of waiting for the leases to expire.
    pub async fn release_all(&self) {
        let held = self.held_leases();
        for (company_id, _) in &held {
            self.release(company_id);
        }
        if let Some(cluster) = &self.inner.cluster
            && let Err(error) = cluster.release(&held).await
        {
            tracing::warn!(%error, "cannot give up the leases");
        }
    }

    /// Stops the log writer and the projector (at shutdown, after the calls
    /// drained), waits for their threads to end, and gives up the SQLite
    /// log's lock, so that a server started next in this process (or
    /// another process) may open it. What was logged but not projected yet
    /// is projected by the next start's recovery.
    pub async fn close(&self) {
        self.inner.closed.cancel();
        let threads = std::mem::take(
            &mut *self
                .inner
                .threads
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        );
        for thread in threads {
            let _ = thread.await;
        }
        drop(
            self.inner
                .exclusive
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .take(),
        );
    }

    async fn sweep_once(&self) -> Result<()> {
        let store = &self.inner.store;
        for company in store.companies_with_quiet_flapping().await? {
            if let Err(error) = self.settle_flapping(&company, now_ms()).await {
                tracing::warn!(%error, company_id = %company, "cannot settle flapping incidents");
            }
        }
        for company in store.companies_with_pending_events().await? {
            if !store.company_settings(&company).await?.auto_correlate {
                continue;
            }
            if let Err(error) = self
                .execute(&company, Command::CorrelatePending { manual: false })
                .await
            {
                tracing::warn!(%error, company_id = %company, "cannot correlate pending alerts");
            }
        }
        let now = now_ms();
        let held: Vec<Arc<Resident>> = self
            .inner
            .companies
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .values()
            .cloned()
            .collect();
        tracing::debug!(
            companies = held.len(),
            backlog = self.inner.progress.backlog(),
            "sweep"
        );
        for resident in held {
            let projected = resident.projected_position();
            let (dropped, idle) = {
                let mut state = resident.lock();
                let dropped = state.maintain(now, projected);
                let idle = self.inner.settings.idle_ms > 0
                    && resident.last_used() < now - self.inner.settings.idle_ms
                    && state.is_projected(projected);
                (dropped, idle)
            };
            {
                let state = resident.lock();
                let (alerts, incidents) = state.world.size();
                tracing::debug!(
                    company_id = %resident.company_id,
                    alerts,
                    incidents,
                    idempotency = state.idempotency_size(),
                    signatures = state.signatures.len(),
                    "resident state"
                );
            }
            if dropped.alerts + dropped.incidents > 0 {
                tracing::debug!(company_id = %resident.company_id, alerts = dropped.alerts, incidents = dropped.incidents, "dropped settled state from memory");
            }
            if idle {
                tracing::debug!(company_id = %resident.company_id, "dropped an idle company from memory");
                resident.invalidate();
                self.forget(&resident);
                if let Some(cluster) = &self.inner.cluster {
                    cluster
                        .release(&[(resident.company_id.clone(), resident.epoch)])
                        .await?;
                }
            }
        }
        Ok(())
    }
}

/// On SQLite, locks `<log file>.lock` for as long as the server runs: a
/// second server on the same data would decide for the same companies and
/// append at the same positions. Waits a little for a server that is
/// stopping in this process (a restart).
async fn lock_log_file(config: &Config) -> Result<Option<std::fs::File>> {
    if !config.is_sqlite() {
        return Ok(None);
    }
    let url = config.ingest_log_url();
    let path = url
        .trim_start_matches("sqlite://")
        .split('?')
        .next()
        .unwrap_or_default();
    if path.is_empty() || path.starts_with("sqlite::memory:") || path == ":memory:" {
        return Ok(None);
    }
    let lock = format!("{path}.lock");
    if let Some(parent) = std::path::Path::new(&lock)
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
    {
        std::fs::create_dir_all(parent).map_err(|error| {
            Error::Internal(format!("cannot create {}: {error}", parent.display()))
        })?;
    }
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock)
        .map_err(|error| Error::Internal(format!("cannot open {lock}: {error}")))?;
    for _ in 0..100 {
        match file.try_lock() {
            Ok(()) => return Ok(Some(file)),
            Err(std::fs::TryLockError::WouldBlock) => {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(std::fs::TryLockError::Error(error)) => {
                return Err(Error::Internal(format!("cannot lock {lock}: {error}")));
            }
        }
    }
    Err(Error::Internal(format!(
        "another server uses this data directory (its ingest log {path} is locked); on SQLite only one server may run on a data directory, replicas need PostgreSQL"
    )))
}

fn parse_execution(json: &str) -> Result<Execution> {
    serde_json::from_str(json).map_err(|error| Error::Internal(format!("execution: {error}")))
}

fn unexpected(answer: &Answer) -> Error {
    Error::Internal(format!(
        "unexpected answer from the company's owner: {answer:?}"
    ))
}

/// The outcome a result of a correlation answers (for CorrelateNow counts).
pub fn counts(results: &[crate::domain::engine::EventResult], wanted: &[Outcome]) -> i64 {
    i64::try_from(
        results
            .iter()
            .filter(|result| wanted.contains(&result.outcome))
            .count(),
    )
    .unwrap_or(i64::MAX)
}

/// Runs `task` on a thread of its own with a single-threaded runtime: the
/// serial parts of the hot path (the log writer, the projector) do not
/// wait behind the request tasks for their database round trips.
/// Runs `task` on a thread of its own; the receiver hears when it has
/// ended (its runtime, its tasks and its connections dropped).
fn spawn_thread<F, Fut>(name: &str, task: F) -> Result<tokio::sync::oneshot::Receiver<()>>
where
    F: FnOnce() -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()>,
{
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|error| Error::Internal(format!("cannot start the {name} thread: {error}")))?;
    let (ended, done) = tokio::sync::oneshot::channel();
    std::thread::Builder::new()
        .name(name.to_owned())
        .spawn(move || {
            runtime.block_on(task());
            drop(runtime);
            let _ = ended.send(());
        })
        .map_err(|error| Error::Internal(format!("cannot start the {name} thread: {error}")))?;
    Ok(done)
}

/// Pins the calling thread, and the threads it starts afterwards, to the last
/// CPU the process may run on, when it may run on more than one. The log
/// writer and its SQLite thread hand every statement to each other; on one
/// core that is a context switch, across two it wakes the other core first.
fn pin_to_last_cpu() -> Option<usize> {
    let cores = core_affinity::get_core_ids()?;
    if cores.len() < 2 {
        return None;
    }
    let last = *cores.last()?;
    if core_affinity::set_for_current(last) {
        tracing::debug!(cpu = last.id, "ingest log writer pinned");
        Some(last.id)
    } else {
        tracing::warn!(cpu = last.id, "cannot pin the ingest log writer to a CPU");
        None
    }
}
