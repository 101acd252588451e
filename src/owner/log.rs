//! The ingest log: owners hand their records to one writer, which appends
//! every record waiting in one transaction (group commit), makes it durable
//! (on SQLite an `fsync` of the log file's write-ahead log, one for every
//! group committed meanwhile) and only then lets the owners answer, tells
//! the streams, and hands the records to the projector.
//!
//! A failed append leaves the owners' states ahead of the log: each company
//! of the group is dropped from memory and loaded again from the tables (the
//! generation check refuses records decided on the dropped state). A failed
//! `fsync` stops ingest for good: after a failed write-back the kernel may
//! have dropped the log's unwritten pages, and a later `fsync` that succeeds
//! says nothing about them, so nothing appended after it may be acknowledged
//! until a restart recovers the log from the disk.

use std::sync::{Arc, OnceLock};

use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use tokio::sync::{mpsc, oneshot};
use tracing::Instrument;

use super::Progress;
use super::resident::Resident;
use crate::domain::record::Record;
use crate::error::{Error, Result};
use crate::store::entity::ingest_log;
use crate::store::{Store, WalSync, now_ms};

/// Most records one group commit takes.
const MAX_GROUP_RECORDS: usize = 4096;
/// Most bytes one group commit takes (a bound on one transaction's size).
const MAX_GROUP_BYTES: usize = 32 * 1024 * 1024;
/// Rows per INSERT statement.
const ROWS_PER_INSERT: usize = 500;

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

/// Why ingest stopped, once it has (see the module comment).
pub type Stopped = Arc<OnceLock<String>>;

/// The error for a request refused or left unacknowledged after ingest stopped.
pub fn stopped_error(reason: &str) -> Error {
    Error::Unavailable(format!(
        "alert ingest has stopped: {reason}; the server must be restarted. Retry the \
         request then or against another replica: an alert that was logged but not \
         acknowledged is recognised as a duplicate (same delivery id, or same dedup key, \
         time and action)"
    ))
}

/// A record on its way to the log.
pub(crate) struct Submission {
    /// Whose record it is.
    pub resident: Arc<Resident>,
    /// The state's generation it was decided on.
    pub generation: u64,
    pub record: Arc<Record>,
    pub bytes: Vec<u8>,
    /// Told once the record is durable (or why not).
    pub reply: oneshot::Sender<Result<()>>,
    /// The request's `ingest_log.commit` span, which the group's spans
    /// link to (disabled, and free, when traces are off).
    pub span: tracing::Span,
}

/// What the writer is asked.
pub(crate) enum Message {
    Append(Submission),
    /// Delete what the projector has written: (company, up to position).
    Prune(Vec<(String, i64)>),
}

/// Records durable together, in log order, with their group's number.
pub(crate) struct Durable {
    /// The group commit's number (1, 2, …).
    pub lsn: u64,
    /// The records with their owners.
    pub records: Vec<(Arc<Resident>, Arc<Record>)>,
}

/// A committed group on its way to the syncer.
struct Committed {
    lsn: u64,
    submissions: Vec<Submission>,
}

/// The writer's inputs and outputs.
pub(crate) struct Writer {
    /// The log's connection (its own SQLite file, or PostgreSQL).
    pub log: Store,
    /// What makes commits durable (SQLite); `None` when a commit is.
    pub sync: Option<Arc<dyn LogSync>>,
    /// Set when ingest stops for good.
    pub stopped: Stopped,
    pub progress: Arc<Progress>,
    /// Where durable records go (the projector).
    pub projector: mpsc::UnboundedSender<Durable>,
    /// Checks, inside each append, that this replica still owns every
    /// company of the group (PostgreSQL replicas; `None` on one server).
    pub fence: Option<Arc<dyn super::Fence>>,
    /// Cancelled when the owners are gone: the writer stops.
    pub closed: tokio_util::sync::CancellationToken,
}

