//! One company's resident state and the decisions its owner makes on it.
//!
//! The engine's [`World`] holds the company's unresolved alerts and open
//! incidents (and what resolved within the window); around it: the
//! idempotency windows that recognise retried deliveries, the webhook
//! signatures already used, the remediation rules, the versions of the
//! executions it moves, the technicians' open-incident counts, and the
//! company's last log position and sequence. Every decision turns into one
//! [`Record`]; the state already reflects it when the record is handed to
//! the log, so the next decision builds on it (see docs/architecture.md).

use std::collections::HashMap;

use sha2::{Digest, Sha256};

use super::command::{Answer, EventAnswer, ExecChange, IngestBatch};
use crate::domain::engine::{Changes, FeedEntry, World, event_order};
use crate::domain::error::Error as DomainError;
use crate::domain::execution::{ExecEventKind, Execution, incident_kind};
use crate::domain::incident::{AlertStatus, Outcome};
use crate::domain::ingest::{AlertEvent, apply_asset_labels, asset_label_of};
use crate::domain::lifecycle::IncidentCommand;
use crate::domain::record::{
    Entry, ExecutionEntry, ExecutionRow, IncidentEntry, NewEvent, Record, Suppression,
};
use crate::domain::remediation::{self, Plan, Remediation};
use crate::error::Result;
use crate::store::execution::next_check;
use crate::store::new_id;

/// How long an API key's last use is not written again (ms).
const KEY_TOUCH_MS: i64 = 60_000;

/// Keys seen recently, in two generations: a key is remembered for at least
/// one generation, which ends after `span_ms` or `cap` keys, whichever comes
/// first (bounded memory under any rate).
#[derive(Debug)]
pub(crate) struct Recent<V> {
    current: HashMap<u128, V>,
    previous: HashMap<u128, V>,
    started: i64,
    span_ms: i64,
    cap: usize,
}

impl<V> Recent<V> {
    /// An empty window.
    pub(crate) fn new(span_ms: i64, cap: usize, now: i64) -> Self {
        Self {
            current: HashMap::new(),
            previous: HashMap::new(),
            started: now,
            span_ms,
            cap: cap.max(1),
        }
    }

    fn get(&self, key: u128) -> Option<&V> {
        self.current.get(&key).or_else(|| self.previous.get(&key))
    }

    fn get_mut(&mut self, key: u128) -> Option<&mut V> {
        match self.current.get_mut(&key) {
            Some(value) => Some(value),
            None => self.previous.get_mut(&key),
        }
    }

    /// Remembers `key` (seen at `now`).
    pub(crate) fn insert(&mut self, key: u128, value: V, now: i64) {
        self.rotate(now);
        self.current.insert(key, value);
    }

    fn rotate(&mut self, now: i64) {
        if now - self.started >= self.span_ms || self.current.len() >= self.cap {
            self.previous = std::mem::take(&mut self.current);
            self.started = now;
        }
    }

    /// How many keys it holds.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.current.len() + self.previous.len()
    }
}

/// The first delivery of an idempotency key: the alert it created or
/// changed and its incident (for the answer to a retry).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Seen {
    alert: u128,
    incident: Option<u128>,
}

impl Seen {
    /// The first delivery's alert and incident.
    pub(crate) fn new(alert: &str, incident: Option<&str>) -> Self {
        Self {
            alert: id128(alert),
            incident: incident.map(id128),
        }
    }
}

/// A UUID id as a number (ids are UUIDv7 strings; anything else is hashed,
/// and then cannot be given back).
fn id128(id: &str) -> u128 {
    uuid::Uuid::parse_str(id).map_or_else(|_| hash128(id), |uuid| uuid.as_u128())
}

fn id_of(value: u128) -> String {
    uuid::Uuid::from_u128(value).to_string()
}

/// The first 128 bits of SHA-256 of `text`.
pub(crate) fn hash128(text: &str) -> u128 {
    let digest = Sha256::digest(text.as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    u128::from_be_bytes(bytes)
}

/// An idempotency key (hex SHA-256) as a number: its first 128 bits.
pub(crate) fn idempotency128(hex_key: &str) -> u128 {
    hex_key
        .get(..32)
        .and_then(|prefix| u128::from_str_radix(prefix, 16).ok())
        .unwrap_or_else(|| hash128(hex_key))
}

/// How long the windows of a company's state are.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Windows {
    /// How long a retried delivery is recognised (ms).
    pub idempotency_ms: i64,
    /// Keys per generation of the idempotency window.
    pub idempotency_keys: usize,
}

