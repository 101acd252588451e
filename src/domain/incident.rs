//! Incidents and alerts as correlation leaves them: lifecycle states, the
//! priority decision engine, outcomes and timeline kinds, and KPI arithmetic.

use borsh::{BorshDeserialize, BorshSerialize};
use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::domain::correlation::{AlertFields, AlertRef, Criticality};
use crate::domain::ingest::{AlertEvent, AlertSeverity};

/// Where an incident is in its lifecycle.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, BorshSerialize, BorshDeserialize,
)]
#[borsh(use_discriminant = true)]
pub enum IncidentStatus {
    /// Nobody acknowledged it yet.
    Open = 1,
    /// Someone works on it.
    Acknowledged = 2,
    Resolved = 3,
}

impl IncidentStatus {
    /// The stored (and proto) number.
    pub fn as_i16(self) -> i16 {
        self as i16
    }

    /// From the stored number.
    pub fn from_i16(value: i16) -> Option<Self> {
        match value {
            1 => Some(Self::Open),
            2 => Some(Self::Acknowledged),
            3 => Some(Self::Resolved),
            _ => None,
        }
    }
}

/// An alert's state.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, BorshSerialize, BorshDeserialize,
)]
#[borsh(use_discriminant = true)]
pub enum AlertStatus {
    Firing = 1,
    /// Acknowledged at the source.
    Acknowledged = 2,
    Resolved = 3,
}

impl AlertStatus {
    /// The stored (and proto) number.
    pub fn as_i16(self) -> i16 {
        self as i16
    }

    /// From the stored number.
    pub fn from_i16(value: i16) -> Option<Self> {
        match value {
            1 => Some(Self::Firing),
            2 => Some(Self::Acknowledged),
            3 => Some(Self::Resolved),
            _ => None,
        }
    }
}

/// What became of an alert event (the proto `AlertOutcome` numbers).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    BorshSerialize,
    BorshDeserialize,
)]
#[borsh(use_discriminant = true)]
pub enum Outcome {
    /// Stored, waiting for correlation.
    Stored = 1,
    NewIncident = 2,
    /// Joined an open incident.
    Correlated = 3,
    /// Raised a firing alert's count.
    Deduplicated = 4,
    /// A retried delivery.
    Duplicate = 5,
    SuppressedBySilence = 6,
    /// An inhibition rule matched.
    SuppressedByInhibition = 7,
    /// Resolved a firing alert.
    Resolved = 8,
    /// Acknowledged a firing alert.
    Acknowledged = 9,
    /// A resolve or acknowledge that matched no firing alert.
    Unmatched = 10,
}

impl Outcome {
    /// The stored (and proto) number.
    pub fn as_i16(self) -> i16 {
        self as i16
    }

    /// From the stored number.
    pub fn from_i16(value: i16) -> Option<Self> {
        Some(match value {
            1 => Self::Stored,
            2 => Self::NewIncident,
            3 => Self::Correlated,
            4 => Self::Deduplicated,
            5 => Self::Duplicate,
            6 => Self::SuppressedBySilence,
            7 => Self::SuppressedByInhibition,
            8 => Self::Resolved,
            9 => Self::Acknowledged,
            10 => Self::Unmatched,
            _ => return None,
        })
    }
}

/// What happened to an incident (the proto `IncidentEventKind` numbers).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    BorshSerialize,
    BorshDeserialize,
)]
#[borsh(use_discriminant = true)]
pub enum EventKind {
    Created = 1,
    AlertAdded = 2,
    /// A firing alert repeated.
    AlertRepeated = 3,
    AlertResolved = 4,
    Acknowledged = 5,
    Assigned = 6,
    PriorityChanged = 7,
    Commented = 8,
    Resolved = 9,
    Reopened = 10,
    FlappingStarted = 11,
    FlappingEnded = 12,
    /// Folded under (or gained) a storm parent.
    Grouped = 13,
    /// A runbook run was requested.
    RemediationRequested = 14,
    /// A runbook run started.
    RemediationStarted = 15,
    /// A runbook run succeeded.
    RemediationSucceeded = 16,
    /// A runbook run failed.
    RemediationFailed = 17,
    /// Merged with another incident (on both: the survivor and the one it
    /// absorbed).
    Merged = 18,
}

impl EventKind {
    /// The stored (and proto) number.
    pub fn as_i16(self) -> i16 {
        self as i16
    }

