//! A company owned by this server: its resident state behind a lock held
//! only while deciding (no I/O under it), how far its log is durable and
//! projected, and the recent durable entries of its event log that watch
//! streams read without a query.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::watch;

use super::state::CompanyState;
use crate::domain::execution::ExecEventKind;
use crate::domain::record::{Entry, Record};
use crate::feed::Hub;
use crate::store::event_log::{LogEntry, StoredEvent, StoredExecEvent};

/// Entries the ring keeps once they are projected (older ones are read
/// from the tables).
const RING_KEEP: usize = 4096;

/// A company this server owns.
pub(crate) struct Resident {
    pub company_id: String,
    /// The lease epoch it was loaded at (replicas on PostgreSQL; 0 alone).
    pub epoch: i64,
    state: Mutex<CompanyState>,
    /// Bumped when the state is dropped: records decided on it are refused.
    generation: AtomicU64,
    invalid: AtomicBool,
    /// The last durable position of the company's log.
    durable: watch::Sender<i64>,
    /// The last position the tables reflect.
    projected: watch::Sender<i64>,
    /// The last durable sequence of the company's event log.
    durable_sequence: AtomicI64,
    /// Recent durable entries, in sequence order.
    ring: Mutex<Ring>,
    /// When a request last used it (ms).
    last_used: AtomicI64,
    /// Serialises the commands that read the tables before they decide.
    pub io: tokio::sync::Mutex<()>,
    hub: Arc<Hub>,
}

impl std::fmt::Debug for Resident {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Resident")
            .field("company_id", &self.company_id)
            .finish_non_exhaustive()
    }
}

impl Resident {
    /// A company loaded at `state`'s position and sequence, all of it projected.
    pub(crate) fn new(state: CompanyState, epoch: i64, hub: Arc<Hub>, now: i64) -> Self {
        let (durable, _) = watch::channel(state.position);
        let state_sequence = state.sequence;
        Self {
            company_id: state.company_id.clone(),
            epoch,
            projected: watch::channel(state.position).0,
            durable_sequence: AtomicI64::new(state.sequence),
            durable,
            state: Mutex::new(state),
            generation: AtomicU64::new(0),
            invalid: AtomicBool::new(false),
            ring: Mutex::new(Ring {
                entries: VecDeque::new(),
                unprojected: VecDeque::new(),
                projected_sequence: state_sequence,
            }),
            last_used: AtomicI64::new(now),
            io: tokio::sync::Mutex::new(()),
            hub,
        }
    }

    /// The state, locked (hold it only to decide).
    pub(crate) fn lock(&self) -> MutexGuard<'_, CompanyState> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The generation records are decided on.
    pub(crate) fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    /// Drops the state: what it decided and was not appended is refused,
    /// and the company is loaded again from the tables.
    pub(crate) fn invalidate(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
        self.invalid.store(true, Ordering::SeqCst);
    }

    /// Whether the state was dropped.
    pub(crate) fn is_invalid(&self) -> bool {
        self.invalid.load(Ordering::SeqCst)
    }

    /// Notes a use (for idle eviction).
    pub(crate) fn touch(&self, now: i64) {
        self.last_used.fetch_max(now, Ordering::Relaxed);
    }

    /// When a request last used it (ms).
    pub(crate) fn last_used(&self) -> i64 {
        self.last_used.load(Ordering::Relaxed)
    }

    /// A record of the company is durable: its entries reach the streams.
    pub(crate) fn on_durable(&self, record: &Record) {
        if let Some(last) = record.last_sequence() {
            let mut ring = self.ring();
            for entry in &record.entries {
                ring.entries.push_back(log_entry(&self.company_id, entry));
            }
            ring.unprojected.push_back((record.position, last));
            ring.trim();
            drop(ring);
            self.durable_sequence.fetch_max(last, Ordering::SeqCst);
            self.hub.publish(&self.company_id, last);
        }
        self.durable.send_if_modified(|position| {
            if record.position > *position {
                *position = record.position;
                true
            } else {
                false
            }
        });
    }

