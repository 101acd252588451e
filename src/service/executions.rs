//! Executions: a run asked for by hand (ExecuteRunbook) and what a person
//! does to one (approve, reject, cancel), with the
//! SSM call each needs under the company's role, the lifecycle transition
//! (decided by `domain::execution`), its event and the audit entry. The
//! executor (`crate::executor`) sends and tracks them.

use std::collections::BTreeMap;

use aws_sdk_ssm::error::ProvideErrorMetadata;
use aws_sdk_ssm::types::{SignalType, StopType};

use crate::app::AppState;
use crate::auth::Operator;
use crate::aws::{CompanyRole, aws_error};
use crate::domain::execution::{
    ExecEventKind, Execution, NewExecution, StepSignal, Transition, with_note,
};
use crate::domain::runbook::{RunbookKind, RunbookSpec, Targets, resolve_parameters};
use crate::domain::tenant::Role;
use crate::error::{Error, Result};
use crate::owner::command::ExecChange;
use crate::store::runbook::spec_of;
use crate::store::tenant::Audit;
use crate::store::{new_id, now_ms};

/// Records a person's action on an execution in the audit log.
pub(crate) async fn audit(
    state: &AppState,
    operator: &Operator,
    action: &'static str,
    execution: &Execution,
    note: &str,
) -> Result<()> {
    state
        .store
        .record_audit(
            &Audit::new(operator.actor(), action),
            Some(&execution.company_id),
            "execution",
            &execution.id,
            serde_json::json!({
                "runbook_id": execution.runbook_id,
                "incident_id": execution.incident_id,
                "status": execution.status.name(),
                "note": note,
            }),
        )
        .await?;
    Ok(())
}

/// A run asked for by hand (ExecuteRunbook), its fields checked for shape.
#[derive(Debug)]
pub struct ManualRun<'a> {
    pub company_id: &'a str,
    pub runbook_id: &'a str,
    pub parameters: BTreeMap<String, String>,
    /// None: the runbook's default targets.
    pub targets: Option<Targets>,
    pub incident_id: Option<String>,
    pub comment: &'a str,
}

/// ExecuteRunbook (technician): a queued execution of the company's (or a
/// built-in) runbook, optionally for one of its incidents; the executor
/// sends it. Refused at once what the executor could only fail later (no
/// AWS, no role, bad targets or parameters). Audited.
pub async fn execute(
    state: &AppState,
    operator: &Operator,
    run: ManualRun<'_>,
) -> Result<Execution> {
    operator.require(Role::Technician)?;
    let ManualRun {
        company_id,
        runbook_id,
        comment,
        ..
    } = run;
    let company = state.store.get_company(&operator.scope, company_id).await?;
    let runbook = state.store.get_runbook(&operator.scope, runbook_id).await?;
    if runbook
        .company_id
        .as_deref()
        .is_some_and(|owner| owner != company_id)
    {
        return Err(Error::NotFound(format!("runbook {runbook_id}")));
    }
    let spec = spec_of(&runbook);
    let values = resolve_parameters("parameters", &spec, &run.parameters)?;
    let targets = match run.targets {
        Some(targets) if !spec.uses_targets() => {
            if !targets.instance_ids.is_empty() || !targets.tags.is_empty() {
                return Err(Error::invalid(
                    "targets",
                    format!(
                        "Automation runbook {:?} has no target_parameter_name and takes no targets",
                        spec.name
                    ),
                ));
            }
            Targets::default()
        }
        _ if !spec.uses_targets() => Targets::default(),
        Some(targets) => targets,
        None if !spec.targets.instance_ids.is_empty() || !spec.targets.tags.is_empty() => {
            spec.targets.clone()
        }
        None => {
            return Err(Error::invalid(
                "targets",
                format!(
                    "is required: runbook {:?} has no default targets",
                    spec.name
                ),
            ));
        }
    };
    if spec.uses_targets() && targets.instance_ids.is_empty() && targets.tags.is_empty() {
        return Err(Error::invalid(
            "targets",
            "name at least one instance id or tag selector",
        ));
    }
    if !targets.instance_ids.is_empty() && !targets.tags.is_empty() {
        return Err(Error::invalid(
            "targets",
            "set instance_ids or tags, not both",
        ));
    }
    RunbookSpec {
        targets: targets.clone(),
        ..spec.clone()
    }
    .validate()?;
    let incident = match run.incident_id {
        Some(incident_id) => {
            let incident = state
                .store
                .get_incident(&operator.scope, &incident_id)
                .await?;
            if incident.company_id != company_id {
                return Err(Error::NotFound(format!("incident {incident_id}")));
            }
            Some(incident)
        }
        None => None,
    };
    // Refuse now what the executor could only fail later.
    if !state.aws.is_configured() {
        return Err(Error::FailedPrecondition(
            "AWS is not configured on this server: set aws_region (ALERT_WHISPERER_AWS_REGION) and base credentials".to_owned(),
        ));
    }
    CompanyRole::of(&company)?;
    let now = now_ms();
    let mut execution = Execution::queued(NewExecution {
        id: new_id(),
        company_id,
        runbook_id: &runbook.id,
        runbook: &spec,
        values,
        targets,
        requested_by: operator.actor(),
        now,
    });
    if let Some(incident) = &incident {
        execution.incident_id = Some(incident.id.clone());
        execution.asset.clone_from(&incident.asset);
    }
    execution.comment = comment.to_owned();
    let message = with_note("requested by hand", comment);
    state
        .owners
        .insert_execution(
            &execution,
            ExecChange::new(ExecEventKind::Created, &operator.actor(), message),
        )
        .await?;
    audit(
        state,
        operator,
        "RunbookService.ExecuteRunbook",
        &execution,
        comment,
    )
    .await?;
    Ok(execution)
}

