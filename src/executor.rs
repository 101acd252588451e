//! The runbook executor: one task per server that moves executions along.
//!
//! It looks at the executions that are due (an indexed `next_check_at`),
//! oldest first: it expires approvals nobody gave in time, sends queued
//! commands through SSM Run Command in the company's account (within the
//! company's concurrency limit, and never to an asset under a silence), polls
//! sent commands' invocations with backoff (ListCommandInvocations, then
//! GetCommandInvocation per unfinished instance) until they finish, and
//! finally writes the result into the incident: a successful rule run
//! resolves it as self-healed, a failed one raises its priority and assigns
//! it. Everything it knows is in the database, so after a restart it simply
//! carries on; replicas share the work through compare-and-set on each row.

use std::sync::Arc;
use std::time::Duration;
use tracing::Instrument;

use aws_sdk_ssm::error::ProvideErrorMetadata;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use crate::aws::{Aws, CompanyRole, aws_error};
use crate::domain::execution::{
    AutomationStep, ExecEventKind, ExecStatus, Execution, InvStatus, Invocation, MAX_STDERR,
    MAX_STDOUT, StepStatus, TRACKING_GRACE, Trigger, automation_outcome, bounded,
};
use crate::domain::lifecycle::{IncidentCommand, RemediationOutcome};
use crate::domain::runbook::RunbookKind;
use crate::error::{Error, Result};
use crate::metrics::Metrics;
use crate::owner::Owners;
use crate::owner::command::ExecChange;
use crate::store::execution::Versioned;
use crate::store::{Scope, Store, now_ms};

/// Who the executor acts as in logs and timelines.
pub const ACTOR: &str = "system";
/// Longest sleep between two looks at the due executions.
const IDLE: Duration = Duration::from_secs(1);
/// How long a claimed send may stay without a command id before it is
/// declared lost (the server stopped between claiming and recording it).
const LOST_SEND_MS: i64 = 120_000;
/// How long a queued execution waits before it looks for a free slot again.
const SLOT_RETRY_MS: i64 = 2_000;
/// Executions handled per look.
const BATCH: u64 = 50;

/// The executor's handle: wakes it when something became due.
#[derive(Debug, Clone)]
pub struct ExecutorHandle {
    wake: Arc<Notify>,
}

impl ExecutorHandle {
    /// A handle on `wake` (the projector wakes the executor through it when
    /// execution rows reach the tables).
    pub fn new(wake: Arc<Notify>) -> Self {
        Self { wake }
    }

    /// Makes the executor look at the due executions now.
    pub fn wake(&self) {
        self.wake.notify_one();
    }
}

/// The runbook executor.
pub struct Executor {
    store: Store,
    owners: Owners,
    aws: Arc<Aws>,
    metrics: Arc<Metrics>,
    max_running: u64,
}

impl std::fmt::Debug for Executor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Executor")
            .field("max_running", &self.max_running)
            .finish_non_exhaustive()
    }
}

impl Executor {
    /// Starts the executor task, woken through `handle`; it stops on `shutdown`.
    pub fn start(
        store: Store,
        owners: Owners,
        aws: Arc<Aws>,
        metrics: Arc<Metrics>,
        max_running: u64,
        handle: ExecutorHandle,
        shutdown: CancellationToken,
    ) -> ExecutorHandle {
        let executor = Self {
            store,
            owners,
            aws,
            metrics,
            max_running,
        };
        let wake = handle.wake.clone();
        tokio::spawn(async move {
            loop {
                let pause = match executor.round().await {
                    Ok(pause) => pause,
                    Err(error) => {
                        tracing::warn!(%error, "runbook executor round failed");
                        IDLE
                    }
                };
                tokio::select! {
                    () = shutdown.cancelled() => break,
                    () = wake.notified() => {}
                    () = tokio::time::sleep(pause) => {}
                }
            }
        });
        handle
    }

