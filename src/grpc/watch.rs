//! The resumable-sequence design shared by WatchIncidents and
//! WatchExecutions: a company's event log (one sequence counter for incident
//! and execution events) is read after a position, then followed live; the
//! hub only wakes streams, and heartbeats re-read in case a wake-up was lost.
//! Entries come from the company owner's memory while it holds them (they
//! are durable before they get there), else from the tables.

use std::future::Future;
use std::pin::Pin;

use futures::Stream;
use tokio::sync::mpsc;
use tonic::Status;

use super::convert::timestamp;
use crate::app::AppState;
use crate::error::{Error, Result};
use crate::proto::v1;
use crate::store::{ScopedCompany, now_ms};

/// Log entries read per query.
pub(crate) const WATCH_BATCH: usize = 256;
/// Messages buffered per stream before it waits for the client.
pub(crate) const WATCH_BUFFER: usize = 32;

/// A server stream of `T`.
pub(crate) type WatchStream<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send>>;

/// A heartbeat at `sequence`.
pub(crate) fn heartbeat(sequence: i64) -> v1::Heartbeat {
    v1::Heartbeat {
        time: Some(timestamp(now_ms())),
        sequence: u64::try_from(sequence).unwrap_or(0),
    }
}

/// Where a new stream starts: without `after_sequence` at the head (sending
/// a first heartbeat there), else after it — INVALID_ARGUMENT beyond the
/// head, OUT_OF_RANGE when the log no longer holds what follows it.
pub(crate) async fn start_position<T>(
    state: &AppState,
    company: &ScopedCompany,
    after_sequence: Option<u64>,
    tx: &mpsc::Sender<Result<T, Status>>,
    beat: fn(v1::Heartbeat) -> T,
    relist: &str,
) -> std::result::Result<i64, Status> {
    let mut head = state.owners.head_sequence(company).await?;
    if after_sequence.is_some_and(|after| i64::try_from(after).is_ok_and(|after| after > head)) {
        // A sequence another server streamed may not be in the tables yet.
        state.owners.read_barrier().await;
        head = state.owners.head_sequence(company).await?;
    }
    match after_sequence {
        None => {
            tx.send(Ok(beat(heartbeat(head))))
                .await
                .map_err(|_| Status::from(Error::Internal("stream closed".to_owned())))?;
            Ok(head)
        }
        Some(0) => Ok(0),
        Some(after) => {
            let after = i64::try_from(after)
                .map_err(|_| Error::invalid("after_sequence", "out of range"))?;
            if after > head {
                return Err(Error::invalid(
                    "after_sequence",
                    format!("{after} is beyond the log's last sequence {head} for this company"),
                )
                .into());
            }
            let oldest = state.store.oldest_sequence(company).await?;
            if after < head && oldest.is_some_and(|oldest| oldest > after + 1) {
                return Err(Status::out_of_range(format!(
                    "the log no longer holds the events after {after}; {relist} again and watch from a fresh stream's first heartbeat"
                )));
            }
            Ok(after)
        }
    }
}

/// Feeds one stream from the log: `read` answers the entries after a
/// sequence (each with its message, or None when filtered out); then it waits
/// for the hub or the heartbeat. The bounded channel makes a slow client fall
/// behind in the log, not in memory.
pub(crate) async fn follow<T, F, Fut>(
    state: AppState,
    company: ScopedCompany,
    mut last: i64,
    read: F,
    beat: fn(v1::Heartbeat) -> T,
    tx: mpsc::Sender<Result<T, Status>>,
) where
    T: Send + 'static,
    F: Fn(i64) -> Fut + Send,
    Fut: Future<Output = Result<Vec<(i64, Option<T>)>>> + Send,
{
    let mut wake = state.hub.subscribe(company.id());
    let mut idle = tokio::time::interval_at(
        tokio::time::Instant::now() + state.heartbeat,
        state.heartbeat,
    );
    loop {
        wake.borrow_and_update();
        loop {
            let entries = match read(last).await {
                Ok(entries) => entries,
                Err(error) => {
                    let _ = tx.send(Err(error.into())).await;
                    return;
                }
            };
            let full = entries.len() == WATCH_BATCH;
            for (sequence, message) in entries {
                last = sequence;
                if let Some(message) = message {
                    if tx.send(Ok(message)).await.is_err() {
                        return;
                    }
                    idle.reset();
                }
            }
            if !full {
                break;
            }
        }
        tokio::select! {
            () = state.shutdown.cancelled() => return,
            () = tx.closed() => return,
            changed = wake.changed() => {
                if changed.is_err() {
                    return;
                }
            }
            _ = idle.tick() => {
                if tx.send(Ok(beat(heartbeat(last)))).await.is_err() {
                    return;
                }
            }
        }
    }
}