/// One company's resident state.
#[derive(Debug)]
pub(crate) struct CompanyState {
    pub company_id: String,
    /// The engine's state.
    pub world: World,
    /// The last sequence of the company's event log given out.
    pub sequence: i64,
    /// The last position of the company's ingest log given out.
    pub position: i64,
    pub(crate) idempotency: Recent<Seen>,
    pub(crate) deliveries: Recent<Seen>,
    /// Webhook signatures already used, with their expiry (ms).
    pub(crate) signatures: HashMap<String, i64>,
    /// Remediation rules and what they need.
    pub remediation: Remediation,
    /// Versions of the executions the state knows.
    pub(crate) executions: HashMap<String, i64>,
    /// Open incidents' technicians.
    pub(crate) open_assigned: HashMap<String, String>,
    /// When each API key's last use was last recorded (ms).
    keys_touched: HashMap<String, i64>,
    /// Resolved alerts and incidents with the position of their last
    /// change: what may be dropped from memory once that is projected.
    settled_alerts: HashMap<String, i64>,
    settled_incidents: HashMap<String, i64>,
    /// Events stored pending (auto-correlate off).
    pub pending: i64,
}

/// A log entry still to be given its sequence.
// Short-lived, and mostly incident entries (as `Entry`).
#[allow(clippy::large_enum_variant)]
enum Pending {
    /// An incident timeline entry.
    Feed(FeedEntry),
    /// An event of the record's execution.
    Execution(ExecChange),
}

/// What [`CompanyState::maintain`] dropped.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Dropped {
    pub alerts: usize,
    pub incidents: usize,
}

impl CompanyState {
    /// A state around `world` (loaded from the tables), at `position` and
    /// `sequence`.
    pub(crate) fn new(
        world: World,
        position: i64,
        sequence: i64,
        windows: Windows,
        now: i64,
    ) -> Self {
        let open_assigned = world
            .incidents()
            .filter(|incident| incident.is_open())
            .filter_map(|incident| {
                incident
                    .assigned_technician_id
                    .clone()
                    .map(|tech| (incident.id.clone(), tech))
            })
            .collect();
        let mut state = Self {
            company_id: world.company_id.clone(),
            world,
            sequence,
            position,
            idempotency: Recent::new(windows.idempotency_ms, windows.idempotency_keys, now),
            deliveries: Recent::new(windows.idempotency_ms, windows.idempotency_keys, now),
            signatures: HashMap::new(),
            remediation: Remediation::default(),
            executions: HashMap::new(),
            open_assigned,
            keys_touched: HashMap::new(),
            settled_alerts: HashMap::new(),
            settled_incidents: HashMap::new(),
            pending: 0,
        };
        let resolved_alerts: Vec<String> = state
            .world
            .alerts()
            .filter(|alert| alert.status == AlertStatus::Resolved)
            .map(|alert| alert.id.clone())
            .collect();
        for id in resolved_alerts {
            state.settled_alerts.insert(id, position);
        }
        let resolved_incidents: Vec<String> = state
            .world
            .incidents()
            .filter(|incident| !incident.is_open())
            .map(|incident| incident.id.clone())
            .collect();
        for id in resolved_incidents {
            state.settled_incidents.insert(id, position);
        }
        state.recount_technicians();
        state
    }

    /// Remembers an event stored earlier (loading): retries of it within
    /// the window are recognised.
    pub(crate) fn remember_event(
        &mut self,
        idempotency_key: &str,
        delivery_id: Option<&str>,
        seen: Seen,
        received_at: i64,
    ) {
        self.idempotency
            .insert(idempotency128(idempotency_key), seen, received_at);
        if let Some(delivery) = delivery_id {
            self.deliveries.insert(hash128(delivery), seen, received_at);
        }
    }

    /// Sets the technicians' open-incident counts from the open incidents.
    pub(crate) fn recount_technicians(&mut self) {
        let mut counts: HashMap<&str, i64> = HashMap::new();
        for tech in self.open_assigned.values() {
            *counts.entry(tech.as_str()).or_default() += 1;
        }
        for tech in &mut self.world.technicians {
            tech.open_incidents = counts.get(tech.id.as_str()).copied().unwrap_or(0);
        }
    }

