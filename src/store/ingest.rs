//! The alert log: group inserts of alert events (idempotent), webhook replay
//! records, and SNS confirmation records.

use std::collections::{HashMap, HashSet};

use sea_orm::sea_query::{Expr, ExprTrait, OnConflict, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, DbBackend, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Statement, TransactionTrait,
};

use super::entity::{alert_event, api_key, sns_subscription};
use super::incident::{PassMode, PassOutcome};
use super::{Page, Scope, Store, new_id, now_ms, to_json};
use crate::domain::ingest::AlertEvent;
use crate::error::{Error, Result};

/// Rows per INSERT statement, largest first. Statements are cut only to these
/// sizes so that their SQL repeats and the prepared-statement cache hits:
/// compiling a fresh multi-row INSERT costs more than running it.
const STATEMENT_ROWS: [usize; 6] = [1024, 256, 64, 16, 4, 1];

/// Cuts `rows` into runs of the sizes in [`STATEMENT_ROWS`].
fn statement_chunks<T>(mut rows: &[T]) -> Vec<&[T]> {
    let mut chunks = Vec::new();
    for size in STATEMENT_ROWS {
        while rows.len() >= size {
            let (chunk, rest) = rows.split_at(size);
            chunks.push(chunk);
            rows = rest;
        }
    }
    chunks
}

/// One request's alerts, to be committed together with other requests'.
#[derive(Debug, Clone)]
pub struct IngestBatch {
    /// The company (from the API key).
    pub company_id: String,
    /// The API key used.
    pub api_key_id: String,
    /// Format the alerts arrived in (`grpc`, `seed`, `alertmanager`, …).
    pub source: &'static str,
    /// Validated events.
    pub events: Vec<AlertEvent>,
    /// The webhook signature to record against replays, with its expiry (ms).
    pub signature: Option<(String, i64)>,
    /// Whether to record the key's last use (the caller throttles this to once a minute).
    pub touch_api_key: bool,
}

/// What became of one stored (or recognised) event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEvent {
    /// The event's id (the first delivery's for a duplicate).
    pub id: String,
    /// Whether this was a retry of an event already stored.
    pub duplicate: bool,
}

/// What became of one batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BatchOutcome {
    /// Committed; one entry per event, in order.
    Stored(Vec<StoredEvent>),
    /// The signature was seen before within its window: nothing stored.
    Replay,
}

impl BatchOutcome {
    /// Whether the batch stored an event that is not a retry: one that
    /// correlation has still to decide.
    pub fn has_new_events(&self) -> bool {
        matches!(self, BatchOutcome::Stored(events) if events.iter().any(|e| !e.duplicate))
    }
}

/// An SNS confirmation message to record.
#[derive(Debug, Clone)]
pub struct NewSnsConfirmation {
    /// Company.
    pub company_id: String,
    /// Topic ARN.
    pub topic_arn: String,
    /// Message type.
    pub message_type: String,
    /// Message id.
    pub message_id: String,
    /// SubscribeURL.
    pub subscribe_url: String,
}

impl Store {
    /// Commits several requests' batches in one transaction (group commit).
    /// Answers one outcome per batch, in order.
    pub async fn insert_batches(&self, batches: &[IngestBatch]) -> Result<Vec<BatchOutcome>> {
        let prepared = self.prepare_group(batches)?;
        self.commit_group(batches, prepared).await
    }

    /// Deletes replay records whose window has passed; answers how many.
    pub async fn prune_webhook_signatures(&self) -> Result<u64> {
        let statement = Query::delete()
            .from_table(WebhookSignatures::Table)
            .and_where(Expr::col(WebhookSignatures::ExpiresAt).lt(now_ms()))
            .to_owned();
        Ok(self.connection().execute(&statement).await?.rows_affected())
    }