/// Applies a transition to an execution at the version read. If the executor
/// moved it in the meantime, the transition is decided again on the fresh
/// state (a few times) rather than failing the request.
async fn change(
    state: &AppState,
    operator: &Operator,
    id: &str,
    apply: impl Fn(&mut Execution, i64) -> crate::domain::error::Result<Transition>,
) -> Result<Execution> {
    let actor = operator.actor();
    for _ in 0..5 {
        // A version the owner moved meanwhile is in the tables after this.
        state.owners.read_barrier().await;
        let current = state.store.get_execution(&operator.scope, id).await?;
        let mut execution = current.execution;
        let transition = apply(&mut execution, now_ms())?;
        let change = ExecChange::new(transition.kind, &actor, transition.message);
        if state
            .owners
            .update_execution(current.version, &execution, vec![change], None)
            .await?
            .is_some()
        {
            if execution.status.is_terminal() {
                state.metrics.record_execution(execution.status.name());
            }
            return Ok(execution);
        }
    }
    Err(Error::FailedPrecondition(format!(
        "execution {id} kept changing while this request was handled; read it again and retry"
    )))
}

/// The execution as the tables hold it once the owner's writes are in.
async fn current(state: &AppState, operator: &Operator, id: &str) -> Result<Execution> {
    state.owners.read_barrier().await;
    Ok(state
        .store
        .get_execution(&operator.scope, id)
        .await?
        .execution)
}

/// ApproveExecution: an execution pending approval is queued to be sent; a
/// running Automation execution waiting on an `aws:approve` step has the
/// step approved in SSM.
pub async fn approve(
    state: &AppState,
    operator: &Operator,
    id: &str,
    comment: &str,
) -> Result<Execution> {
    answer(state, operator, id, StepSignal::Approve, comment).await
}

/// RejectExecution: an execution pending approval ends rejected; a running
/// Automation execution waiting on an `aws:approve` step has the step
/// rejected in SSM and ends rejected when SSM reports it failed.
pub async fn reject(
    state: &AppState,
    operator: &Operator,
    id: &str,
    reason: &str,
) -> Result<Execution> {
    answer(state, operator, id, StepSignal::Reject, reason).await
}

/// A person's answer to what an execution waits for: its start, or the
/// `aws:approve` step SSM waits on; audited either way.
async fn answer(
    state: &AppState,
    operator: &Operator,
    id: &str,
    answer: StepSignal,
    note: &str,
) -> Result<Execution> {
    operator.require(Role::Technician)?;
    let actor = operator.actor();
    let execution = match step_waiting(state, operator, id).await? {
        Some((execution, step)) => signal(state, operator, &execution, &step, answer, note).await?,
        None => {
            change(state, operator, id, |execution, now| match answer {
                StepSignal::Approve => execution.approve(&actor, note, now),
                StepSignal::Reject => execution.reject(&actor, note, now),
            })
            .await?
        }
    };
    let action = match answer {
        StepSignal::Approve => "RunbookService.ApproveExecution",
        StepSignal::Reject => "RunbookService.RejectExecution",
    };
    audit(state, operator, action, &execution, note).await?;
    Ok(execution)
}