    /// Decides an ingest request at `now`: retries and replays are
    /// recognised, new events are correlated (unless auto-correlate is off)
    /// in event order, and the record says what to store.
    pub(crate) fn ingest(&mut self, batch: IngestBatch, now: i64) -> (Option<Record>, Answer) {
        // Expired signatures are forgotten by `maintain`; one still held
        // past its expiry no longer counts.
        if let Some((signature, expires)) = &batch.signature {
            if self
                .signatures
                .get(signature)
                .is_some_and(|held| *held >= now)
            {
                return (None, Answer::Replay);
            }
            self.signatures.insert(signature.clone(), *expires);
        }
        // Each alert of the request: a retry of a delivery seen before (in
        // this request too), or a new event.
        enum Slot {
            /// Recognised by its delivery id (true) or its idempotency key.
            Retry(bool, u128),
            New(String),
        }
        let mut slots = Vec::with_capacity(batch.events.len());
        let mut fresh: Vec<NewEvent> = Vec::new();
        let decide = self.world.settings.auto_correlate;
        // What each answer reports of its event: the asset, dedup key and
        // the label that named the asset, after the company's asset labels.
        let mut named = Vec::with_capacity(batch.events.len());
        for (index, mut event) in batch.events.into_iter().enumerate() {
            apply_asset_labels(&mut event, &batch.source, &self.world.settings.asset_labels);
            named.push((
                event.asset.clone(),
                event.dedup_key.clone(),
                asset_label_of(&event, &batch.source, &self.world.settings.asset_labels),
            ));
            let key = event.idempotency_key();
            let key128 = idempotency128(&key);
            let timed = batch.source_timed.get(index).copied().unwrap_or(true);
            let delivery = event.delivery_id.as_deref().map(hash128);
            if let Some(delivery) = delivery.filter(|d| self.deliveries.get(*d).is_some()) {
                slots.push(Slot::Retry(true, delivery));
                continue;
            }
            if timed && self.idempotency.get(key128).is_some() {
                slots.push(Slot::Retry(false, key128));
                continue;
            }
            let id = new_id();
            let first = Seen::new(&id, None);
            if timed {
                self.idempotency.insert(key128, first, now);
            }
            if let Some(delivery) = delivery {
                self.deliveries.insert(delivery, first, now);
            }
            slots.push(Slot::New(id.clone()));
            fresh.push(NewEvent {
                id,
                api_key_id: batch.api_key_id.clone(),
                source: batch.source.clone(),
                received_at: now,
                decided: decide,
                idempotency_key: key,
                event,
            });
        }
        let mut record = Record {
            signature: batch.signature,
            api_key_used: self.touch_key(&batch.api_key_id, now),
            ..Record::default()
        };
        let mut results = HashMap::new();
        if decide && !fresh.is_empty() {
            let mut order: Vec<&NewEvent> = fresh.iter().collect();
            order.sort_by(|a, b| event_order(&a.event, &b.event));
            self.world.now = now;
            for event in order {
                self.world.apply(&event.id, event.received_at, &event.event);
            }
            let plan = self.plan_remediations(now);
            let changes = self.world.take_changes();
            for result in &changes.results {
                let seen = Seen::new(&result.alert_id, result.incident_id.as_deref());
                if let Some(event) = fresh.iter().find(|e| e.id == result.event_id) {
                    self.update_seen(event, seen);
                }
                results.insert(result.event_id.clone(), result.clone());
            }
            record.events = fresh;
            self.seal(&mut record, changes, plan, now);
        } else {
            self.pending += i64::try_from(fresh.len()).unwrap_or(0);
            record.events = fresh;
            self.seal(&mut record, Changes::default(), Plan::default(), now);
        }
        let answers = slots
            .into_iter()
            .zip(named)
            .map(|(slot, (asset, dedup_key, asset_label))| match slot {
                Slot::Retry(by_delivery, key) => {
                    let seen = if by_delivery {
                        self.deliveries.get(key)
                    } else {
                        self.idempotency.get(key)
                    }
                    .copied();
                    let alert_id = seen.map(|s| id_of(s.alert)).unwrap_or_default();
                    // The first delivery's incident, or the one its alert is in now.
                    let incident_id = seen.and_then(|s| s.incident.map(id_of)).or_else(|| {
                        self.world
                            .alert(&alert_id)
                            .and_then(|alert| alert.incident_id.clone())
                    });
                    EventAnswer {
                        alert_id,
                        outcome: Outcome::Duplicate,
                        incident_id,
                        reason:
                            "a retry of an alert already stored; the ids are the first delivery's"
                                .to_owned(),
                        asset,
                        dedup_key,
                        asset_label,
                    }
                }
                Slot::New(id) => match results.remove(&id) {
                    Some(result) => EventAnswer {
                        reason: result
                            .decisions
                            .last()
                            .map(|d| d.reason.clone())
                            .unwrap_or_default(),
                        alert_id: result.alert_id,
                        outcome: result.outcome,
                        incident_id: result.incident_id,
                        asset,
                        dedup_key,
                        asset_label,
                    },
                    None => EventAnswer {
                        alert_id: id,
                        outcome: Outcome::Stored,
                        incident_id: None,
                        reason: "stored; auto-correlate is off, so it waits for CorrelateNow"
                            .to_owned(),
                        asset,
                        dedup_key,
                        asset_label,
                    },
                },
            })
            .collect();
        (Some(record), Answer::Ingested(answers))
    }

    fn update_seen(&mut self, event: &NewEvent, seen: Seen) {
        if let Some(first) = self
            .idempotency
            .get_mut(idempotency128(&event.idempotency_key))
        {
            *first = seen;
        }
        if let Some(delivery) = event.event.delivery_id.as_deref()
            && let Some(first) = self.deliveries.get_mut(hash128(delivery))
        {
            *first = seen;
        }
    }

    /// The key to record as used, at most once a minute per key.
    fn touch_key(&mut self, api_key_id: &str, now: i64) -> Option<String> {
        let due = self
            .keys_touched
            .get(api_key_id)
            .is_none_or(|at| now - at >= KEY_TOUCH_MS);
        if !due {
            return None;
        }
        if self.keys_touched.len() > 1000 {
            self.keys_touched.retain(|_, at| now - *at < KEY_TOUCH_MS);
        }
        self.keys_touched.insert(api_key_id.to_owned(), now);
        Some(api_key_id.to_owned())
    }

