//! RunbookService's messages to and from the runbook domain and
//! [`crate::service::runbooks`], shared by the catalogue and the remediation
//! half: the requests' runbook fields checked (parameter and platform types,
//! the timeout, the update mask), runbooks, managed instances, hybrid
//! activations, executions (with their invocations and Automation steps),
//! remediation rules and the execution feed as messages.

use super::super::convert::{duration, optional_timestamp, timestamp};
use crate::domain::execution::{
    AutomationStep, ExecStatus, Execution, InvStatus, Invocation, Mode, StepStatus, Trigger,
};
use crate::domain::runbook::{Parameter, ParameterType, RunbookKind, Targets};
use crate::error::{Error, Result};
use crate::proto::v1;
use crate::service::runbooks::{Activation, InstancePage, Runbook, RunbookFields};
use crate::store::event_log::StoredExecEvent;
use crate::store::execution::RuleRow;

impl From<&v1::RunbookTargets> for Targets {
    fn from(message: &v1::RunbookTargets) -> Self {
        Self {
            instance_ids: message.instance_ids.clone(),
            tags: message
                .tags
                .iter()
                .map(|tag| (tag.key.clone(), tag.values.clone()))
                .collect(),
        }
    }
}

impl From<&Targets> for v1::RunbookTargets {
    fn from(targets: &Targets) -> Self {
        Self {
            instance_ids: targets.instance_ids.clone(),
            tags: targets
                .tags
                .iter()
                .map(|(key, values)| v1::TagSelector {
                    key: key.clone(),
                    values: values.clone(),
                })
                .collect(),
        }
    }
}

impl From<RunbookKind> for v1::RunbookKind {
    fn from(kind: RunbookKind) -> Self {
        match kind {
            RunbookKind::RunCommand => Self::RunCommand,
            RunbookKind::Automation => Self::Automation,
        }
    }
}

/// The kind a CreateRunbook request asks for (unset: Run Command).
fn kind_of(value: i32) -> Result<RunbookKind> {
    match v1::RunbookKind::try_from(value) {
        Ok(v1::RunbookKind::Unspecified | v1::RunbookKind::RunCommand) => {
            Ok(RunbookKind::RunCommand)
        }
        Ok(v1::RunbookKind::Automation) => Ok(RunbookKind::Automation),
        Err(_) => Err(Error::invalid("kind", "must be run command or automation")),
    }
}

/// The `index`th parameter of a request, its type checked.
fn parameter_of(message: &v1::RunbookParameter, index: usize) -> Result<Parameter> {
    let kind = match v1::RunbookParameterType::try_from(message.r#type) {
        Ok(v1::RunbookParameterType::String) => ParameterType::String,
        Ok(v1::RunbookParameterType::Integer) => ParameterType::Integer,
        Ok(v1::RunbookParameterType::Boolean) => ParameterType::Boolean,
        Ok(v1::RunbookParameterType::StringList) => ParameterType::StringList,
        Ok(v1::RunbookParameterType::Unspecified) | Err(_) => {
            return Err(Error::invalid(
                &format!("parameters[{index}].type"),
                "must be string, integer, boolean or string list",
            ));
        }
    };
    Ok(Parameter {
        name: message.name.trim().to_owned(),
        kind,
        required: message.required,
        default_value: message.default_value.clone(),
        allowed_pattern: message.allowed_pattern.clone(),
        allowed_values: message.allowed_values.clone(),
        description: message.description.clone(),
    })
}

/// A request's parameters, each type checked.
fn parameters_of(messages: &[v1::RunbookParameter]) -> Result<Vec<Parameter>> {
    messages
        .iter()
        .enumerate()
        .map(|(index, parameter)| parameter_of(parameter, index))
        .collect()
}

/// Checks that each platform type is Linux, Windows or macOS.
fn check_platform_types(values: &[i32]) -> Result<()> {
    for (index, platform) in values.iter().enumerate() {
        if !matches!(
            v1::PlatformType::try_from(*platform),
            Ok(v1::PlatformType::Linux | v1::PlatformType::Windows | v1::PlatformType::Macos)
        ) {
            return Err(Error::invalid(
                &format!("platform_types[{index}]"),
                "must be linux, windows or macos",
            ));
        }
    }
    Ok(())
}

/// A request's timeout, if it has one.
fn timeout_of(value: Option<&prost_types::Duration>) -> Result<Option<std::time::Duration>> {
    value
        .map(|timeout| duration("timeout", timeout))
        .transpose()
}

// The kind first, then the parameters, the platform types and the timeout,
// in the order they were always checked.
impl TryFrom<&v1::CreateRunbookRequest> for RunbookFields {
    type Error = Error;

