//! Runbook executions: their status machine (approval, cancel, the end),
//! what was sent to SSM, and how invocation and step results add up. Pure:
//! the store persists these, the executor drives them. Rules live in
//! [`super::remediation`], their templates in [`super::template`], the
//! runbooks and what each sends to SSM in [`super::runbook`].

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::correlation::{AlertFields, AlertRef};
use super::error::{Error, Result};
use super::incident::AlertRecord;
use super::runbook::{RunbookKind, RunbookSpec, Targets};

/// Default cooldown per asset and runbook.
pub const DEFAULT_COOLDOWN: Duration = Duration::from_secs(30 * 60);
/// Longest cooldown.
pub const MAX_COOLDOWN: Duration = Duration::from_secs(7 * 24 * 3600);
/// Default approval timeout.
pub const DEFAULT_APPROVAL_TIMEOUT: Duration = Duration::from_secs(3600);
/// Shortest approval timeout.
pub const MIN_APPROVAL_TIMEOUT: Duration = Duration::from_secs(60);
/// Longest approval timeout.
pub const MAX_APPROVAL_TIMEOUT: Duration = Duration::from_secs(7 * 24 * 3600);
/// Most stdout kept per invocation (SSM's own inline limit).
pub const MAX_STDOUT: usize = 24_000;
/// Most stderr kept per invocation.
pub const MAX_STDERR: usize = 8_000;
/// First pause between two polls of a running command.
pub const FIRST_POLL: Duration = Duration::from_millis(500);
/// Longest pause between two polls of a running command.
pub const MAX_POLL: Duration = Duration::from_secs(30);
/// How long past its timeout a command is tracked before it counts as timed
/// out on our side (SSM's own timeout normally ends it first).
pub const TRACKING_GRACE: Duration = Duration::from_secs(300);

/// Where an execution is (the proto `ExecutionStatus` numbers).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ExecStatus {
    /// Waiting for approval.
    PendingApproval = 1,
    /// Waiting to be sent.
    Queued = 2,
    /// Sent; invocations in progress.
    Running = 3,
    /// Cancel requested.
    Cancelling = 4,
    /// Every invocation succeeded.
    Succeeded = 5,
    /// An invocation failed, or SSM refused the command.
    Failed = 6,
    /// An invocation timed out.
    TimedOut = 7,
    Cancelled = 8,
    /// Rejected by a person.
    Rejected = 9,
    /// Not approved in time.
    Expired = 10,
}

impl ExecStatus {
    /// The stored (and proto) number.
    pub fn as_i16(self) -> i16 {
        self as i16
    }

    /// From the stored (or proto) number.
    pub fn from_i16(value: i16) -> Option<Self> {
        use ExecStatus::*;
        Some(match value {
            1 => PendingApproval,
            2 => Queued,
            3 => Running,
            4 => Cancelling,
            5 => Succeeded,
            6 => Failed,
            7 => TimedOut,
            8 => Cancelled,
            9 => Rejected,
            10 => Expired,
            _ => return None,
        })
    }

    /// Whether nothing more happens to it.
    pub fn is_terminal(self) -> bool {
        self.as_i16() >= ExecStatus::Succeeded.as_i16()
    }

    /// Lower-case name for messages.
    pub fn name(self) -> &'static str {
        match self {
            Self::PendingApproval => "pending approval",
            Self::Queued => "queued",
            Self::Running => "running",
            Self::Cancelling => "cancelling",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
            Self::TimedOut => "timed out",
            Self::Cancelled => "cancelled",
            Self::Rejected => "rejected",
            Self::Expired => "expired",
        }
    }

    /// Every non-terminal status (the ones that count as unfinished).
    pub const UNFINISHED: [ExecStatus; 4] = [
        ExecStatus::PendingApproval,
        ExecStatus::Queued,
        ExecStatus::Running,
        ExecStatus::Cancelling,
    ];
}

/// What started an execution.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Trigger {
    Manual,
    Rule,
}

/// Auto or approval.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Mode {
    /// Runs at once.
    Auto,
    /// Waits for ApproveExecution.
    Approval,
}

/// An SSM invocation status (the proto `InvocationStatus` numbers).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum InvStatus {
    /// Not delivered yet.
    Pending = 1,
    InProgress = 2,
    /// The agent will retry.
    Delayed = 3,
    Succeeded = 4,
    /// Failed (also Undeliverable, Terminated).
    Failed = 5,
    TimedOut = 6,
    Cancelling = 7,
    Cancelled = 8,
}

impl InvStatus {
    /// From SSM's status text (CommandInvocationStatus / its StatusDetails).
    pub fn from_ssm(status: &str) -> Self {
        match status {
            "Pending" => Self::Pending,
            "InProgress" => Self::InProgress,
            "Delayed" => Self::Delayed,
            "Success" => Self::Succeeded,
            "TimedOut" | "DeliveryTimedOut" | "ExecutionTimedOut" => Self::TimedOut,
            "Cancelling" => Self::Cancelling,
            "Cancelled" => Self::Cancelled,
            // Failed, Undeliverable, Terminated, InvalidPlatform, AccessDenied…
            _ => Self::Failed,
        }
    }

    /// Whether SSM is done with it.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            Self::Succeeded | Self::Failed | Self::TimedOut | Self::Cancelled
        )
    }

    /// Name for messages, as SSM spells it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Pending => "Pending",
            Self::InProgress => "InProgress",
            Self::Delayed => "Delayed",
            Self::Succeeded => "Success",
            Self::Failed => "Failed",
            Self::TimedOut => "TimedOut",
            Self::Cancelling => "Cancelling",
            Self::Cancelled => "Cancelled",
        }
    }
}