    /// Correlates events that were stored pending (read from the tables,
    /// oldest first) at `now`.
    pub(crate) fn correlate_pending(
        &mut self,
        mut events: Vec<(String, i64, AlertEvent)>,
        manual: bool,
        now: i64,
    ) -> (Option<Record>, Answer) {
        if events.is_empty() || (!manual && !self.world.settings.auto_correlate) {
            return (
                None,
                Answer::Correlated {
                    results: Vec::new(),
                    incidents_created: 0,
                },
            );
        }
        events.sort_by(|a, b| event_order(&a.2, &b.2));
        self.world.now = now;
        for (id, received_at, event) in &events {
            self.world.apply(id, *received_at, event);
        }
        let plan = self.plan_remediations(now);
        let changes = self.world.take_changes();
        let results = changes.results.clone();
        let incidents_created = changes
            .feed
            .iter()
            .filter(|entry| entry.kind == crate::domain::incident::EventKind::Created)
            .count();
        let mut record = Record {
            decided_pending: events.into_iter().map(|(id, _, _)| id).collect(),
            ..Record::default()
        };
        self.pending =
            (self.pending - i64::try_from(record.decided_pending.len()).unwrap_or(0)).max(0);
        self.seal(&mut record, changes, plan, now);
        (
            Some(record),
            Answer::Correlated {
                results,
                incidents_created: i64::try_from(incidents_created).unwrap_or(i64::MAX),
            },
        )
    }

    /// Settles quiet flapping incidents at `now`.
    pub(crate) fn settle_flapping(&mut self, now: i64) -> (Option<Record>, Answer) {
        self.world.now = now;
        let settled = self.world.settle_flapping();
        if settled == 0 {
            return (None, Answer::Settled(0));
        }
        let changes = self.world.take_changes();
        let mut record = Record::default();
        self.seal(&mut record, changes, Plan::default(), now);
        (
            Some(record),
            Answer::Settled(u64::try_from(settled).unwrap_or(0)),
        )
    }

    /// Changes an incident the state holds at `now`.
    pub(crate) fn change_incident(
        &mut self,
        incident_id: &str,
        actor: &str,
        command: &IncidentCommand,
        now: i64,
    ) -> Result<(Option<Record>, Answer)> {
        self.world.now = now;
        let incident = self.world.change_incident(incident_id, actor, command)?;
        let changes = self.world.take_changes();
        if changes.feed.is_empty() && changes.incidents.is_empty() {
            return Ok((
                None,
                Answer::IncidentChanged {
                    incident: Box::new(incident),
                    entries: Vec::new(),
                },
            ));
        }
        let mut record = Record::default();
        self.seal(&mut record, changes, Plan::default(), now);
        let entries = incident_entries(&record, incident_id);
        Ok((
            Some(record),
            Answer::IncidentChanged {
                incident: Box::new(incident),
                entries,
            },
        ))
    }

    /// Stores a new execution with its first event (and the note on its
    /// incident's timeline).
    pub(crate) fn insert_execution(
        &mut self,
        execution: Execution,
        change: ExecChange,
    ) -> Result<(Option<Record>, Answer)> {
        let now = execution.created_at;
        let note = if execution.comment.is_empty() {
            format!(
                "{} requested runbook {:?} (execution {})",
                change.actor, execution.runbook_name, execution.id
            )
        } else {
            format!(
                "{} requested runbook {:?} (execution {}): {}",
                change.actor, execution.runbook_name, execution.id, execution.comment
            )
        };
        let mut extra: Vec<Pending> = self
            .incident_notes(
                &execution,
                &[(
                    crate::domain::incident::EventKind::RemediationRequested,
                    change.actor.clone(),
                    note,
                )],
                now,
            )
            .into_iter()
            .map(Pending::Feed)
            .collect();
        extra.push(Pending::Execution(change));
        let row = execution_row(&execution, 0, now)?;
        let snapshot = row.data.clone();
        let mut record = Record::default();
        record.executions.push(row);
        self.executions.insert(execution.id.clone(), 0);
        self.remediation.note_execution(&execution, now);
        self.seal_with(
            &mut record,
            Changes::default(),
            Plan::default(),
            extra,
            Some((&execution, &snapshot)),
            now,
        );
        let sequence = self.sequence;
        Ok((Some(record), Answer::ExecutionWritten(Some(sequence))))
    }

