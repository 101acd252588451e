//! The ingest log's record: everything one decision of a company's owner
//! did, as the projector writes it into the tables and as recovery replays
//! it. Decisions are recorded, not their inputs: replaying a record never
//! decides anything again, so what was answered or streamed stays true
//! whatever the code or the settings are by then.
//!
//! Encoded with borsh (a fixed, specified binary format, independent of the
//! JSON shapes of the API and the snapshots) behind a four-byte header that
//! names the layout's version, so that a build which changes the layout can
//! still read the records an older build left in the log (and a build that
//! meets a newer layout says so instead of misreading it). Records written
//! before the header existed are read as version 1, the layout they have.

use borsh::{BorshDeserialize, BorshSerialize};

use super::error::{Error, Result};
use crate::domain::engine::EventResult;
use crate::domain::incident::{AlertRecord, EventKind, Incident};
use crate::domain::ingest::AlertEvent;

/// One decision of a company's owner.
#[derive(Debug, Clone, Default, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct Record {
    pub company_id: String,
    /// Position in the company's log: 1, 2, … without gaps.
    pub position: i64,
    /// When the owner decided (ms).
    pub at: i64,
    /// Alert events to store.
    pub events: Vec<NewEvent>,
    /// What became of events: of this record's new ones and of events stored
    /// pending earlier (auto-correlate off) that this decision correlated.
    pub outcomes: Vec<EventResult>,
    /// Events stored pending earlier that this decision correlated.
    pub decided_pending: Vec<String>,
    /// Alerts as they are after the decision.
    pub alerts: Vec<AlertRecord>,
    /// Incidents as they are after the decision.
    pub incidents: Vec<Incident>,
    /// Entries of the company's event log, in sequence order.
    pub entries: Vec<Entry>,
    /// Executions as they are after the decision.
    pub executions: Vec<ExecutionRow>,
    /// Alerts suppressed per silence or inhibition rule.
    pub suppressions: Vec<Suppression>,
    /// The webhook signature to refuse as a replay, with its expiry (ms).
    pub signature: Option<(String, i64)>,
    /// The API key whose last use to record (at most once a minute a key).
    pub api_key_used: Option<String>,
}

/// An alert event as stored.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct NewEvent {
    /// Event id (the alert's id when it creates one).
    pub id: String,
    /// The API key that delivered it.
    pub api_key_id: String,
    /// The format it arrived in.
    pub source: String,
    /// When it was received (ms).
    pub received_at: i64,
    /// Whether correlation decided it (false: stored pending).
    pub decided: bool,
    /// Hex SHA-256 of dedup key, occurrence time and action.
    pub idempotency_key: String,
    pub event: AlertEvent,
}

/// A silence's or inhibition rule's count of suppressed alerts grew.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct Suppression {
    pub rule_id: String,
    /// Whether it is a silence (else an inhibition rule).
    pub silence: bool,
    /// By how many.
    pub count: i64,
}

/// One entry of a company's event log.
// Most entries are incident entries: boxing them would cost an allocation
// each on the hot path to save space in the rare execution ones.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub enum Entry {
    /// A change of an incident.
    Incident(IncidentEntry),
    /// A change of a runbook execution.
    Execution(ExecutionEntry),
}

impl Entry {
    /// Its sequence.
    pub fn sequence(&self) -> i64 {
        match self {
            Entry::Incident(entry) => entry.sequence,
            Entry::Execution(entry) => entry.sequence,
        }
    }
}

/// A change of an incident, with the incident right after it.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct IncidentEntry {
    /// Sequence in the company's log.
    pub sequence: i64,
    pub id: String,
    /// What happened.
    pub kind: EventKind,
    pub actor: String,
    pub message: String,
    /// When (ms).
    pub at: i64,
    /// The incident right after the change (without its search text).
    pub incident: Incident,
}

/// A change of an execution, with the execution right after it.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct ExecutionEntry {
    /// Sequence in the company's log.
    pub sequence: i64,
    pub id: String,
    pub execution_id: String,
    /// What happened (`ExecEventKind` number).
    pub kind: i16,
    pub actor: String,
    pub message: String,
    /// When (ms).
    pub at: i64,
    /// The execution right after the change (its JSON).
    pub snapshot: String,
}

/// An execution row as it is after a decision.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct ExecutionRow {
    pub id: String,
    /// Row version (compare-and-set).
    pub version: i64,
    /// When the executor looks at it next (ms).
    pub next_check_at: Option<i64>,
    /// The execution (its JSON).
    pub data: String,
}

