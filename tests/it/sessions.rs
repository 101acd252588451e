//! Session Manager access from an incident end to end: a technician starts an
//! SSM session to the incident's instance in the company's account under its
//! role (the real AWS SDK against moto, whose missing Session Manager API
//! tests/moto/aw_moto.py emulates), lists it and terminates it; each step is
//! on the incident's timeline and in the audit log; viewers, instances not of
//! the incident and other tenants are refused. A session that ends by itself
//! reaches the timeline too, through the session watcher.

use alert_whisperer::proto::v1::{self, IncidentEventKind, OperatorRole, Severity};
use tonic::Code;
use tonic::metadata::MetadataValue;

use crate::aws::Moto;
use crate::harness::{Backend, TestServer, authed};
use crate::ingest::Tenant;
use crate::remediation::{DB, ROLE, Runbooks, WEB, company, incident, server, server_with};

crate::on_both_backends!(
    a_technician_starts_lists_and_terminates_a_session_from_an_incident,
    a_session_that_ends_by_itself_reaches_the_timeline_once,
);

/// Sends one alert and answers the incident it opened.
async fn alert(server: &TestServer, company: &Tenant, asset: &str) -> String {
    let mut request = tonic::Request::new(v1::IngestAlertsRequest {
        alerts: vec![v1::AlertInput {
            asset: asset.to_owned(),
            signature: "sshd_down".to_owned(),
            severity: Severity::High.into(),
            message: format!("sshd down on {asset}"),
            tool_source: "datadog".to_owned(),
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
    results[0].incident_id.clone()
}

async fn calls(moto: &Moto, operation: &str) -> Vec<serde_json::Value> {
    moto.calls().await[operation]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

async fn audited(server: &TestServer, company_id: &str, action: &str) -> Vec<v1::AuditEvent> {
    server
        .tenant()
        .await
        .list_audit_events(authed(
            &server.admin_token,
            v1::ListAuditEventsRequest {
                company_id: company_id.to_owned(),
                action: action.to_owned(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .audit_events
}

async fn a_technician_starts_lists_and_terminates_a_session_from_an_incident(backend: Backend) {
    let moto = Moto::start().await;
    let server = server(&moto, backend, 3).await;
    let acme = company(&server, "Acme").await;
    let globex = company(&server, "Globex").await;
    crate::aws::set_role_arn(
        &server,
        &globex.id,
        "arn:aws:iam::222222222222:role/msp/AlertWhisperer",
    )
    .await;
    let incident_id = alert(&server, &acme, WEB).await;
    let technician = crate::correlation::token(&server, OperatorRole::Technician, &[]).await;
    let viewer = crate::correlation::token(&server, OperatorRole::Viewer, &[]).await;
    let outsider = crate::correlation::token(&server, OperatorRole::Admin, &[&globex.id]).await;
    let client = Runbooks::new(server.channel().await);
    let start = |instance: &str| v1::StartSessionRequest {
        incident_id: incident_id.clone(),
        instance_id: instance.to_owned(),
        reason: "sshd is down, checking its logs".to_owned(),
    };

    // A viewer may not; another tenant does not see the incident; an
    // instance that is not the incident's is refused. None reaches SSM.
    let error = client
        .clone()
        .start_session(authed(&viewer, start(WEB)))
        .await
        .expect_err("viewer");
    assert_eq!(error.code(), Code::PermissionDenied, "{error:?}");
    let error = client
        .clone()
        .start_session(authed(&outsider, start(WEB)))
        .await
        .expect_err("outsider");
    assert_eq!(error.code(), Code::NotFound, "{error:?}");
    let error = client
        .clone()
        .start_session(authed(&technician, start(DB)))
        .await
        .expect_err("not the incident's instance");
    assert_eq!(error.code(), Code::FailedPrecondition, "{error:?}");
    assert!(error.message().contains(DB), "{}", error.message());
    let error = client
        .clone()
        .start_session(authed(
            &technician,
            v1::StartSessionRequest {
                reason: String::new(),
                ..start(WEB)
            },
        ))
        .await
        .expect_err("no reason");
    assert_eq!(error.code(), Code::InvalidArgument, "{error:?}");
    assert!(calls(&moto, "StartSession").await.is_empty());

    // The technician starts one.
    let started = client
        .clone()
        .start_session(authed(&technician, start(WEB)))
        .await
        .expect("start session")
        .into_inner();
    let session = started.session.clone().unwrap();
    assert!(!session.session_id.is_empty());
    assert_eq!(session.instance_id, WEB);
    assert_eq!(session.incident_id, incident_id);
    assert_eq!(session.company_id, acme.id);
    assert!(!started.token_value.is_empty());
    assert!(
        started.stream_url.starts_with("wss://ssmmessages.")
            && started.stream_url.contains(&session.session_id),
        "{}",
        started.stream_url
    );
    assert!(
        started
            .command_line
            .starts_with(&format!("aws ssm start-session --target {WEB} --region ")),
        "{}",
        started.command_line
    );
    let sent = calls(&moto, "StartSession").await;
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0]["Target"], WEB);
    assert_eq!(sent[0]["RoleArn"], ROLE);
    assert_eq!(sent[0]["Account"], "111111111111");
    assert!(
        sent[0]["Reason"].as_str().unwrap().contains("sshd is down"),
        "{sent:?}"
    );

    // Listed, for the company and for the incident; not for another incident.
    let listed = client
        .clone()
        .list_sessions(authed(
            &technician,
            v1::ListSessionsRequest {
                company_id: acme.id.clone(),
                incident_id: incident_id.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .sessions;
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0].session_id, session.session_id);
    assert_eq!(listed[0].instance_id, WEB);
    assert_eq!(listed[0].status, "Connected");
    assert_eq!(listed[0].reason, "sshd is down, checking its logs");
    assert!(listed[0].started_by.contains("token:"), "{:?}", listed[0]);
    assert!(listed[0].start_time.is_some());
    let other_incident = alert(&server, &acme, DB).await;
    let none = client
        .clone()
        .list_sessions(authed(
            &viewer,
            v1::ListSessionsRequest {
                company_id: acme.id.clone(),
                incident_id: other_incident,
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .sessions;
    assert!(none.is_empty(), "{none:?}");
    for request in [
        v1::ListSessionsRequest {
            company_id: acme.id.clone(),
            incident_id: String::new(),
        },
        v1::ListSessionsRequest {
            company_id: globex.id.clone(),
            incident_id: incident_id.clone(),
        },
    ] {
        let error = client
            .clone()
            .list_sessions(authed(&outsider, request))
            .await
            .expect_err("another tenant's ids");
        assert_eq!(error.code(), Code::NotFound, "{error:?}");
    }

    // Another tenant and a viewer cannot end it.
    let error = client
        .clone()
        .terminate_session(authed(
            &outsider,
            v1::TerminateSessionRequest {
                company_id: acme.id.clone(),
                session_id: session.session_id.clone(),
                reason: String::new(),
            },
        ))
        .await
        .expect_err("outsider");
    assert_eq!(error.code(), Code::NotFound, "{error:?}");
    let error = client
        .clone()
        .terminate_session(authed(
            &outsider,
            v1::TerminateSessionRequest {
                company_id: globex.id.clone(),
                session_id: session.session_id.clone(),
                reason: String::new(),
            },
        ))
        .await
        .expect_err("not in Globex's account");
    assert_eq!(error.code(), Code::NotFound, "{error:?}");
    let error = client
        .clone()
        .terminate_session(authed(
            &viewer,
            v1::TerminateSessionRequest {
                company_id: acme.id.clone(),
                session_id: session.session_id.clone(),
                reason: String::new(),
            },
        ))
        .await
        .expect_err("viewer");
    assert_eq!(error.code(), Code::PermissionDenied, "{error:?}");
    assert!(calls(&moto, "TerminateSession").await.is_empty());

    // The technician ends it.
    let ended = client
        .clone()
        .terminate_session(authed(
            &technician,
            v1::TerminateSessionRequest {
                company_id: acme.id.clone(),
                session_id: session.session_id.clone(),
                reason: "logs collected".to_owned(),
            },
        ))
        .await
        .expect("terminate")
        .into_inner()
        .session
        .unwrap();
    assert_eq!(ended.incident_id, incident_id);
    let terminated = calls(&moto, "TerminateSession").await;
    assert_eq!(terminated.len(), 1, "{terminated:?}");
    assert_eq!(terminated[0]["SessionId"], session.session_id.as_str());
    assert_eq!(terminated[0]["RoleArn"], ROLE);
    let listed = client
        .clone()
        .list_sessions(authed(
            &technician,
            v1::ListSessionsRequest {
                company_id: acme.id.clone(),
                incident_id: String::new(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .sessions;
    assert!(listed.is_empty(), "{listed:?}");
    let error = client
        .clone()
        .terminate_session(authed(
            &technician,
            v1::TerminateSessionRequest {
                company_id: acme.id.clone(),
                session_id: session.session_id.clone(),
                reason: String::new(),
            },
        ))
        .await
        .expect_err("no longer active");
    assert_eq!(error.code(), Code::NotFound, "{error:?}");

    // The timeline and the audit log say who, which instance and why.
    let timeline = incident(&server, &incident_id).await.timeline;
    let comments: Vec<&v1::IncidentEvent> = timeline
        .iter()
        .filter(|e| e.kind == IncidentEventKind::Commented as i32)
        .collect();
    assert_eq!(comments.len(), 2, "{timeline:?}");
    assert!(
        comments[0].message.contains(&session.session_id)
            && comments[0].message.contains("started")
            && comments[0].message.contains(WEB)
            && comments[0].message.contains("sshd is down"),
        "{:?}",
        comments[0]
    );
    assert!(comments[0].actor.contains("token:"), "{:?}", comments[0]);
    assert!(
        comments[1].message.contains("terminated")
            && comments[1].message.contains("logs collected"),
        "{:?}",
        comments[1]
    );
    let starts = audited(&server, &acme.id, "RunbookService.StartSession").await;
    assert_eq!(starts.len(), 1, "{starts:?}");
    assert_eq!(starts[0].target_id, session.session_id);
    assert!(starts[0].actor.contains("token:"));
    let details = format!("{:?}", starts[0].details);
    assert!(
        details.contains(WEB) && details.contains("sshd is down") && details.contains(&incident_id),
        "{details}"
    );
    let ends = audited(&server, &acme.id, "RunbookService.TerminateSession").await;
    assert_eq!(ends.len(), 1, "{ends:?}");
    assert_eq!(ends[0].target_id, session.session_id);

    // A role that may not start sessions is named.
    crate::aws::set_role_arn(
        &server,
        &acme.id,
        "arn:aws:iam::111111111111:role/NoSession",
    )
    .await;
    let error = client
        .clone()
        .start_session(authed(&technician, start(WEB)))
        .await
        .expect_err("refused role");
    assert_eq!(error.code(), Code::FailedPrecondition, "{error:?}");
    assert!(
        error.message().contains("ssm:StartSession"),
        "{}",
        error.message()
    );
}

/// The incident's comments that mention `session_id`.
async fn session_comments(
    server: &TestServer,
    incident_id: &str,
    session_id: &str,
) -> Vec<v1::IncidentEvent> {
    incident(server, incident_id)
        .await
        .timeline
        .into_iter()
        .filter(|e| e.kind == IncidentEventKind::Commented as i32 && e.message.contains(session_id))
        .collect()
}

async fn a_session_that_ends_by_itself_reaches_the_timeline_once(backend: Backend) {
    let moto = Moto::start().await;
    let server = server_with(&moto, backend, |config| config.session_watch_seconds = 1).await;
    let acme = company(&server, "Acme").await;
    let incident_id = alert(&server, &acme, WEB).await;
    let technician = crate::correlation::token(&server, OperatorRole::Technician, &[]).await;
    let client = Runbooks::new(server.channel().await);
    let start = || v1::StartSessionRequest {
        incident_id: incident_id.clone(),
        instance_id: WEB.to_owned(),
        reason: "tail the logs".to_owned(),
    };
    let first = client
        .clone()
        .start_session(authed(&technician, start()))
        .await
        .expect("start session")
        .into_inner()
        .session
        .unwrap();
    let second = client
        .clone()
        .start_session(authed(&technician, start()))
        .await
        .expect("start another")
        .into_inner()
        .session
        .unwrap();

    // Still active: a few sweeps record nothing.
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    assert_eq!(
        session_comments(&server, &incident_id, &first.session_id)
            .await
            .len(),
        1
    );
    assert!(
        audited(&server, &acme.id, "RunbookService.SessionEnded")
            .await
            .is_empty()
    );

    // The first ends by itself in SSM (the client closed it): the watcher
    // puts its end on the timeline and in the audit log, once.
    moto.post(
        "/_aw/sessions/end",
        serde_json::json!({"SessionId": first.session_id}),
    )
    .await;
    let mut comments = Vec::new();
    for _ in 0..100 {
        comments = session_comments(&server, &incident_id, &first.session_id).await;
        if comments.len() == 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(comments.len(), 2, "{comments:?}");
    assert!(
        comments[1].message.contains("ended")
            && comments[1].message.contains("no longer active in SSM")
            && comments[1].message.contains(WEB),
        "{:?}",
        comments[1]
    );
    assert_eq!(comments[1].actor, "system");
    let audits = audited(&server, &acme.id, "RunbookService.SessionEnded").await;
    assert_eq!(audits.len(), 1, "{audits:?}");
    assert_eq!(audits[0].target_id, first.session_id);

    // The second is ended by a person: its end is recorded by
    // TerminateSession only, never again by the watcher.
    client
        .clone()
        .terminate_session(authed(
            &technician,
            v1::TerminateSessionRequest {
                company_id: acme.id.clone(),
                session_id: second.session_id.clone(),
                reason: "done".to_owned(),
            },
        ))
        .await
        .expect("terminate");
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    let comments = session_comments(&server, &incident_id, &second.session_id).await;
    assert_eq!(
        comments.len(),
        2,
        "started and terminated, nothing more: {comments:?}"
    );
    assert!(
        comments[1].message.contains("terminated"),
        "{:?}",
        comments[1]
    );
    assert_eq!(
        session_comments(&server, &incident_id, &first.session_id)
            .await
            .len(),
        2
    );
    assert_eq!(
        audited(&server, &acme.id, "RunbookService.SessionEnded")
            .await
            .len(),
        1
    );
}
