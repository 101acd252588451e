//! Self-healing end to end: remediation rules turn incidents into SSM Run
//! Command executions in the company's account (the real AWS SDK against
//! moto, extended by tests/moto/aw_moto.py to choose each invocation's
//! outcome), with approval, guardrails, cancel, restart-resume, the incident
//! effects and KPIs, WatchExecutions and tenancy.

use std::collections::HashMap;
use std::time::Duration;

use alert_whisperer::proto::v1::{
    self, ExecutionEventKind, ExecutionStatus, IncidentEventKind, IncidentStatus, MatchOperator,
    OperatorRole, RemediationMode, Severity,
};
use tokio_stream::StreamExt;
use tonic::Code;
use tonic::metadata::MetadataValue;
use tonic::transport::Channel;

use crate::aws::{Moto, set_role_arn};
use crate::harness::{Backend, TestServer, authed};
use crate::ingest::{Tenant, tenant};

pub(crate) type Runbooks = v1::runbook_service_client::RunbookServiceClient<Channel>;
pub(crate) type Incidents = v1::incident_service_client::IncidentServiceClient<Channel>;

pub(crate) const WEB: &str = "i-0123456789abcdef0";
pub(crate) const DB: &str = "i-0fedcba9876543210";
pub(crate) const ROLE: &str = "arn:aws:iam::111111111111:role/msp/AlertWhisperer";

pub(crate) async fn server(moto: &Moto, backend: Backend, max_running: u64) -> TestServer {
    server_with(moto, backend, move |config| {
        config.max_running_executions_per_company = max_running;
    })
    .await
}

/// A server whose AWS is `moto`, with `customize` applied after.
pub(crate) async fn server_with(
    moto: &Moto,
    backend: Backend,
    customize: impl FnOnce(&mut alert_whisperer::config::Config),
) -> TestServer {
    let url = moto.url().to_owned();
    TestServer::start_with(
        backend,
        move |config| {
            config.aws_region = "us-east-1".to_owned();
            config.aws_endpoint_url = url;
            config.aws_access_key_id = "testing".to_owned();
            config.aws_secret_access_key = "testing".to_owned();
            config.aws_max_attempts = 1;
            customize(config);
        },
        Default::default(),
    )
    .await
}

pub(crate) async fn company(server: &TestServer, name: &str) -> Tenant {
    let company = tenant(server, name).await;
    set_role_arn(server, &company.id, ROLE).await;
    company
}

pub(crate) fn matcher(name: &str, value: &str) -> v1::Matcher {
    v1::Matcher {
        name: name.to_owned(),
        operator: MatchOperator::Equal.into(),
        value: value.to_owned(),
    }
}

fn disk_rule(company_id: &str, mode: RemediationMode) -> v1::CreateRemediationRuleRequest {
    v1::CreateRemediationRuleRequest {
        company_id: company_id.to_owned(),
        name: "Clean full disks".to_owned(),
        matchers: vec![matcher("signature", "disk_full")],
        runbook_id: "builtin-disk-cleanup".to_owned(),
        parameter_templates: HashMap::from([(
            "mount_point".to_owned(),
            "{{labels.mountpoint}}".to_owned(),
        )]),
        mode: mode.into(),
        ..Default::default()
    }
}

pub(crate) async fn create_rule(
    server: &TestServer,
    rule: v1::CreateRemediationRuleRequest,
) -> v1::RemediationRule {
    Runbooks::new(server.channel().await)
        .create_remediation_rule(authed(&server.admin_token, rule))
        .await
        .expect("create rule")
        .into_inner()
        .remediation_rule
        .unwrap()
}

/// An INVALID_ARGUMENT whose message starts with the field's name.
fn assert_refused_naming(error: &tonic::Status, field: &str) {
    assert_eq!(
        error.code(),
        Code::InvalidArgument,
        "{field}: {}",
        error.message()
    );
    assert!(
        error.message().starts_with(field),
        "{field}: {}",
        error.message()
    );
}