/// What happened to an execution (the proto `ExecutionEventKind` numbers).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ExecEventKind {
    Created = 1,
    Approved = 2,
    Rejected = 3,
    Expired = 4,
    /// Sent to SSM.
    Started = 5,
    InvocationUpdated = 6,
    CancelRequested = 7,
    Succeeded = 8,
    Failed = 9,
    TimedOut = 10,
    Cancelled = 11,
    /// An Automation step changed.
    StepUpdated = 12,
    /// A person approved an `aws:approve` step (SSM SendAutomationSignal).
    StepApproved = 13,
    /// A person rejected an `aws:approve` step (SSM SendAutomationSignal).
    StepRejected = 14,
}

impl ExecEventKind {
    /// The stored (and proto) number.
    pub fn as_i16(self) -> i16 {
        self as i16
    }

    /// From the stored number.
    pub fn from_i16(value: i16) -> Option<Self> {
        use ExecEventKind::*;
        Some(match value {
            1 => Created,
            2 => Approved,
            3 => Rejected,
            4 => Expired,
            5 => Started,
            6 => InvocationUpdated,
            7 => CancelRequested,
            8 => Succeeded,
            9 => Failed,
            10 => TimedOut,
            11 => Cancelled,
            12 => StepUpdated,
            13 => StepApproved,
            14 => StepRejected,
            _ => return None,
        })
    }

    /// The event that ends an execution in `status`.
    pub fn finishing(status: ExecStatus) -> Self {
        match status {
            ExecStatus::Succeeded => Self::Succeeded,
            ExecStatus::TimedOut => Self::TimedOut,
            ExecStatus::Cancelled => Self::Cancelled,
            ExecStatus::Rejected => Self::Rejected,
            ExecStatus::Expired => Self::Expired,
            _ => Self::Failed,
        }
    }
}

/// The fields of the alert behind a rule execution, kept for templates and
/// the silence guard.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertView {
    pub asset: String,
    pub signature: String,
    pub severity: String,
    pub tool_source: String,
    pub message: String,
    pub dedup_key: String,
    pub labels: BTreeMap<String, String>,
}

impl From<&AlertRecord> for AlertView {
    fn from(alert: &AlertRecord) -> Self {
        Self {
            asset: alert.asset.clone(),
            signature: alert.signature.clone(),
            severity: alert.severity.name().to_owned(),
            tool_source: alert.tool_source.clone(),
            message: alert.message.clone(),
            dedup_key: alert.dedup_key.clone(),
            labels: alert.labels.clone(),
        }
    }
}

impl AlertView {
    /// A disk-full alert from Datadog on an EC2 instance, for tests.
    #[cfg(test)]
    pub(crate) fn example() -> Self {
        Self {
            asset: "i-0123456789abcdef0".into(),
            signature: "disk_full".into(),
            severity: "critical".into(),
            tool_source: "datadog".into(),
            message: "disk / at 97%".into(),
            dedup_key: "dk".into(),
            labels: BTreeMap::from([("mountpoint".into(), "/var".into())]),
        }
    }
}

impl AlertFields for AlertView {
    fn value_of(&self, reference: &AlertRef) -> String {
        match reference {
            AlertRef::Asset => self.asset.clone(),
            AlertRef::Signature => self.signature.clone(),
            AlertRef::Severity => self.severity.clone(),
            AlertRef::ToolSource => self.tool_source.clone(),
            AlertRef::Message => self.message.clone(),
            AlertRef::DedupKey => self.dedup_key.clone(),
            AlertRef::Label(name) => self.labels.get(name).cloned().unwrap_or_default(),
        }
    }
}

/// One instance's run of the command.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invocation {
    pub instance_id: String,
    pub status: InvStatus,
    /// SSM StatusDetails.
    pub status_details: String,
    /// Exit code; -1 while none.
    pub response_code: i32,
    /// Standard output (bounded).
    pub stdout: String,
    /// Whether stdout was cut.
    pub stdout_truncated: bool,
    /// Standard error (bounded).
    pub stderr: String,
    /// Whether stderr was cut.
    pub stderr_truncated: bool,
    /// Started (ms).
    pub start_at: Option<i64>,
    /// Ended (ms).
    pub end_at: Option<i64>,
}

impl Invocation {
    /// A fresh, pending invocation.
    pub fn pending(instance_id: &str) -> Self {
        Self {
            instance_id: instance_id.to_owned(),
            status: InvStatus::Pending,
            status_details: "Pending".to_owned(),
            response_code: -1,
            stdout: String::new(),
            stdout_truncated: false,
            stderr: String::new(),
            stderr_truncated: false,
            start_at: None,
            end_at: None,
        }
    }

    /// One line for the feed, e.g. "i-0abc: Success (exit 0)".
    pub fn summary(&self) -> String {
        let mut text = format!("{}: {}", self.instance_id, self.status.name());
        if self.status.is_terminal() && self.response_code >= 0 {
            text.push_str(&format!(" (exit {})", self.response_code));
        }
        if !self.status_details.is_empty() && self.status_details != self.status.name() {
            text.push_str(&format!(", {}", self.status_details));
        }
        text
    }
}

/// Cuts text to at most `limit` characters; answers whether it cut.
pub fn bounded(text: &str, limit: usize) -> (String, bool) {
    if text.chars().count() <= limit {
        (text.to_owned(), false)
    } else {
        (text.chars().take(limit).collect(), true)
    }
}

/// Where an SSM Automation step is (the proto `AutomationStepStatus`
/// numbers).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum StepStatus {
    /// Not started (SSM Pending, Scheduled).
    Pending = 1,
    /// Running (SSM InProgress, RunbookInProgress, Approved).
    InProgress = 2,
    /// Waiting for a signal, e.g. an `aws:approve` step (SSM Waiting,
    /// PendingApproval, PendingChangeCalendarOverride).
    Waiting = 3,
    /// SSM Success (CompletedWithSuccess).
    Succeeded = 4,
    /// SSM Failed, and every other end that is not a success.
    Failed = 5,
    /// SSM TimedOut.
    TimedOut = 6,
    Cancelling = 7,
    Cancelled = 8,
}