    /// Records up to `position` are in the tables.
    pub(crate) fn on_projected(&self, position: i64) {
        self.projected.send_if_modified(|projected| {
            let moved = position > *projected;
            *projected = (*projected).max(position);
            moved
        });
        let mut ring = self.ring();
        while let Some(&(at, last)) = ring.unprojected.front() {
            if at > position {
                break;
            }
            ring.unprojected.pop_front();
            ring.projected_sequence = ring.projected_sequence.max(last);
        }
        ring.trim();
    }

    fn ring(&self) -> MutexGuard<'_, Ring> {
        self.ring
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The last durable position.
    pub(crate) fn durable_position(&self) -> i64 {
        *self.durable.borrow()
    }

    /// The last projected position.
    pub(crate) fn projected_position(&self) -> i64 {
        *self.projected.borrow()
    }

    /// The last durable sequence (what a new stream starts from).
    pub(crate) fn durable_sequence(&self) -> i64 {
        self.durable_sequence.load(Ordering::SeqCst)
    }

    /// Waits until the log is durable up to `position` (false if the
    /// state was dropped first).
    pub(crate) async fn wait_durable(&self, position: i64) -> bool {
        let mut durable = self.durable.subscribe();
        loop {
            if *durable.borrow_and_update() >= position {
                return true;
            }
            if self.is_invalid() {
                return false;
            }
            if durable.changed().await.is_err() {
                return false;
            }
        }
    }

    /// Waits until the tables reflect every durable record of the company,
    /// at most `wait`; answers whether they do.
    pub(crate) async fn wait_projected(&self, wait: std::time::Duration) -> bool {
        let target = self.durable_position();
        let mut projected = self.projected.subscribe();
        tokio::time::timeout(wait, projected.wait_for(|position| *position >= target))
            .await
            .is_ok_and(|result| result.is_ok())
    }

    /// The durable entries after `after`, at most `limit`, when the ring
    /// still holds the one right after it; `None` when it does not (read
    /// the tables then: they hold everything older than the ring).
    pub(crate) fn entries_after(&self, after: i64, limit: usize) -> Option<Vec<LogEntry>> {
        let ring = self.ring();
        match ring.entries.front().map(LogEntry::sequence) {
            Some(first) if first <= after + 1 => Some(
                ring.entries
                    .iter()
                    .filter(|entry| entry.sequence() > after)
                    .take(limit)
                    .cloned()
                    .collect(),
            ),
            None if self.durable_sequence() <= after => Some(Vec::new()),
            _ => None,
        }
    }
}

/// Recent durable entries, and which of them the tables may not hold yet.
struct Ring {
    entries: VecDeque<LogEntry>,
    /// Durable records with entries not yet projected: (position, last sequence).
    unprojected: VecDeque<(i64, i64)>,
    /// Every entry up to this sequence is in the tables.
    projected_sequence: i64,
}

impl Ring {
    /// Keeps the last [`RING_KEEP`] entries, and every one the tables may
    /// not hold yet.
    fn trim(&mut self) {
        while self.entries.len() > RING_KEEP
            && self
                .entries
                .front()
                .is_some_and(|entry| entry.sequence() <= self.projected_sequence)
        {
            self.entries.pop_front();
        }
    }
}

/// A log entry as the streams send it.
fn log_entry(company_id: &str, entry: &Entry) -> LogEntry {
    match entry {
        Entry::Incident(entry) => {
            LogEntry::Incident(StoredEvent::of_entry(entry.clone(), company_id))
        }
        Entry::Execution(entry) => match serde_json::from_str(&entry.snapshot) {
            Ok(execution) => LogEntry::Execution(StoredExecEvent {
                sequence: entry.sequence,
                kind: ExecEventKind::from_i16(entry.kind)
                    .unwrap_or(ExecEventKind::InvocationUpdated),
                actor: entry.actor.clone(),
                message: entry.message.clone(),
                at: entry.at,
                execution,
            }),
            Err(error) => {
                tracing::error!(%error, sequence = entry.sequence, "cannot read an execution snapshot");
                LogEntry::Skipped(entry.sequence)
            }
        },
    }
}