    /// From the stored number.
    pub fn from_i16(value: i16) -> Option<Self> {
        use EventKind::*;
        Some(match value {
            1 => Created,
            2 => AlertAdded,
            3 => AlertRepeated,
            4 => AlertResolved,
            5 => Acknowledged,
            6 => Assigned,
            7 => PriorityChanged,
            8 => Commented,
            9 => Resolved,
            10 => Reopened,
            11 => FlappingStarted,
            12 => FlappingEnded,
            13 => Grouped,
            14 => RemediationRequested,
            15 => RemediationStarted,
            16 => RemediationSucceeded,
            17 => RemediationFailed,
            18 => Merged,
            _ => return None,
        })
    }
}

/// Which rule a correlation decision applied (the proto `DecisionKind` numbers).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, BorshSerialize, BorshDeserialize,
)]
#[borsh(use_discriminant = true)]
pub enum DecisionKind {
    AggregationKey = 1,
    Window = 2,
    NewIncident = 3,
    Deduplication = 4,
    DuplicateDelivery = 5,
    Silence = 6,
    Inhibition = 7,
    Flapping = 8,
    StormGrouping = 9,
    /// A resolve or acknowledge action.
    Action = 10,
    /// Auto-correlate is off.
    AutoCorrelateOff = 11,
    /// The incident resolved itself.
    AutoResolve = 12,
}

/// One step of the engine's reasoning about an alert event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, BorshSerialize, BorshDeserialize)]
pub struct Decision {
    /// The rule applied.
    pub kind: DecisionKind,
    /// Human-readable explanation.
    pub reason: String,
    /// Id of the silence, rule, incident or alert involved; empty if none.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub reference_id: String,
}

impl Decision {
    /// A decision.
    pub fn new(kind: DecisionKind, reason: impl Into<String>, reference_id: &str) -> Self {
        Self {
            kind,
            reason: reason.into(),
            reference_id: reference_id.to_owned(),
        }
    }
}

/// An incident.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, BorshSerialize, BorshDeserialize)]
pub struct Incident {
    /// Id.
    // The event log stores snapshots without the ids (the log row has
    // them) and without fields at their defaults: a third of each row.
    #[serde(default, skip_serializing)]
    pub id: String,
    /// Company.
    #[serde(default, skip_serializing)]
    pub company_id: String,
    /// Aggregation key value.
    pub aggregation_key: String,
    /// Asset of the first alert.
    pub asset: String,
    /// Signature of the first alert.
    pub signature: String,
    /// Message of the latest alert.
    pub summary: String,
    pub status: IncidentStatus,
    /// 1 (P1) to 4 (P4).
    pub priority: u8,
    /// Why it has that priority.
    pub priority_reasons: Vec<String>,
    /// Alerts, counting repeats.
    pub alert_count: i64,
    /// Alerts not resolved.
    pub firing_alert_count: i64,
    /// Tools that reported, sorted.
    pub tools: BTreeSet<String>,
    pub severity: AlertSeverity,
    /// Assigned technician.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assigned_technician_id: Option<String>,
    /// Storm parent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_incident_id: Option<String>,
    /// Whether it is a storm parent.
    #[serde(default, skip_serializing_if = "is_false")]
    pub is_storm_parent: bool,
    /// Children folded under it.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub child_incident_count: i32,
    /// Children not resolved.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub open_child_count: i32,
    /// Flapping.
    #[serde(default, skip_serializing_if = "is_false")]
    pub flapping: bool,
    /// Resolved by a runbook.
    #[serde(default, skip_serializing_if = "is_false")]
    pub self_healed: bool,
    /// A runbook run for it failed.
    #[serde(default, skip_serializing_if = "is_false")]
    pub remediation_failed: bool,
    /// How it was resolved.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub resolution: String,
    /// First alert (ms).
    pub first_alert_at: i64,
    /// Latest alert (ms).
    pub last_alert_at: i64,
    /// Created (ms).
    pub created_at: i64,
    /// Last acknowledged (ms).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acknowledged_at: Option<i64>,
    /// First acknowledged (ms).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_acknowledged_at: Option<i64>,
    /// Resolved (ms).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolved_at: Option<i64>,
    /// Last change (ms).
    pub updated_at: i64,
}

fn is_false(value: &bool) -> bool {
    !*value
}

fn is_zero(value: &i32) -> bool {
    *value == 0
}