    /// Records an SNS subscription or unsubscribe confirmation (once per message id).
    pub async fn record_sns_confirmation(&self, confirmation: NewSnsConfirmation) -> Result<()> {
        let statement = Query::insert()
            .into_table(sns_subscription::Entity)
            .columns([
                sns_subscription::Column::Id,
                sns_subscription::Column::CompanyId,
                sns_subscription::Column::TopicArn,
                sns_subscription::Column::MessageType,
                sns_subscription::Column::MessageId,
                sns_subscription::Column::SubscribeUrl,
                sns_subscription::Column::ReceivedAt,
            ])
            .values_panic([
                new_id().into(),
                confirmation.company_id.clone().into(),
                confirmation.topic_arn.into(),
                confirmation.message_type.into(),
                confirmation.message_id.clone().into(),
                confirmation.subscribe_url.into(),
                now_ms().into(),
            ])
            .to_owned();
        let already = sns_subscription::Entity::find()
            .filter(sns_subscription::Column::CompanyId.eq(confirmation.company_id))
            .filter(sns_subscription::Column::MessageId.eq(confirmation.message_id))
            .count(self.connection())
            .await?;
        if already == 0 {
            self.connection().execute(&statement).await?;
        }
        Ok(())
    }

    /// One page of a company's SNS confirmations, newest first.
    pub async fn list_sns_confirmations(
        &self,
        scope: &Scope,
        company_id: &str,
        page: &Page,
    ) -> Result<(Vec<sns_subscription::Model>, String)> {
        self.get_company(scope, company_id).await?;
        let mut query = sns_subscription::Entity::find()
            .filter(scope.condition(sns_subscription::Column::CompanyId))
            .filter(sns_subscription::Column::CompanyId.eq(company_id));
        if let Some(after) = &page.after {
            query = query.filter(sns_subscription::Column::Id.lt(after.clone()));
        }
        let rows = query
            .order_by_desc(sns_subscription::Column::Id)
            .limit(page.size + 1)
            .all(self.connection())
            .await?;
        Ok(page.finish(rows, |row| &row.id))
    }

    /// Alert events of a company, oldest first (tests and tools read the log with it).
    pub async fn alert_events(
        &self,
        scope: &Scope,
        company_id: &str,
        limit: u64,
    ) -> Result<Vec<alert_event::Model>> {
        Ok(alert_event::Entity::find()
            .filter(scope.condition(alert_event::Column::CompanyId))
            .filter(alert_event::Column::CompanyId.eq(company_id))
            .order_by_asc(alert_event::Column::Id)
            .limit(limit)
            .all(self.connection())
            .await?)
    }
}

#[derive(sea_orm::DeriveIden)]
enum WebhookSignatures {
    Table,
    CompanyId,
    Signature,
    ExpiresAt,
}

/// The event rows of a group, with their INSERT statements built ahead of the
/// transaction (building them costs about as much as running them, so the
/// writer builds the next group while the database commits this one).
#[derive(Debug)]
pub struct PreparedGroup {
    rows: Vec<PreparedRow>,
    // Each statement with how many rows (in order) it inserts.
    statements: Vec<(Statement, usize)>,
    // Which batches the statements leave out (replays).
    excluded: Vec<bool>,
}

#[derive(Debug)]
struct PreparedRow {
    batch: usize,
    id: String,
    idempotency_key: String,
    occurred_at_ms: i64,
    delivery_id: Option<String>,
}

impl PreparedGroup {
    /// Builds the statements for every batch not `excluded`.
    pub fn new(backend: DbBackend, batches: &[IngestBatch], excluded: Vec<bool>) -> Result<Self> {
        let received_at = now_ms();
        let mut rows = Vec::new();
        let mut values: Vec<[sea_orm::Value; 18]> = Vec::new();
        for (index, batch) in batches.iter().enumerate() {
            if excluded.get(index).copied().unwrap_or(false) {
                continue;
            }
            for event in &batch.events {
                let row = PreparedRow {
                    batch: index,
                    id: new_id(),
                    idempotency_key: event.idempotency_key(),
                    occurred_at_ms: event.occurred_at_ms,
                    delivery_id: event.delivery_id.clone(),
                };
                values.push([
                    row.id.clone().into(),
                    batch.company_id.clone().into(),
                    batch.api_key_id.clone().into(),
                    event.delivery_id.clone().into(),
                    row.idempotency_key.clone().into(),
                    event.asset.clone().into(),
                    event.signature.clone().into(),
                    event.severity.as_i16().into(),
                    event.message.clone().into(),
                    event.tool_source.clone().into(),
                    to_json(&event.labels)?.into(),
                    event.occurred_at_ms.into(),
                    received_at.into(),
                    event.action.as_i16().into(),
                    event.dedup_key.clone().into(),
                    event.external_id.clone().into(),
                    event.link.clone().into(),
                    batch.source.into(),
                ]);
                rows.push(row);
            }
        }
        let mut statements = Vec::new();
        let mut values = values.into_iter();
        for chunk in statement_chunks(&rows) {
            let mut insert = Query::insert();
            insert
                .into_table(alert_event::Entity)
                .columns([
                    alert_event::Column::Id,
                    alert_event::Column::CompanyId,
                    alert_event::Column::ApiKeyId,
                    alert_event::Column::DeliveryId,
                    alert_event::Column::IdempotencyKey,
                    alert_event::Column::Asset,
                    alert_event::Column::Signature,
                    alert_event::Column::Severity,
                    alert_event::Column::Message,
                    alert_event::Column::ToolSource,
                    alert_event::Column::Labels,
                    alert_event::Column::OccurredAt,
                    alert_event::Column::ReceivedAt,
                    alert_event::Column::Action,
                    alert_event::Column::DedupKey,
                    alert_event::Column::ExternalId,
                    alert_event::Column::Link,
                    alert_event::Column::Source,
                ])
                .on_conflict(OnConflict::new().do_nothing().to_owned());
            for row_values in values.by_ref().take(chunk.len()) {
                insert.values_panic(row_values.into_iter().map(Into::into));
            }
            statements.push((backend.build(&insert), chunk.len()));
        }
        Ok(Self {
            rows,
            statements,
            excluded,
        })
    }
}