    fn try_from(body: &v1::CreateRunbookRequest) -> Result<Self> {
        let kind = kind_of(body.kind)?;
        let parameters = parameters_of(&body.parameters)?;
        check_platform_types(&body.platform_types)?;
        Ok(Self {
            name: body.name.clone(),
            description: body.description.clone(),
            document_name: body.document_name.clone(),
            document_version: body.document_version.clone(),
            parameters,
            targets: body.targets.as_ref().map(Targets::from),
            timeout: timeout_of(body.timeout.as_ref())?,
            max_concurrency: body.max_concurrency.clone(),
            max_errors: body.max_errors.clone(),
            platform_types: body.platform_types.clone(),
            kind,
            target_parameter: body.target_parameter_name.clone(),
        })
    }
}

/// What an UpdateRunbook may change (the kind and its target parameter are
/// fixed at creation).
const UPDATABLE: [&str; 10] = [
    "name",
    "description",
    "document_name",
    "document_version",
    "parameters",
    "targets",
    "timeout",
    "max_concurrency",
    "max_errors",
    "platform_types",
];

/// The `current` fields with those in the request's update mask (every
/// updatable one when it is empty) replaced by the request's.
pub(super) fn updated_fields(
    body: &v1::UpdateRunbookRequest,
    current: RunbookFields,
) -> Result<RunbookFields> {
    let paths: Vec<&str> = match &body.update_mask {
        Some(mask) if !mask.paths.is_empty() => mask.paths.iter().map(String::as_str).collect(),
        _ => UPDATABLE.to_vec(),
    };
    if let Some(unknown) = paths.iter().find(|path| !UPDATABLE.contains(path)) {
        return Err(Error::invalid(
            "update_mask",
            format!(
                "unknown field {unknown:?}; allowed: {}",
                UPDATABLE.join(", ")
            ),
        ));
    }
    let has = |field: &str| paths.contains(&field);
    let mut fields = current;
    if has("parameters") {
        fields.parameters = parameters_of(&body.parameters)?;
    }
    if has("platform_types") {
        fields.platform_types.clone_from(&body.platform_types);
    }
    check_platform_types(&fields.platform_types)?;
    if has("timeout") {
        fields.timeout = timeout_of(body.timeout.as_ref())?;
    }
    if has("name") {
        fields.name.clone_from(&body.name);
    }
    if has("description") {
        fields.description.clone_from(&body.description);
    }
    if has("document_name") {
        fields.document_name.clone_from(&body.document_name);
    }
    if has("document_version") {
        fields.document_version.clone_from(&body.document_version);
    }
    if has("targets") {
        fields.targets = body.targets.as_ref().map(Targets::from);
    }
    if has("max_concurrency") {
        fields.max_concurrency.clone_from(&body.max_concurrency);
    }
    if has("max_errors") {
        fields.max_errors.clone_from(&body.max_errors);
    }
    Ok(fields)
}

impl From<&Parameter> for v1::RunbookParameter {
    fn from(parameter: &Parameter) -> Self {
        Self {
            name: parameter.name.clone(),
            r#type: match parameter.kind {
                ParameterType::String => v1::RunbookParameterType::String,
                ParameterType::Integer => v1::RunbookParameterType::Integer,
                ParameterType::Boolean => v1::RunbookParameterType::Boolean,
                ParameterType::StringList => v1::RunbookParameterType::StringList,
            }
            .into(),
            required: parameter.required,
            default_value: parameter.default_value.clone(),
            allowed_pattern: parameter.allowed_pattern.clone(),
            allowed_values: parameter.allowed_values.clone(),
            description: parameter.description.clone(),
        }
    }
}

impl From<Runbook> for v1::Runbook {
    fn from(runbook: Runbook) -> Self {
        let spec = runbook.spec;
        Self {
            id: runbook.id,
            company_id: runbook.company_id.unwrap_or_default(),
            name: spec.name,
            description: spec.description,
            document_name: spec.document_name,
            document_version: spec.document_version,
            parameters: spec
                .parameters
                .iter()
                .map(v1::RunbookParameter::from)
                .collect(),
            targets: Some(v1::RunbookTargets::from(&spec.targets)),
            timeout: prost_types::Duration::try_from(spec.timeout).ok(),
            max_concurrency: spec.max_concurrency,
            max_errors: spec.max_errors,
            platform_types: spec.platform_types,
            built_in: runbook.built_in,
            create_time: Some(timestamp(runbook.created_at)),
            update_time: Some(timestamp(runbook.updated_at)),
            kind: v1::RunbookKind::from(spec.kind).into(),
            target_parameter_name: spec.target_parameter,
        }
    }
}

/// SSM's time as a protobuf timestamp.
fn epoch_timestamp(
    value: Option<&aws_sdk_ssm::primitives::DateTime>,
) -> Option<prost_types::Timestamp> {
    value.map(|time| prost_types::Timestamp {
        seconds: time.secs(),
        nanos: i32::try_from(time.subsec_nanos()).unwrap_or(0),
    })
}