/// How the resolution of an incident absorbed by a merge begins; the
/// survivor's id follows.
pub const MERGED_RESOLUTION: &str = "merged into incident ";

impl Incident {
    /// Whether it is not resolved.
    pub fn is_open(&self) -> bool {
        self.status != IncidentStatus::Resolved
    }

    /// Acknowledges it at `now` if it is open (not yet acknowledged, not
    /// resolved); answers whether it changed. Every acknowledgement, by a
    /// person or at the source, goes through here.
    pub fn acknowledge(&mut self, now: i64) -> bool {
        if self.status != IncidentStatus::Open {
            return false;
        }
        self.status = IncidentStatus::Acknowledged;
        self.acknowledged_at = Some(now);
        self.first_acknowledged_at.get_or_insert(now);
        true
    }

    /// Resolves it at `now` with `resolution`. Every resolution (a person,
    /// the last alert resolving, a self-heal, a merge) goes through here.
    pub fn resolve(&mut self, resolution: impl Into<String>, now: i64) {
        self.status = IncidentStatus::Resolved;
        self.resolved_at = Some(now);
        self.resolution = resolution.into();
    }

    /// Assigns it to `technician_id`; answers whether that changed who has
    /// it. Every assignment (a person's, automatic at opening, after a failed
    /// remediation) goes through here.
    pub fn assign(&mut self, technician_id: &str) -> bool {
        if self.assigned_technician_id.as_deref() == Some(technician_id) {
            return false;
        }
        self.assigned_technician_id = Some(technician_id.to_owned());
        true
    }

    /// Reopens it (open again, no resolution).
    pub fn reopen(&mut self) {
        self.status = IncidentStatus::Open;
        self.resolved_at = None;
        self.resolution.clear();
    }

    /// The incident a merge absorbed it into, if one did.
    pub fn merged_into(&self) -> Option<&str> {
        if self.is_open() {
            return None;
        }
        self.resolution
            .strip_prefix(MERGED_RESOLUTION)
            .filter(|id| !id.is_empty())
    }

    /// Recomputes the priority; answers the previous one if it changed.
    pub fn reprioritize(&mut self, criticality: &BTreeMap<String, Criticality>) -> Option<u8> {
        let asset = criticality
            .get(&self.asset)
            .copied()
            .unwrap_or(Criticality::Medium);
        let (priority, reasons) = assess_priority(&PriorityInputs {
            severity: self.severity,
            alert_count: self.alert_count,
            tool_count: self.tools.len(),
            criticality: asset,
            remediation_failed: self.remediation_failed,
        });
        self.priority_reasons = reasons;
        if priority == self.priority {
            None
        } else {
            let before = self.priority;
            self.priority = priority;
            Some(before)
        }
    }
}

/// What the priority engine weighs.
#[derive(Debug, Clone, Copy)]
pub struct PriorityInputs {
    pub severity: AlertSeverity,
    /// Alerts, counting repeats.
    pub alert_count: i64,
    /// Distinct tools reporting.
    pub tool_count: usize,
    /// Criticality of the asset.
    pub criticality: Criticality,
    /// Whether a runbook run for it failed.
    pub remediation_failed: bool,
}

/// The priority decision engine: points per input, P1 at 65 or more, P2 at
/// 45, P3 at 25, else P4. Answers the priority and one reason per input.
///
/// | input | points |
/// |---|---|
/// | severity | critical 50, high 35, medium 20, low 10, info 0 |
/// | alerts | 50 or more +15, 10 or more +10, 3 or more +5 |
/// | tools | 3 or more +15, 2 +10 |
/// | asset criticality | critical +20, high +10, medium 0, low −10 |
/// | runbook run failed | +15 |
pub fn assess_priority(inputs: &PriorityInputs) -> (u8, Vec<String>) {
    let mut points: i32 = match inputs.severity {
        AlertSeverity::Critical => 50,
        AlertSeverity::High => 35,
        AlertSeverity::Medium => 20,
        AlertSeverity::Low => 10,
        AlertSeverity::Info => 0,
    };
    let mut reasons = vec![format!("severity {}", inputs.severity.name())];
    let count_points = match inputs.alert_count {
        n if n >= 50 => 15,
        n if n >= 10 => 10,
        n if n >= 3 => 5,
        _ => 0,
    };
    points += count_points;
    reasons.push(if inputs.alert_count == 1 {
        "1 alert".to_owned()
    } else {
        format!("{} alerts", inputs.alert_count)
    });
    points += match inputs.tool_count {
        n if n >= 3 => 15,
        2 => 10,
        _ => 0,
    };
    reasons.push(if inputs.tool_count == 1 {
        "1 tool reporting".to_owned()
    } else {
        format!("{} tools reporting", inputs.tool_count)
    });
    let (criticality_points, name) = match inputs.criticality {
        Criticality::Critical => (20, "critical"),
        Criticality::High => (10, "high"),
        Criticality::Medium => (0, "medium"),
        Criticality::Low => (-10, "low"),
    };
    points += criticality_points;
    reasons.push(format!("asset criticality {name}"));
    if inputs.remediation_failed {
        points += 15;
        reasons.push("runbook run failed".to_owned());
    }
    let priority = match points {
        p if p >= 65 => 1,
        p if p >= 45 => 2,
        p if p >= 25 => 3,
        _ => 4,
    };
    (priority, reasons)
}

