//! The projector: writes durable records into the tables behind the
//! answers, many at once (one transaction, coalesced, with the companies'
//! checkpoints), then lets the writer prune the log behind the checkpoints.
//! At start, [`recover`] does the same for whatever the log holds after the
//! checkpoints, before the server serves.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Notify, mpsc};

use super::Progress;
use super::log::{Durable, Message, companies_in, records_after};
use crate::domain::record::Record;
use crate::error::Result;
use crate::store::Store;
use crate::store::projection::Projected;

/// Most records one projection takes.
const MAX_RECORDS: usize = 20_000;
/// Most alert events and log entries one projection takes.
const MAX_WEIGHT: usize = 40_000;
/// Records read per page at recovery.
const RECOVERY_PAGE: u64 = 2_000;

/// The projector's inputs and outputs.
pub(crate) struct Projector {
    /// The tables (a connection of its own).
    pub store: Store,
    pub progress: Arc<Progress>,
    /// The writer (prunes go there).
    pub log: mpsc::UnboundedSender<Message>,
    /// Woken when execution rows were written.
    pub executor: Arc<Notify>,
    /// Cancelled when the owners are gone: the projector stops (what it did
    /// not write is in the log, for the next start).
    pub closed: tokio_util::sync::CancellationToken,
}

impl Projector {
    /// Projects what arrives until `durable` closes.
    pub(crate) async fn run(self, mut durable: mpsc::UnboundedReceiver<Durable>) {
        loop {
            let first = tokio::select! {
                group = durable.recv() => match group {
                    Some(group) => group,
                    None => return,
                },
                () = self.closed.cancelled() => return,
            };
            let mut groups = vec![first];
            let mut weight = weight_of(&groups[0]);
            let mut records = groups[0].records.len();
            while records < MAX_RECORDS && weight < MAX_WEIGHT {
                match durable.try_recv() {
                    Ok(group) => {
                        weight += weight_of(&group);
                        records += group.records.len();
                        groups.push(group);
                    }
                    Err(_) => break,
                }
            }
            self.project(groups).await;
        }
    }

    async fn project(&self, groups: Vec<Durable>) {
        let records: Vec<&Record> = groups
            .iter()
            .flat_map(|group| group.records.iter().map(|(_, record)| record.as_ref()))
            .collect();
        let started = std::time::Instant::now();
        let mut backoff = Duration::from_millis(50);
        let projected = loop {
            match self.store.project(&records).await {
                Ok(projected) => break projected,
                Err(error) => {
                    // The log keeps the records: retry until the tables take them.
                    tracing::error!(%error, records = records.len(), "cannot write the tables; retrying");
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(Duration::from_secs(5));
                }
            }
        };
        tracing::debug!(
            records = projected.records,
            events = projected.events,
            entries = projected.entries,
            micros = started.elapsed().as_micros(),
            "projected"
        );
        let mut prunes: BTreeMap<String, i64> = BTreeMap::new();
        for group in &groups {
            for (resident, record) in &group.records {
                resident.on_projected(record.position);
                prunes.insert(record.company_id.clone(), record.position);
            }
        }
        if let Some(last) = groups.last() {
            self.progress.set_projected(last.lsn, &records);
        }
        if projected.executions > 0 {
            self.executor.notify_one();
        }
        let _ = self.log.send(Message::Prune(prunes.into_iter().collect()));
    }
}

fn weight_of(group: &Durable) -> usize {
    group
        .records
        .iter()
        .map(|(_, record)| record.events.len() + record.entries.len() + 1)
        .sum()
}

/// Writes into the tables every record the log holds after the companies'
/// checkpoints (what was durable, and maybe answered, when the server
/// stopped), in order, and prunes the log behind them.
pub(crate) async fn recover(store: &Store, log: &Store) -> Result<Projected> {
    let mut total = Projected::default();
    for (company_id, _) in companies_in(log).await? {
        let projected = recover_company(store, log, &company_id).await?;
        total.records += projected.records;
        total.events += projected.events;
        total.entries += projected.entries;
        total.executions += projected.executions;
    }
    Ok(total)
}

/// [`recover`] for one company (a replica taking it over).
pub(crate) async fn recover_company(
    store: &Store,
    log: &Store,
    company_id: &str,
) -> Result<Projected> {
    let mut total = Projected::default();
    let mut after = 0;
    loop {
        let records = records_after(log, company_id, after, RECOVERY_PAGE).await?;
        let Some(last) = records.last().map(|record| record.position) else {
            break;
        };
        let refs: Vec<&Record> = records.iter().collect();
        let projected = store.project(&refs).await?;
        total.records += projected.records;
        total.events += projected.events;
        total.entries += projected.entries;
        total.executions += projected.executions;
        after = last;
    }
    if after > 0 {
        prune(log, company_id, after).await?;
    }
    Ok(total)
}

async fn prune(log: &Store, company_id: &str, position: i64) -> Result<()> {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    crate::store::entity::ingest_log::Entity::delete_many()
        .filter(crate::store::entity::ingest_log::Column::CompanyId.eq(company_id))
        .filter(crate::store::entity::ingest_log::Column::Position.lte(position))
        .exec(log.connection())
        .await?;
    Ok(())
}