/// An instance SSM manages in the company's account.
fn managed_instance(
    company_id: &str,
    info: &aws_sdk_ssm::types::InstanceInformation,
) -> v1::ManagedInstance {
    use aws_sdk_ssm::types::{PingStatus, PlatformType, ResourceType};
    v1::ManagedInstance {
        company_id: company_id.to_owned(),
        instance_id: info.instance_id().unwrap_or_default().to_owned(),
        name: info
            .name()
            .or(info.computer_name())
            .unwrap_or_default()
            .to_owned(),
        platform_type: match info.platform_type() {
            Some(PlatformType::Linux) => v1::PlatformType::Linux,
            Some(PlatformType::Windows) => v1::PlatformType::Windows,
            Some(PlatformType::Macos) => v1::PlatformType::Macos,
            _ => v1::PlatformType::Unspecified,
        }
        .into(),
        platform_name: info.platform_name().unwrap_or_default().to_owned(),
        platform_version: info.platform_version().unwrap_or_default().to_owned(),
        ping_status: match info.ping_status() {
            Some(PingStatus::Online) => v1::PingStatus::Online,
            Some(PingStatus::ConnectionLost) => v1::PingStatus::ConnectionLost,
            Some(PingStatus::Inactive) => v1::PingStatus::Inactive,
            _ => v1::PingStatus::Unspecified,
        }
        .into(),
        agent_version: info.agent_version().unwrap_or_default().to_owned(),
        ip_address: info.ip_address().unwrap_or_default().to_owned(),
        last_ping_time: epoch_timestamp(info.last_ping_date_time()),
        resource_type: match info.resource_type() {
            Some(ResourceType::Ec2Instance) => v1::InstanceResourceType::Ec2Instance,
            Some(ResourceType::ManagedInstance) => v1::InstanceResourceType::ManagedInstance,
            _ => v1::InstanceResourceType::Unspecified,
        }
        .into(),
        activation_id: info.activation_id().unwrap_or_default().to_owned(),
        registration_time: epoch_timestamp(info.registration_date()),
    }
}

impl From<InstancePage> for v1::ListManagedInstancesResponse {
    fn from(page: InstancePage) -> Self {
        Self {
            instances: page
                .instances
                .iter()
                .map(|info| managed_instance(&page.company_id, info))
                .collect(),
            next_page_token: page.next_page_token,
        }
    }
}

impl From<Activation> for v1::CreateHybridActivationResponse {
    fn from(activation: Activation) -> Self {
        Self {
            activation_id: activation.activation_id,
            activation_code: activation.activation_code,
            region: activation.region,
            expire_time: Some(timestamp(activation.expire_at)),
        }
    }
}

impl From<&Invocation> for v1::CommandInvocation {
    fn from(invocation: &Invocation) -> Self {
        Self {
            instance_id: invocation.instance_id.clone(),
            status: match invocation.status {
                InvStatus::Pending => v1::InvocationStatus::Pending,
                InvStatus::InProgress => v1::InvocationStatus::InProgress,
                InvStatus::Delayed => v1::InvocationStatus::Delayed,
                InvStatus::Succeeded => v1::InvocationStatus::Succeeded,
                InvStatus::Failed => v1::InvocationStatus::Failed,
                InvStatus::TimedOut => v1::InvocationStatus::TimedOut,
                InvStatus::Cancelling => v1::InvocationStatus::Cancelling,
                InvStatus::Cancelled => v1::InvocationStatus::Cancelled,
            }
            .into(),
            status_details: invocation.status_details.clone(),
            response_code: invocation.response_code,
            stdout: invocation.stdout.clone(),
            stdout_truncated: invocation.stdout_truncated,
            stderr: invocation.stderr.clone(),
            stderr_truncated: invocation.stderr_truncated,
            start_time: optional_timestamp(invocation.start_at),
            end_time: optional_timestamp(invocation.end_at),
        }
    }
}

impl From<&AutomationStep> for v1::AutomationStep {
    fn from(step: &AutomationStep) -> Self {
        Self {
            step_execution_id: step.step_execution_id.clone(),
            name: step.name.clone(),
            action: step.action.clone(),
            status: match step.status {
                StepStatus::Pending => v1::AutomationStepStatus::Pending,
                StepStatus::InProgress => v1::AutomationStepStatus::InProgress,
                StepStatus::Waiting => v1::AutomationStepStatus::Waiting,
                StepStatus::Succeeded => v1::AutomationStepStatus::Succeeded,
                StepStatus::Failed => v1::AutomationStepStatus::Failed,
                StepStatus::TimedOut => v1::AutomationStepStatus::TimedOut,
                StepStatus::Cancelling => v1::AutomationStepStatus::Cancelling,
                StepStatus::Cancelled => v1::AutomationStepStatus::Cancelled,
            }
            .into(),
            status_details: step.status_details.clone(),
            failure_message: step.failure_message.clone(),
            start_time: optional_timestamp(step.start_at),
            end_time: optional_timestamp(step.end_at),
        }
    }
}