/// A deduplicated alert.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct AlertRecord {
    /// Id (the creating event's).
    pub id: String,
    pub company_id: String,
    /// Incident; `None` when suppressed (or not correlated yet).
    pub incident_id: Option<String>,
    pub dedup_key: String,
    /// Aggregation key value.
    pub aggregation_key: String,
    pub asset: String,
    pub signature: String,
    /// Severity of the latest occurrence.
    pub severity: AlertSeverity,
    /// Message of the latest occurrence.
    pub message: String,
    pub tool_source: String,
    pub labels: BTreeMap<String, String>,
    /// First occurrence (ms).
    pub occurred_at: i64,
    /// Received (ms).
    pub received_at: i64,
    /// Latest occurrence (ms).
    pub last_occurred_at: i64,
    /// Resolved (ms).
    pub resolved_at: Option<i64>,
    pub status: AlertStatus,
    pub count: i64,
    /// Sender's id.
    pub external_id: String,
    pub link: String,
    /// What correlation did with it.
    pub outcome: Outcome,
    /// Silence or inhibition rule that suppressed it.
    pub suppressed_by_id: Option<String>,
    /// Resolve times of its dedup key inside the window (flapping).
    pub flap_history: Vec<i64>,
}

impl AlertRecord {
    /// A firing alert made of its first event: one occurrence, not placed
    /// yet (stored, in no incident), no flap history.
    pub fn first(
        id: &str,
        company_id: &str,
        aggregation_key: &str,
        event: &AlertEvent,
        received_at: i64,
    ) -> Self {
        Self {
            id: id.to_owned(),
            company_id: company_id.to_owned(),
            incident_id: None,
            dedup_key: event.dedup_key.clone(),
            aggregation_key: aggregation_key.to_owned(),
            asset: event.asset.clone(),
            signature: event.signature.clone(),
            severity: event.severity,
            message: event.message.clone(),
            tool_source: event.tool_source.clone(),
            labels: event.labels.clone(),
            occurred_at: event.occurred_at_ms,
            received_at,
            last_occurred_at: event.occurred_at_ms,
            resolved_at: None,
            status: AlertStatus::Firing,
            count: 1,
            external_id: event.external_id.clone(),
            link: event.link.clone(),
            outcome: Outcome::Stored,
            suppressed_by_id: None,
            flap_history: Vec::new(),
        }
    }
}

fn severity_value(severity: AlertSeverity) -> String {
    severity.name().to_owned()
}

impl AlertFields for AlertRecord {
    fn value_of(&self, reference: &AlertRef) -> String {
        match reference {
            AlertRef::Asset => self.asset.clone(),
            AlertRef::Signature => self.signature.clone(),
            AlertRef::Severity => severity_value(self.severity),
            AlertRef::ToolSource => self.tool_source.clone(),
            AlertRef::Message => self.message.clone(),
            AlertRef::DedupKey => self.dedup_key.clone(),
            AlertRef::Label(name) => self.labels.get(name).cloned().unwrap_or_default(),
        }
    }
}

impl AlertFields for AlertEvent {
    fn value_of(&self, reference: &AlertRef) -> String {
        match reference {
            AlertRef::Asset => self.asset.clone(),
            AlertRef::Signature => self.signature.clone(),
            AlertRef::Severity => severity_value(self.severity),
            AlertRef::ToolSource => self.tool_source.clone(),
            AlertRef::Message => self.message.clone(),
            AlertRef::DedupKey => self.dedup_key.clone(),
            AlertRef::Label(name) => self.labels.get(name).cloned().unwrap_or_default(),
        }
    }
}