impl StepStatus {
    /// From SSM's AutomationExecutionStatus text (a step's StepStatus).
    pub fn from_ssm(status: &str) -> Self {
        match status {
            "Pending" | "Scheduled" => Self::Pending,
            "InProgress" | "RunbookInProgress" | "Approved" | "ChangeCalendarOverrideApproved" => {
                Self::InProgress
            }
            "Waiting" | "PendingApproval" | "PendingChangeCalendarOverride" => Self::Waiting,
            "Success" | "CompletedWithSuccess" => Self::Succeeded,
            "TimedOut" => Self::TimedOut,
            "Cancelling" => Self::Cancelling,
            "Cancelled" => Self::Cancelled,
            // Failed, CompletedWithFailure, Rejected, Exited,
            // ChangeCalendarOverrideRejected…
            _ => Self::Failed,
        }
    }

    /// Name for messages, as SSM spells it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Pending => "Pending",
            Self::InProgress => "InProgress",
            Self::Waiting => "Waiting",
            Self::Succeeded => "Success",
            Self::Failed => "Failed",
            Self::TimedOut => "TimedOut",
            Self::Cancelling => "Cancelling",
            Self::Cancelled => "Cancelled",
        }
    }
}

/// The terminal execution status an Automation execution's overall SSM
/// status means; None while it is not finished (Pending, InProgress,
/// Waiting, Cancelling, a pending approval or change-calendar check…).
pub fn automation_outcome(status: &str) -> Option<ExecStatus> {
    match status {
        "Success" | "CompletedWithSuccess" => Some(ExecStatus::Succeeded),
        "TimedOut" => Some(ExecStatus::TimedOut),
        "Cancelled" => Some(ExecStatus::Cancelled),
        "Failed"
        | "CompletedWithFailure"
        | "Rejected"
        | "ChangeCalendarOverrideRejected"
        | "Exited" => Some(ExecStatus::Failed),
        _ => None,
    }
}

/// One step of an Automation execution (from DescribeAutomationStepExecutions).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AutomationStep {
    /// SSM's StepExecutionId.
    pub step_execution_id: String,
    /// Step name in the document, e.g. "stopInstances".
    pub name: String,
    /// Action, e.g. "aws:changeInstanceState".
    pub action: String,
    pub status: StepStatus,
    /// SSM's StepStatus text as reported (e.g. "PendingApproval").
    pub status_details: String,
    /// Why it failed ("" if it did not).
    pub failure_message: String,
    /// Started (ms).
    pub start_at: Option<i64>,
    /// Ended (ms).
    pub end_at: Option<i64>,
}

/// The Automation action that waits for a person's approval.
pub const APPROVE_ACTION: &str = "aws:approve";

impl AutomationStep {
    /// Whether SSM waits on this step for a person's approval.
    pub fn waits_for_approval(&self) -> bool {
        self.status == StepStatus::Waiting && self.action == APPROVE_ACTION
    }

    /// One line for the feed, e.g. "step stopInstances (aws:changeInstanceState): Success".
    pub fn summary(&self) -> String {
        let mut text = format!(
            "step {} ({}): {}",
            self.name,
            self.action,
            self.status.name()
        );
        if !self.status_details.is_empty() && self.status_details != self.status.name() {
            text.push_str(&format!(", {}", self.status_details));
        }
        if self.waits_for_approval() {
            text.push_str(" (an aws:approve step: ApproveExecution or RejectExecution)");
        }
        if !self.failure_message.is_empty() {
            text.push_str(&format!(": {}", self.failure_message));
        }
        text
    }
}

/// What one lifecycle transition of an execution did, for its event log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    pub kind: ExecEventKind,
    pub message: String,
}

impl Transition {
    fn new(kind: ExecEventKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
        }
    }
}

/// A person's answer to an `aws:approve` step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepSignal {
    Approve,
    Reject,
}

impl StepSignal {
    /// SSM's SignalType.
    pub fn ssm_name(self) -> &'static str {
        match self {
            Self::Approve => "Approve",
            Self::Reject => "Reject",
        }
    }
}

/// `what`, or `what: note` when there is a note.
pub fn with_note(what: &str, note: &str) -> String {
    if note.is_empty() {
        what.to_owned()
    } else {
        format!("{what}: {note}")
    }
}

/// A runbook execution.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Execution {
    pub id: String,
    pub company_id: String,
    pub runbook_id: String,
    /// Runbook name when requested.
    pub runbook_name: String,
    pub document_name: String,
    /// SSM document version.
    pub document_version: String,
    /// Rule that created it.
    pub rule_id: Option<String>,
    /// Incident it remediates.
    pub incident_id: Option<String>,
    pub asset: String,
    /// What started it.
    pub trigger: Trigger,
    pub status: ExecStatus,
    /// Why it is in its status.
    pub status_reason: String,
    pub parameters: BTreeMap<String, String>,
    /// What goes to SSM as Parameters.
    pub ssm_parameters: BTreeMap<String, Vec<String>>,
    pub targets: Targets,
    /// Per-instance timeout (seconds).
    pub timeout_seconds: u64,
    /// SSM MaxConcurrency.
    pub max_concurrency: String,
    /// SSM MaxErrors.
    pub max_errors: String,
    /// SSM command id; "" until sent.
    pub command_id: String,
    /// Role assumed to send it.
    pub assumed_role_arn: String,
    /// Per-instance runs, by instance id.
    pub invocations: Vec<Invocation>,
    /// Who requested it.
    pub requested_by: String,
    /// Who approved its start, or (Automation) the last `aws:approve` step.
    pub approved_by: String,
    /// Who rejected its start, or (Automation) an `aws:approve` step.
    pub rejected_by: String,
    /// Who cancelled it.
    pub cancelled_by: String,
    /// Requester's note.
    pub comment: String,
    /// When a pending approval expires (ms).
    pub approval_expires_at: Option<i64>,
    /// Created (ms).
    pub created_at: i64,
    /// Sent (ms).
    pub started_at: Option<i64>,
    /// Finished (ms).
    pub ended_at: Option<i64>,
    /// Last change (ms).
    pub updated_at: i64,
    /// The alert behind a rule execution (templates, silence guard).
    pub alert: Option<AlertView>,
    /// Pause before the next poll (ms).
    pub poll_interval_ms: i64,
    /// Whether its effect on the incident has been written.
    pub incident_done: bool,
    /// Run Command or Automation (copied from the runbook).
    #[serde(default)]
    pub kind: RunbookKind,
    /// Automation: the document parameter the target instance ids go in.
    #[serde(default)]
    pub target_parameter: String,
    /// Automation: the steps as SSM reports them, in document order.
    #[serde(default)]
    pub steps: Vec<AutomationStep>,
}