/// Sends one disk_full alert for `asset` and answers the incident it opened.
async fn disk_full(
    server: &TestServer,
    company: &Tenant,
    asset: &str,
    severity: Severity,
) -> String {
    let mut request = tonic::Request::new(v1::IngestAlertsRequest {
        alerts: vec![v1::AlertInput {
            asset: asset.to_owned(),
            signature: "disk_full".to_owned(),
            severity: severity.into(),
            message: format!("/var on {asset} is 97% full"),
            tool_source: "datadog".to_owned(),
            labels: HashMap::from([("mountpoint".to_owned(), "/var".to_owned())]),
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

async fn executions(server: &TestServer, request: v1::ListExecutionsRequest) -> Vec<v1::Execution> {
    Runbooks::new(server.channel().await)
        .list_executions(authed(&server.admin_token, request))
        .await
        .expect("list executions")
        .into_inner()
        .executions
}

pub(crate) async fn execution_for(server: &TestServer, incident_id: &str) -> Option<v1::Execution> {
    executions(
        server,
        v1::ListExecutionsRequest {
            incident_id: incident_id.to_owned(),
            ..Default::default()
        },
    )
    .await
    .into_iter()
    .next()
}

pub(crate) async fn get_execution(server: &TestServer, id: &str) -> v1::Execution {
    Runbooks::new(server.channel().await)
        .get_execution(authed(
            &server.admin_token,
            v1::GetExecutionRequest {
                execution_id: id.to_owned(),
            },
        ))
        .await
        .expect("get execution")
        .into_inner()
        .execution
        .unwrap()
}

/// ExecuteRunbook as the admin; answers the new execution.
pub(crate) async fn execute(
    server: &TestServer,
    request: v1::ExecuteRunbookRequest,
) -> v1::Execution {
    Runbooks::new(server.channel().await)
        .execute_runbook(authed(&server.admin_token, request))
        .await
        .expect("execute runbook")
        .into_inner()
        .execution
        .unwrap()
}

/// Waits (up to 20 s) until the execution satisfies `done`.
pub(crate) async fn wait_for(
    server: &TestServer,
    id: &str,
    what: &str,
    done: impl Fn(&v1::Execution) -> bool,
) -> v1::Execution {
    for _ in 0..200 {
        let execution = get_execution(server, id).await;
        if done(&execution) {
            return execution;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "execution {id} never became {what}: {:?}",
        get_execution(server, id).await
    );
}

pub(crate) async fn wait_status(
    server: &TestServer,
    id: &str,
    status: ExecutionStatus,
) -> v1::Execution {
    wait_for(server, id, status.as_str_name(), |e| {
        e.status == status as i32
    })
    .await
}

pub(crate) async fn incident(server: &TestServer, id: &str) -> v1::GetIncidentResponse {
    Incidents::new(server.channel().await)
        .get_incident(authed(
            &server.admin_token,
            v1::GetIncidentRequest {
                incident_id: id.to_owned(),
                max_alerts: 10,
            },
        ))
        .await
        .expect("get incident")
        .into_inner()
}

/// Waits until the incident's timeline holds an entry of `kind`.
pub(crate) async fn wait_timeline(
    server: &TestServer,
    id: &str,
    kind: IncidentEventKind,
) -> v1::GetIncidentResponse {
    for _ in 0..200 {
        let answer = incident(server, id).await;
        if answer.timeline.iter().any(|e| e.kind == kind as i32) {
            return answer;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "incident {id} timeline never got {kind:?}: {:?}",
        incident(server, id).await.timeline
    );
}

async fn send_commands(moto: &Moto) -> Vec<serde_json::Value> {
    moto.calls().await["SendCommand"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

pub(crate) async fn kpis(server: &TestServer, company_id: &str) -> v1::Kpis {
    Incidents::new(server.channel().await)
        .get_kpis(authed(
            &server.admin_token,
            v1::GetKpisRequest {
                company_id: company_id.to_owned(),
                ..Default::default()
            },
        ))
        .await
        .expect("kpis")
        .into_inner()
        .total
        .unwrap()
}

crate::on_both_backends!(auto_rule_heals_the_incident_through_ssm_under_the_company_role);

async fn auto_rule_heals_the_incident_through_ssm_under_the_company_role(backend: Backend) {
    let moto = Moto::start().await;
    let server = server(&moto, backend, 3).await;
    let acme = company(&server, "Acme").await;
    let rule = create_rule(&server, disk_rule(&acme.id, RemediationMode::Auto)).await;
    assert_eq!(
        rule.cooldown.as_ref().unwrap().seconds,
        1800,
        "default cooldown"
    );
    moto.post(
        "/_aw/invocation_outcomes",
        serde_json::json!({"*": {"Status": "Success", "StandardOutputContent": "freed 2.1G", "PendingPolls": 2}}),
    )
    .await;

    let incident_id = disk_full(&server, &acme, WEB, Severity::High).await;
    let execution = execution_for(&server, &incident_id)
        .await
        .expect("an execution");
    assert_eq!(execution.rule_id, rule.id);
    assert_eq!(execution.trigger, v1::ExecutionTrigger::Rule as i32);
    assert_eq!(execution.parameters["mount_point"], "/var");
    assert_eq!(execution.targets.as_ref().unwrap().instance_ids, vec![WEB]);
    let done = wait_status(&server, &execution.id, ExecutionStatus::Succeeded).await;
    assert_eq!(done.assumed_role_arn, ROLE);
    assert_eq!(done.invocations.len(), 1);
    assert_eq!(done.invocations[0].instance_id, WEB);
    assert_eq!(done.invocations[0].stdout, "freed 2.1G");
    assert_eq!(done.invocations[0].response_code, 0);

    // What reached SSM, as moto recorded it.
    let sent = send_commands(&moto).await;
    assert_eq!(sent.len(), 1, "{sent:?}");
    let command = &sent[0];
    assert_eq!(command["DocumentName"], "AWS-RunShellScript");
    assert_eq!(command["InstanceIds"], serde_json::json!([WEB]));
    assert_eq!(command["RoleArn"], ROLE);
    assert_eq!(command["Account"], "111111111111");
    assert_eq!(command["TimeoutSeconds"], 600);
    let commands = command["Parameters"]["commands"].as_array().unwrap();
    assert!(commands.iter().any(|c| c == "MP='/var'"), "{commands:?}");
    assert_eq!(
        command["Parameters"]["executionTimeout"],
        serde_json::json!(["600"])
    );
    assert!(command["Comment"].as_str().unwrap().contains(&execution.id));
    let assumed = moto.calls().await["AssumeRole"].clone();
    assert!(
        assumed
            .as_array()
            .unwrap()
            .iter()
            .any(|call| call["RoleArn"] == ROLE && call["ExternalId"] == "ext-acme-7"),
        "{assumed:?}"
    );
    assert_eq!(done.command_id, command_id_of(&moto).await);

    // The incident healed itself, and says how.
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
        found.resolution.contains(&done.command_id),
        "{}",
        found.resolution
    );
    assert!(
        found.resolution.contains("Disk cleanup"),
        "{}",
        found.resolution
    );
    let kinds: Vec<i32> = healed.timeline.iter().map(|e| e.kind).collect();
    let position = |kind: IncidentEventKind| kinds.iter().position(|k| *k == kind as i32);
    assert!(
        position(IncidentEventKind::RemediationRequested)
            < position(IncidentEventKind::RemediationStarted)
    );
    assert!(
        position(IncidentEventKind::RemediationStarted)
            < position(IncidentEventKind::RemediationSucceeded)
    );
    assert!(
        position(IncidentEventKind::RemediationSucceeded) < position(IncidentEventKind::Resolved)
    );
    let figures = kpis(&server, &acme.id).await;
    assert_eq!(figures.incident_count, 1);
    assert_eq!(figures.self_healed_count, 1);
    assert!(
        (figures.self_healed_pct - 100.0).abs() < 1e-9,
        "{figures:?}"
    );
    assert!(figures.mttr.is_some());

    // The execution's whole life, replayed from the log in order.
    let mut stream = Runbooks::new(server.channel().await)
        .watch_executions(authed(
            &server.admin_token,
            v1::WatchExecutionsRequest {
                company_id: acme.id.clone(),
                after_sequence: Some(0),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    let mut kinds = Vec::new();
    let mut last = 0;
    while kinds.last() != Some(&(ExecutionEventKind::Succeeded as i32)) {
        let message = tokio::time::timeout(Duration::from_secs(10), stream.next())
            .await
            .expect("events in time")
            .unwrap()
            .unwrap();
        if let Some(v1::watch_executions_response::Payload::Event(event)) = message.payload {
            assert!(event.sequence > last, "sequences increase");
            last = event.sequence;
            assert_eq!(event.execution.as_ref().unwrap().id, execution.id);
            kinds.push(event.kind);
        }
    }
    assert_eq!(kinds[0], ExecutionEventKind::Created as i32);
    assert_eq!(kinds[1], ExecutionEventKind::Started as i32);
    assert!(kinds.contains(&(ExecutionEventKind::InvocationUpdated as i32)));
    let metrics = server.metrics().await;
    assert!(
        metrics
            .contains("alertwhisperer_runbook_executions_finished_total{status=\"succeeded\"} 1"),
        "{metrics}"
    );
}

async fn command_id_of(moto: &Moto) -> String {
    let commands = moto.get("/_aw/commands").await;
    commands["111111111111"][0]["CommandId"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn approval_rule_waits_and_reject_or_expiry_end_it() {
    let moto = Moto::start().await;
    let server = server(&moto, Backend::Sqlite, 3).await;
    let acme = company(&server, "Acme").await;
    let mut rule = disk_rule(&acme.id, RemediationMode::Approval);
    rule.cooldown = Some(prost_types::Duration::default());
    create_rule(&server, rule).await;

    let first = disk_full(&server, &acme, WEB, Severity::High).await;
    let waiting = execution_for(&server, &first).await.unwrap();
    assert_eq!(waiting.status, ExecutionStatus::PendingApproval as i32);
    let expires = waiting.approval_expire_time.as_ref().unwrap().seconds;
    let created = waiting.create_time.as_ref().unwrap().seconds;
    assert!(
        (3599..=3601).contains(&(expires - created)),
        "default 1 h approval timeout"
    );
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(
        send_commands(&moto).await.is_empty(),
        "nothing runs before approval"
    );
    let viewer = crate::correlation::token(&server, OperatorRole::Viewer, &[]).await;
    let error = Runbooks::new(server.channel().await)
        .approve_execution(authed(
            &viewer,
            v1::ApproveExecutionRequest {
                execution_id: waiting.id.clone(),
                comment: String::new(),
            },
        ))
        .await
        .expect_err("viewers cannot approve");
    assert_eq!(error.code(), Code::PermissionDenied);
    let approved = Runbooks::new(server.channel().await)
        .approve_execution(authed(
            &server.admin_token,
            v1::ApproveExecutionRequest {
                execution_id: waiting.id.clone(),
                comment: "go".to_owned(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .execution
        .unwrap();
    assert!(
        approved.approved_by.starts_with("token:"),
        "{}",
        approved.approved_by
    );
    wait_status(&server, &waiting.id, ExecutionStatus::Succeeded).await;
    assert_eq!(send_commands(&moto).await.len(), 1);
    let error = Runbooks::new(server.channel().await)
        .approve_execution(authed(
            &server.admin_token,
            v1::ApproveExecutionRequest {
                execution_id: waiting.id.clone(),
                comment: String::new(),
            },
        ))
        .await
        .expect_err("already ran");
    assert_eq!(error.code(), Code::FailedPrecondition);

    // Rejected: never sent, the incident stays open and says so.
    let second = disk_full(&server, &acme, DB, Severity::High).await;
    let waiting = execution_for(&server, &second).await.unwrap();
    let error = Runbooks::new(server.channel().await)
        .reject_execution(authed(
            &server.admin_token,
            v1::RejectExecutionRequest {
                execution_id: waiting.id.clone(),
                reason: String::new(),
            },
        ))
        .await
        .expect_err("a reason is required");
    assert_eq!(error.code(), Code::InvalidArgument);
    let rejected = Runbooks::new(server.channel().await)
        .reject_execution(authed(
            &server.admin_token,
            v1::RejectExecutionRequest {
                execution_id: waiting.id.clone(),
                reason: "DB is mid-backup".to_owned(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .execution
        .unwrap();
    assert_eq!(rejected.status, ExecutionStatus::Rejected as i32);
    assert_eq!(rejected.status_reason, "DB is mid-backup");
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert_eq!(
        send_commands(&moto).await.len(),
        1,
        "a rejected run is never sent"
    );
    let open = incident(&server, &second).await;
    assert_eq!(open.incident.unwrap().status, IncidentStatus::Open as i32);
    assert!(
        open.timeline
            .iter()
            .any(|e| e.message.contains("rejected: DB is mid-backup")),
        "{:?}",
        open.timeline
    );

    // Expired: nobody approved it in time (the deadline is moved into the
    // past in the database, as a minute-long wait would be in a real run).
    let third = disk_full(&server, &acme, "i-0aaaaaaaaaaaaaaaa", Severity::High).await;
    let waiting = execution_for(&server, &third).await.unwrap();
    expire_approval(&server, &waiting.id).await;
    let expired = wait_status(&server, &waiting.id, ExecutionStatus::Expired).await;
    assert!(
        expired.status_reason.contains("approval timeout"),
        "{}",
        expired.status_reason
    );
    assert_eq!(send_commands(&moto).await.len(), 1);
}

/// Moves a pending approval's deadline into the past, straight in the database.
async fn expire_approval(server: &TestServer, execution_id: &str) {
    use sea_orm::{ConnectionTrait, DbBackend, Statement};
    let db = sea_orm::Database::connect(server.config.database_url.clone())
        .await
        .unwrap();
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Sqlite,
            "SELECT data FROM executions WHERE id = ?",
            [execution_id.into()],
        ))
        .await
        .unwrap()
        .unwrap();
    let mut data: serde_json::Value =
        serde_json::from_str(&row.try_get::<String>("", "data").unwrap()).unwrap();
    data["approval_expires_at"] = serde_json::json!(1);
    db.execute_raw(Statement::from_sql_and_values(
        DbBackend::Sqlite,
        "UPDATE executions SET data = ?, next_check_at = 0 WHERE id = ?",
        [data.to_string().into(), execution_id.into()],
    ))
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_or_timed_out_command_leaves_the_incident_open_raised_and_assigned() {
    let moto = Moto::start().await;
    let server = server(&moto, Backend::Sqlite, 3).await;
    let acme = company(&server, "Acme").await;
    let tech = server
        .on_duty_technician(&acme.id, "Ada", "ada@example.com")
        .await;
    create_rule(&server, disk_rule(&acme.id, RemediationMode::Auto)).await;
    moto.post(
        "/_aw/invocation_outcomes",
        serde_json::json!({
            WEB: {"Status": "Failed", "ResponseCode": 2,
                  "StandardErrorContent": "find: '/var/log': Permission denied"},
            DB: {"Status": "TimedOut", "PendingPolls": 1}
        }),
    )
    .await;
    let incident_id = disk_full(&server, &acme, WEB, Severity::Medium).await;
    let before = incident(&server, &incident_id).await.incident.unwrap();
    assert!(before.assigned_technician_id.is_empty());
    let execution = execution_for(&server, &incident_id).await.unwrap();
    let failed = wait_status(&server, &execution.id, ExecutionStatus::Failed).await;
    assert_eq!(failed.invocations[0].response_code, 2);
    assert!(failed.invocations[0].stderr.contains("Permission denied"));
    assert!(
        failed.status_reason.contains(WEB),
        "{}",
        failed.status_reason
    );

    let after = wait_timeline(&server, &incident_id, IncidentEventKind::RemediationFailed).await;
    let found = after.incident.unwrap();
    assert_eq!(found.status, IncidentStatus::Open as i32);
    assert!(!found.self_healed);
    assert!(
        found.priority < before.priority,
        "priority raised: P{} -> P{}",
        before.priority,
        found.priority
    );
    assert!(
        found
            .priority_reasons
            .iter()
            .any(|r| r.contains("runbook run failed")),
        "{:?}",
        found.priority_reasons
    );
    assert_eq!(found.assigned_technician_id, tech.id);

    // A command that times out counts as a failed remediation too.
    let slow = disk_full(&server, &acme, DB, Severity::Medium).await;
    let execution = execution_for(&server, &slow).await.unwrap();
    let timed_out = wait_status(&server, &execution.id, ExecutionStatus::TimedOut).await;
    assert_eq!(
        timed_out.invocations[0].status,
        v1::InvocationStatus::TimedOut as i32
    );
    let after = wait_timeline(&server, &slow, IncidentEventKind::RemediationFailed).await;
    let found = after.incident.unwrap();
    assert_eq!(found.status, IncidentStatus::Open as i32);
    assert!(
        found
            .priority_reasons
            .iter()
            .any(|r| r.contains("runbook run failed"))
    );

    let figures = kpis(&server, &acme.id).await;
    assert_eq!(figures.self_healed_count, 0);
    assert_eq!(figures.open_count, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_mid_execution_resumes_tracking() {
    let moto = Moto::start().await;
    let server = server(&moto, Backend::Sqlite, 3).await;
    let acme = company(&server, "Acme").await;
    create_rule(&server, disk_rule(&acme.id, RemediationMode::Auto)).await;
    moto.post(
        "/_aw/invocation_outcomes",
        serde_json::json!({"*": {"Status": "InProgress"}}),
    )
    .await;
    let incident_id = disk_full(&server, &acme, WEB, Severity::High).await;
    let execution = execution_for(&server, &incident_id).await.unwrap();
    let running = wait_for(&server, &execution.id, "in progress on SSM", |e| {
        e.invocations
            .iter()
            .any(|i| i.status == v1::InvocationStatus::InProgress as i32)
    })
    .await;
    assert_eq!(running.status, ExecutionStatus::Running as i32);

    let server = server.restart().await;
    moto.post(
        "/_aw/invocations",
        serde_json::json!({"CommandId": running.command_id, "InstanceId": WEB,
            "Status": "Success", "StandardOutputContent": "rotated 3 files"}),
    )
    .await;
    let done = wait_status(&server, &execution.id, ExecutionStatus::Succeeded).await;
    assert_eq!(done.invocations[0].stdout, "rotated 3 files");
    assert_eq!(
        send_commands(&moto).await.len(),
        1,
        "tracked, not sent again"
    );
    let healed = wait_timeline(&server, &incident_id, IncidentEventKind::Resolved).await;
    assert!(healed.incident.unwrap().self_healed);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_concurrency_limit_and_cooldown_guard_runs() {
    let moto = Moto::start().await;
    // One execution of a company at a time.
    let server = server(&moto, Backend::Sqlite, 1).await;
    let acme = company(&server, "Acme").await;
    moto.post(
        "/_aw/invocation_outcomes",
        serde_json::json!({"*": {"Status": "InProgress"}}),
    )
    .await;
    let run = |asset: &'static str| {
        let server = &server;
        let acme = &acme;
        async move {
            Runbooks::new(server.channel().await)
                .execute_runbook(authed(
                    &server.admin_token,
                    v1::ExecuteRunbookRequest {
                        company_id: acme.id.clone(),
                        runbook_id: "builtin-service-restart".to_owned(),
                        parameters: HashMap::from([(
                            "service_name".to_owned(),
                            "nginx".to_owned(),
                        )]),
                        targets: Some(v1::RunbookTargets {
                            instance_ids: vec![asset.to_owned()],
                            tags: vec![],
                        }),
                        ..Default::default()
                    },
                ))
                .await
                .unwrap()
                .into_inner()
                .execution
                .unwrap()
        }
    };
    let first = run(WEB).await;
    let second = run(DB).await;
    let first = wait_for(&server, &first.id, "sent", |e| !e.command_id.is_empty()).await;
    let queued = wait_for(&server, &second.id, "waiting for a slot", |e| {
        e.status_reason.contains("waiting for a slot")
    })
    .await;
    assert_eq!(queued.status, ExecutionStatus::Queued as i32);
    assert!(queued.command_id.is_empty());

    let cancelled = Runbooks::new(server.channel().await)
        .cancel_execution(authed(
            &server.admin_token,
            v1::CancelExecutionRequest {
                execution_id: first.id.clone(),
                reason: "wrong host".to_owned(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .execution
        .unwrap();
    assert_eq!(cancelled.status, ExecutionStatus::Cancelling as i32);
    let cancelled = wait_status(&server, &first.id, ExecutionStatus::Cancelled).await;
    assert!(cancelled.cancelled_by.starts_with("token:"));
    let calls = moto.calls().await;
    assert_eq!(calls["CancelCommand"][0]["CommandId"], first.command_id);
    // The slot is free: the queued one is sent now.
    let second = wait_for(&server, &second.id, "sent", |e| !e.command_id.is_empty()).await;
    assert_eq!(second.status, ExecutionStatus::Running as i32);
    let error = Runbooks::new(server.channel().await)
        .cancel_execution(authed(
            &server.admin_token,
            v1::CancelExecutionRequest {
                execution_id: first.id.clone(),
                reason: String::new(),
            },
        ))
        .await
        .expect_err("already cancelled");
    assert_eq!(error.code(), Code::FailedPrecondition);

    // Cooldown: the manual restart of nginx on WEB was 'Service restart';
    // a rule with that runbook on WEB now is inside its cooldown.
    create_rule(
        &server,
        v1::CreateRemediationRuleRequest {
            company_id: acme.id.clone(),
            name: "Restart hung nginx".to_owned(),
            matchers: vec![matcher("signature", "disk_full")],
            runbook_id: "builtin-service-restart".to_owned(),
            parameter_templates: HashMap::from([("service_name".to_owned(), "nginx".to_owned())]),
            mode: RemediationMode::Auto.into(),
            ..Default::default()
        },
    )
    .await;
    let incident_id = disk_full(&server, &acme, WEB, Severity::High).await;
    assert!(
        execution_for(&server, &incident_id).await.is_none(),
        "cooldown"
    );
    let timeline = incident(&server, &incident_id).await.timeline;
    assert!(
        timeline
            .iter()
            .any(|e| e.message.contains("cooldown") && e.message.contains(&first.id)),
        "{timeline:?}"
    );
    // Another asset is not cooling down: it gets its execution, once.
    let other = disk_full(&server, &acme, "i-0bbbbbbbbbbbbbbbb", Severity::High).await;
    let mine = executions(
        &server,
        v1::ListExecutionsRequest {
            incident_id: other.clone(),
            ..Default::default()
        },
    )
    .await;
    assert_eq!(mine.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silenced_asset_is_not_remediated_and_refused_role_is_named() {
    let moto = Moto::start().await;
    let server = server(&moto, Backend::Sqlite, 3).await;
    let acme = company(&server, "Acme").await;
    create_rule(&server, disk_rule(&acme.id, RemediationMode::Approval)).await;
    let incident_id = disk_full(&server, &acme, WEB, Severity::High).await;
    let waiting = execution_for(&server, &incident_id).await.unwrap();
    // Maintenance starts on the asset while the run waits for approval.
    v1::correlation_service_client::CorrelationServiceClient::new(server.channel().await)
        .create_silence(authed(
            &server.admin_token,
            v1::CreateSilenceRequest {
                company_id: acme.id.clone(),
                matchers: vec![matcher("asset", WEB)],
                start_time: None,
                end_time: Some(prost_types::Timestamp {
                    seconds: prost_types::Timestamp::from(std::time::SystemTime::now()).seconds
                        + 3600,
                    nanos: 0,
                }),
                comment: "patching".to_owned(),
            },
        ))
        .await
        .unwrap();
    Runbooks::new(server.channel().await)
        .approve_execution(authed(
            &server.admin_token,
            v1::ApproveExecutionRequest {
                execution_id: waiting.id.clone(),
                comment: String::new(),
            },
        ))
        .await
        .unwrap();
    let stopped = wait_status(&server, &waiting.id, ExecutionStatus::Cancelled).await;
    assert!(
        stopped.status_reason.contains("silence"),
        "{}",
        stopped.status_reason
    );
    assert!(send_commands(&moto).await.is_empty());
    let still = incident(&server, &incident_id).await.incident.unwrap();
    assert!(
        !still
            .priority_reasons
            .iter()
            .any(|r| r.contains("runbook run failed")),
        "a guardrail is not a failed remediation: {:?}",
        still.priority_reasons
    );

    // A role that may not SendCommand: the execution fails naming the role.
    let globex = tenant(&server, "Globex").await;
    let denied = "arn:aws:iam::222222222222:role/NoRunCommand";
    set_role_arn(&server, &globex.id, denied).await;
    let execution = execute(
        &server,
        v1::ExecuteRunbookRequest {
            company_id: globex.id.clone(),
            runbook_id: "builtin-disk-cleanup".to_owned(),
            targets: Some(v1::RunbookTargets {
                instance_ids: vec![DB.to_owned()],
                tags: vec![],
            }),
            ..Default::default()
        },
    )
    .await;
    let failed = wait_status(&server, &execution.id, ExecutionStatus::Failed).await;
    assert!(
        failed.status_reason.contains(denied),
        "{}",
        failed.status_reason
    );
    assert!(
        failed.status_reason.contains("ssm:SendCommand"),
        "{}",
        failed.status_reason
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_rules_and_runs_are_refused_with_the_field_named() {
    let moto = Moto::start().await;
    let server = server(&moto, Backend::Sqlite, 3).await;
    let acme = company(&server, "Acme").await;
    let mut client = Runbooks::new(server.channel().await);
    let cases: Vec<(v1::CreateRemediationRuleRequest, &str)> = vec![
        (
            v1::CreateRemediationRuleRequest {
                parameter_templates: HashMap::from([(
                    "mount_point".to_owned(),
                    "{{hostname}}".to_owned(),
                )]),
                ..disk_rule(&acme.id, RemediationMode::Auto)
            },
            "parameter_templates[mount_point]",
        ),
        (
            v1::CreateRemediationRuleRequest {
                parameter_templates: HashMap::from([("mountpoint".to_owned(), "/".to_owned())]),
                ..disk_rule(&acme.id, RemediationMode::Auto)
            },
            "parameter_templates[mountpoint]",
        ),
        (disk_rule(&acme.id, RemediationMode::Unspecified), "mode"),
        (
            v1::CreateRemediationRuleRequest {
                matchers: vec![],
                ..disk_rule(&acme.id, RemediationMode::Auto)
            },
            "matchers",
        ),
        (
            v1::CreateRemediationRuleRequest {
                approval_timeout: Some(prost_types::Duration {
                    seconds: 10,
                    nanos: 0,
                }),
                ..disk_rule(&acme.id, RemediationMode::Approval)
            },
            "approval_timeout",
        ),
    ];
    for (request, field) in cases {
        let error = client
            .create_remediation_rule(authed(&server.admin_token, request))
            .await
            .expect_err(field);
        assert_refused_naming(&error, field);
    }
    let run = |parameters: HashMap<String, String>, targets: Option<v1::RunbookTargets>| {
        v1::ExecuteRunbookRequest {
            company_id: acme.id.clone(),
            runbook_id: "builtin-disk-cleanup".to_owned(),
            parameters,
            targets,
            ..Default::default()
        }
    };
    let web = Some(v1::RunbookTargets {
        instance_ids: vec![WEB.to_owned()],
        tags: vec![],
    });
    for (request, field) in [
        (run(HashMap::new(), None), "targets"),
        (
            run(
                HashMap::from([("mount_point".to_owned(), "/var; reboot".to_owned())]),
                web.clone(),
            ),
            "parameters[mount_point]",
        ),
        (
            run(
                HashMap::from([("force".to_owned(), "yes".to_owned())]),
                web.clone(),
            ),
            "parameters[force]",
        ),
        (
            run(
                HashMap::new(),
                Some(v1::RunbookTargets {
                    instance_ids: vec!["web-01".to_owned()],
                    tags: vec![],
                }),
            ),
            "targets.instance_ids[0]",
        ),
    ] {
        let error = client
            .execute_runbook(authed(&server.admin_token, request))
            .await
            .expect_err(field);
        assert_refused_naming(&error, field);
    }
    assert!(
        executions(&server, v1::ListExecutionsRequest::default())
            .await
            .is_empty()
    );

    // A runbook a rule uses cannot be deleted.
    let custom = client
        .create_runbook(authed(
            &server.admin_token,
            v1::CreateRunbookRequest {
                company_id: acme.id.clone(),
                name: "Flush cache".to_owned(),
                document_name: "Acme-FlushCache".to_owned(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .runbook
        .unwrap();
    let rule = create_rule(
        &server,
        v1::CreateRemediationRuleRequest {
            runbook_id: custom.id.clone(),
            parameter_templates: HashMap::new(),
            ..disk_rule(&acme.id, RemediationMode::Auto)
        },
    )
    .await;
    let error = client
        .delete_runbook(authed(
            &server.admin_token,
            v1::DeleteRunbookRequest {
                runbook_id: custom.id.clone(),
            },
        ))
        .await
        .expect_err("in use");
    assert_eq!(error.code(), Code::FailedPrecondition);
    assert!(error.message().contains(&rule.id), "{}", error.message());
    // Acme's rules also use a built-in runbook; another company's admin
    // asking to delete it learns that it is built in, not Acme's rule ids.
    let acme_builtin_rule = create_rule(&server, disk_rule(&acme.id, RemediationMode::Auto)).await;
    let globex = company(&server, "Globex").await;
    let globex_admin =
        crate::tenancy::token(&server, v1::OperatorRole::Admin, &[globex.id.as_str()]).await;
    let error = client
        .delete_runbook(authed(
            &globex_admin,
            v1::DeleteRunbookRequest {
                runbook_id: "builtin-disk-cleanup".to_owned(),
            },
        ))
        .await
        .expect_err("a built-in runbook stays");
    assert_eq!(error.code(), Code::FailedPrecondition);
    assert!(error.message().contains("built in"), "{}", error.message());
    assert!(
        !error.message().contains(&acme_builtin_rule.id),
        "another tenant's rule id leaked: {}",
        error.message()
    );
    client
        .delete_remediation_rule(authed(
            &server.admin_token,
            v1::DeleteRemediationRuleRequest {
                remediation_rule_id: rule.id.clone(),
            },
        ))
        .await
        .unwrap();
    client
        .delete_runbook(authed(
            &server.admin_token,
            v1::DeleteRunbookRequest {
                runbook_id: custom.id,
            },
        ))
        .await
        .unwrap();

    // Without AWS on the server, a run is refused up front.
    let plain = TestServer::start(Backend::Sqlite).await;
    let local = tenant(&plain, "Local").await;
    set_role_arn(&plain, &local.id, ROLE).await;
    let error = Runbooks::new(plain.channel().await)
        .execute_runbook(authed(
            &plain.admin_token,
            v1::ExecuteRunbookRequest {
                company_id: local.id.clone(),
                runbook_id: "builtin-disk-cleanup".to_owned(),
                targets: web,
                ..Default::default()
            },
        ))
        .await
        .expect_err("no aws");
    assert_eq!(error.code(), Code::FailedPrecondition);
    assert!(
        error.message().contains("aws_region"),
        "{}",
        error.message()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_remediation_rpc_refuses_another_tenants_ids() {
    let moto = Moto::start().await;
    let server = server(&moto, Backend::Sqlite, 3).await;
    let acme = company(&server, "Acme").await;
    let globex = company(&server, "Globex").await;
    let rule = create_rule(&server, disk_rule(&acme.id, RemediationMode::Approval)).await;
    let incident_id = disk_full(&server, &acme, WEB, Severity::High).await;
    let execution = execution_for(&server, &incident_id).await.unwrap();
    let custom = Runbooks::new(server.channel().await)
        .create_runbook(authed(
            &server.admin_token,
            v1::CreateRunbookRequest {
                company_id: acme.id.clone(),
                name: "Acme only".to_owned(),
                document_name: "Acme-Fix".to_owned(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .runbook
        .unwrap();
    let outsider = crate::correlation::token(&server, OperatorRole::Admin, &[&globex.id]).await;
    let mut client = Runbooks::new(server.channel().await);
    let not_found = |result: Result<(), tonic::Status>, what: &str| {
        let error = result.expect_err(what);
        assert_eq!(error.code(), Code::NotFound, "{what}: {}", error.message());
    };
    let id = |value: &str| value.to_owned();
    not_found(
        client
            .create_remediation_rule(authed(
                &outsider,
                disk_rule(&acme.id, RemediationMode::Auto),
            ))
            .await
            .map(|_| ()),
        "CreateRemediationRule for another company",
    );
    not_found(
        client
            .create_remediation_rule(authed(
                &outsider,
                v1::CreateRemediationRuleRequest {
                    runbook_id: custom.id.clone(),
                    parameter_templates: HashMap::new(),
                    ..disk_rule(&globex.id, RemediationMode::Auto)
                },
            ))
            .await
            .map(|_| ()),
        "CreateRemediationRule with another company's runbook",
    );
    not_found(
        client
            .list_remediation_rules(authed(
                &outsider,
                v1::ListRemediationRulesRequest {
                    company_id: id(&acme.id),
                    ..Default::default()
                },
            ))
            .await
            .map(|_| ()),
        "ListRemediationRules",
    );
    not_found(
        client
            .delete_remediation_rule(authed(
                &outsider,
                v1::DeleteRemediationRuleRequest {
                    remediation_rule_id: id(&rule.id),
                },
            ))
            .await
            .map(|_| ()),
        "DeleteRemediationRule",
    );
    not_found(
        client
            .execute_runbook(authed(
                &outsider,
                v1::ExecuteRunbookRequest {
                    company_id: id(&acme.id),
                    runbook_id: id("builtin-disk-cleanup"),
                    targets: Some(v1::RunbookTargets {
                        instance_ids: vec![id(WEB)],
                        tags: vec![],
                    }),
                    ..Default::default()
                },
            ))
            .await
            .map(|_| ()),
        "ExecuteRunbook for another company",
    );
    not_found(
        client
            .execute_runbook(authed(
                &outsider,
                v1::ExecuteRunbookRequest {
                    company_id: id(&globex.id),
                    runbook_id: id("builtin-disk-cleanup"),
                    incident_id: id(&incident_id),
                    targets: Some(v1::RunbookTargets {
                        instance_ids: vec![id(WEB)],
                        tags: vec![],
                    }),
                    ..Default::default()
                },
            ))
            .await
            .map(|_| ()),
        "ExecuteRunbook for another company's incident",
    );
    not_found(
        client
            .approve_execution(authed(
                &outsider,
                v1::ApproveExecutionRequest {
                    execution_id: id(&execution.id),
                    comment: String::new(),
                },
            ))
            .await
            .map(|_| ()),
        "ApproveExecution",
    );
    not_found(
        client
            .reject_execution(authed(
                &outsider,
                v1::RejectExecutionRequest {
                    execution_id: id(&execution.id),
                    reason: id("no"),
                },
            ))
            .await
            .map(|_| ()),
        "RejectExecution",
    );
    not_found(
        client
            .cancel_execution(authed(
                &outsider,
                v1::CancelExecutionRequest {
                    execution_id: id(&execution.id),
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
                    execution_id: id(&execution.id),
                },
            ))
            .await
            .map(|_| ()),
        "GetExecution",
    );
    not_found(
        client
            .list_executions(authed(
                &outsider,
                v1::ListExecutionsRequest {
                    company_id: id(&acme.id),
                    ..Default::default()
                },
            ))
            .await
            .map(|_| ()),
        "ListExecutions",
    );
    not_found(
        client
            .watch_executions(authed(
                &outsider,
                v1::WatchExecutionsRequest {
                    company_id: id(&acme.id),
                    ..Default::default()
                },
            ))
            .await
            .map(|_| ()),
        "WatchExecutions",
    );
    // Unfiltered lists leave the other company out.
    let rules = client
        .list_remediation_rules(authed(
            &outsider,
            v1::ListRemediationRulesRequest::default(),
        ))
        .await
        .unwrap()
        .into_inner()
        .remediation_rules;
    assert!(rules.is_empty(), "{rules:?}");
    let runs = client
        .list_executions(authed(&outsider, v1::ListExecutionsRequest::default()))
        .await
        .unwrap()
        .into_inner()
        .executions;
    assert!(runs.is_empty(), "{runs:?}");
    // Nothing was changed by the refused calls.
    let still = get_execution(&server, &execution.id).await;
    assert_eq!(still.status, ExecutionStatus::PendingApproval as i32);
}