    /// Writes an execution changed from `read_version` (compare-and-set on
    /// the version the state knows), with its events, the timeline entries
    /// they mirror on its incident and, for a finished run, its result on
    /// the incident: all in one record.
    pub(crate) fn update_execution(
        &mut self,
        read_version: i64,
        execution: Execution,
        changes: &[ExecChange],
        incident: Option<&(String, IncidentCommand)>,
    ) -> Result<(Option<Record>, Answer)> {
        if self.executions.get(&execution.id) != Some(&read_version) {
            return Ok((None, Answer::ExecutionWritten(None)));
        }
        let now = execution.updated_at;
        let version = read_version + 1;
        let row = execution_row(&execution, version, now)?;
        let snapshot = row.data.clone();
        self.world.now = now;
        let mut feed = Changes::default();
        if let (Some((actor, command)), Some(incident_id)) = (incident, &execution.incident_id) {
            match self.world.change_incident(incident_id, actor, command) {
                Ok(_) => feed = self.world.take_changes(),
                // The incident is gone (or never visible): nothing to write.
                Err(DomainError::NotFound(_)) => {}
                Err(error) => return Err(error.into()),
            }
        }
        let notes: Vec<(crate::domain::incident::EventKind, String, String)> = changes
            .iter()
            .filter_map(|change| {
                let kind = ExecEventKind::from_i16(change.kind)?;
                incident_kind(kind).map(|incident_kind| {
                    (
                        incident_kind,
                        change.actor.clone(),
                        format!(
                            "Runbook {:?} (execution {}): {}",
                            execution.runbook_name, execution.id, change.message
                        ),
                    )
                })
            })
            .collect();
        // The incident's own change first, then the notes, then the
        // execution's events.
        let mut extra: Vec<Pending> = self
            .incident_notes(&execution, &notes, now)
            .into_iter()
            .map(Pending::Feed)
            .collect();
        extra.extend(changes.iter().cloned().map(Pending::Execution));
        let mut record = Record::default();
        record.executions.push(row);
        self.executions.insert(execution.id.clone(), version);
        self.remediation.note_execution(&execution, now);
        self.seal_with(
            &mut record,
            feed,
            Plan::default(),
            extra,
            Some((&execution, &snapshot)),
            now,
        );
        let sequence = self.sequence;
        Ok((Some(record), Answer::ExecutionWritten(Some(sequence))))
    }

    /// Timeline entries on an execution's incident (when the state holds it).
    fn incident_notes(
        &self,
        execution: &Execution,
        notes: &[(crate::domain::incident::EventKind, String, String)],
        at: i64,
    ) -> Vec<FeedEntry> {
        let Some(incident) = execution
            .incident_id
            .as_deref()
            .and_then(|id| self.world.incident(id))
        else {
            return Vec::new();
        };
        notes
            .iter()
            .map(|(kind, actor, message)| FeedEntry {
                kind: *kind,
                actor: actor.clone(),
                message: message.clone(),
                at,
                incident: incident.clone(),
            })
            .collect()
    }

    fn incident_entry(&mut self, entry: FeedEntry) -> Entry {
        self.sequence += 1;
        // Snapshots leave out the search text, as the stored ones do.
        let incident = entry.incident;
        Entry::Incident(IncidentEntry {
            sequence: self.sequence,
            id: new_id(),
            kind: entry.kind,
            actor: entry.actor.chars().take(512).collect(),
            message: entry.message,
            at: entry.at,
            incident,
        })
    }

    fn execution_entry(
        &mut self,
        execution: &Execution,
        snapshot: &str,
        change: &ExecChange,
        at: i64,
    ) -> Entry {
        self.sequence += 1;
        Entry::Execution(ExecutionEntry {
            sequence: self.sequence,
            id: new_id(),
            execution_id: execution.id.clone(),
            kind: change.kind,
            actor: change.actor.chars().take(512).collect(),
            message: change.message.clone(),
            at,
            snapshot: snapshot.to_owned(),
        })
    }

    /// What the remediation rules do for the incidents the decision opened.
    fn plan_remediations(&mut self, now: i64) -> Plan {
        if self.remediation.rules.is_empty() {
            return Plan::default();
        }
        let opened = self.world.opened_incidents();
        if opened.is_empty() {
            return Plan::default();
        }
        remediation::plan(
            &self.remediation,
            &self.company_id,
            opened,
            &self.world.silences,
            now,
            &mut new_id,
        )
    }

    /// Completes a record: the changed rows, the log entries with their
    /// sequences (the engine's, then the rules' notes, then the planned
    /// executions' first events), the planned executions, the suppression
    /// counts; gives it the next position, and keeps the state's own
    /// bookkeeping (technician counts, what may be dropped) in step.
    fn seal(&mut self, record: &mut Record, changes: Changes, plan: Plan, now: i64) {
        self.seal_with(record, changes, plan, Vec::new(), None, now);
    }

