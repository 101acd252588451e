//! RunbookService catalogue: built-in and custom runbooks.

use alert_whisperer::proto::v1::{self, OperatorRole};
use tonic::Code;

use crate::harness::{Backend, TestServer, authed};
use crate::ingest::tenant;

crate::on_both_backends!(
    built_ins_are_listed_for_every_company_and_read_only,
    custom_runbooks_are_validated_created_updated_and_deleted,
    limited_token_gets_not_found_for_other_company_runbooks,
);

type Client = v1::runbook_service_client::RunbookServiceClient<tonic::transport::Channel>;

async fn client(server: &TestServer) -> Client {
    v1::runbook_service_client::RunbookServiceClient::new(server.channel().await)
}

fn disk_check() -> v1::CreateRunbookRequest {
    v1::CreateRunbookRequest {
        company_id: String::new(),
        name: "Clear IIS logs".to_owned(),
        description: "Deletes IIS logs older than N days".to_owned(),
        document_name: "AWS-RunPowerShellScript".to_owned(),
        document_version: String::new(),
        parameters: vec![v1::RunbookParameter {
            name: "days".to_owned(),
            r#type: v1::RunbookParameterType::Integer.into(),
            required: true,
            default_value: "14".to_owned(),
            ..Default::default()
        }],
        targets: Some(v1::RunbookTargets {
            instance_ids: vec![],
            tags: vec![v1::TagSelector {
                key: "role".to_owned(),
                values: vec!["web".to_owned()],
            }],
        }),
        timeout: Some(prost_types::Duration {
            seconds: 900,
            nanos: 0,
        }),
        max_concurrency: "25%".to_owned(),
        max_errors: "1".to_owned(),
        platform_types: vec![v1::PlatformType::Windows.into()],
        // Unset, as older clients send it: a Run Command runbook.
        kind: v1::RunbookKind::Unspecified.into(),
        target_parameter_name: String::new(),
    }
}

async fn built_ins_are_listed_for_every_company_and_read_only(backend: Backend) {
    let server = TestServer::start(backend).await;
    let acme = tenant(&server, "Acme").await;
    let mut c = client(&server).await;
    let listed = c
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
    let ids: Vec<&str> = listed.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(
        ids,
        vec![
            "builtin-create-snapshot",
            "builtin-disk-cleanup",
            "builtin-log-rotation",
            "builtin-restart-ec2-instance",
            "builtin-service-restart"
        ]
    );
    assert!(listed.iter().all(|r| r.built_in && r.company_id.is_empty()));
    for runbook in &listed {
        let automation = runbook.id.contains("ec2") || runbook.id.contains("snapshot");
        assert_eq!(
            runbook.kind,
            if automation {
                v1::RunbookKind::Automation
            } else {
                v1::RunbookKind::RunCommand
            } as i32,
            "{}",
            runbook.id
        );
        if !automation {
            assert_eq!(runbook.document_name, "AWS-RunShellScript");
        }
    }
    let restart = listed
        .iter()
        .find(|r| r.id == "builtin-service-restart")
        .unwrap();
    assert_eq!(restart.parameters[0].name, "service_name");
    assert!(restart.parameters[0].required);

    let error = c
        .delete_runbook(authed(
            &server.admin_token,
            v1::DeleteRunbookRequest {
                runbook_id: "builtin-disk-cleanup".to_owned(),
            },
        ))
        .await
        .expect_err("read-only");
    assert_eq!(error.code(), Code::FailedPrecondition);
    let error = c
        .update_runbook(authed(
            &server.admin_token,
            v1::UpdateRunbookRequest {
                runbook_id: "builtin-disk-cleanup".to_owned(),
                name: "Mine now".to_owned(),
                update_mask: Some(prost_types::FieldMask {
                    paths: vec!["name".to_owned()],
                }),
                ..Default::default()
            },
        ))
        .await
        .expect_err("read-only");
    assert_eq!(error.code(), Code::FailedPrecondition);

    // A restart re-seeds the built-ins without duplicating them.
    let server = server.restart().await;
    let again = client(&server)
        .await
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
    assert_eq!(again.len(), 5);
}