/// An execution with its invocations' output (see [`without_output`] for lists).
impl From<&Execution> for v1::Execution {
    fn from(execution: &Execution) -> Self {
        Self {
            id: execution.id.clone(),
            company_id: execution.company_id.clone(),
            runbook_id: execution.runbook_id.clone(),
            runbook_name: execution.runbook_name.clone(),
            document_name: execution.document_name.clone(),
            document_version: execution.document_version.clone(),
            rule_id: execution.rule_id.clone().unwrap_or_default(),
            incident_id: execution.incident_id.clone().unwrap_or_default(),
            asset: execution.asset.clone(),
            trigger: match execution.trigger {
                Trigger::Manual => v1::ExecutionTrigger::Manual,
                Trigger::Rule => v1::ExecutionTrigger::Rule,
            }
            .into(),
            status: i32::from(execution.status.as_i16()),
            status_reason: execution.status_reason.clone(),
            parameters: execution.parameters.clone().into_iter().collect(),
            targets: Some(v1::RunbookTargets::from(&execution.targets)),
            command_id: match execution.kind {
                RunbookKind::RunCommand => execution.command_id.clone(),
                RunbookKind::Automation => String::new(),
            },
            assumed_role_arn: execution.assumed_role_arn.clone(),
            invocations: execution
                .invocations
                .iter()
                .map(v1::CommandInvocation::from)
                .collect(),
            requested_by: execution.requested_by.clone(),
            approved_by: execution.approved_by.clone(),
            rejected_by: execution.rejected_by.clone(),
            cancelled_by: execution.cancelled_by.clone(),
            approval_expire_time: if execution.status == ExecStatus::PendingApproval {
                optional_timestamp(execution.approval_expires_at)
            } else {
                None
            },
            create_time: Some(timestamp(execution.created_at)),
            start_time: optional_timestamp(execution.started_at),
            end_time: optional_timestamp(execution.ended_at),
            update_time: Some(timestamp(execution.updated_at)),
            kind: v1::RunbookKind::from(execution.kind).into(),
            automation_execution_id: match execution.kind {
                RunbookKind::RunCommand => String::new(),
                RunbookKind::Automation => execution.command_id.clone(),
            },
            steps: execution
                .steps
                .iter()
                .map(v1::AutomationStep::from)
                .collect(),
        }
    }
}

/// An execution for a list: its invocations without their output, which
/// GetExecution and the watch stream carry.
pub(super) fn without_output(mut execution: v1::Execution) -> v1::Execution {
    for invocation in &mut execution.invocations {
        invocation.stdout.clear();
        invocation.stderr.clear();
    }
    execution
}

impl From<&RuleRow> for v1::RemediationRule {
    fn from(rule: &RuleRow) -> Self {
        Self {
            id: rule.id.clone(),
            company_id: rule.company_id.clone(),
            name: rule.spec.name.clone(),
            matchers: rule.spec.matchers.iter().map(v1::Matcher::from).collect(),
            runbook_id: rule.spec.runbook_id.clone(),
            parameter_templates: rule.spec.parameter_templates.clone().into_iter().collect(),
            targets: rule.spec.targets.as_ref().map(v1::RunbookTargets::from),
            mode: match rule.spec.mode {
                Mode::Auto => v1::RemediationMode::Auto,
                Mode::Approval => v1::RemediationMode::Approval,
            }
            .into(),
            cooldown: prost_types::Duration::try_from(std::time::Duration::from_secs(
                rule.spec.cooldown_seconds,
            ))
            .ok(),
            approval_timeout: prost_types::Duration::try_from(std::time::Duration::from_secs(
                rule.spec.approval_timeout_seconds,
            ))
            .ok(),
            created_by: rule.spec.created_by.clone(),
            create_time: Some(timestamp(rule.created_at)),
        }
    }
}

impl From<&StoredExecEvent> for v1::ExecutionFeedEvent {
    fn from(event: &StoredExecEvent) -> Self {
        Self {
            sequence: u64::try_from(event.sequence).unwrap_or(0),
            company_id: event.execution.company_id.clone(),
            kind: i32::from(event.kind.as_i16()),
            execution: Some(v1::Execution::from(&event.execution)),
            actor: event.actor.clone(),
            message: event.message.clone(),
            time: Some(timestamp(event.at)),
        }
    }
}