/// What a new execution runs, and for whom.
#[derive(Debug)]
pub struct NewExecution<'a> {
    /// Id (a fresh UUIDv7).
    pub id: String,
    pub company_id: &'a str,
    pub runbook_id: &'a str,
    /// Runbook definition (copied into the execution).
    pub runbook: &'a RunbookSpec,
    /// Checked parameter values.
    pub values: BTreeMap<String, String>,
    pub targets: Targets,
    /// Who asks.
    pub requested_by: String,
    /// When (ms).
    pub now: i64,
}

impl Execution {
    /// A queued manual execution (callers adjust trigger, rule, incident,
    /// asset and status).
    pub fn queued(new: NewExecution<'_>) -> Self {
        Self {
            id: new.id,
            company_id: new.company_id.to_owned(),
            runbook_id: new.runbook_id.to_owned(),
            runbook_name: new.runbook.name.clone(),
            document_name: new.runbook.document_name.clone(),
            document_version: new.runbook.document_version.clone(),
            rule_id: None,
            incident_id: None,
            asset: new
                .targets
                .instance_ids
                .first()
                .cloned()
                .unwrap_or_default(),
            trigger: Trigger::Manual,
            status: ExecStatus::Queued,
            status_reason: String::new(),
            ssm_parameters: super::runbook::ssm_parameters(
                new.runbook_id,
                new.runbook,
                &new.values,
            ),
            parameters: new.values,
            targets: new.targets,
            timeout_seconds: new.runbook.timeout.as_secs(),
            max_concurrency: new.runbook.max_concurrency.clone(),
            max_errors: new.runbook.max_errors.clone(),
            command_id: String::new(),
            assumed_role_arn: String::new(),
            invocations: Vec::new(),
            requested_by: new.requested_by,
            approved_by: String::new(),
            rejected_by: String::new(),
            cancelled_by: String::new(),
            comment: String::new(),
            approval_expires_at: None,
            created_at: new.now,
            started_at: None,
            ended_at: None,
            updated_at: new.now,
            alert: None,
            poll_interval_ms: 0,
            incident_done: false,
            kind: new.runbook.kind,
            target_parameter: new.runbook.target_parameter.clone(),
            steps: Vec::new(),
        }
    }

    /// What SSM calls the id the execution was sent as: "SSM command <id>"
    /// or "SSM automation execution <id>" ("not sent" before).
    pub fn ssm_reference(&self) -> String {
        match (self.command_id.is_empty(), self.kind) {
            (true, _) => "not sent".to_owned(),
            (false, RunbookKind::RunCommand) => format!("SSM command {}", self.command_id),
            (false, RunbookKind::Automation) => {
                format!("SSM automation execution {}", self.command_id)
            }
        }
    }

    /// The Parameters of StartAutomationExecution: the runbook's values and,
    /// with a target parameter and instance ids, the ids in that parameter.
    pub fn automation_parameters(&self) -> BTreeMap<String, Vec<String>> {
        let mut parameters = self.ssm_parameters.clone();
        if !self.target_parameter.is_empty() && !self.targets.instance_ids.is_empty() {
            parameters.insert(
                self.target_parameter.clone(),
                self.targets.instance_ids.clone(),
            );
        }
        parameters
    }

    /// Sets the steps SSM reports (in its order); answers the ones that
    /// changed or are new.
    pub fn merge_steps(&mut self, fresh: Vec<AutomationStep>) -> Vec<AutomationStep> {
        let changed = fresh
            .iter()
            .filter(|step| {
                !self.steps.iter().any(|known| {
                    known.step_execution_id == step.step_execution_id && known == *step
                })
            })
            .cloned()
            .collect();
        if !fresh.is_empty() {
            self.steps = fresh;
        }
        changed
    }

    /// A reason for a finished Automation execution: SSM's failure message,
    /// else the steps that did not succeed, else how many steps succeeded.
    pub fn automation_reason(&self, status: ExecStatus, failure_message: &str) -> String {
        if status == ExecStatus::Succeeded {
            return format!(
                "{} step(s) succeeded ({})",
                self.steps.len(),
                self.ssm_reference()
            );
        }
        let bad: Vec<String> = self
            .steps
            .iter()
            .filter(|step| {
                matches!(
                    step.status,
                    StepStatus::Failed | StepStatus::TimedOut | StepStatus::Cancelled
                )
            })
            .map(AutomationStep::summary)
            .collect();
        match (failure_message.is_empty(), bad.is_empty()) {
            (false, _) => format!("automation {}: {failure_message}", status.name()),
            (true, false) => bad.join("; "),
            (true, true) => format!("automation {} ({})", status.name(), self.ssm_reference()),
        }
    }

