//! Wakes WatchIncidents streams when a company's event log grows: in process
//! after a commit, and from other replicas through PostgreSQL LISTEN/NOTIFY.
//! Streams read the events themselves from the log, so a wake-up carries only
//! the newest sequence and can never be lost in a full buffer.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use sea_orm::DbBackend;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use crate::store::Store;
use crate::store::event_log::NOTIFY_CHANNEL;

/// The newest log sequence per company, as watch channels.
#[derive(Debug, Default)]
pub struct Hub {
    companies: Mutex<HashMap<String, watch::Sender<i64>>>,
    /// Woken by every growth of any company's log (the notifier waits on it).
    any: tokio::sync::Notify,
}

impl Hub {
    /// A hub with no subscribers.
    pub fn new() -> Self {
        Self::default()
    }

    fn sender(&self, company_id: &str) -> watch::Sender<i64> {
        let mut companies = self
            .companies
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        companies
            .entry(company_id.to_owned())
            .or_insert_with(|| watch::channel(0).0)
            .clone()
    }

    /// Announces that the company's log holds events up to `sequence`.
    pub fn publish(&self, company_id: &str, sequence: i64) {
        let grew = self.sender(company_id).send_if_modified(|current| {
            if sequence > *current {
                *current = sequence;
                true
            } else {
                false
            }
        });
        if grew {
            self.any.notify_one();
        }
    }

    /// Resolves once any company's log has grown since the last call
    /// returned (one waiter: the notifier).
    pub async fn any_growth(&self) {
        self.any.notified().await;
    }

    /// A receiver that changes whenever the company's log grows.
    pub fn subscribe(&self, company_id: &str) -> watch::Receiver<i64> {
        self.sender(company_id).subscribe()
    }
}

/// On PostgreSQL, listens for other replicas' notifications until shutdown,
/// reconnecting with backoff. Streams also re-read the log on every heartbeat,
/// so a notification lost while reconnecting delays events, never drops them.
pub fn spawn_listener(store: &Store, hub: std::sync::Arc<Hub>, shutdown: CancellationToken) {
    if store.backend() != DbBackend::Postgres {
        return;
    }
    let pool = store.connection().get_postgres_connection_pool().clone();
    tokio::spawn(async move {
        let mut backoff = Duration::from_millis(200);
        loop {
            let listener = async {
                let mut listener = sea_orm::sqlx::postgres::PgListener::connect_with(&pool).await?;
                listener.listen(NOTIFY_CHANNEL).await?;
                loop {
                    let notification = listener.recv().await?;
                    if let Some((company, sequence)) = notification.payload().rsplit_once(':')
                        && let Ok(sequence) = sequence.parse::<i64>()
                    {
                        hub.publish(company, sequence);
                    }
                }
                #[allow(unreachable_code)]
                Ok::<(), sea_orm::sqlx::Error>(())
            };
            tokio::select! {
                () = shutdown.cancelled() => return,
                result = listener => {
                    if let Err(error) = result {
                        tracing::warn!(%error, "incident event listener lost its connection; reconnecting");
                    }
                }
            }
            tokio::select! {
                () = shutdown.cancelled() => return,
                () = tokio::time::sleep(backoff) => {}
            }
            backoff = (backoff * 2).min(Duration::from_secs(10));
        }
    });
}
