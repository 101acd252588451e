//! RunbookService's remediation half: auto-remediation rules, executions
//! (manual runs, approval, rejection, cancel), and WatchExecutions. The
//! executor (`crate::executor`) does the AWS work of sending and tracking.

use tokio::sync::mpsc;
use tonic::Status;

use super::convert::without_output;
use crate::app::AppState;
use crate::auth::Operator;
use crate::domain::execution::{DEFAULT_APPROVAL_TIMEOUT, DEFAULT_COOLDOWN, ExecStatus, Mode};
use crate::domain::remediation::RuleSpec;
use crate::domain::runbook::Targets;
use crate::domain::tenant::Role;
use crate::error::{Error, Result};
use crate::grpc::convert::{duration, required_id, text_of, timestamp_ms};
use crate::grpc::correlation::matchers_of;
use crate::grpc::watch::{WATCH_BATCH, WATCH_BUFFER, WatchStream, follow, start_position};
use crate::proto::v1;
use crate::service::{executions, runbooks};
use crate::store::Page;
use crate::store::event_log::LogEntry;
use crate::store::execution::ExecutionFilter;

fn statuses_of(field: &str, values: &[i32]) -> Result<Vec<i16>> {
    values
        .iter()
        .enumerate()
        .map(|(index, value)| {
            i16::try_from(*value)
                .ok()
                .and_then(ExecStatus::from_i16)
                .map(ExecStatus::as_i16)
                .ok_or_else(|| {
                    Error::invalid(&format!("{field}[{index}]"), "is not an execution status")
                })
        })
        .collect()
}

fn optional(value: &str) -> Option<String> {
    let value = value.trim();
    (!value.is_empty()).then(|| value.to_owned())
}

/// CreateRemediationRule.
pub(crate) async fn create_rule(
    state: &AppState,
    operator: &Operator,
    body: v1::CreateRemediationRuleRequest,
) -> Result<v1::CreateRemediationRuleResponse> {
    operator.require(Role::Technician)?;
    let company_id = required_id("company_id", &body.company_id)?;
    let runbook_id = required_id("runbook_id", &body.runbook_id)?;
    let mode = match v1::RemediationMode::try_from(body.mode) {
        Ok(v1::RemediationMode::Auto) => Mode::Auto,
        Ok(v1::RemediationMode::Approval) => Mode::Approval,
        _ => return Err(Error::invalid("mode", "must be auto or approval")),
    };
    let cooldown = match &body.cooldown {
        Some(value) => duration("cooldown", value)?,
        None => DEFAULT_COOLDOWN,
    };
    let approval_timeout = match &body.approval_timeout {
        Some(value) => duration("approval_timeout", value)?,
        None => DEFAULT_APPROVAL_TIMEOUT,
    };
    let spec = RuleSpec {
        name: body.name.trim().to_owned(),
        matchers: matchers_of("matchers", &body.matchers, true)?,
        runbook_id: runbook_id.to_owned(),
        parameter_templates: body.parameter_templates.into_iter().collect(),
        targets: body.targets.as_ref().map(Targets::from),
        mode,
        cooldown_seconds: cooldown.as_secs(),
        approval_timeout_seconds: approval_timeout.as_secs(),
        created_by: operator.actor(),
    };
    let rule = runbooks::create_rule(state, operator, company_id, spec).await?;
    Ok(v1::CreateRemediationRuleResponse {
        remediation_rule: Some(v1::RemediationRule::from(&rule)),
    })
}

/// ListRemediationRules.
pub(crate) async fn list_rules(
    state: &AppState,
    operator: &Operator,
    body: v1::ListRemediationRulesRequest,
) -> Result<v1::ListRemediationRulesResponse> {
    let page = Page::new(body.page_size, &body.page_token)?;
    let (rules, next_page_token) = state
        .store
        .list_rules(
            &operator.scope,
            optional(&body.company_id).as_deref(),
            optional(&body.runbook_id).as_deref(),
            &page,
        )
        .await?;
    Ok(v1::ListRemediationRulesResponse {
        remediation_rules: rules.iter().map(v1::RemediationRule::from).collect(),
        next_page_token,
    })
}

/// DeleteRemediationRule.
pub(crate) async fn delete_rule(
    state: &AppState,
    operator: &Operator,
    body: v1::DeleteRemediationRuleRequest,
) -> Result<v1::DeleteRemediationRuleResponse> {
    operator.require(Role::Technician)?;
    let id = required_id("remediation_rule_id", &body.remediation_rule_id)?;
    runbooks::delete_rule(state, operator, id).await?;
    Ok(v1::DeleteRemediationRuleResponse {})
}

/// ExecuteRunbook.
pub(crate) async fn execute(
    state: &AppState,
    operator: &Operator,
    body: v1::ExecuteRunbookRequest,
) -> Result<v1::ExecuteRunbookResponse> {
    // The role first, as before any field.
    operator.require(Role::Technician)?;
    let company_id = required_id("company_id", &body.company_id)?;
    let runbook_id = required_id("runbook_id", &body.runbook_id)?;
    let comment = text_of("comment", &body.comment, false)?;
    let execution = executions::execute(
        state,
        operator,
        executions::ManualRun {
            company_id,
            runbook_id,
            parameters: body.parameters.into_iter().collect(),
            targets: body.targets.as_ref().map(Targets::from),
            incident_id: optional(&body.incident_id),
            comment: &comment,
        },
    )
    .await?;
    Ok(v1::ExecuteRunbookResponse {
        execution: Some(v1::Execution::from(&execution)),
    })
}