/// Noise reduction: `(1 − incidents / alerts) × 100`, 0 without alerts.
pub fn noise_reduction_pct(alerts: i64, incidents: i64) -> f64 {
    if alerts <= 0 {
        return 0.0;
    }
    #[allow(clippy::cast_precision_loss)]
    let ratio = incidents as f64 / alerts as f64;
    (1.0 - ratio) * 100.0
}

/// KPIs of one company (or the total) over a time range.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Kpis {
    /// Company; empty for the total.
    pub company_id: String,
    /// Trigger events received.
    pub raw_alert_count: i64,
    /// Top-level incidents created (storm parents and incidents in no storm).
    pub incident_count: i64,
    /// Noise reduction %.
    pub noise_reduction_pct: f64,
    /// Mean time to acknowledge (ms).
    pub mtta_ms: Option<i64>,
    /// Mean time to resolve (ms).
    pub mttr_ms: Option<i64>,
    /// Incidents a runbook resolved.
    pub self_healed_count: i64,
    /// Self-healed %.
    pub self_healed_pct: f64,
    pub acknowledged_count: i64,
    pub resolved_count: i64,
    /// Incidents not resolved.
    pub open_count: i64,
}

/// Sums that KPIs are computed from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KpiSums {
    /// Trigger events received.
    pub raw_alerts: i64,
    pub incidents: i64,
    /// Acknowledged incidents and the sum of their times to acknowledge (ms).
    pub acknowledged: i64,
    /// Sum of creation-to-first-acknowledgement (ms).
    pub acknowledge_ms: i64,
    pub resolved: i64,
    /// Sum of creation-to-resolution (ms).
    pub resolve_ms: i64,
    /// Self-healed incidents.
    pub self_healed: i64,
}

impl KpiSums {
    /// Adds another set of sums.
    pub fn add(&mut self, other: &KpiSums) {
        self.raw_alerts += other.raw_alerts;
        self.incidents += other.incidents;
        self.acknowledged += other.acknowledged;
        self.acknowledge_ms += other.acknowledge_ms;
        self.resolved += other.resolved;
        self.resolve_ms += other.resolve_ms;
        self.self_healed += other.self_healed;
    }