    /// [`CompanyState::seal`] with `extra` entries after the engine's and
    /// the rules' (about `execution`, for execution changes).
    fn seal_with(
        &mut self,
        record: &mut Record,
        changes: Changes,
        plan: Plan,
        extra: Vec<Pending>,
        execution: Option<(&Execution, &str)>,
        now: i64,
    ) {
        let mut entries = Vec::with_capacity(changes.feed.len() + plan.notes.len() + extra.len());
        for entry in changes.feed {
            entries.push(self.incident_entry(entry));
        }
        for note in plan.notes {
            entries.push(self.incident_entry(note));
        }
        for pending in extra {
            match (pending, execution) {
                (Pending::Feed(entry), _) => entries.push(self.incident_entry(entry)),
                (Pending::Execution(change), Some((execution, snapshot))) => {
                    entries.push(self.execution_entry(execution, snapshot, &change, now));
                }
                (Pending::Execution(_), None) => {}
            }
        }
        for execution in &plan.executions {
            // Encoded first: one that cannot be is left out before it takes
            // a sequence.
            let row = match execution_row(execution, 0, now) {
                Ok(row) => row,
                Err(error) => {
                    tracing::error!(%error, execution = %execution.id, "cannot encode a planned execution; it is left out");
                    continue;
                }
            };
            let message = format!(
                "{} requested {}",
                execution.requested_by,
                if execution.status == crate::domain::execution::ExecStatus::PendingApproval {
                    "(waiting for approval)"
                } else {
                    "(queued)"
                }
            );
            let change = ExecChange {
                kind: ExecEventKind::Created.as_i16(),
                actor: execution.requested_by.clone(),
                message,
            };
            let entry = self.execution_entry(execution, &row.data, &change, now);
            entries.push(entry);
            record.executions.push(row);
            self.executions.insert(execution.id.clone(), 0);
            self.remediation.note_execution(execution, now);
        }
        record.entries = entries;
        record.company_id.clone_from(&self.company_id);
        record.at = now;
        record.outcomes = changes.results;
        record.suppressions = changes
            .suppressions
            .into_iter()
            .map(|(rule_id, count)| Suppression {
                silence: self.world.silences.iter().any(|s| s.id == rule_id),
                rule_id,
                count,
            })
            .collect();
        self.position += 1;
        record.position = self.position;
        let mut recount = false;
        for alert in &changes.alerts {
            if alert.status == AlertStatus::Resolved {
                self.settled_alerts.insert(alert.id.clone(), self.position);
            } else {
                self.settled_alerts.remove(&alert.id);
            }
        }
        for incident in &changes.incidents {
            if incident.is_open() {
                self.settled_incidents.remove(&incident.id);
            } else {
                self.settled_incidents
                    .insert(incident.id.clone(), self.position);
            }
            let assigned = incident
                .assigned_technician_id
                .clone()
                .filter(|_| incident.is_open());
            let before = match &assigned {
                Some(tech) => self.open_assigned.insert(incident.id.clone(), tech.clone()),
                None => self.open_assigned.remove(&incident.id),
            };
            recount |= before != assigned;
        }
        if recount {
            self.recount_technicians();
        }
        record.alerts = changes.alerts;
        record.incidents = changes.incidents;
    }

    /// Drops from memory, at `now`, what nothing can change any more and
    /// the tables already hold (changed last at or before `projected`):
    /// resolved alerts and incidents whose window and lateness bound have
    /// passed. Also forgets
    /// expired webhook signatures.
    pub(crate) fn maintain(&mut self, now: i64, projected: i64) -> Dropped {
        // Kept for the window and for late repeats within the lateness bound,
        // counted back from the latest event time the company has seen (old
        // events sent now are placed among their own time's alerts).
        let settings = &self.world.settings;
        let kept = settings.window.max(settings.lateness);
        let horizon = now
            .min(self.world.watermark())
            .saturating_sub(i64::try_from(kept.as_millis()).unwrap_or(i64::MAX));
        self.world.forget_before(horizon);
        let mut dropped = Dropped::default();
        let alerts: Vec<String> = self
            .settled_alerts
            .iter()
            .filter(|(id, position)| {
                **position <= projected
                    && self.world.alert(id).is_none_or(|alert| {
                        alert.resolved_at.unwrap_or(i64::MIN) < horizon
                            && alert.last_occurred_at < horizon
                    })
            })
            .map(|(id, _)| id.clone())
            .collect();
        for id in alerts {
            self.settled_alerts.remove(&id);
            self.world.forget_alert(&id);
            dropped.alerts += 1;
        }
        let incidents: Vec<String> = self
            .settled_incidents
            .iter()
            .filter(|(id, position)| {
                **position <= projected
                    && self.world.incident(id).is_none_or(|incident| {
                        !incident.is_open() && incident.resolved_at.unwrap_or(i64::MIN) < horizon
                    })
            })
            .map(|(id, _)| id.clone())
            .collect();
        for id in incidents {
            self.settled_incidents.remove(&id);
            self.world.forget_incident(&id);
            dropped.incidents += 1;
        }
        self.signatures.retain(|_, expires| *expires >= now);
        dropped
    }

    /// How many deliveries the idempotency window holds (both kinds).
    pub(crate) fn idempotency_size(&self) -> usize {
        self.idempotency.current.len()
            + self.idempotency.previous.len()
            + self.deliveries.current.len()
            + self.deliveries.previous.len()
    }

    /// Whether everything this state decided is in the tables.
    pub(crate) fn is_projected(&self, projected: i64) -> bool {
        projected >= self.position
    }
}

/// The incident entries of `record` about one incident (what a change answers).
fn incident_entries(record: &Record, incident_id: &str) -> Vec<IncidentEntry> {
    record
        .entries
        .iter()
        .filter_map(|entry| match entry {
            Entry::Incident(entry) if entry.incident.id == incident_id => Some(entry.clone()),
            _ => None,
        })
        .collect()
}