/// ApproveExecution.
pub(crate) async fn approve(
    state: &AppState,
    operator: &Operator,
    body: v1::ApproveExecutionRequest,
) -> Result<v1::ApproveExecutionResponse> {
    // The role first, as before any field (a viewer is refused whatever it sends).
    operator.require(Role::Technician)?;
    let id = required_id("execution_id", &body.execution_id)?;
    let comment = text_of("comment", &body.comment, false)?;
    let execution = executions::approve(state, operator, id, &comment).await?;
    Ok(v1::ApproveExecutionResponse {
        execution: Some(v1::Execution::from(&execution)),
    })
}

/// RejectExecution.
pub(crate) async fn reject(
    state: &AppState,
    operator: &Operator,
    body: v1::RejectExecutionRequest,
) -> Result<v1::RejectExecutionResponse> {
    // The role first, as before any field (a viewer is refused whatever it sends).
    operator.require(Role::Technician)?;
    let id = required_id("execution_id", &body.execution_id)?;
    let reason = text_of("reason", &body.reason, true)?;
    let execution = executions::reject(state, operator, id, &reason).await?;
    Ok(v1::RejectExecutionResponse {
        execution: Some(v1::Execution::from(&execution)),
    })
}

/// CancelExecution.
pub(crate) async fn cancel(
    state: &AppState,
    operator: &Operator,
    body: v1::CancelExecutionRequest,
) -> Result<v1::CancelExecutionResponse> {
    // The role first, as before any field (a viewer is refused whatever it sends).
    operator.require(Role::Technician)?;
    let id = required_id("execution_id", &body.execution_id)?;
    let reason = text_of("reason", &body.reason, false)?;
    let execution = executions::cancel(state, operator, id, &reason).await?;
    Ok(v1::CancelExecutionResponse {
        execution: Some(v1::Execution::from(&execution)),
    })
}

/// GetExecution.
pub(crate) async fn get(
    state: &AppState,
    operator: &Operator,
    body: v1::GetExecutionRequest,
) -> Result<v1::GetExecutionResponse> {
    let id = required_id("execution_id", &body.execution_id)?;
    let current = state.store.get_execution(&operator.scope, id).await?;
    Ok(v1::GetExecutionResponse {
        execution: Some(v1::Execution::from(&current.execution)),
    })
}

/// ListExecutions.
pub(crate) async fn list(
    state: &AppState,
    operator: &Operator,
    body: v1::ListExecutionsRequest,
) -> Result<v1::ListExecutionsResponse> {
    let page = Page::new(body.page_size, &body.page_token)?;
    let filter = ExecutionFilter {
        company_id: optional(&body.company_id),
        statuses: statuses_of("statuses", &body.statuses)?,
        runbook_id: optional(&body.runbook_id),
        rule_id: optional(&body.rule_id),
        incident_id: optional(&body.incident_id),
        created_after: body
            .start_time
            .as_ref()
            .map(|time| timestamp_ms("start_time", time))
            .transpose()?,
        created_before: body
            .end_time
            .as_ref()
            .map(|time| timestamp_ms("end_time", time))
            .transpose()?,
    };
    let (executions, next_page_token) = state
        .store
        .list_executions(&operator.scope, &filter, &page)
        .await?;
    Ok(v1::ListExecutionsResponse {
        executions: executions
            .iter()
            .map(|execution| without_output(v1::Execution::from(execution)))
            .collect(),
        next_page_token,
    })
}

fn execution_heartbeat(beat: v1::Heartbeat) -> v1::WatchExecutionsResponse {
    v1::WatchExecutionsResponse {
        payload: Some(v1::watch_executions_response::Payload::Heartbeat(beat)),
    }
}

/// WatchExecutions.
pub(crate) async fn watch(
    state: &AppState,
    operator: &Operator,
    body: v1::WatchExecutionsRequest,
) -> std::result::Result<WatchStream<v1::WatchExecutionsResponse>, Status> {
    let company_id = required_id("company_id", &body.company_id)?.to_owned();
    let company = state
        .store
        .scoped_company(&operator.scope, &company_id)
        .await?;
    let statuses = statuses_of("statuses", &body.statuses)?;
    let incident_id = body.incident_id.trim().to_owned();
    let execution_id = body.execution_id.trim().to_owned();
    let (tx, rx) = mpsc::channel(WATCH_BUFFER);
    let start = start_position(
        state,
        &company,
        body.after_sequence,
        &tx,
        execution_heartbeat,
        "list executions",
    )
    .await?;
    let reader = state.clone();
    let read_company = company.clone();
    let read = move |after: i64| {
        let state = reader.clone();
        let company = read_company.clone();
        let statuses = statuses.clone();
        let incident_id = incident_id.clone();
        let execution_id = execution_id.clone();
        async move {
            Ok(state
                .owners
                .entries_after(&company, after, WATCH_BATCH, false)
                .await?
                .into_iter()
                .map(|entry| {
                    let sequence = entry.sequence();
                    let message = match entry {
                        LogEntry::Execution(event) => {
                            let execution = &event.execution;
                            let wanted = (statuses.is_empty()
                                || statuses.contains(&execution.status.as_i16()))
                                && (incident_id.is_empty()
                                    || execution.incident_id.as_deref()
                                        == Some(incident_id.as_str()))
                                && (execution_id.is_empty() || execution.id == execution_id);
                            wanted.then(|| v1::WatchExecutionsResponse {
                                payload: Some(v1::watch_executions_response::Payload::Event(
                                    v1::ExecutionFeedEvent::from(&event),
                                )),
                            })
                        }
                        _ => None,
                    };
                    (sequence, message)
                })
                .collect())
        }
    };
    tokio::spawn(follow(
        state.clone(),
        company,
        start,
        read,
        execution_heartbeat,
        tx,
    ));
    Ok(Box::pin(tokio_stream::wrappers::ReceiverStream::new(rx)))
}