async fn custom_runbooks_are_validated_created_updated_and_deleted(backend: Backend) {
    let server = TestServer::start(backend).await;
    let acme = tenant(&server, "Acme").await;
    let mut c = client(&server).await;
    let create = |change: &dyn Fn(&mut v1::CreateRunbookRequest)| {
        let mut request = disk_check();
        request.company_id = acme.id.clone();
        change(&mut request);
        authed(&server.admin_token, request)
    };
    let created = c
        .create_runbook(create(&|_| {}))
        .await
        .unwrap()
        .into_inner()
        .runbook
        .unwrap();
    assert!(!created.built_in);
    assert_eq!(created.company_id, acme.id);
    assert_eq!(created.document_version, "$DEFAULT");
    assert_eq!(created.max_concurrency, "25%");
    assert_eq!(created.targets.as_ref().unwrap().tags[0].key, "role");
    assert_eq!(created.kind, v1::RunbookKind::RunCommand as i32);

    for (change, field) in [
        (
            Box::new(|r: &mut v1::CreateRunbookRequest| r.document_name = "x".to_owned())
                as Box<dyn Fn(&mut v1::CreateRunbookRequest)>,
            "document_name",
        ),
        (
            Box::new(|r: &mut v1::CreateRunbookRequest| r.parameters[0].r#type = 0),
            "parameters[0].type",
        ),
        (
            Box::new(|r: &mut v1::CreateRunbookRequest| {
                r.parameters[0].default_value = "two weeks".to_owned()
            }),
            "parameters[0].default_value",
        ),
        (
            Box::new(|r: &mut v1::CreateRunbookRequest| {
                r.timeout = Some(prost_types::Duration {
                    seconds: 49 * 3600,
                    nanos: 0,
                })
            }),
            "timeout",
        ),
        (
            Box::new(|r: &mut v1::CreateRunbookRequest| {
                r.targets = Some(v1::RunbookTargets {
                    instance_ids: vec!["web-01".to_owned()],
                    tags: vec![],
                })
            }),
            "targets.instance_ids[0]",
        ),
        (
            Box::new(|r: &mut v1::CreateRunbookRequest| r.max_errors = "lots".to_owned()),
            "max_errors",
        ),
    ] {
        let error = c.create_runbook(create(&*change)).await.expect_err(field);
        assert_eq!(error.code(), Code::InvalidArgument);
        assert!(error.message().starts_with(field), "{}", error.message());
    }

    let updated = c
        .update_runbook(authed(
            &server.admin_token,
            v1::UpdateRunbookRequest {
                runbook_id: created.id.clone(),
                timeout: Some(prost_types::Duration {
                    seconds: 1800,
                    nanos: 0,
                }),
                update_mask: Some(prost_types::FieldMask {
                    paths: vec!["timeout".to_owned()],
                }),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .runbook
        .unwrap();
    assert_eq!(updated.timeout.unwrap().seconds, 1800);
    assert_eq!(
        updated.name, "Clear IIS logs",
        "fields outside the mask are kept"
    );
    assert_eq!(updated.parameters.len(), 1);
    assert_eq!(updated.targets.unwrap().tags[0].values, vec!["web"]);

    let custom = c
        .list_runbooks(authed(
            &server.admin_token,
            v1::ListRunbooksRequest {
                company_id: acme.id.clone(),
                custom_only: true,
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .runbooks;
    assert_eq!(custom.len(), 1);

    let viewer = server
        .tenant()
        .await
        .create_operator_token(authed(
            &server.admin_token,
            v1::CreateOperatorTokenRequest {
                technician_id: String::new(),
                name: "viewer".to_owned(),
                role: OperatorRole::Viewer.into(),
                company_ids: vec![],
                ttl: None,
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .token;
    let error = c
        .delete_runbook(authed(
            &viewer,
            v1::DeleteRunbookRequest {
                runbook_id: created.id.clone(),
            },
        ))
        .await
        .expect_err("viewer");
    assert_eq!(error.code(), Code::PermissionDenied);

    c.delete_runbook(authed(
        &server.admin_token,
        v1::DeleteRunbookRequest {
            runbook_id: created.id.clone(),
        },
    ))
    .await
    .unwrap();
    let error = c
        .get_runbook(authed(
            &server.admin_token,
            v1::GetRunbookRequest {
                runbook_id: created.id,
            },
        ))
        .await
        .expect_err("deleted");
    assert_eq!(error.code(), Code::NotFound);
}

async fn limited_token_gets_not_found_for_other_company_runbooks(backend: Backend) {
    let server = TestServer::start(backend).await;
    let a = tenant(&server, "A").await;
    let b = tenant(&server, "B").await;
    let mut c = client(&server).await;
    let mut request = disk_check();
    request.company_id = b.id.clone();
    let b_runbook = c
        .create_runbook(authed(&server.admin_token, request))
        .await
        .unwrap()
        .into_inner()
        .runbook
        .unwrap()
        .id;
    let limited = server
        .tenant()
        .await
        .create_operator_token(authed(
            &server.admin_token,
            v1::CreateOperatorTokenRequest {
                technician_id: String::new(),
                name: "a admin".to_owned(),
                role: OperatorRole::Admin.into(),
                company_ids: vec![a.id.clone()],
                ttl: None,
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .token;
    let mut create_for_b = disk_check();
    create_for_b.company_id = b.id.clone();
    let results = vec![
        (
            "CreateRunbook",
            c.create_runbook(authed(&limited, create_for_b))
                .await
                .map(|_| ()),
        ),
        (
            "ListRunbooks",
            c.list_runbooks(authed(
                &limited,
                v1::ListRunbooksRequest {
                    company_id: b.id.clone(),
                    ..Default::default()
                },
            ))
            .await
            .map(|_| ()),
        ),
        (
            "GetRunbook",
            c.get_runbook(authed(
                &limited,
                v1::GetRunbookRequest {
                    runbook_id: b_runbook.clone(),
                },
            ))
            .await
            .map(|_| ()),
        ),
        (
            "UpdateRunbook",
            c.update_runbook(authed(
                &limited,
                v1::UpdateRunbookRequest {
                    runbook_id: b_runbook.clone(),
                    name: "taken".to_owned(),
                    update_mask: Some(prost_types::FieldMask {
                        paths: vec!["name".to_owned()],
                    }),
                    ..Default::default()
                },
            ))
            .await
            .map(|_| ()),
        ),
        (
            "DeleteRunbook",
            c.delete_runbook(authed(
                &limited,
                v1::DeleteRunbookRequest {
                    runbook_id: b_runbook.clone(),
                },
            ))
            .await
            .map(|_| ()),
        ),
    ];
    for (name, result) in &results {
        let status = result.as_ref().expect_err(name);
        assert_eq!(status.code(), Code::NotFound, "{name}: {status:?}");
    }
    // The limited token still sees the built-ins and its own company's list.
    let own = c
        .list_runbooks(authed(
            &limited,
            v1::ListRunbooksRequest {
                company_id: a.id.clone(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .runbooks;
    assert_eq!(own.len(), 5);
    assert!(own.iter().all(|r| r.built_in));
}