    /// Handles what is due; answers how long to sleep.
    async fn round(&self) -> Result<Duration> {
        // What the owners answered is in the tables the executor reads.
        self.owners.read_barrier().await;
        let now = now_ms();
        let due = self.store.due_executions(now, BATCH).await?;
        let full = u64::try_from(due.len()).unwrap_or(0) >= BATCH;
        for item in due {
            let id = item.execution.id.clone();
            if let Err(error) = self.step(item).await {
                tracing::warn!(execution = %id, %error, "runbook execution step failed");
            }
        }
        if full {
            return Ok(Duration::ZERO);
        }
        let next = self.store.next_due().await?;
        let now = now_ms();
        Ok(next.map_or(IDLE, |at| {
            Duration::from_millis(u64::try_from((at - now).clamp(10, 1000)).unwrap_or(1000))
        }))
    }

    /// Moves one execution a step, in a span of its own: the AWS SDK's
    /// spans of the step (SendCommand, GetCommandInvocation, …) are its
    /// children.
    async fn step(&self, item: Versioned) -> Result<()> {
        let span = tracing::debug_span!(
            "execution.step",
            company_id = %item.execution.company_id,
            incident_id = item.execution.incident_id.as_deref().unwrap_or_default(),
            execution_id = %item.execution.id,
            status = item.execution.status.name(),
        );
        self.step_in_span(item).instrument(span).await
    }

    async fn step_in_span(&self, item: Versioned) -> Result<()> {
        let Versioned {
            mut execution,
            version,
        } = item;
        let now = now_ms();
        match execution.status {
            ExecStatus::PendingApproval => {
                let changes = match execution.expire_if_due(now) {
                    Some(expired) => {
                        self.metrics.record_execution(execution.status.name());
                        vec![ExecChange::new(expired.kind, ACTOR, expired.message)]
                    }
                    None => Vec::new(),
                };
                self.save(version, &execution, changes).await
            }
            ExecStatus::Queued => self.send(version, execution, now).await,
            ExecStatus::Running | ExecStatus::Cancelling if execution.command_id.is_empty() => {
                if execution.started_at.unwrap_or(now) > now - LOST_SEND_MS {
                    execution.updated_at = now;
                    execution.poll_interval_ms = SLOT_RETRY_MS;
                    return self.save(version, &execution, Vec::new()).await;
                }
                let reason = match execution.kind {
                    RunbookKind::RunCommand => {
                        "the server stopped while sending the command; it may or may not have reached SSM (look for the comment with this execution's id in SSM Run Command history)"
                    }
                    RunbookKind::Automation => {
                        "the server stopped while starting the automation; it may or may not have reached SSM (look for the tag alert-whisperer-execution with this execution's id in SSM Automation executions)"
                    }
                };
                self.finish(
                    version,
                    execution,
                    ExecStatus::Failed,
                    reason.to_owned(),
                    now,
                )
                .await
            }
            ExecStatus::Running | ExecStatus::Cancelling => {
                self.poll(version, execution, now).await
            }
            _ if execution.owes_incident() => self.apply_to_incident(version, execution).await,
            _ => {
                execution.updated_at = now;
                self.save(version, &execution, Vec::new()).await
            }
        }
    }

    /// Writes a change; a lost compare-and-set means another replica moved it.
    async fn save(
        &self,
        version: i64,
        execution: &Execution,
        changes: Vec<ExecChange>,
    ) -> Result<()> {
        self.owners
            .update_execution(version, execution, changes, None)
            .await?;
        Ok(())
    }

    async fn finish(
        &self,
        version: i64,
        mut execution: Execution,
        status: ExecStatus,
        reason: String,
        now: i64,
    ) -> Result<()> {
        let finished = execution.finish(status, reason, now);
        self.metrics.record_execution(status.name());
        self.save(
            version,
            &execution,
            vec![ExecChange::new(finished.kind, ACTOR, finished.message)],
        )
        .await
    }