impl PreparedGroup {
    /// Adds the rows and statements of `other`, built for batches that follow
    /// this group's `batch_offset` batches.
    pub fn append(&mut self, other: PreparedGroup, batch_offset: usize) {
        self.rows.extend(other.rows.into_iter().map(|mut row| {
            row.batch += batch_offset;
            row
        }));
        self.statements.extend(other.statements);
        self.excluded.extend(other.excluded);
    }
}

impl Store {
    /// Builds a group's statements (CPU only; see [`PreparedGroup`]).
    pub fn prepare_group(&self, batches: &[IngestBatch]) -> Result<PreparedGroup> {
        PreparedGroup::new(self.backend(), batches, vec![false; batches.len()])
    }

    /// Commits a prepared group in one transaction (group commit): one outcome
    /// per batch, in order.
    pub async fn commit_group(
        &self,
        batches: &[IngestBatch],
        prepared: PreparedGroup,
    ) -> Result<Vec<BatchOutcome>> {
        let txn = self.connection().begin().await?;
        let outcomes = commit_group_in(&txn, self.backend(), batches, prepared).await?;
        txn.commit().await?;
        Ok(outcomes)
    }

    /// Commits a group and, in the same transaction, a correlation pass for
    /// each company that got new events (locks in id order): one commit serves
    /// both, and on SQLite the ingest writer is the only writer the hot path
    /// has (the writer and the correlator used to take turns on the database
    /// lock). Answers the batches' outcomes and the passes.
    pub async fn commit_group_correlated(
        &self,
        batches: &[IngestBatch],
        prepared: PreparedGroup,
    ) -> Result<(Vec<BatchOutcome>, Vec<(String, PassOutcome)>)> {
        let txn = self.connection().begin().await?;
        let outcomes = commit_group_in(&txn, self.backend(), batches, prepared).await?;
        let companies: Vec<String> = batches
            .iter()
            .zip(&outcomes)
            .filter(|(_, outcome)| outcome.has_new_events())
            .map(|(batch, _)| batch.company_id.clone())
            .collect();
        let passes = self
            .correlate_companies(&txn, &companies, PassMode::Auto)
            .await?;
        let committing = std::time::Instant::now();
        txn.commit().await?;
        tracing::debug!(
            companies = passes.len(),
            commit_us = committing.elapsed().as_micros(),
            "group committed and correlated"
        );
        Ok((outcomes, passes))
    }
}