/// The execution and the step execution id of the `aws:approve` step it
/// waits on, if it does.
async fn step_waiting(
    state: &AppState,
    operator: &Operator,
    id: &str,
) -> Result<Option<(Execution, String)>> {
    let execution = current(state, operator, id).await?;
    let step = execution
        .waiting_approval_step()
        .map(|step| step.step_execution_id.clone());
    Ok(step.map(|step| (execution, step)))
}

/// Sends a person's answer to the `aws:approve` step SSM waits on
/// (SendAutomationSignal under the company's role), then records it.
async fn signal(
    state: &AppState,
    operator: &Operator,
    execution: &Execution,
    step_execution_id: &str,
    answer: StepSignal,
    note: &str,
) -> Result<Execution> {
    let company = state
        .store
        .get_company(&operator.scope, &execution.company_id)
        .await?;
    let role = CompanyRole::of(&company)?;
    let ssm = state.aws.ssm(&role).await?;
    let mut call = ssm
        .send_automation_signal()
        .automation_execution_id(&execution.command_id)
        .signal_type(SignalType::from(answer.ssm_name()));
    if !note.is_empty() {
        call = call.payload("Comment", vec![note.to_owned()]);
    }
    match call.send().await {
        Ok(_) => {}
        // SSM moved on (approved elsewhere, timed out, stopped) before this
        // request: the next poll shows where it is.
        Err(error)
            if matches!(
                error.code(),
                Some("InvalidAutomationSignalException" | "AutomationStepNotFoundException")
            ) =>
        {
            return Err(Error::FailedPrecondition(format!(
                "SSM no longer waits for an approval of execution {}'s step ({}); read it again",
                execution.id,
                error.message().unwrap_or("invalid signal")
            )));
        }
        Err(error) => return Err(aws_error("ssm:SendAutomationSignal", &role, error)),
    }
    let actor = operator.actor();
    change(state, operator, &execution.id, |execution, now| {
        execution.signal_step(step_execution_id, answer, &actor, note, now)
    })
    .await
}

/// CancelExecution: before it is sent it ends at once; once sent, SSM is
/// told to stop (CancelCommand or StopAutomationExecution) and the executor
/// sees it end.
pub async fn cancel(
    state: &AppState,
    operator: &Operator,
    id: &str,
    reason: &str,
) -> Result<Execution> {
    operator.require(Role::Technician)?;
    let found = current(state, operator, id).await?;
    let stop_call = if found.cancel_needs_stop()? {
        Some(stop(state, operator, &found).await?)
    } else {
        None
    };
    let actor = operator.actor();
    let execution = change(state, operator, id, |execution, now| {
        execution.cancel(&actor, reason, stop_call, now)
    })
    .await?;
    audit(
        state,
        operator,
        "RunbookService.CancelExecution",
        &execution,
        reason,
    )
    .await?;
    Ok(execution)
}

/// Tells SSM to stop a sent execution; answers the call's name for the
/// execution's event.
async fn stop(
    state: &AppState,
    operator: &Operator,
    execution: &Execution,
) -> Result<&'static str> {
    let company = state
        .store
        .get_company(&operator.scope, &execution.company_id)
        .await?;
    let role = CompanyRole::of(&company)?;
    let ssm = state.aws.ssm(&role).await?;
    match execution.kind {
        RunbookKind::RunCommand => {
            ssm.cancel_command()
                .command_id(&execution.command_id)
                .send()
                .await
                .map_err(|error| aws_error("ssm:CancelCommand", &role, error))?;
            Ok("SSM CancelCommand")
        }
        RunbookKind::Automation => {
            let stopped = ssm
                .stop_automation_execution()
                .automation_execution_id(&execution.command_id)
                .r#type(StopType::Cancel)
                .send()
                .await;
            match stopped {
                Ok(_) => {}
                // It ended in SSM before this poll saw it: the next poll
                // records how it really ended.
                Err(error) if error.code() == Some("InvalidAutomationStatusUpdateException") => {}
                Err(error) => return Err(aws_error("ssm:StopAutomationExecution", &role, error)),
            }
            Ok("SSM StopAutomationExecution")
        }
    }
}