    async fn send(&self, version: i64, mut execution: Execution, now: i64) -> Result<()> {
        execution.updated_at = now;
        if execution.trigger == Trigger::Rule
            && let Some(silence) = self.store.execution_silenced(&execution, now).await?
        {
            // A guardrail, not a failed remediation: it never ran.
            execution.status = ExecStatus::Cancelled;
            execution.ended_at = Some(now);
            execution.status_reason = format!(
                "not sent: {} is under silence {silence} (maintenance)",
                execution.asset
            );
            return self.not_sent(version, execution).await;
        }
        // Without AWS or a role nothing can be sent: not a failed remediation.
        let ssm = match self.client(&execution).await {
            Ok(client) => client,
            Err(error) => {
                execution.status = ExecStatus::Cancelled;
                execution.ended_at = Some(now);
                execution.status_reason = format!("not sent: {error}");
                return self.not_sent(version, execution).await;
            }
        };
        let running = self.store.running_count(&execution.company_id).await?;
        if running >= self.max_running {
            let reason = format!(
                "waiting for a slot: {running} of the company's {} concurrent executions are running",
                self.max_running
            );
            execution.poll_interval_ms = SLOT_RETRY_MS;
            execution.status_reason = reason;
            return self.save(version, &execution, Vec::new()).await;
        }
        // Claim it: only the replica whose compare-and-set wins sends.
        execution.status = ExecStatus::Running;
        execution.status_reason = "sending".to_owned();
        execution.started_at = Some(now);
        execution.poll_interval_ms = LOST_SEND_MS;
        if self
            .owners
            .update_execution(version, &execution, Vec::new(), None)
            .await?
            .is_none()
        {
            return Ok(());
        }
        let version = version + 1;
        let sent = match execution.kind {
            RunbookKind::RunCommand => self.send_command(&ssm, &mut execution).await,
            RunbookKind::Automation => self.start_automation(&ssm, &mut execution).await,
        };
        match sent {
            Ok(()) => {
                let now = now_ms();
                execution.updated_at = now;
                execution.status_reason = String::new();
                execution.next_poll(true);
                let message = format!(
                    "{} as {} ({} {}) under {}",
                    match execution.kind {
                        RunbookKind::RunCommand => "sent",
                        RunbookKind::Automation => "started",
                    },
                    execution.ssm_reference(),
                    execution.document_name,
                    execution.document_version,
                    execution.assumed_role_arn
                );
                self.save(
                    version,
                    &execution,
                    vec![ExecChange::new(ExecEventKind::Started, ACTOR, message)],
                )
                .await
            }
            Err(error) => {
                self.finish(
                    version,
                    execution,
                    ExecStatus::Failed,
                    error.to_string(),
                    now_ms(),
                )
                .await
            }
        }
    }

    /// Records an execution a guardrail stopped before it was sent.
    async fn not_sent(&self, version: i64, execution: Execution) -> Result<()> {
        self.metrics.record_execution(execution.status.name());
        let reason = execution.status_reason.clone();
        self.save(
            version,
            &execution,
            vec![ExecChange::new(ExecEventKind::Cancelled, ACTOR, reason)],
        )
        .await
    }

    /// The company's role and an SSM client acting through it.
    async fn client(&self, execution: &Execution) -> Result<(CompanyRole, aws_sdk_ssm::Client)> {
        let role = self.role_of(execution).await?;
        let ssm = self.aws.ssm(&role).await?;
        Ok((role, ssm))
    }

    async fn role_of(&self, execution: &Execution) -> Result<CompanyRole> {
        let company = self
            .store
            .get_company(&Scope::All, &execution.company_id)
            .await?;
        CompanyRole::of(&company)
    }