    /// FAILED_PRECONDITION unless it waits for ApproveExecution and its
    /// approval has not expired.
    fn require_pending_approval(&self, now: i64) -> Result<()> {
        if self.status != ExecStatus::PendingApproval {
            return Err(Error::NotAllowed(format!(
                "execution {} is {}, not waiting for approval",
                self.id,
                self.status.name()
            )));
        }
        if self.approval_expires_at.is_some_and(|at| at <= now) {
            return Err(Error::NotAllowed(format!(
                "the approval of execution {} has expired",
                self.id
            )));
        }
        Ok(())
    }

    /// ApproveExecution of an execution pending approval: queued to be sent.
    pub fn approve(&mut self, actor: &str, comment: &str, now: i64) -> Result<Transition> {
        self.require_pending_approval(now)?;
        self.status = ExecStatus::Queued;
        self.approved_by = actor.to_owned();
        self.approval_expires_at = None;
        self.status_reason = String::new();
        self.poll_interval_ms = 0;
        self.updated_at = now;
        Ok(Transition::new(
            ExecEventKind::Approved,
            with_note("approved", comment),
        ))
    }

    /// RejectExecution of an execution pending approval: it ends, never sent.
    pub fn reject(&mut self, actor: &str, reason: &str, now: i64) -> Result<Transition> {
        self.require_pending_approval(now)?;
        self.status = ExecStatus::Rejected;
        self.rejected_by = actor.to_owned();
        self.approval_expires_at = None;
        self.status_reason = reason.to_owned();
        self.ended_at = Some(now);
        self.updated_at = now;
        Ok(Transition::new(
            ExecEventKind::Rejected,
            format!("rejected: {reason}"),
        ))
    }

    /// Ends a pending approval whose time is up; None while it still runs.
    pub fn expire_if_due(&mut self, now: i64) -> Option<Transition> {
        self.updated_at = now;
        if self.status != ExecStatus::PendingApproval
            || self.approval_expires_at.unwrap_or(now) > now
        {
            return None;
        }
        self.status = ExecStatus::Expired;
        self.ended_at = Some(now);
        self.approval_expires_at = None;
        self.status_reason = "nobody approved it before the approval timeout".to_owned();
        Some(Transition::new(ExecEventKind::Expired, "approval expired"))
    }

    /// Ends it in `status` (terminal) for `reason`.
    pub fn finish(&mut self, status: ExecStatus, reason: String, now: i64) -> Transition {
        debug_assert!(status.is_terminal());
        self.status = status;
        self.status_reason.clone_from(&reason);
        self.ended_at = Some(now);
        self.updated_at = now;
        Transition::new(ExecEventKind::finishing(status), reason)
    }

    /// Whether cancelling it needs SSM told to stop (it was sent): false
    /// before it is sent; FAILED_PRECONDITION while it is being sent or
    /// once it cannot be cancelled.
    pub fn cancel_needs_stop(&self) -> Result<bool> {
        match self.status {
            ExecStatus::PendingApproval | ExecStatus::Queued => Ok(false),
            ExecStatus::Running if !self.command_id.is_empty() => Ok(true),
            ExecStatus::Running => Err(Error::NotAllowed(format!(
                "execution {} is being sent to SSM right now; cancel it again in a moment",
                self.id
            ))),
            status => Err(Error::NotAllowed(format!(
                "execution {} is {} and cannot be cancelled",
                self.id,
                status.name()
            ))),
        }
    }

    /// CancelExecution: before it is sent (`stop_call` None) it ends at once;
    /// once sent, `stop_call` (e.g. "SSM CancelCommand") was sent and it is
    /// cancelling until SSM reports the end.
    pub fn cancel(
        &mut self,
        actor: &str,
        reason: &str,
        stop_call: Option<&str>,
        now: i64,
    ) -> Result<Transition> {
        if self.status.is_terminal() {
            return Err(Error::NotAllowed(format!(
                "execution {} is {} and cannot be cancelled",
                self.id,
                self.status.name()
            )));
        }
        if stop_call.is_none()
            && !matches!(
                self.status,
                ExecStatus::PendingApproval | ExecStatus::Queued
            )
        {
            return Err(Error::NotAllowed(format!(
                "execution {} was sent to SSM meanwhile; cancel it again to stop the command",
                self.id
            )));
        }
        self.cancelled_by = actor.to_owned();
        let why = with_note(&format!("cancelled by {actor}"), reason);
        self.status_reason.clone_from(&why);
        self.updated_at = now;
        Ok(match stop_call {
            Some(stop_call) => {
                self.status = ExecStatus::Cancelling;
                self.next_poll(true);
                Transition::new(
                    ExecEventKind::CancelRequested,
                    format!("{stop_call} sent; {why}"),
                )
            }
            None => {
                self.status = ExecStatus::Cancelled;
                self.approval_expires_at = None;
                self.ended_at = Some(now);
                Transition::new(ExecEventKind::Cancelled, why)
            }
        })
    }

    /// The `aws:approve` step a running Automation execution waits on.
    pub fn waiting_approval_step(&self) -> Option<&AutomationStep> {
        if self.kind != RunbookKind::Automation
            || self.status != ExecStatus::Running
            || self.command_id.is_empty()
        {
            return None;
        }
        self.steps.iter().find(|step| step.waits_for_approval())
    }

