//! What a company's owner is asked to decide, and what it answers. Both are
//! plain data (borsh), so that a replica that does not own a company can
//! forward the request to the one that does.

use borsh::{BorshDeserialize, BorshSerialize};

use crate::domain::engine::EventResult;
use crate::domain::execution::ExecEventKind;
use crate::domain::incident::{Incident, Outcome};
use crate::domain::ingest::AlertEvent;
use crate::domain::lifecycle::IncidentCommand;

use crate::domain::record::IncidentEntry;

/// One request's validated alerts.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct IngestBatch {
    /// The company (from the API key).
    pub company_id: String,
    /// The API key used.
    pub api_key_id: String,
    /// Format the alerts arrived in (`grpc`, `seed`, `alertmanager`, …).
    pub source: String,
    pub events: Vec<AlertEvent>,
    /// The webhook signature to record against replays, with its expiry (ms).
    pub signature: Option<(String, i64)>,
    /// Per event, whether its occurrence time came from the sender. One
    /// without it has the receive time, so its idempotency key (dedup key,
    /// time, action) cannot tell a retry, which arrives later, from a genuine
    /// repeat in the same millisecond: such events are never taken for
    /// retries by that key (a delivery id still recognises them). Missing
    /// entries count as timed.
    pub source_timed: Vec<bool>,
}

/// One change to record with an execution update.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct ExecChange {
    /// `ExecEventKind` number.
    pub kind: i16,
    pub actor: String,
    pub message: String,
}

impl ExecChange {
    /// A change by `actor`.
    pub fn new(kind: ExecEventKind, actor: &str, message: impl Into<String>) -> Self {
        Self {
            kind: kind.as_i16(),
            actor: actor.to_owned(),
            message: message.into(),
        }
    }
}

/// Which of a company's settings changed in the tables (the owner reloads them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub enum Reload {
    /// The correlation config.
    Settings,
    /// Silences and inhibition rules.
    Suppression,
    /// Technicians (on duty, skills).
    Technicians,
    /// Remediation rules and runbooks.
    Remediation,
}

/// A request to a company's owner.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub enum Command {
    /// Store and correlate alerts.
    Ingest(IngestBatch),
    /// Change an incident of the company.
    ChangeIncident {
        incident_id: String,
        actor: String,
        command: IncidentCommand,
    },
    /// Correlate the events stored pending (auto-correlate off); `manual`
    /// (CorrelateNow) runs whatever the setting.
    CorrelatePending {
        /// Whether someone asked (CorrelateNow) rather than the sweep.
        manual: bool,
    },
    /// Settle flapping incidents that have been quiet for a window at `at`
    /// (ms; the sweep passes now).
    SettleFlapping {
        /// When (ms).
        at: i64,
    },
    /// Store a new execution (ExecuteRunbook) with its first event.
    InsertExecution {
        /// The execution (JSON).
        execution: String,
        /// Its first event.
        change: ExecChange,
    },
    /// Write an execution changed from `read_version`, with its events; and,
    /// for a finished run, its result on the incident, in the same record.
    UpdateExecution {
        /// The version the change was made from (compare-and-set).
        read_version: i64,
        /// The execution (JSON).
        execution: String,
        changes: Vec<ExecChange>,
        /// The change of its incident, with who makes it.
        incident: Option<(String, IncidentCommand)>,
    },
    /// Reload settings that changed in the tables.
    Reload(Reload),
    /// Drop the company's state (the company was deleted).
    Release,
}

/// What became of one alert of an ingest request.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct EventAnswer {
    /// The alert it created or changed (the first delivery's for a retry).
    pub alert_id: String,
    /// What became of it (`Duplicate` for a retry).
    pub outcome: Outcome,
    /// The incident it joined or opened.
    pub incident_id: Option<String>,
    pub reason: String,
    /// The asset and dedup key the event was decided with (a company's
    /// asset labels may have changed them from what the request said).
    pub asset: String,
    /// The dedup key in effect.
    pub dedup_key: String,
    /// The label that named the asset, for label-based webhook formats.
    pub asset_label: Option<String>,
}

/// A company owner's answer.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub enum Answer {
    /// One answer per alert, in order.
    Ingested(Vec<EventAnswer>),
    /// The webhook signature was used before: nothing was stored.
    Replay,
    /// The incident after the change, and the timeline entries it made.
    IncidentChanged {
        incident: Box<Incident>,
        /// The entries, in order.
        entries: Vec<IncidentEntry>,
    },
    /// What correlating pending events did.
    Correlated {
        /// One result per event.
        results: Vec<EventResult>,
        incidents_created: i64,
    },
    /// How many flapping incidents settled.
    Settled(u64),
    /// The execution was written: the company's last sequence after it;
    /// `None` when its version had moved (another writer was first).
    ExecutionWritten(Option<i64>),
    Done,
}