    async fn send_command(
        &self,
        (role, ssm): &(CompanyRole, aws_sdk_ssm::Client),
        execution: &mut Execution,
    ) -> Result<()> {
        let mut call = ssm
            .send_command()
            .document_name(&execution.document_name)
            .document_version(&execution.document_version)
            .timeout_seconds(i32::try_from(execution.timeout_seconds).unwrap_or(i32::MAX))
            .max_concurrency(&execution.max_concurrency)
            .max_errors(&execution.max_errors)
            .comment(format!("alert-whisperer execution {}", execution.id))
            .set_parameters(Some(execution.ssm_parameters.clone().into_iter().collect()));
        if execution.targets.instance_ids.is_empty() {
            for (key, values) in &execution.targets.tags {
                call = call.targets(
                    aws_sdk_ssm::types::Target::builder()
                        .key(format!("tag:{key}"))
                        .set_values(Some(values.clone()))
                        .build(),
                );
            }
        } else {
            call = call.set_instance_ids(Some(execution.targets.instance_ids.clone()));
        }
        let answer = call
            .send()
            .await
            .map_err(|error| aws_error("ssm:SendCommand", role, error))?;
        let command = answer
            .command()
            .ok_or_else(|| Error::Upstream("SSM SendCommand answered no command".to_owned()))?;
        execution.command_id = command.command_id().unwrap_or_default().to_owned();
        execution.assumed_role_arn = role.role_arn.clone();
        let fresh = execution
            .targets
            .instance_ids
            .iter()
            .map(|id| Invocation::pending(id))
            .collect();
        execution.merge_invocations(fresh);
        Ok(())
    }

    /// StartAutomationExecution: the document and version, the parameters
    /// (the target instance ids in the target parameter), or, with tag
    /// targets, rate control over `TargetParameterName` and `Targets`.
    async fn start_automation(
        &self,
        (role, ssm): &(CompanyRole, aws_sdk_ssm::Client),
        execution: &mut Execution,
    ) -> Result<()> {
        let mut call = ssm
            .start_automation_execution()
            .document_name(&execution.document_name)
            .document_version(&execution.document_version)
            .client_token(&execution.id)
            .tags(
                aws_sdk_ssm::types::Tag::builder()
                    .key("alert-whisperer-execution")
                    .value(&execution.id)
                    .build()
                    .map_err(|error| Error::Internal(format!("automation tag: {error}")))?,
            )
            .set_parameters(Some(
                execution.automation_parameters().into_iter().collect(),
            ));
        if execution.targets.instance_ids.is_empty()
            && !execution.targets.tags.is_empty()
            && !execution.target_parameter.is_empty()
        {
            call = call
                .target_parameter_name(&execution.target_parameter)
                .max_concurrency(&execution.max_concurrency)
                .max_errors(&execution.max_errors);
            for (key, values) in &execution.targets.tags {
                call = call.targets(
                    aws_sdk_ssm::types::Target::builder()
                        .key(format!("tag:{key}"))
                        .set_values(Some(values.clone()))
                        .build(),
                );
            }
        }
        let answer = call
            .send()
            .await
            .map_err(|error| aws_error("ssm:StartAutomationExecution", role, error))?;
        execution.command_id = answer
            .automation_execution_id()
            .ok_or_else(|| {
                Error::Upstream("SSM StartAutomationExecution answered no execution id".to_owned())
            })?
            .to_owned();
        execution.assumed_role_arn = role.role_arn.clone();
        Ok(())
    }