async fn commit_group_in(
    txn: &DatabaseTransaction,
    backend: DbBackend,
    batches: &[IngestBatch],
    mut prepared: PreparedGroup,
) -> Result<Vec<BatchOutcome>> {
    let received_at = now_ms();
    // 1. Replay records: a signature that is already recorded refuses its batch.
    let mut replayed = vec![false; batches.len()];
    let signed: Vec<(usize, &IngestBatch, &(String, i64))> = batches
        .iter()
        .enumerate()
        .filter_map(|(i, b)| b.signature.as_ref().map(|s| (i, b, s)))
        .collect();
    if !signed.is_empty() {
        let mut statement = Query::insert();
        statement
            .into_table(WebhookSignatures::Table)
            .columns([
                WebhookSignatures::CompanyId,
                WebhookSignatures::Signature,
                WebhookSignatures::ExpiresAt,
            ])
            .on_conflict(OnConflict::new().do_nothing().to_owned())
            .returning(
                Query::returning()
                    .columns([WebhookSignatures::CompanyId, WebhookSignatures::Signature]),
            );
        for (_, batch, (signature, expires_at)) in &signed {
            statement.values_panic([
                batch.company_id.clone().into(),
                signature.clone().into(),
                (*expires_at).into(),
            ]);
        }
        let inserted: HashSet<(String, String)> = txn
            .query_all(&statement)
            .await?
            .into_iter()
            .map(|row| {
                Ok((
                    row.try_get::<String>("", "company_id")?,
                    row.try_get::<String>("", "signature")?,
                ))
            })
            .collect::<Result<_, sea_orm::DbErr>>()?;
        // Two requests of one group carrying the same signature: the first wins.
        let mut claimed = HashSet::new();
        for (index, batch, (signature, _)) in signed {
            let key = (batch.company_id.clone(), signature.clone());
            if !inserted.contains(&key) || !claimed.insert(key) {
                replayed[index] = true;
            }
        }
    }
    if replayed != prepared.excluded {
        // Rare: a replay inside the group; rebuild without the replayed batches.
        prepared = PreparedGroup::new(backend, batches, replayed.clone())?;
    }

    // 2. The events, inserted idempotently.
    let mut inserted_ids = HashSet::new();
    let mut offset = 0;
    for (statement, count) in prepared.statements {
        let chunk = &prepared.rows[offset..offset + count];
        offset += count;
        let affected = txn.execute_raw(statement).await?.rows_affected();
        let ids = chunk.iter().map(|row| row.id.clone());
        if usize::try_from(affected).ok() == Some(count) {
            // The common case: no retries among them, every row went in.
            inserted_ids.extend(ids);
        } else {
            // Some were retries: the fresh ids that exist are the inserted ones.
            let found = alert_event::Entity::find()
                .select_only()
                .column(alert_event::Column::Id)
                .filter(alert_event::Column::Id.is_in(ids))
                .into_tuple::<String>()
                .all(txn)
                .await?;
            inserted_ids.extend(found);
        }
    }
    let rows = prepared.rows;

    // 3. Rows that were not inserted are retries: find the first delivery's id.
    let mut first_ids: HashMap<(String, String), String> = HashMap::new();
    let mut by_delivery: HashMap<(String, String), String> = HashMap::new();
    let missing: Vec<&PreparedRow> = rows
        .iter()
        .filter(|row| !inserted_ids.contains(&row.id))
        .collect();
    // Per company, IN lists on the unique indexes' columns: an index lookup on
    // both backends (a long OR of ANDs made PostgreSQL scan the table).
    let mut by_company: HashMap<&str, Vec<&PreparedRow>> = HashMap::new();
    for row in missing {
        by_company
            .entry(batches[row.batch].company_id.as_str())
            .or_default()
            .push(row);
    }
    for (company_id, company_rows) in by_company {
        for chunk in company_rows.chunks(256) {
            let mut times: Vec<i64> = chunk.iter().map(|row| row.occurred_at_ms).collect();
            times.sort_unstable();
            times.dedup();
            let keys: Vec<String> = chunk
                .iter()
                .map(|row| row.idempotency_key.clone())
                .collect();
            let deliveries: Vec<String> = chunk
                .iter()
                .filter_map(|row| row.delivery_id.clone())
                .collect();
            let mut condition = sea_orm::Condition::any().add(
                sea_orm::Condition::all()
                    .add(alert_event::Column::OccurredAt.is_in(times))
                    .add(alert_event::Column::IdempotencyKey.is_in(keys)),
            );
            if !deliveries.is_empty() {
                condition = condition.add(alert_event::Column::DeliveryId.is_in(deliveries));
            }
            let existing = alert_event::Entity::find()
                .filter(alert_event::Column::CompanyId.eq(company_id))
                .filter(condition)
                .all(txn)
                .await?;
            for model in existing {
                if let Some(delivery_id) = &model.delivery_id {
                    by_delivery.insert(
                        (model.company_id.clone(), delivery_id.clone()),
                        model.id.clone(),
                    );
                }
                first_ids.insert((model.company_id, model.idempotency_key), model.id);
            }
        }
    }

    // 4. Keys used: last_used_at to the minute, so the update is rare.
    let mut key_ids: Vec<String> = batches
        .iter()
        .zip(&replayed)
        .filter(|(batch, replay)| batch.touch_api_key && !**replay)
        .map(|(batch, _)| batch.api_key_id.clone())
        .collect();
    key_ids.sort();
    key_ids.dedup();
    if !key_ids.is_empty() {
        api_key::Entity::update_many()
            .col_expr(api_key::Column::LastUsedAt, Expr::value(received_at))
            .filter(api_key::Column::Id.is_in(key_ids))
            .filter(
                sea_orm::Condition::any()
                    .add(api_key::Column::LastUsedAt.is_null())
                    .add(api_key::Column::LastUsedAt.lt(received_at - 60_000)),
            )
            .exec(txn)
            .await?;
    }

    let mut outcomes: Vec<BatchOutcome> = replayed
        .iter()
        .map(|&replay| {
            if replay {
                BatchOutcome::Replay
            } else {
                BatchOutcome::Stored(Vec::new())
            }
        })
        .collect();
    for row in &rows {
        let company_id = &batches[row.batch].company_id;
        let stored = if inserted_ids.contains(&row.id) {
            StoredEvent {
                id: row.id.clone(),
                duplicate: false,
            }
        } else {
            let first = row
                .delivery_id
                .as_ref()
                .and_then(|d| by_delivery.get(&(company_id.clone(), d.clone())))
                .or_else(|| first_ids.get(&(company_id.clone(), row.idempotency_key.clone())))
                .cloned()
                .ok_or_else(|| {
                    Error::Internal("an event was neither inserted nor found".to_owned())
                })?;
            StoredEvent {
                id: first,
                duplicate: true,
            }
        };
        if let BatchOutcome::Stored(events) = &mut outcomes[row.batch] {
            events.push(stored);
        }
    }
    Ok(outcomes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ingest::{AlertEventAction, AlertSeverity};

    fn batch(company: &str, events: usize) -> IngestBatch {
        IngestBatch {
            company_id: company.to_owned(),
            api_key_id: format!("key-{company}"),
            source: "grpc",
            events: (0..events)
                .map(|i| AlertEvent {
                    asset: format!("host-{i}"),
                    signature: "cpu".to_owned(),
                    severity: AlertSeverity::High,
                    message: String::new(),
                    tool_source: "datadog".to_owned(),
                    labels: std::collections::BTreeMap::new(),
                    occurred_at_ms: 1_000 + i64::try_from(i).unwrap_or(0),
                    action: AlertEventAction::Trigger,
                    dedup_key: format!("host-{i}|cpu"),
                    external_id: String::new(),
                    link: String::new(),
                    delivery_id: None,
                })
                .collect(),
            signature: None,
            touch_api_key: false,
        }
    }

    #[test]
    fn an_appended_group_commits_like_one_built_whole() {
        let batches = vec![batch("a", 3), batch("b", 20), batch("c", 1)];
        let mut group =
            PreparedGroup::new(DbBackend::Sqlite, &batches[..1], vec![false]).expect("first");
        let rest =
            PreparedGroup::new(DbBackend::Sqlite, &batches[1..], vec![false; 2]).expect("rest");
        group.append(rest, 1);
        let whole = PreparedGroup::new(DbBackend::Sqlite, &batches, vec![false; 3]).expect("whole");
        let of = |g: &PreparedGroup| {
            g.rows
                .iter()
                .map(|row| (row.batch, row.idempotency_key.clone()))
                .collect::<Vec<_>>()
        };
        assert_eq!(of(&group), of(&whole), "rows keep their batch and order");
        assert_eq!(group.excluded, vec![false; 3]);
        let counted: usize = group.statements.iter().map(|(_, rows)| rows).sum();
        assert_eq!(counted, 24, "the statements insert every row once");
    }

    #[test]
    fn statements_use_few_distinct_sizes() {
        let rows: Vec<usize> = (0..904).collect();
        let chunks = statement_chunks(&rows);
        assert_eq!(chunks.iter().map(|c| c.len()).sum::<usize>(), 904);
        assert!(chunks.iter().all(|c| STATEMENT_ROWS.contains(&c.len())));
        let flattened: Vec<usize> = chunks.concat();
        assert_eq!(flattened, rows, "order is kept");
        assert!(statement_chunks::<u8>(&[]).is_empty());
    }
}