    /// The KPIs these sums give.
    pub fn kpis(&self, company_id: &str) -> Kpis {
        let mean = |total: i64, n: i64| (n > 0).then(|| total / n);
        #[allow(clippy::cast_precision_loss)]
        let self_healed_pct = if self.incidents > 0 {
            self.self_healed as f64 / self.incidents as f64 * 100.0
        } else {
            0.0
        };
        Kpis {
            company_id: company_id.to_owned(),
            raw_alert_count: self.raw_alerts,
            incident_count: self.incidents,
            noise_reduction_pct: noise_reduction_pct(self.raw_alerts, self.incidents),
            mtta_ms: mean(self.acknowledge_ms, self.acknowledged),
            mttr_ms: mean(self.resolve_ms, self.resolved),
            self_healed_count: self.self_healed,
            self_healed_pct,
            acknowledged_count: self.acknowledged,
            resolved_count: self.resolved,
            open_count: self.incidents - self.resolved,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn open_incident() -> Incident {
        Incident {
            id: "i-1".to_owned(),
            company_id: "c-1".to_owned(),
            aggregation_key: "web-01|disk_full".to_owned(),
            asset: "web-01".to_owned(),
            signature: "disk_full".to_owned(),
            summary: "/var is 97% full".to_owned(),
            status: IncidentStatus::Open,
            priority: 3,
            priority_reasons: vec!["severity high".to_owned()],
            alert_count: 1,
            firing_alert_count: 1,
            tools: BTreeSet::from(["datadog".to_owned()]),
            severity: AlertSeverity::High,
            assigned_technician_id: None,
            parent_incident_id: None,
            is_storm_parent: false,
            child_incident_count: 0,
            open_child_count: 0,
            flapping: false,
            self_healed: false,
            remediation_failed: false,
            resolution: String::new(),
            first_alert_at: 1,
            last_alert_at: 2,
            created_at: 3,
            acknowledged_at: None,
            first_acknowledged_at: None,
            resolved_at: None,
            updated_at: 4,
        }
    }

    /// The log's snapshot leaves out the ids (its row has them) and fields
    /// at their defaults, and reads back to the same incident once the ids
    /// are restored; so does a snapshot with every field set.
    #[test]
    fn log_snapshots_leave_out_ids_and_defaults_and_read_back_whole() {
        let plain = open_incident();
        let mut busy = open_incident();
        busy.status = IncidentStatus::Resolved;
        busy.assigned_technician_id = Some("t-1".to_owned());
        busy.parent_incident_id = Some("p-1".to_owned());
        busy.is_storm_parent = true;
        busy.child_incident_count = 7;
        busy.open_child_count = 2;
        busy.flapping = true;
        busy.self_healed = true;
        busy.remediation_failed = true;
        busy.resolution = "cleaned /var".to_owned();
        busy.acknowledged_at = Some(5);
        busy.first_acknowledged_at = Some(5);
        busy.resolved_at = Some(6);
        let text = serde_json::to_string(&plain).expect("serialises");
        for left_out in [
            "\"id\"",
            "company_id",
            "null",
            "false",
            "resolution",
            "open_child_count",
        ] {
            assert!(!text.contains(left_out), "{left_out} in {text}");
        }
        for incident in [plain, busy] {
            let text = serde_json::to_string(&incident).expect("serialises");
            let mut back: Incident = serde_json::from_str(&text).expect("parses");
            assert!(back.id.is_empty() && back.company_id.is_empty());
            back.id.clone_from(&incident.id);
            back.company_id.clone_from(&incident.company_id);
            assert_eq!(back, incident);
        }
    }

    fn inputs(severity: AlertSeverity) -> PriorityInputs {
        PriorityInputs {
            severity,
            alert_count: 1,
            tool_count: 1,
            criticality: Criticality::Medium,
            remediation_failed: false,
        }
    }

    #[test]
    fn priority_weighs_each_input_and_names_it() {
        let (p, reasons) = assess_priority(&inputs(AlertSeverity::Critical));
        assert_eq!(p, 2);
        assert_eq!(
            reasons,
            [
                "severity critical",
                "1 alert",
                "1 tool reporting",
                "asset criticality medium"
            ]
        );
        let critical_asset = PriorityInputs {
            criticality: Criticality::Critical,
            ..inputs(AlertSeverity::Critical)
        };
        assert_eq!(assess_priority(&critical_asset).0, 1);
        assert_eq!(assess_priority(&inputs(AlertSeverity::High)).0, 3);
        assert_eq!(assess_priority(&inputs(AlertSeverity::Medium)).0, 4);
        let noisy = PriorityInputs {
            alert_count: 12,
            tool_count: 2,
            ..inputs(AlertSeverity::High)
        };
        let (p, reasons) = assess_priority(&noisy);
        assert_eq!(p, 2, "35 + 10 + 10 = 55");
        assert!(reasons.contains(&"12 alerts".to_owned()));
        assert!(reasons.contains(&"2 tools reporting".to_owned()));
        let failed = PriorityInputs {
            remediation_failed: true,
            ..inputs(AlertSeverity::High)
        };
        let (p, reasons) = assess_priority(&failed);
        assert_eq!(p, 2, "35 + 15 = 50");
        assert_eq!(
            reasons.last().map(String::as_str),
            Some("runbook run failed")
        );
        let lab = PriorityInputs {
            criticality: Criticality::Low,
            ..inputs(AlertSeverity::High)
        };
        assert_eq!(assess_priority(&lab).0, 3, "35 − 10 = 25, P3's floor");
    }

    #[test]
    fn kpis_follow_the_seed_formulas() {
        let sums = KpiSums {
            raw_alerts: 200,
            incidents: 20,
            acknowledged: 4,
            acknowledge_ms: 4 * 60_000,
            resolved: 10,
            resolve_ms: 10 * 600_000,
            self_healed: 5,
        };
        let kpis = sums.kpis("c");
        assert!((kpis.noise_reduction_pct - 90.0).abs() < 1e-9);
        assert!((kpis.self_healed_pct - 25.0).abs() < 1e-9);
        assert_eq!(kpis.mtta_ms, Some(60_000));
        assert_eq!(kpis.mttr_ms, Some(600_000));
        assert_eq!(kpis.open_count, 10);
        let empty = KpiSums::default().kpis("");
        assert_eq!(empty.noise_reduction_pct, 0.0);
        assert_eq!(empty.mttr_ms, None);
    }
}