    /// Polls an Automation execution: GetAutomationExecution for its status,
    /// DescribeAutomationStepExecutions for its steps; finishes it with the
    /// automation's final status.
    async fn poll_automation(
        &self,
        version: i64,
        mut execution: Execution,
        now: i64,
    ) -> Result<()> {
        let fetched = match self.fetch_automation(&execution).await {
            Ok(fetched) => Some(fetched),
            Err(error) => {
                tracing::warn!(execution = %execution.id, %error, "polling SSM automation failed");
                None
            }
        };
        let mut changes = Vec::new();
        let mut outcome = None;
        if let Some((status, failure_message, steps)) = fetched {
            changes = execution
                .merge_steps(steps)
                .iter()
                .map(|step| ExecChange::new(ExecEventKind::StepUpdated, ACTOR, step.summary()))
                .collect();
            outcome = automation_outcome(&status)
                .map(|finished| execution.automation_end(finished, &failure_message));
        }
        execution.next_poll(!changes.is_empty());
        execution.updated_at = now;
        if let Some((status, reason)) = outcome {
            let finished = execution.finish(status, reason, now);
            self.metrics.record_execution(status.name());
            changes.push(ExecChange::new(finished.kind, ACTOR, finished.message));
            return self.save(version, &execution, changes).await;
        }
        let deadline = tracking_deadline(&execution, now);
        if now > deadline {
            let (status, reason) = overdue(&execution, "StopAutomationExecution");
            if let Ok((role, ssm)) = self.client(&execution).await
                && let Err(error) = ssm
                    .stop_automation_execution()
                    .automation_execution_id(&execution.command_id)
                    .r#type(aws_sdk_ssm::types::StopType::Cancel)
                    .send()
                    .await
            {
                tracing::warn!(execution = %execution.id, error = %aws_error("ssm:StopAutomationExecution", &role, error), "stopping a timed-out automation failed");
            }
            execution.steps.iter_mut().for_each(|step| {
                if matches!(step.status, StepStatus::InProgress | StepStatus::Waiting) {
                    step.status = StepStatus::Cancelled;
                }
            });
            return self.finish(version, execution, status, reason, now).await;
        }
        self.save(version, &execution, changes).await
    }