impl Writer {
    /// Appends until `messages` closes: commits groups on this task and
    /// syncs and answers them on another, so that the next group commits
    /// while the previous one's `fsync` runs.
    pub(crate) async fn run(self, mut messages: mpsc::UnboundedReceiver<Message>) {
        let (committed, to_sync) = mpsc::channel::<Committed>(64);
        let syncer = tokio::spawn(sync_and_answer(
            self.sync.clone(),
            self.stopped.clone(),
            self.progress.clone(),
            self.projector.clone(),
            to_sync,
        ));
        let mut lsn = 0u64;
        loop {
            let first = tokio::select! {
                message = messages.recv() => match message {
                    Some(message) => message,
                    None => break,
                },
                () = self.closed.cancelled() => break,
            };
            let mut group = Vec::new();
            let mut prunes = Vec::new();
            let mut bytes = 0usize;
            let mut next = Some(first);
            while let Some(message) = next.take() {
                match message {
                    Message::Append(submission) => {
                        bytes += submission.bytes.len();
                        group.push(submission);
                    }
                    Message::Prune(up_to) => prunes.extend(up_to),
                }
                if group.len() < MAX_GROUP_RECORDS && bytes < MAX_GROUP_BYTES {
                    next = messages.try_recv().ok();
                }
            }
            let group = self.current(group);
            if group.is_empty() && prunes.is_empty() {
                continue;
            }
            let started = std::time::Instant::now();
            // A group commits many requests' records: its span is a trace of
            // its own, linked to each request's.
            let span = tracing::debug_span!("ingest_log.append", records = group.len());
            for submission in &group {
                span.follows_from(&submission.span);
            }
            let appended = self.append(&group, &prunes).instrument(span).await;
            tracing::debug!(
                records = group.len(),
                bytes,
                prunes = prunes.len(),
                micros = started.elapsed().as_micros(),
                "appended a group"
            );
            match appended {
                Ok(()) if group.is_empty() => {}
                Ok(()) => {
                    lsn += 1;
                    if committed
                        .send(Committed {
                            lsn,
                            submissions: group,
                        })
                        .await
                        .is_err()
                    {
                        return;
                    }
                }
                Err(error) => {
                    tracing::error!(%error, records = group.len(), "cannot append to the ingest log; the companies' states are reloaded");
                    for submission in group {
                        submission.resident.invalidate();
                        let _ = submission.reply.send(Err(Error::Unavailable(format!(
                            "the alert log could not be written ({error}); nothing of this request was stored, retry it"
                        ))));
                    }
                }
            }
        }
        drop(committed);
        let _ = syncer.await;
    }

    /// The submissions decided on their state's current generation; the
    /// others are answered (their state was dropped after a failed append
    /// and must be loaded again), and everything once ingest has stopped.
    fn current(&self, group: Vec<Submission>) -> Vec<Submission> {
        let stopped = self.stopped.get().cloned();
        let mut current = Vec::with_capacity(group.len());
        for submission in group {
            if let Some(reason) = &stopped {
                let _ = submission.reply.send(Err(stopped_error(reason)));
            } else if submission.resident.generation() != submission.generation {
                let _ = submission.reply.send(Err(Error::Unavailable(
                    "the company's state was reloaded after a failed write; retry the request"
                        .to_owned(),
                )));
            } else {
                current.push(submission);
            }
        }
        current
    }

    async fn append(&self, group: &[Submission], prunes: &[(String, i64)]) -> Result<()> {
        let txn = self.log.begin_write().await?;
        if let Some(fence) = &self.fence
            && !group.is_empty()
        {
            let companies: Vec<(&str, i64)> = group
                .iter()
                .map(|s| (s.record.company_id.as_str(), s.resident.epoch))
                .collect();
            fence.check(&txn, &companies).await?;
        }
        // On PostgreSQL the time of the append is the database's, so that
        // replicas compare it with one clock (the cross-replica read barrier).
        let appended_at: Expr = match self.log.backend() {
            DbBackend::Postgres => {
                Expr::cust("(extract(epoch from clock_timestamp()) * 1000)::bigint")
            }
            _ => Expr::value(now_ms()),
        };
        for chunk in group.chunks(ROWS_PER_INSERT) {
            let mut insert = Query::insert();
            insert.into_table(ingest_log::Entity).columns([
                ingest_log::Column::CompanyId,
                ingest_log::Column::Position,
                ingest_log::Column::AppendedAt,
                ingest_log::Column::Payload,
            ]);
            for submission in chunk {
                insert.values_panic([
                    Expr::value(submission.record.company_id.clone()),
                    Expr::value(submission.record.position),
                    appended_at.clone(),
                    Expr::value(submission.bytes.clone()),
                ]);
            }
            txn.execute(&insert).await?;
        }
        for (company_id, position) in prunes {
            let statement = Query::delete()
                .from_table(ingest_log::Entity)
                .and_where(Expr::col(ingest_log::Column::CompanyId).eq(company_id.clone()))
                .and_where(Expr::col(ingest_log::Column::Position).lte(*position))
                .to_owned();
            txn.execute(&statement).await?;
        }
        txn.commit().await?;
        Ok(())
    }
}