fn execution_row(execution: &Execution, version: i64, now: i64) -> Result<ExecutionRow> {
    Ok(ExecutionRow {
        id: execution.id.clone(),
        version,
        next_check_at: next_check(execution, now),
        data: crate::store::to_json(execution)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_remembered_for_at_least_one_generation() {
        let mut recent = Recent::new(1000, 3, 0);
        recent.insert(1, (), 0);
        assert!(recent.get(1).is_some());
        // A new generation starts after the span; the old one is still asked.
        recent.insert(2, (), 1000);
        assert!(recent.get(1).is_some() && recent.get(2).is_some());
        // After two spans the first key is gone.
        recent.insert(3, (), 2000);
        assert!(recent.get(1).is_none());
        assert!(recent.get(2).is_some() && recent.get(3).is_some());
        // The cap ends a generation early: memory is bounded under any rate.
        for key in 10..20 {
            recent.insert(key, (), 2001);
        }
        assert!(
            recent.len() <= 6,
            "at most two generations of 3: {}",
            recent.len()
        );
        assert!(recent.get(19).is_some());
    }

    fn state(settings: crate::domain::correlation::CorrelationSettings) -> CompanyState {
        let world = World::new("c1", settings, 1_000, Box::new(new_id));
        CompanyState::new(
            world,
            0,
            0,
            Windows {
                idempotency_ms: 3_600_000,
                idempotency_keys: 1000,
            },
            1_000,
        )
    }

    fn event(asset: &str, dedup: &str, at: i64, delivery: Option<&str>) -> AlertEvent {
        AlertEvent {
            asset: asset.to_owned(),
            signature: "disk_full".to_owned(),
            severity: crate::domain::ingest::AlertSeverity::High,
            message: format!("disk full on {asset}"),
            tool_source: "test".to_owned(),
            labels: std::collections::BTreeMap::new(),
            occurred_at_ms: at,
            action: crate::domain::ingest::AlertEventAction::Trigger,
            dedup_key: dedup.to_owned(),
            external_id: String::new(),
            link: String::new(),
            delivery_id: delivery.map(str::to_owned),
        }
    }

    fn batch(events: Vec<AlertEvent>, signature: Option<&str>) -> IngestBatch {
        IngestBatch {
            company_id: "c1".to_owned(),
            api_key_id: "k1".to_owned(),
            source: "grpc".to_owned(),
            events,
            signature: signature.map(|s| (s.to_owned(), 10_000_000)),
            source_timed: Vec::new(),
        }
    }

    fn answers(answer: Answer) -> Vec<EventAnswer> {
        match answer {
            Answer::Ingested(answers) => answers,
            other => panic!("not an ingest answer: {other:?}"),
        }
    }

    #[test]
    fn retries_answer_the_first_deliverys_ids_whichever_way_they_are_recognised() {
        let mut state = state(Default::default());
        // Two alerts with the same dedup key, time and action but other
        // delivery ids: the second is taken as a retry of the first (by its
        // idempotency key), in the same request.
        let (record, answer) = state.ingest(
            batch(
                vec![
                    event("web-01", "web-01|disk", 5_000, Some("d-1")),
                    event("web-01", "web-01|disk", 5_000, Some("d-2")),
                ],
                None,
            ),
            6_000,
        );
        let first = answers(answer);
        assert_eq!(first[0].outcome, Outcome::NewIncident);
        assert_eq!(first[1].outcome, Outcome::Duplicate);
        assert_eq!(first[1].alert_id, first[0].alert_id, "{first:?}");
        assert_eq!(first[1].incident_id, first[0].incident_id);
        let record = record.expect("a record");
        assert_eq!(record.events.len(), 1, "the retry is not stored");
        assert_eq!(record.position, 1);
        // A retry recognised by its delivery id, at another time.
        let (record, answer) = state.ingest(
            batch(
                vec![event("web-01", "web-01|disk", 9_000, Some("d-1"))],
                None,
            ),
            10_000,
        );
        let retry = answers(answer);
        assert_eq!(retry[0].outcome, Outcome::Duplicate);
        assert_eq!(retry[0].alert_id, first[0].alert_id);
        assert_eq!(retry[0].incident_id, first[0].incident_id);
        assert!(
            record.expect("a record").events.is_empty(),
            "nothing stored, but the request still takes its position"
        );
        assert_eq!(state.position, 2);
    }

    #[test]
    fn repeats_without_a_source_time_are_never_taken_for_retries() {
        let mut state = state(Default::default());
        // The same alert twice in one request, both stamped with the receive
        // time: two real repeats, not a retry.
        let mut untimed = batch(
            vec![
                event("web-01", "web-01|disk", 6_000, None),
                event("web-01", "web-01|disk", 6_000, None),
            ],
            None,
        );
        untimed.source_timed = vec![false, false];
        let (record, answer) = state.ingest(untimed, 6_000);
        let answers = answers(answer);
        assert_eq!(answers[0].outcome, Outcome::NewIncident);
        assert_eq!(answers[1].outcome, Outcome::Deduplicated, "{answers:?}");
        assert_eq!(record.expect("a record").events.len(), 2);
        // With the sender's time, the same pair is a delivery and its retry.
        let (record, answer) = state.ingest(
            batch(
                vec![
                    event("web-02", "web-02|disk", 6_000, None),
                    event("web-02", "web-02|disk", 6_000, None),
                ],
                None,
            ),
            6_000,
        );
        let answers = self::answers(answer);
        assert_eq!(answers[1].outcome, Outcome::Duplicate);
        assert_eq!(record.expect("a record").events.len(), 1);
    }

    #[test]
    fn a_used_signature_is_a_replay_with_nothing_decided() {
        let mut state = state(Default::default());
        let (record, _) = state.ingest(
            batch(vec![event("a", "a|x", 5_000, None)], Some("sha256=ab")),
            6_000,
        );
        assert!(record.is_some_and(|r| r.signature.is_some()));
        let (record, answer) = state.ingest(
            batch(vec![event("b", "b|x", 5_000, None)], Some("sha256=ab")),
            6_001,
        );
        assert!(record.is_none());
        assert_eq!(answer, Answer::Replay);
        assert_eq!(state.position, 1, "a replay takes no position");
    }

    #[test]
    fn with_auto_correlate_off_events_wait_pending_then_are_correlated() {
        let mut state = state(crate::domain::correlation::CorrelationSettings {
            auto_correlate: false,
            ..Default::default()
        });
        let (record, answer) =
            state.ingest(batch(vec![event("a", "a|x", 5_000, None)], None), 6_000);
        let record = record.expect("a record");
        assert!(!record.events[0].decided);
        assert!(record.outcomes.is_empty() && record.entries.is_empty());
        assert_eq!(answers(answer)[0].outcome, Outcome::Stored);
        assert_eq!(state.pending, 1);
        let id = record.events[0].id.clone();
        let (record, answer) = state.correlate_pending(
            vec![(id.clone(), 6_000, record.events[0].event.clone())],
            true,
            7_000,
        );
        let record = record.expect("a record");
        assert_eq!(record.decided_pending, vec![id]);
        assert!(matches!(
            answer,
            Answer::Correlated {
                incidents_created: 1,
                ..
            }
        ));
        assert_eq!(state.pending, 0);
        // Sequences start at 1 and follow each other.
        let sequences: Vec<i64> = record.entries.iter().map(Entry::sequence).collect();
        assert_eq!(
            sequences,
            (1..=i64::try_from(sequences.len()).unwrap()).collect::<Vec<_>>()
        );
    }

    #[test]
    fn an_execution_moves_only_from_the_version_the_state_knows() {
        let mut state = state(Default::default());
        let runbook = crate::domain::runbook::RunbookSpec {
            name: "restart".to_owned(),
            description: String::new(),
            document_name: "AWS-RunShellScript".to_owned(),
            document_version: "$DEFAULT".to_owned(),
            parameters: Vec::new(),
            targets: Default::default(),
            timeout: std::time::Duration::from_secs(60),
            max_concurrency: "1".to_owned(),
            max_errors: "0".to_owned(),
            platform_types: Vec::new(),
            kind: Default::default(),
            target_parameter: String::new(),
        };
        let mut execution = Execution::queued(crate::domain::execution::NewExecution {
            id: new_id(),
            company_id: "c1",
            runbook_id: "rb-1",
            runbook: &runbook,
            values: Default::default(),
            targets: crate::domain::runbook::Targets {
                instance_ids: vec!["i-1".to_owned()],
                tags: Vec::new(),
            },
            requested_by: "token:t".to_owned(),
            now: 5_000,
        });
        let created = ExecChange::new(ExecEventKind::Created, "token:t", "requested");
        let (record, _) = state
            .insert_execution(execution.clone(), created)
            .expect("insert");
        let record = record.expect("a record");
        assert_eq!(record.executions[0].version, 0);
        execution.status = crate::domain::execution::ExecStatus::Running;
        execution.updated_at = 6_000;
        let (moved, answer) = state
            .update_execution(0, execution.clone(), &[], None)
            .expect("update");
        assert_eq!(moved.expect("a record").executions[0].version, 1);
        assert!(matches!(answer, Answer::ExecutionWritten(Some(_))));
        // A writer that read version 0 lost the race: nothing is written.
        let (stale, answer) = state
            .update_execution(0, execution, &[], None)
            .expect("update");
        assert!(stale.is_none());
        assert_eq!(answer, Answer::ExecutionWritten(None));
    }

    #[test]
    fn ids_round_trip_through_numbers() {
        let id = new_id();
        assert_eq!(id_of(id128(&id)), id);
        let key = "ab".repeat(32);
        assert_eq!(
            idempotency128(&key),
            u128::from_str_radix(&"ab".repeat(16), 16).expect("hex")
        );
    }
}