    /// The automation's overall status and failure message, and its steps.
    async fn fetch_automation(
        &self,
        execution: &Execution,
    ) -> Result<(String, String, Vec<AutomationStep>)> {
        let role = self.role_of(execution).await?;
        let ssm = self.aws.ssm(&role).await?;
        let answer = ssm
            .get_automation_execution()
            .automation_execution_id(&execution.command_id)
            .send()
            .await
            .map_err(|error| aws_error("ssm:GetAutomationExecution", &role, error))?;
        let automation = answer.automation_execution();
        let status = automation
            .and_then(|a| a.automation_execution_status())
            .map_or("Pending", |s| s.as_str())
            .to_owned();
        let failure_message = automation
            .and_then(|a| a.failure_message())
            .unwrap_or_default()
            .to_owned();
        let mut steps = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let page = ssm
                .describe_automation_step_executions()
                .automation_execution_id(&execution.command_id)
                .set_next_token(token.clone())
                .send()
                .await
                .map_err(|error| aws_error("ssm:DescribeAutomationStepExecutions", &role, error))?;
            for step in page.step_executions() {
                let details = step.step_status().map_or("Pending", |s| s.as_str());
                steps.push(AutomationStep {
                    step_execution_id: step.step_execution_id().unwrap_or_default().to_owned(),
                    name: step.step_name().unwrap_or_default().to_owned(),
                    action: step.action().unwrap_or_default().to_owned(),
                    status: StepStatus::from_ssm(details),
                    status_details: details.to_owned(),
                    failure_message: step.failure_message().unwrap_or_default().to_owned(),
                    start_at: step.execution_start_time().map(epoch_ms),
                    end_at: step.execution_end_time().map(epoch_ms),
                });
            }
            token = page.next_token().map(str::to_owned);
            if token.is_none() {
                break;
            }
        }
        Ok((status, failure_message, steps))
    }

    async fn poll(&self, version: i64, mut execution: Execution, now: i64) -> Result<()> {
        if execution.kind == RunbookKind::Automation {
            return self.poll_automation(version, execution, now).await;
        }
        let fresh = match self.fetch_invocations(&execution).await {
            Ok(fresh) => fresh,
            Err(error) => {
                // AWS trouble: try again later, but not forever.
                tracing::warn!(execution = %execution.id, %error, "polling SSM failed");
                Vec::new()
            }
        };
        let changed = execution.merge_invocations(fresh);
        let mut changes: Vec<ExecChange> = changed
            .iter()
            .map(|invocation| {
                ExecChange::new(
                    ExecEventKind::InvocationUpdated,
                    ACTOR,
                    invocation.summary(),
                )
            })
            .collect();
        execution.next_poll(!changes.is_empty());
        execution.updated_at = now;
        let deadline = tracking_deadline(&execution, now);
        let outcome = if execution.invocations.is_empty() {
            None
        } else {
            execution.outcome()
        };
        if let Some(status) = outcome {
            let reason = execution.outcome_reason();
            execution.status = status;
            execution.status_reason.clone_from(&reason);
            execution.ended_at = Some(now);
            self.metrics.record_execution(status.name());
            changes.push(ExecChange::new(
                ExecEventKind::finishing(status),
                ACTOR,
                reason,
            ));
        } else if execution.invocations.is_empty() && self.no_targets(&execution).await? {
            return self
                .finish(
                    version,
                    execution,
                    ExecStatus::Failed,
                    "the targets matched no managed instance".to_owned(),
                    now,
                )
                .await;
        } else if now > deadline {
            let (status, reason) = overdue(&execution, "CancelCommand");
            // Best effort: stop whatever still runs on the instances.
            if let Ok((role, ssm)) = self.client(&execution).await
                && let Err(error) = ssm
                    .cancel_command()
                    .command_id(&execution.command_id)
                    .send()
                    .await
            {
                tracing::warn!(execution = %execution.id, error = %aws_error("ssm:CancelCommand", &role, error), "cancelling a timed-out command failed");
            }
            return self.finish(version, execution, status, reason, now).await;
        }
        self.save(version, &execution, changes).await
    }

    /// Whether SSM finished a command that had no instance to run on.
    async fn no_targets(&self, execution: &Execution) -> Result<bool> {
        let role = self.role_of(execution).await?;
        let ssm = self.aws.ssm(&role).await?;
        let answer = ssm
            .list_commands()
            .command_id(&execution.command_id)
            .send()
            .await
            .map_err(|error| aws_error("ssm:ListCommands", &role, error))?;
        Ok(answer.commands().first().is_some_and(|command| {
            command.target_count() == 0
                && !matches!(
                    command.status(),
                    Some(
                        aws_sdk_ssm::types::CommandStatus::Pending
                            | aws_sdk_ssm::types::CommandStatus::InProgress
                    )
                )
        }))
    }

    /// The command's invocations as SSM reports them now: the instance list
    /// from ListCommandInvocations, then GetCommandInvocation (status, exit
    /// code, output) for each instance not finished yet.
    async fn fetch_invocations(&self, execution: &Execution) -> Result<Vec<Invocation>> {
        let role = self.role_of(execution).await?;
        let ssm = self.aws.ssm(&role).await?;
        let mut instances = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let answer = ssm
                .list_command_invocations()
                .command_id(&execution.command_id)
                .set_next_token(token.clone())
                .send()
                .await
                .map_err(|error| aws_error("ssm:ListCommandInvocations", &role, error))?;
            for invocation in answer.command_invocations() {
                if let Some(id) = invocation.instance_id() {
                    instances.push(id.to_owned());
                }
            }
            token = answer.next_token().map(str::to_owned);
            if token.is_none() {
                break;
            }
        }
        for known in &execution.invocations {
            if !instances.contains(&known.instance_id) {
                instances.push(known.instance_id.clone());
            }
        }
        let mut fresh = Vec::new();
        for instance_id in instances {
            if execution
                .invocations
                .iter()
                .any(|known| known.instance_id == instance_id && known.status.is_terminal())
            {
                continue;
            }
            let answer = match ssm
                .get_command_invocation()
                .command_id(&execution.command_id)
                .instance_id(&instance_id)
                .send()
                .await
            {
                Ok(answer) => answer,
                // Right after SendCommand the invocation may not exist yet.
                Err(error) if error.code() == Some("InvocationDoesNotExist") => {
                    fresh.push(Invocation::pending(&instance_id));
                    continue;
                }
                Err(error) => {
                    return Err(aws_error("ssm:GetCommandInvocation", &role, error));
                }
            };
            let status = InvStatus::from_ssm(
                answer
                    .status()
                    .map(aws_sdk_ssm::types::CommandInvocationStatus::as_str)
                    .unwrap_or("Pending"),
            );
            let (stdout, stdout_truncated) = bounded(
                answer.standard_output_content().unwrap_or_default(),
                MAX_STDOUT,
            );
            let (stderr, stderr_truncated) = bounded(
                answer.standard_error_content().unwrap_or_default(),
                MAX_STDERR,
            );
            fresh.push(Invocation {
                instance_id,
                status,
                status_details: answer.status_details().unwrap_or_default().to_owned(),
                response_code: answer.response_code(),
                stdout,
                stdout_truncated,
                stderr,
                stderr_truncated,
                start_at: parse_time(answer.execution_start_date_time()),
                end_at: parse_time(answer.execution_end_date_time()),
            });
        }
        Ok(fresh)
    }

    /// Writes a finished execution's result into its incident, once: the
    /// incident's change and the execution's "done" mark are one decision
    /// of the company's owner, logged as one record.
    async fn apply_to_incident(&self, version: i64, mut execution: Execution) -> Result<()> {
        if execution.incident_id.is_none() {
            return Ok(());
        }
        let actor = format!("execution:{}", execution.id);
        let status = execution.status;
        let summary = format!(
            "runbook {:?} {} ({}, execution {})",
            execution.runbook_name,
            status.name(),
            execution.ssm_reference(),
            execution.id
        );
        let outcome = match status {
            ExecStatus::Succeeded => RemediationOutcome::Succeeded,
            ExecStatus::Failed | ExecStatus::TimedOut => RemediationOutcome::Failed,
            _ => RemediationOutcome::Ended,
        };
        let command = IncidentCommand::RemediationFinished {
            outcome,
            by_rule: execution.trigger == Trigger::Rule,
            summary,
            reason: execution.status_reason.clone(),
        };
        execution.incident_done = true;
        execution.updated_at = now_ms();
        self.owners
            .update_execution(version, &execution, Vec::new(), Some((actor, command)))
            .await?;
        Ok(())
    }
}