    /// Records a person's answer to the `aws:approve` step `step_execution_id`
    /// once SSM took it (SendAutomationSignal): the step shows it until the
    /// next poll, and a rejected execution will end rejected, not failed.
    pub fn signal_step(
        &mut self,
        step_execution_id: &str,
        signal: StepSignal,
        actor: &str,
        note: &str,
        now: i64,
    ) -> Result<Transition> {
        if self.status.is_terminal() {
            return Err(Error::NotAllowed(format!(
                "execution {} is {} meanwhile",
                self.id,
                self.status.name()
            )));
        }
        let step = self
            .steps
            .iter_mut()
            .find(|step| step.step_execution_id == step_execution_id)
            .ok_or_else(|| {
                Error::NotAllowed(format!(
                    "execution {} has no step {step_execution_id}",
                    self.id
                ))
            })?;
        let what = format!("step {} ({})", step.name, step.action);
        let transition = match signal {
            StepSignal::Approve => {
                step.status = StepStatus::InProgress;
                step.status_details = "Approved".to_owned();
                self.approved_by = actor.to_owned();
                Transition::new(
                    ExecEventKind::StepApproved,
                    with_note(&format!("approved {what} in SSM"), note),
                )
            }
            StepSignal::Reject => {
                step.status = StepStatus::Failed;
                step.status_details = "Rejected".to_owned();
                self.rejected_by = actor.to_owned();
                self.status_reason = with_note(&format!("{what} rejected by {actor}"), note);
                Transition::new(
                    ExecEventKind::StepRejected,
                    with_note(&format!("rejected {what} in SSM"), note),
                )
            }
        };
        self.next_poll(true);
        self.updated_at = now;
        Ok(transition)
    }

    /// How a finished Automation execution ends on our side: SSM's status,
    /// except that a cancel we asked for ends cancelled and a step a person
    /// rejected ends rejected (the person's reason, not a failure).
    pub fn automation_end(&self, ssm: ExecStatus, failure_message: &str) -> (ExecStatus, String) {
        if self.status == ExecStatus::Cancelling && ssm != ExecStatus::Succeeded {
            // Who cancelled it and why says more than the steps.
            return (ExecStatus::Cancelled, self.status_reason.clone());
        }
        if ssm != ExecStatus::Succeeded && !self.rejected_by.is_empty() {
            return (ExecStatus::Rejected, self.status_reason.clone());
        }
        (ssm, self.automation_reason(ssm, failure_message))
    }

    /// Whether a finished execution still owes its incident an update.
    pub fn owes_incident(&self) -> bool {
        self.status.is_terminal()
            && self.incident_id.is_some()
            && !self.incident_done
            && self.started_at.is_some()
    }

    /// Sets the invocations from SSM, sorted by instance id; answers the ones
    /// that changed.
    pub fn merge_invocations(&mut self, fresh: Vec<Invocation>) -> Vec<Invocation> {
        let mut changed = Vec::new();
        for invocation in fresh {
            match self
                .invocations
                .iter_mut()
                .find(|known| known.instance_id == invocation.instance_id)
            {
                Some(known) if *known == invocation => {}
                Some(known) => {
                    *known = invocation.clone();
                    changed.push(invocation);
                }
                None => {
                    self.invocations.push(invocation.clone());
                    changed.push(invocation);
                }
            }
        }
        self.invocations
            .sort_by(|a, b| a.instance_id.cmp(&b.instance_id));
        changed
    }

    /// The terminal status the invocations add up to, once all are terminal:
    /// cancelled if a cancel was asked for, else failed if any failed, else
    /// timed out if any timed out, else succeeded.
    pub fn outcome(&self) -> Option<ExecStatus> {
        if !self.invocations.iter().all(|i| i.status.is_terminal()) {
            return None;
        }
        let any = |status: InvStatus| self.invocations.iter().any(|i| i.status == status);
        Some(
            if self.status == ExecStatus::Cancelling || any(InvStatus::Cancelled) {
                ExecStatus::Cancelled
            } else if any(InvStatus::Failed) {
                ExecStatus::Failed
            } else if any(InvStatus::TimedOut) {
                ExecStatus::TimedOut
            } else {
                ExecStatus::Succeeded
            },
        )
    }

    /// A reason for a finished run, naming the instances that did not succeed.
    pub fn outcome_reason(&self) -> String {
        let bad: Vec<String> = self
            .invocations
            .iter()
            .filter(|i| i.status != InvStatus::Succeeded)
            .map(Invocation::summary)
            .collect();
        if bad.is_empty() {
            format!(
                "{} instance(s) succeeded (SSM command {})",
                self.invocations.len(),
                self.command_id
            )
        } else {
            bad.join("; ")
        }
    }

    /// The next poll pause after a poll that did (or did not) see a change.
    pub fn next_poll(&mut self, changed: bool) -> i64 {
        let first = i64::try_from(FIRST_POLL.as_millis()).unwrap_or(500);
        let max = i64::try_from(MAX_POLL.as_millis()).unwrap_or(30_000);
        self.poll_interval_ms = if changed || self.poll_interval_ms <= 0 {
            first
        } else {
            (self.poll_interval_ms * 2).min(max)
        };
        self.poll_interval_ms
    }
}

