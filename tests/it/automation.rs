//! Self-healing through SSM Automation documents end to end: remediation
//! rules and manual runs start Automation executions in the company's account
//! under its role (the real AWS SDK against moto, whose missing Automation API
//! tests/moto/aw_moto.py emulates with step progression), their steps stream
//! on WatchExecutions, the incident self-heals or escalates, cancel stops the
//! automation, and another tenant's ids are refused.

use std::collections::HashMap;
use std::time::Duration;

use alert_whisperer::proto::v1::{
    self, AutomationStepStatus, ExecutionEventKind, ExecutionStatus, IncidentEventKind,
    IncidentStatus, OperatorRole, RemediationMode, RunbookKind, Severity,
};
use tokio_stream::StreamExt;
use tonic::Code;
use tonic::metadata::MetadataValue;

use crate::aws::{Moto, set_role_arn};
use crate::harness::{Backend, TestServer, authed};
use crate::ingest::Tenant;
use crate::remediation::{
    DB, ROLE, Runbooks, WEB, company, create_rule, execute, execution_for, incident, matcher,
    server, wait_for, wait_status, wait_timeline,
};

/// Sends one alert and answers the incident it opened.
async fn alert(
    server: &TestServer,
    company: &Tenant,
    asset: &str,
    signature: &str,
    labels: &[(&str, &str)],
) -> String {
    let mut request = tonic::Request::new(v1::IngestAlertsRequest {
        alerts: vec![v1::AlertInput {
            asset: asset.to_owned(),
            signature: signature.to_owned(),
            severity: Severity::Medium.into(),
            message: format!("{signature} on {asset}"),
            tool_source: "datadog".to_owned(),
            labels: labels
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            ..Default::default()
        }],
    });
    request
        .metadata_mut()
        .insert("x-api-key", MetadataValue::try_from(&company.key).unwrap());
    let results = v1::ingest_service_client::IngestServiceClient::new(server.channel().await)
        .ingest_alerts(request)
        .await
        .expect("ingest")
        .into_inner()
        .results;
    assert!(!results[0].incident_id.is_empty(), "{results:?}");
    results[0].incident_id.clone()
}

fn automation_runbook(
    company_id: &str,
    document: &str,
    target_parameter: &str,
    parameters: Vec<v1::RunbookParameter>,
) -> v1::CreateRunbookRequest {
    v1::CreateRunbookRequest {
        company_id: company_id.to_owned(),
        name: document.to_owned(),
        document_name: document.to_owned(),
        kind: RunbookKind::Automation.into(),
        target_parameter_name: target_parameter.to_owned(),
        parameters,
        ..Default::default()
    }
}

async fn create_runbook(server: &TestServer, request: v1::CreateRunbookRequest) -> v1::Runbook {
    Runbooks::new(server.channel().await)
        .create_runbook(authed(&server.admin_token, request))
        .await
        .expect("create runbook")
        .into_inner()
        .runbook
        .unwrap()
}