/// The first three bytes of a record's header. A record without a header
/// starts with the borsh length of its company id (a little-endian u32; ids
/// are at most 64 bytes), which would have to be over 5 MB to start so.
const MAGIC: [u8; 3] = [0xFF, b'A', b'W'];
/// The layout [`Record::encode`] writes; a change to [`Record`] or to any
/// type it holds takes a new version and keeps a decoder for the old ones.
const VERSION: u8 = 1;

impl Record {
    /// The record's bytes in the log: the header, then the record in borsh.
    pub fn encode(&self) -> Result<Vec<u8>> {
        let mut bytes = Vec::with_capacity(512);
        bytes.extend_from_slice(&MAGIC);
        bytes.push(VERSION);
        borsh::to_writer(&mut bytes, self)
            .map_err(|error| Error::Corrupt(format!("encode a log record: {error}")))?;
        Ok(bytes)
    }

    /// A record from its bytes in the log, of any layout this build reads.
    pub fn decode(bytes: &[u8]) -> Result<Self> {
        let (version, body) = match bytes {
            [a, b, c, version, body @ ..] if [*a, *b, *c] == MAGIC => (*version, body),
            // Written before the header existed: the first layout.
            body => (1, body),
        };
        match version {
            1 => borsh::from_slice(body)
                .map_err(|error| Error::Corrupt(format!("decode a log record: {error}"))),
            newer => Err(Error::Corrupt(format!(
                "log record of layout version {newer}: this build reads up to version {VERSION}; run the newer build"
            ))),
        }
    }

    /// The company's last sequence after the record, if it has entries.
    pub fn last_sequence(&self) -> Option<i64> {
        self.entries.last().map(Entry::sequence)
    }

    /// Whether the record changes nothing in the tables (it still takes its
    /// position, which keeps positions without gaps).
    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
            && self.outcomes.is_empty()
            && self.alerts.is_empty()
            && self.incidents.is_empty()
            && self.entries.is_empty()
            && self.executions.is_empty()
            && self.signature.is_none()
            && self.api_key_used.is_none()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::domain::ingest::{AlertEventAction, AlertSeverity};

    #[test]
    fn a_record_round_trips_through_its_bytes() {
        let event = AlertEvent {
            asset: "web-01".to_owned(),
            signature: "disk_full".to_owned(),
            severity: AlertSeverity::Critical,
            message: "disk full".to_owned(),
            tool_source: "zabbix".to_owned(),
            labels: BTreeMap::from([("env".to_owned(), "prod".to_owned())]),
            occurred_at_ms: 1_700_000_000_000,
            action: AlertEventAction::Trigger,
            dedup_key: "web-01|disk_full".to_owned(),
            external_id: "z-1".to_owned(),
            link: String::new(),
            delivery_id: Some("d-1".to_owned()),
        };
        let record = Record {
            company_id: "c1".to_owned(),
            position: 7,
            at: 1_700_000_000_123,
            events: vec![NewEvent {
                id: "e1".to_owned(),
                api_key_id: "k1".to_owned(),
                source: "grpc".to_owned(),
                received_at: 1_700_000_000_100,
                decided: true,
                idempotency_key: "ab".repeat(32),
                event,
            }],
            entries: vec![Entry::Execution(ExecutionEntry {
                sequence: 12,
                id: "x".to_owned(),
                execution_id: "ex".to_owned(),
                kind: 1,
                actor: "system".to_owned(),
                message: "queued".to_owned(),
                at: 5,
                snapshot: "{}".to_owned(),
            })],
            signature: Some(("sha256=00".to_owned(), 9)),
            ..Record::default()
        };
        let bytes = record.encode().expect("encode");
        assert_eq!(bytes[..4], [0xFF, b'A', b'W', 1]);
        assert_eq!(Record::decode(&bytes).expect("decode"), record);
        assert_eq!(record.last_sequence(), Some(12));
        assert!(Record::decode(&bytes[..bytes.len() - 1]).is_err());
        // A record an older build wrote, without the header, reads the same.
        let headless = borsh::to_vec(&record).expect("borsh");
        assert_ne!(headless[0], 0xFF);
        assert_eq!(Record::decode(&headless).expect("decode"), record);
        // A layout this build does not know is refused, not misread.
        let mut newer = bytes.clone();
        newer[3] = 2;
        let error = Record::decode(&newer).expect_err("newer layout");
        assert!(error.to_string().contains("version 2"), "{error}");
    }
}