/// Answers committed groups in order, each after an fsync of the log that
/// covers it (one fsync for every group waiting): tells their owners (the
/// streams) and the projector, then the callers. Without a log to sync
/// (PostgreSQL) it answers at once.
async fn sync_and_answer(
    log: Option<Arc<dyn LogSync>>,
    stopped: Stopped,
    progress: Arc<Progress>,
    projector: mpsc::UnboundedSender<Durable>,
    mut pending: mpsc::Receiver<Committed>,
) {
    while let Some(first) = pending.recv().await {
        let mut groups = vec![first];
        while let Ok(next) = pending.try_recv() {
            groups.push(next);
        }
        let span = tracing::debug_span!("ingest_log.sync", groups = groups.len());
        for submission in groups.iter().flat_map(|group| &group.submissions) {
            span.follows_from(&submission.span);
        }
        let synced = async {
            match (stopped.get(), log.clone()) {
            (Some(reason), _) => Err(reason.clone()),
            (None, Some(log)) => {
                let result = tokio::task::spawn_blocking(move || log.sync())
                    .await
                    .unwrap_or_else(|error| Err(std::io::Error::other(error)));
                result.map_err(|error| {
                    let at = chrono::DateTime::<chrono::Utc>::from(std::time::SystemTime::now())
                        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
                    let reason = format!("the ingest log could not be synced at {at} ({error})");
                    tracing::error!(%error, "cannot sync the ingest log; ingest stops and nothing logged since the last sync is acknowledged; restart the server");
                    stopped.get_or_init(|| reason).clone()
                })
            }
            (None, None) => Ok(()),
        }
        }
        .instrument(span.clone())
        .await;
        // Telling the owners wakes the streams: inside the span too.
        let _answering = span.enter();
        for group in groups {
            match &synced {
                Ok(()) => {
                    let mut records = Vec::with_capacity(group.submissions.len());
                    let mut replies = Vec::with_capacity(group.submissions.len());
                    for submission in group.submissions {
                        submission.resident.on_durable(&submission.record);
                        progress.note_durable(&submission.record);
                        records.push((submission.resident, submission.record));
                        replies.push(submission.reply);
                    }
                    progress.set_durable(group.lsn);
                    let _ = projector.send(Durable {
                        lsn: group.lsn,
                        records,
                    });
                    for reply in replies {
                        let _ = reply.send(Ok(()));
                    }
                }
                Err(reason) => {
                    for submission in group.submissions {
                        let _ = submission.reply.send(Err(stopped_error(reason)));
                    }
                }
            }
        }
    }
}

/// The companies with records in the log, and each one's first position.
pub(crate) async fn companies_in(log: &Store) -> Result<Vec<(String, i64)>> {
    Ok(ingest_log::Entity::find()
        .select_only()
        .column(ingest_log::Column::CompanyId)
        .column_as(ingest_log::Column::Position.min(), "position")
        .group_by(ingest_log::Column::CompanyId)
        .into_tuple::<(String, i64)>()
        .all(log.connection())
        .await?)
}

/// A company's records after `after`, in order, at most `limit`.
pub(crate) async fn records_after(
    log: &Store,
    company_id: &str,
    after: i64,
    limit: u64,
) -> Result<Vec<Record>> {
    ingest_log::Entity::find()
        .filter(ingest_log::Column::CompanyId.eq(company_id))
        .filter(ingest_log::Column::Position.gt(after))
        .order_by_asc(ingest_log::Column::Position)
        .limit(limit)
        .all(log.connection())
        .await?
        .iter()
        .map(|row| Ok(Record::decode(&row.payload)?))
        .collect()
}