/// The events of one execution on WatchExecutions from the start, up to
/// and including the first of `last`'s kind.
async fn events_until(
    server: &TestServer,
    company_id: &str,
    execution_id: &str,
    last: ExecutionEventKind,
) -> Vec<v1::ExecutionFeedEvent> {
    let mut stream = Runbooks::new(server.channel().await)
        .watch_executions(authed(
            &server.admin_token,
            v1::WatchExecutionsRequest {
                company_id: company_id.to_owned(),
                after_sequence: Some(0),
                execution_id: execution_id.to_owned(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    let mut events = Vec::new();
    while events
        .last()
        .is_none_or(|e: &v1::ExecutionFeedEvent| e.kind != last as i32)
    {
        let message = tokio::time::timeout(Duration::from_secs(10), stream.next())
            .await
            .expect("events in time")
            .unwrap()
            .unwrap();
        if let Some(v1::watch_executions_response::Payload::Event(event)) = message.payload {
            events.push(event);
        }
    }
    events
}

async fn calls(moto: &Moto, operation: &str) -> Vec<serde_json::Value> {
    moto.calls().await[operation]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

crate::on_both_backends!(
    automation_rule_heals_with_its_steps_streamed_and_a_failing_one_escalates,
    automation_is_cancelled_through_ssm_and_other_tenants_are_refused,
    an_approve_step_is_answered_through_approve_and_reject_execution,
);

async fn automation_rule_heals_with_its_steps_streamed_and_a_failing_one_escalates(
    backend: Backend,
) {
    let moto = Moto::start().await;
    let server = server(&moto, backend, 3).await;
    let acme = company(&server, "Acme").await;
    let tech = server
        .on_duty_technician(&acme.id, "Ada", "ada@example.com")
        .await;
    moto.post(
        "/_aw/automation_outcomes",
        serde_json::json!({
            "AWS-RestartEC2Instance": {"PollsPerStep": 2, "Steps": [
                {"Name": "stopInstances", "Action": "aws:changeInstanceState"},
                {"Name": "startInstances", "Action": "aws:changeInstanceState"}]},
            "Acme-RestartApp": {"Steps": [
                {"Name": "restartService", "Action": "aws:runCommand"},
                {"Name": "verifyHealth", "Action": "aws:executeScript", "Status": "Failed",
                 "FailureMessage": "api did not come back"}]}
        }),
    )
    .await;
    let rule = create_rule(
        &server,
        v1::CreateRemediationRuleRequest {
            company_id: acme.id.clone(),
            name: "Restart hung instances".to_owned(),
            matchers: vec![matcher("signature", "instance_hung")],
            runbook_id: "builtin-restart-ec2-instance".to_owned(),
            mode: RemediationMode::Auto.into(),
            ..Default::default()
        },
    )
    .await;

    let incident_id = alert(&server, &acme, WEB, "instance_hung", &[]).await;
    let execution = execution_for(&server, &incident_id)
        .await
        .expect("an execution");
    assert_eq!(execution.rule_id, rule.id);
    assert_eq!(execution.kind, RunbookKind::Automation as i32);
    assert_eq!(execution.document_name, "AWS-RestartEC2Instance");
    let done = wait_status(&server, &execution.id, ExecutionStatus::Succeeded).await;
    assert_eq!(done.assumed_role_arn, ROLE);
    assert!(done.command_id.is_empty());
    assert!(!done.automation_execution_id.is_empty());
    assert!(done.invocations.is_empty());
    let names: Vec<&str> = done.steps.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["stopInstances", "startInstances"]);
    for step in &done.steps {
        assert_eq!(
            step.status,
            AutomationStepStatus::Succeeded as i32,
            "{step:?}"
        );
        assert_eq!(step.action, "aws:changeInstanceState");
        assert!(
            step.start_time.is_some() && step.end_time.is_some(),
            "{step:?}"
        );
    }

    // What reached SSM, as the emulator recorded it.
    let started = calls(&moto, "StartAutomationExecution").await;
    assert_eq!(started.len(), 1, "{started:?}");
    assert_eq!(started[0]["DocumentName"], "AWS-RestartEC2Instance");
    assert_eq!(
        started[0]["Parameters"],
        serde_json::json!({"InstanceId": [WEB]})
    );
    assert_eq!(started[0]["RoleArn"], ROLE);
    assert_eq!(started[0]["Account"], "111111111111");
    assert_eq!(started[0]["ClientToken"], execution.id.as_str());
    assert!(!calls(&moto, "GetAutomationExecution").await.is_empty());
    assert!(
        !calls(&moto, "DescribeAutomationStepExecutions")
            .await
            .is_empty()
    );
    assert!(calls(&moto, "SendCommand").await.is_empty());

    // The incident healed itself and names the automation.
    let healed = wait_timeline(
        &server,
        &incident_id,
        IncidentEventKind::RemediationSucceeded,
    )
    .await;
    let found = healed.incident.unwrap();
    assert_eq!(found.status, IncidentStatus::Resolved as i32);
    assert!(found.self_healed);
    assert!(
        found.resolution.contains(&done.automation_execution_id)
            && found.resolution.contains("Restart EC2 instance"),
        "{}",
        found.resolution
    );

    // The steps, live on the execution stream.
    let events = events_until(
        &server,
        &acme.id,
        &execution.id,
        ExecutionEventKind::Succeeded,
    )
    .await;
    assert_eq!(events[0].kind, ExecutionEventKind::Created as i32);
    assert_eq!(events[1].kind, ExecutionEventKind::Started as i32);
    assert!(
        events[1].message.contains(&format!(
            "SSM automation execution {}",
            done.automation_execution_id
        )),
        "{}",
        events[1].message
    );
    let steps: Vec<&str> = events
        .iter()
        .filter(|e| e.kind == ExecutionEventKind::StepUpdated as i32)
        .map(|e| e.message.as_str())
        .collect();
    assert!(
        steps.contains(&"step stopInstances (aws:changeInstanceState): InProgress"),
        "{steps:?}"
    );
    assert!(
        steps.contains(&"step startInstances (aws:changeInstanceState): Success"),
        "{steps:?}"
    );
    let running = events
        .iter()
        .find(|e| e.message.contains("stopInstances") && e.message.ends_with("InProgress"))
        .unwrap();
    assert_eq!(
        running.execution.as_ref().unwrap().steps[0].status,
        AutomationStepStatus::InProgress as i32
    );

    // A company's own Automation document that fails: the incident escalates.
    let custom = create_runbook(
        &server,
        automation_runbook(
            &acme.id,
            "Acme-RestartApp",
            "InstanceId",
            vec![v1::RunbookParameter {
                name: "ServiceName".to_owned(),
                r#type: v1::RunbookParameterType::String.into(),
                required: true,
                allowed_pattern: "[a-z-]{1,32}".to_owned(),
                ..Default::default()
            }],
        ),
    )
    .await;
    assert_eq!(custom.kind, RunbookKind::Automation as i32);
    assert_eq!(custom.target_parameter_name, "InstanceId");
    create_rule(
        &server,
        v1::CreateRemediationRuleRequest {
            company_id: acme.id.clone(),
            name: "Restart the app".to_owned(),
            matchers: vec![matcher("signature", "app_down")],
            runbook_id: custom.id.clone(),
            parameter_templates: HashMap::from([(
                "ServiceName".to_owned(),
                "{{labels.service}}".to_owned(),
            )]),
            mode: RemediationMode::Auto.into(),
            ..Default::default()
        },
    )
    .await;
    let down = alert(&server, &acme, DB, "app_down", &[("service", "api")]).await;
    let before = incident(&server, &down).await.incident.unwrap();
    let execution = execution_for(&server, &down).await.unwrap();
    let failed = wait_status(&server, &execution.id, ExecutionStatus::Failed).await;
    assert!(
        failed.status_reason.contains("api did not come back"),
        "{}",
        failed.status_reason
    );
    assert_eq!(failed.steps.len(), 2);
    assert_eq!(failed.steps[1].status, AutomationStepStatus::Failed as i32);
    assert_eq!(failed.steps[1].failure_message, "api did not come back");
    let started = calls(&moto, "StartAutomationExecution").await;
    assert_eq!(
        started[1]["Parameters"],
        serde_json::json!({"InstanceId": [DB], "ServiceName": ["api"]})
    );
    let after = wait_timeline(&server, &down, IncidentEventKind::RemediationFailed).await;
    let found = after.incident.unwrap();
    assert_eq!(found.status, IncidentStatus::Open as i32);
    assert!(!found.self_healed);
    assert!(found.priority < before.priority, "priority raised");
    assert!(
        found
            .priority_reasons
            .iter()
            .any(|r| r.contains("runbook run failed")),
        "{:?}",
        found.priority_reasons
    );
    assert_eq!(found.assigned_technician_id, tech.id);
}

async fn automation_is_cancelled_through_ssm_and_other_tenants_are_refused(backend: Backend) {
    let moto = Moto::start().await;
    let server = server(&moto, backend, 3).await;
    let acme = company(&server, "Acme").await;
    let globex = company(&server, "Globex").await;
    // An aws:approve step nobody approves in SSM: the automation waits.
    moto.post(
        "/_aw/automation_outcomes",
        serde_json::json!({"*": {"Steps": [
            {"Name": "approveMaintenance", "Action": "aws:approve", "Status": "Waiting"},
            {"Name": "patch", "Action": "aws:runCommand"}]}}),
    )
    .await;
    let mut client = Runbooks::new(server.channel().await);
    let catalogue = client
        .list_runbooks(authed(
            &server.admin_token,
            v1::ListRunbooksRequest {
                company_id: acme.id.clone(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .runbooks;
    let kind_of = |id: &str| catalogue.iter().find(|r| r.id == id).map(|r| r.kind);
    assert_eq!(
        kind_of("builtin-create-snapshot"),
        Some(RunbookKind::Automation as i32)
    );
    assert_eq!(
        kind_of("builtin-disk-cleanup"),
        Some(RunbookKind::RunCommand as i32)
    );
    let custom = create_runbook(
        &server,
        automation_runbook(&acme.id, "Acme-Maintenance", "", Vec::new()),
    )
    .await;

    // No target parameter: no targets.
    let error = client
        .execute_runbook(authed(
            &server.admin_token,
            v1::ExecuteRunbookRequest {
                company_id: acme.id.clone(),
                runbook_id: custom.id.clone(),
                targets: Some(v1::RunbookTargets {
                    instance_ids: vec![WEB.to_owned()],
                    tags: vec![],
                }),
                ..Default::default()
            },
        ))
        .await
        .expect_err("targets refused");
    assert_eq!(error.code(), Code::InvalidArgument);
    assert!(
        error.message().starts_with("targets"),
        "{}",
        error.message()
    );

    let execution = execute(
        &server,
        v1::ExecuteRunbookRequest {
            company_id: acme.id.clone(),
            runbook_id: custom.id.clone(),
            comment: "monthly maintenance".to_owned(),
            ..Default::default()
        },
    )
    .await;
    let waiting = wait_for(&server, &execution.id, "waiting on its approve step", |e| {
        e.steps
            .first()
            .is_some_and(|s| s.status == AutomationStepStatus::Waiting as i32)
    })
    .await;
    assert_eq!(waiting.status, ExecutionStatus::Running as i32);
    assert_eq!(waiting.steps.len(), 1, "{:?}", waiting.steps);

    // Another company's operator cannot see, cancel or use any of it.
    let outsider = crate::correlation::token(&server, OperatorRole::Admin, &[&globex.id]).await;
    let not_found = |result: Result<(), tonic::Status>, what: &str| {
        let error = result.expect_err(what);
        assert_eq!(error.code(), Code::NotFound, "{what}: {}", error.message());
    };
    not_found(
        client
            .cancel_execution(authed(
                &outsider,
                v1::CancelExecutionRequest {
                    execution_id: execution.id.clone(),
                    reason: String::new(),
                },
            ))
            .await
            .map(|_| ()),
        "CancelExecution",
    );
    not_found(
        client
            .get_execution(authed(
                &outsider,
                v1::GetExecutionRequest {
                    execution_id: execution.id.clone(),
                },
            ))
            .await
            .map(|_| ()),
        "GetExecution",
    );
    not_found(
        client
            .get_runbook(authed(
                &outsider,
                v1::GetRunbookRequest {
                    runbook_id: custom.id.clone(),
                },
            ))
            .await
            .map(|_| ()),
        "GetRunbook",
    );
    not_found(
        client
            .execute_runbook(authed(
                &outsider,
                v1::ExecuteRunbookRequest {
                    company_id: globex.id.clone(),
                    runbook_id: custom.id.clone(),
                    ..Default::default()
                },
            ))
            .await
            .map(|_| ()),
        "ExecuteRunbook with another company's Automation runbook",
    );
    not_found(
        client
            .create_remediation_rule(authed(
                &outsider,
                v1::CreateRemediationRuleRequest {
                    company_id: globex.id.clone(),
                    name: "steal".to_owned(),
                    matchers: vec![matcher("signature", "x")],
                    runbook_id: custom.id.clone(),
                    mode: RemediationMode::Auto.into(),
                    ..Default::default()
                },
            ))
            .await
            .map(|_| ()),
        "CreateRemediationRule with another company's Automation runbook",
    );
    assert!(calls(&moto, "StopAutomationExecution").await.is_empty());

    // Cancel: StopAutomationExecution through the company's role.
    let cancelling = client
        .cancel_execution(authed(
            &server.admin_token,
            v1::CancelExecutionRequest {
                execution_id: execution.id.clone(),
                reason: "window closed".to_owned(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .execution
        .unwrap();
    assert_eq!(cancelling.status, ExecutionStatus::Cancelling as i32);
    let stops = calls(&moto, "StopAutomationExecution").await;
    assert_eq!(stops.len(), 1, "{stops:?}");
    assert_eq!(
        stops[0]["AutomationExecutionId"],
        waiting.automation_execution_id.as_str()
    );
    assert_eq!(stops[0]["Type"], "Cancel");
    assert_eq!(stops[0]["Account"], "111111111111");
    let cancelled = wait_status(&server, &execution.id, ExecutionStatus::Cancelled).await;
    assert_eq!(
        cancelled.steps[0].status,
        AutomationStepStatus::Cancelled as i32
    );
    assert!(
        cancelled.status_reason.contains("window closed"),
        "{}",
        cancelled.status_reason
    );
    let error = client
        .cancel_execution(authed(
            &server.admin_token,
            v1::CancelExecutionRequest {
                execution_id: execution.id.clone(),
                reason: String::new(),
            },
        ))
        .await
        .expect_err("already cancelled");
    assert_eq!(error.code(), Code::FailedPrecondition);

    // A role that may not start automations: the run fails naming the action.
    set_role_arn(
        &server,
        &globex.id,
        "arn:aws:iam::222222222222:role/NoAutomation",
    )
    .await;
    let refused = execute(
        &server,
        v1::ExecuteRunbookRequest {
            company_id: globex.id.clone(),
            runbook_id: "builtin-restart-ec2-instance".to_owned(),
            targets: Some(v1::RunbookTargets {
                instance_ids: vec![DB.to_owned()],
                tags: vec![],
            }),
            ..Default::default()
        },
    )
    .await;
    let failed = wait_status(&server, &refused.id, ExecutionStatus::Failed).await;
    assert!(
        failed
            .status_reason
            .contains("ssm:StartAutomationExecution"),
        "{}",
        failed.status_reason
    );
}

/// Runs an Automation runbook by hand for `incident_id` and answers the execution once SSM waits on its approve step.
async fn waiting_on_approval(
    server: &TestServer,
    company_id: &str,
    runbook_id: &str,
    incident_id: &str,
) -> v1::Execution {
    let execution = execute(
        server,
        v1::ExecuteRunbookRequest {
            company_id: company_id.to_owned(),
            runbook_id: runbook_id.to_owned(),
            incident_id: incident_id.to_owned(),
            ..Default::default()
        },
    )
    .await;
    let waiting = wait_for(server, &execution.id, "waiting on its approve step", |e| {
        e.steps.first().is_some_and(|s| {
            s.status == AutomationStepStatus::Waiting as i32 && s.action == "aws:approve"
        })
    })
    .await;
    assert_eq!(waiting.status, ExecutionStatus::Running as i32);
    waiting
}

async fn an_approve_step_is_answered_through_approve_and_reject_execution(backend: Backend) {
    let moto = Moto::start().await;
    let server = server(&moto, backend, 3).await;
    let acme = company(&server, "Acme").await;
    let globex = company(&server, "Globex").await;
    moto.post(
        "/_aw/automation_outcomes",
        serde_json::json!({"Acme-Change": {"Steps": [
            {"Name": "approveChange", "Action": "aws:approve", "Status": "Waiting"},
            {"Name": "applyChange", "Action": "aws:runCommand"}]}}),
    )
    .await;
    let runbook = create_runbook(
        &server,
        automation_runbook(&acme.id, "Acme-Change", "", Vec::new()),
    )
    .await;
    let incident_id = alert(&server, &acme, WEB, "config_drift", &[]).await;
    let before = incident(&server, &incident_id).await.incident.unwrap();
    let mut client = Runbooks::new(server.channel().await);
    let approver = client.clone();
    let approve = |token: &str, id: &str, comment: &str| {
        let mut client = approver.clone();
        let request = authed(
            token,
            v1::ApproveExecutionRequest {
                execution_id: id.to_owned(),
                comment: comment.to_owned(),
            },
        );
        async move { client.approve_execution(request).await }
    };

    // Approve: the step is approved in SSM under the company's role.
    let first = waiting_on_approval(&server, &acme.id, &runbook.id, &incident_id).await;
    let viewer = crate::correlation::token(&server, OperatorRole::Viewer, &[&acme.id]).await;
    let error = approve(&viewer, &first.id, "").await.expect_err("a viewer");
    assert_eq!(error.code(), Code::PermissionDenied, "{}", error.message());
    let outsider = crate::correlation::token(&server, OperatorRole::Admin, &[&globex.id]).await;
    let error = approve(&outsider, &first.id, "")
        .await
        .expect_err("another tenant");
    assert_eq!(error.code(), Code::NotFound, "{}", error.message());
    assert!(calls(&moto, "SendAutomationSignal").await.is_empty());
    let approved = approve(&server.admin_token, &first.id, "change CHG-42 is approved")
        .await
        .expect("approve the step")
        .into_inner()
        .execution
        .unwrap();
    assert_eq!(approved.status, ExecutionStatus::Running as i32);
    assert_eq!(
        approved.steps[0].status,
        AutomationStepStatus::InProgress as i32
    );
    assert_eq!(approved.steps[0].status_details, "Approved");
    assert!(!approved.approved_by.is_empty());
    let signals = calls(&moto, "SendAutomationSignal").await;
    assert_eq!(signals.len(), 1, "{signals:?}");
    assert_eq!(
        signals[0]["AutomationExecutionId"],
        first.automation_execution_id.as_str()
    );
    assert_eq!(signals[0]["SignalType"], "Approve");
    assert_eq!(
        signals[0]["Payload"],
        serde_json::json!({"Comment": ["change CHG-42 is approved"]})
    );
    assert_eq!(signals[0]["RoleArn"], ROLE);
    assert_eq!(signals[0]["Account"], "111111111111");
    let done = wait_status(&server, &first.id, ExecutionStatus::Succeeded).await;
    let steps: Vec<(&str, i32)> = done
        .steps
        .iter()
        .map(|s| (s.name.as_str(), s.status))
        .collect();
    assert_eq!(
        steps,
        [
            ("approveChange", AutomationStepStatus::Succeeded as i32),
            ("applyChange", AutomationStepStatus::Succeeded as i32)
        ]
    );
    // Nothing waits any more: a second answer is refused, and SSM is not asked.
    let error = approve(&server.admin_token, &first.id, "")
        .await
        .expect_err("finished");
    assert_eq!(
        error.code(),
        Code::FailedPrecondition,
        "{}",
        error.message()
    );
    assert_eq!(calls(&moto, "SendAutomationSignal").await.len(), 1);

    // The approval is on the execution stream, with who and why.
    let events = events_until(&server, &acme.id, &first.id, ExecutionEventKind::Succeeded).await;
    let step_approved = events
        .iter()
        .find(|e| e.kind == ExecutionEventKind::StepApproved as i32)
        .expect("a STEP_APPROVED event");
    assert_eq!(
        step_approved.message,
        "approved step approveChange (aws:approve) in SSM: change CHG-42 is approved"
    );
    assert_eq!(step_approved.actor, approved.approved_by);

    // Reject: the step is rejected in SSM, the execution ends rejected (not
    // failed) and the incident is not escalated for it.
    let second = waiting_on_approval(&server, &acme.id, &runbook.id, &incident_id).await;
    let rejected = client
        .reject_execution(authed(
            &server.admin_token,
            v1::RejectExecutionRequest {
                execution_id: second.id.clone(),
                reason: "outside the change window".to_owned(),
            },
        ))
        .await
        .expect("reject the step")
        .into_inner()
        .execution
        .unwrap();
    assert_eq!(rejected.status, ExecutionStatus::Running as i32);
    assert_eq!(
        rejected.steps[0].status,
        AutomationStepStatus::Failed as i32
    );
    let signals = calls(&moto, "SendAutomationSignal").await;
    assert_eq!(signals.len(), 2, "{signals:?}");
    assert_eq!(signals[1]["SignalType"], "Reject");
    assert_eq!(
        signals[1]["AutomationExecutionId"],
        second.automation_execution_id.as_str()
    );
    let ended = wait_status(&server, &second.id, ExecutionStatus::Rejected).await;
    assert!(!ended.rejected_by.is_empty());
    assert!(
        ended
            .status_reason
            .contains("step approveChange (aws:approve) rejected by")
            && ended.status_reason.ends_with("outside the change window"),
        "{}",
        ended.status_reason
    );
    assert_eq!(ended.steps.len(), 1, "{:?}", ended.steps);
    assert_eq!(ended.steps[0].status, AutomationStepStatus::Failed as i32);
    let after = wait_timeline(&server, &incident_id, IncidentEventKind::RemediationFailed).await;
    let found = after.incident.unwrap();
    assert_eq!(
        found.priority, before.priority,
        "a rejection does not escalate"
    );
    assert_eq!(found.status, IncidentStatus::Open as i32);

    // A running execution that waits on nothing: refused without asking SSM.
    moto.post(
        "/_aw/automation_outcomes",
        serde_json::json!({"Acme-Change": {"PollsPerStep": 1000, "Steps": [
            {"Name": "applyChange", "Action": "aws:runCommand"}]}}),
    )
    .await;
    let running = execute(
        &server,
        v1::ExecuteRunbookRequest {
            company_id: acme.id.clone(),
            runbook_id: runbook.id.clone(),
            ..Default::default()
        },
    )
    .await;
    let running = wait_for(&server, &running.id, "running its step", |e| {
        e.steps
            .first()
            .is_some_and(|s| s.status == AutomationStepStatus::InProgress as i32)
    })
    .await;
    let error = approve(&server.admin_token, &running.id, "")
        .await
        .expect_err("nothing to approve");
    assert_eq!(error.code(), Code::FailedPrecondition);
    assert!(
        error.message().contains("not waiting for approval"),
        "{}",
        error.message()
    );
    assert_eq!(calls(&moto, "SendAutomationSignal").await.len(), 2);
}