/// An SDK time in epoch milliseconds.
fn epoch_ms(time: &aws_sdk_ssm::primitives::DateTime) -> i64 {
    time.to_millis().unwrap_or(0)
}

/// SSM's invocation times ("2026-11-27T03:00:00.123Z"); None when empty.
fn parse_time(text: Option<&str>) -> Option<i64> {
    let text = text.filter(|t| !t.is_empty())?;
    chrono::DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|time| time.timestamp_millis())
}

/// When tracking gives up on an execution: its start, plus the runbook's
/// timeout, plus [`TRACKING_GRACE`].
fn tracking_deadline(execution: &Execution, now: i64) -> i64 {
    execution.started_at.unwrap_or(now)
        + i64::try_from(execution.timeout_seconds).unwrap_or(0) * 1000
        + i64::try_from(TRACKING_GRACE.as_millis()).unwrap_or(0)
}

/// How an execution past its deadline ends (cancelled if a cancel was under
/// way, else timed out) and why, naming the `stop` call sent to SSM.
fn overdue(execution: &Execution, stop: &str) -> (ExecStatus, String) {
    let status = if execution.status == ExecStatus::Cancelling {
        ExecStatus::Cancelled
    } else {
        ExecStatus::TimedOut
    };
    let reason = format!(
        "SSM reported no end within the runbook's timeout ({} s) plus {} s; {stop} sent",
        execution.timeout_seconds,
        TRACKING_GRACE.as_secs()
    );
    (status, reason)
}