/// The incident timeline kind that mirrors an execution event, if any.
pub fn incident_kind(kind: ExecEventKind) -> Option<crate::domain::incident::EventKind> {
    match kind {
        ExecEventKind::Created => Some(crate::domain::incident::EventKind::RemediationRequested),
        ExecEventKind::Started => Some(crate::domain::incident::EventKind::RemediationStarted),
        // The proto's REMEDIATION_FAILED: "did not succeed" (the priority
        // only rises for a failed or timed-out run, in the executor).
        ExecEventKind::Rejected | ExecEventKind::Expired | ExecEventKind::Cancelled => {
            Some(crate::domain::incident::EventKind::RemediationFailed)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::runbook::built_in_runbooks;

    #[test]
    fn invocations_add_up_to_an_outcome() {
        let mut execution = sample_execution();
        execution.status = ExecStatus::Running;
        let mut a = Invocation::pending("i-a");
        let mut b = Invocation::pending("i-b");
        assert_eq!(
            execution
                .merge_invocations(vec![b.clone(), a.clone()])
                .len(),
            2
        );
        assert_eq!(execution.invocations[0].instance_id, "i-a");
        assert_eq!(execution.outcome(), None);
        a.status = InvStatus::Succeeded;
        b.status = InvStatus::TimedOut;
        assert_eq!(execution.merge_invocations(vec![a.clone()]).len(), 1);
        assert!(execution.merge_invocations(vec![a.clone()]).is_empty());
        execution.merge_invocations(vec![b.clone()]);
        assert_eq!(execution.outcome(), Some(ExecStatus::TimedOut));
        b.status = InvStatus::Failed;
        execution.merge_invocations(vec![b]);
        assert_eq!(execution.outcome(), Some(ExecStatus::Failed));
        execution.status = ExecStatus::Cancelling;
        assert_eq!(execution.outcome(), Some(ExecStatus::Cancelled));
    }

    #[test]
    fn polling_backs_off_and_resets_on_change() {
        let mut execution = sample_execution();
        assert_eq!(execution.next_poll(false), 500);
        assert_eq!(execution.next_poll(false), 1000);
        assert_eq!(execution.next_poll(false), 2000);
        for _ in 0..10 {
            execution.next_poll(false);
        }
        assert_eq!(execution.poll_interval_ms, 30_000);
        assert_eq!(execution.next_poll(true), 500);
    }

    #[test]
    fn automation_statuses_map_to_step_and_execution_statuses() {
        for (ssm, step) in [
            ("Pending", StepStatus::Pending),
            ("Scheduled", StepStatus::Pending),
            ("InProgress", StepStatus::InProgress),
            ("Waiting", StepStatus::Waiting),
            ("PendingApproval", StepStatus::Waiting),
            ("Success", StepStatus::Succeeded),
            ("CompletedWithSuccess", StepStatus::Succeeded),
            ("TimedOut", StepStatus::TimedOut),
            ("Cancelling", StepStatus::Cancelling),
            ("Cancelled", StepStatus::Cancelled),
            ("Failed", StepStatus::Failed),
            ("Exited", StepStatus::Failed),
            ("SomethingNew", StepStatus::Failed),
        ] {
            assert_eq!(StepStatus::from_ssm(ssm), step, "{ssm}");
        }
        for (ssm, outcome) in [
            ("Pending", None),
            ("InProgress", None),
            ("Waiting", None),
            ("PendingApproval", None),
            ("Cancelling", None),
            ("RunbookInProgress", None),
            ("Success", Some(ExecStatus::Succeeded)),
            ("CompletedWithSuccess", Some(ExecStatus::Succeeded)),
            ("Failed", Some(ExecStatus::Failed)),
            ("CompletedWithFailure", Some(ExecStatus::Failed)),
            ("Rejected", Some(ExecStatus::Failed)),
            ("TimedOut", Some(ExecStatus::TimedOut)),
            ("Cancelled", Some(ExecStatus::Cancelled)),
        ] {
            assert_eq!(automation_outcome(ssm), outcome, "{ssm}");
        }
    }

    #[test]
    fn automation_runs_send_targets_in_their_parameter_and_report_steps() {
        let (id, restart) = built_in_runbooks()
            .into_iter()
            .find(|(id, _)| *id == "builtin-restart-ec2-instance")
            .expect("built in");
        let mut execution = Execution::queued(NewExecution {
            id: "e".into(),
            company_id: "c",
            runbook_id: id,
            runbook: &restart,
            values: BTreeMap::new(),
            targets: Targets {
                instance_ids: vec!["i-0123456789abcdef0".into()],
                tags: Vec::new(),
            },
            requested_by: "t".into(),
            now: 0,
        });
        assert_eq!(execution.kind, RunbookKind::Automation);
        assert_eq!(
            execution.automation_parameters(),
            BTreeMap::from([(
                "InstanceId".to_owned(),
                vec!["i-0123456789abcdef0".to_owned()]
            )])
        );
        assert_eq!(execution.ssm_reference(), "not sent");
        execution.command_id = "auto-1".into();
        assert_eq!(execution.ssm_reference(), "SSM automation execution auto-1");
        let step = |status: StepStatus| AutomationStep {
            step_execution_id: "s1".into(),
            name: "stopInstances".into(),
            action: "aws:changeInstanceState".into(),
            status,
            status_details: status.name().into(),
            failure_message: String::new(),
            start_at: None,
            end_at: None,
        };
        assert_eq!(
            execution
                .merge_steps(vec![step(StepStatus::InProgress)])
                .len(),
            1
        );
        assert!(
            execution
                .merge_steps(vec![step(StepStatus::InProgress)])
                .is_empty()
        );
        assert!(execution.merge_steps(Vec::new()).is_empty());
        assert_eq!(execution.steps.len(), 1, "an empty answer keeps the steps");
        let mut failed = step(StepStatus::Failed);
        failed.failure_message = "instance not found".into();
        assert_eq!(execution.merge_steps(vec![failed]).len(), 1);
        assert_eq!(
            execution.automation_reason(ExecStatus::Failed, ""),
            "step stopInstances (aws:changeInstanceState): Failed: instance not found"
        );
        assert_eq!(
            execution.automation_reason(ExecStatus::Failed, "Step fails"),
            "automation failed: Step fails"
        );
        let mut waiting = step(StepStatus::Waiting);
        waiting.action = "aws:approve".into();
        assert!(
            waiting
                .summary()
                .ends_with("(an aws:approve step: ApproveExecution or RejectExecution)")
        );
    }

    fn approve_step(status: StepStatus) -> AutomationStep {
        AutomationStep {
            step_execution_id: "s-approve".into(),
            name: "approveChange".into(),
            action: APPROVE_ACTION.into(),
            status,
            status_details: status.name().into(),
            failure_message: String::new(),
            start_at: None,
            end_at: None,
        }
    }

    /// A running Automation execution sent as "auto-1" with `steps`.
    fn running_automation(steps: Vec<AutomationStep>) -> Execution {
        let mut execution = sample_execution();
        execution.kind = RunbookKind::Automation;
        execution.status = ExecStatus::Running;
        execution.command_id = "auto-1".into();
        execution.steps = steps;
        execution
    }

    #[test]
    fn start_approval_queues_rejects_and_expires() {
        let mut execution = sample_execution();
        let error = execution.approve("ada", "", 10).unwrap_err();
        assert!(
            error
                .to_string()
                .contains("is queued, not waiting for approval"),
            "{error}"
        );
        execution.status = ExecStatus::PendingApproval;
        execution.approval_expires_at = Some(100);
        let approved = execution.clone().approve("ada", "go", 10).unwrap();
        assert_eq!(
            (approved.kind, approved.message.as_str()),
            (ExecEventKind::Approved, "approved: go")
        );
        let mut expired = execution.clone();
        assert!(
            expired
                .approve("ada", "", 100)
                .unwrap_err()
                .to_string()
                .contains("expired")
        );
        assert_eq!(expired.expire_if_due(99), None);
        let ended = expired.expire_if_due(100).expect("due");
        assert_eq!(
            (ended.kind, expired.status),
            (ExecEventKind::Expired, ExecStatus::Expired)
        );
        let rejected = execution.reject("bob", "not now", 10).unwrap();
        assert_eq!(rejected.message, "rejected: not now");
        assert_eq!(execution.status, ExecStatus::Rejected);
        assert_eq!(
            (execution.rejected_by.as_str(), execution.ended_at),
            ("bob", Some(10))
        );
    }

    #[test]
    fn cancel_before_and_after_sending() {
        let mut queued = sample_execution();
        assert!(!queued.cancel_needs_stop().unwrap());
        let cancelled = queued.cancel("ada", "", None, 5).unwrap();
        assert_eq!(cancelled.kind, ExecEventKind::Cancelled);
        assert_eq!(
            (queued.status, queued.ended_at),
            (ExecStatus::Cancelled, Some(5))
        );
        assert!(
            queued.cancel_needs_stop().is_err(),
            "a cancelled one cannot be cancelled"
        );
        let mut sending = sample_execution();
        sending.status = ExecStatus::Running;
        assert!(
            sending
                .cancel_needs_stop()
                .unwrap_err()
                .to_string()
                .contains("being sent")
        );
        assert!(
            sending
                .cancel("ada", "", None, 5)
                .unwrap_err()
                .to_string()
                .contains("sent to SSM meanwhile")
        );
        let mut sent = running_automation(Vec::new());
        assert!(sent.cancel_needs_stop().unwrap());
        let requested = sent
            .cancel(
                "ada",
                "window closed",
                Some("SSM StopAutomationExecution"),
                5,
            )
            .unwrap();
        assert_eq!(
            requested.message,
            "SSM StopAutomationExecution sent; cancelled by ada: window closed"
        );
        assert_eq!(sent.status, ExecStatus::Cancelling);
        assert_eq!(
            sent.automation_end(ExecStatus::Failed, "x"),
            (
                ExecStatus::Cancelled,
                "cancelled by ada: window closed".to_owned()
            )
        );
    }

    #[test]
    fn an_approve_step_is_signalled_and_a_rejection_ends_rejected() {
        assert!(
            running_automation(vec![approve_step(StepStatus::InProgress)])
                .waiting_approval_step()
                .is_none()
        );
        let mut other = approve_step(StepStatus::Waiting);
        other.action = "aws:sleep".into();
        assert!(
            running_automation(vec![other])
                .waiting_approval_step()
                .is_none()
        );
        let mut run_command = running_automation(vec![approve_step(StepStatus::Waiting)]);
        run_command.kind = RunbookKind::RunCommand;
        assert!(run_command.waiting_approval_step().is_none());

        let mut execution = running_automation(vec![approve_step(StepStatus::Waiting)]);
        assert_eq!(
            execution.waiting_approval_step().map(|s| s.name.as_str()),
            Some("approveChange")
        );
        let approved = execution
            .signal_step("s-approve", StepSignal::Approve, "ada", "CHG-1", 7)
            .unwrap();
        assert_eq!(approved.kind, ExecEventKind::StepApproved);
        assert_eq!(
            approved.message,
            "approved step approveChange (aws:approve) in SSM: CHG-1"
        );
        assert_eq!(execution.steps[0].status, StepStatus::InProgress);
        assert_eq!(execution.approved_by, "ada");
        assert!(execution.waiting_approval_step().is_none());
        assert_eq!(
            execution.automation_end(ExecStatus::Succeeded, "").0,
            ExecStatus::Succeeded
        );

        let mut execution = running_automation(vec![approve_step(StepStatus::Waiting)]);
        assert!(
            execution
                .signal_step("nope", StepSignal::Reject, "bob", "no", 7)
                .is_err()
        );
        let rejected = execution
            .signal_step(
                "s-approve",
                StepSignal::Reject,
                "bob",
                "outside the window",
                7,
            )
            .unwrap();
        assert_eq!(rejected.kind, ExecEventKind::StepRejected);
        assert_eq!(execution.steps[0].status, StepStatus::Failed);
        assert_eq!(
            execution.automation_end(ExecStatus::Failed, "Step was rejected"),
            (
                ExecStatus::Rejected,
                "step approveChange (aws:approve) rejected by bob: outside the window".to_owned()
            )
        );
        let finished = execution.finish(ExecStatus::Rejected, "r".into(), 9);
        assert_eq!(finished.kind, ExecEventKind::Rejected);
        assert!(
            execution
                .signal_step("s-approve", StepSignal::Approve, "ada", "", 10)
                .is_err(),
            "a finished execution takes no answer"
        );
    }

    fn sample_execution() -> Execution {
        let (id, runbook) = built_in_runbooks().remove(1);
        Execution::queued(NewExecution {
            id: "e".into(),
            company_id: "c",
            runbook_id: id,
            runbook: &runbook,
            values: BTreeMap::new(),
            targets: Targets::default(),
            requested_by: "t".into(),
            now: 0,
        })
    }
}
