//! AWS-backed RPCs through the real AWS SDK against moto's server on
//! 127.0.0.1, extended by tests/moto/aw_moto.py where moto 5.2 falls short.

use std::process::Stdio;

use alert_whisperer::proto::v1::{self, OperatorRole};
use tokio::io::AsyncBufReadExt;
use tonic::Code;

use crate::harness::{Backend, TestServer, authed};
use crate::ingest::tenant;

/// A moto server of our own, stopped when dropped.
pub(crate) struct Moto {
    url: String,
    child: tokio::process::Child,
}

impl Moto {
    pub(crate) async fn start() -> Moto {
        let venv =
            std::env::var("AW_PYTHON_VENV").unwrap_or_else(|_| "/var/tmp/aw-venv".to_owned());
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/moto/aw_moto.py");
        let mut child = tokio::process::Command::new(format!("{venv}/bin/python"))
            .args([script, "--host", "127.0.0.1", "--port", "0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("moto: run scripts/setup-tools to create the Python environment");
        let mut lines = tokio::io::BufReader::new(child.stdout.take().unwrap()).lines();
        let address = loop {
            let line = lines
                .next_line()
                .await
                .unwrap()
                .expect("aw_moto exited before it was ready");
            if let Some(address) = line.strip_prefix("aw_moto ready on ") {
                break address.trim().to_owned();
            }
        };
        Moto {
            url: format!("http://{address}"),
            child,
        }
    }

    /// Stops the server and waits until it has exited: AWS is unreachable.
    pub(crate) async fn stop(&mut self) {
        let _ = self.child.kill().await;
    }

    /// The server's base URL.
    pub(crate) fn url(&self) -> &str {
        &self.url
    }

    /// Reads from the extension's control API (e.g. `/_aw/commands`).
    pub(crate) async fn get(&self, path: &str) -> serde_json::Value {
        reqwest::get(format!("{}{path}", self.url))
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// Posts fixtures to the extension's control API (e.g. `/_aw/instances?account=…`).
    pub(crate) async fn post(&self, path: &str, body: serde_json::Value) {
        let response = reqwest::Client::new()
            .post(format!("{}{path}", self.url))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 204, "{path}");
    }

    async fn set_instances(&self, instances: serde_json::Value) {
        self.post("/_aw/instances", instances).await;
    }

    pub(crate) async fn calls(&self) -> serde_json::Value {
        reqwest::get(format!("{}/_aw/calls", self.url))
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }
}

pub(crate) async fn server_with_aws(moto: &Moto) -> TestServer {
    let url = moto.url.clone();
    TestServer::start_with(
        Backend::Sqlite,
        move |config| {
            config.aws_region = "us-east-1".to_owned();
            config.aws_endpoint_url = url;
            config.aws_access_key_id = "testing".to_owned();
            config.aws_secret_access_key = "testing".to_owned();
            // Tests see AWS's first answer, not a retried one.
            config.aws_max_attempts = 1;
        },
        Default::default(),
    )
    .await
}

pub(crate) async fn set_role_arn(server: &TestServer, company_id: &str, role_arn: &str) {
    server
        .tenant()
        .await
        .set_aws_role(authed(
            &server.admin_token,
            v1::SetAwsRoleRequest {
                company_id: company_id.to_owned(),
                role_arn: role_arn.to_owned(),
                external_id: "ext-acme-7".to_owned(),
            },
        ))
        .await
        .unwrap();
}

type Runbooks = v1::runbook_service_client::RunbookServiceClient<tonic::transport::Channel>;

async fn runbooks(server: &TestServer) -> Runbooks {
    v1::runbook_service_client::RunbookServiceClient::new(server.channel().await)
}

#[tokio::test]
async fn without_aws_or_role_the_answer_says_what_is_missing() {
    let plain = TestServer::start(Backend::Sqlite).await;
    let acme = tenant(&plain, "Acme").await;
    let error = runbooks(&plain)
        .await
        .list_managed_instances(authed(
            &plain.admin_token,
            v1::ListManagedInstancesRequest {
                company_id: acme.id.clone(),
                ..Default::default()
            },
        ))
        .await
        .expect_err("no role yet");
    assert_eq!(error.code(), Code::FailedPrecondition);
    assert!(
        error.message().contains("SetAwsRole"),
        "{}",
        error.message()
    );
    set_role_arn(
        &plain,
        &acme.id,
        "arn:aws:iam::123456789012:role/AlertWhisperer",
    )
    .await;
    let error = runbooks(&plain)
        .await
        .list_managed_instances(authed(
            &plain.admin_token,
            v1::ListManagedInstancesRequest {
                company_id: acme.id.clone(),
                ..Default::default()
            },
        ))
        .await
        .expect_err("aws not configured");
    assert_eq!(error.code(), Code::FailedPrecondition);
    assert!(
        error.message().contains("aws_region"),
        "{}",
        error.message()
    );
}

#[tokio::test]
async fn managed_instances_are_listed_through_the_assumed_role() {
    let moto = Moto::start().await;
    let server = server_with_aws(&moto).await;
    let acme = tenant(&server, "Acme").await;
    let role = "arn:aws:iam::123456789012:role/msp/AlertWhisperer";
    set_role_arn(&server, &acme.id, role).await;
    moto.set_instances(serde_json::json!([
        {
            "InstanceId": "mi-0123456789abcdef0", "PingStatus": "Online",
            "LastPingDateTime": 1714564800, "AgentVersion": "3.3.40.0",
            "PlatformType": "Linux", "PlatformName": "Ubuntu", "PlatformVersion": "22.04",
            "ResourceType": "ManagedInstance", "IPAddress": "10.0.0.11",
            "ComputerName": "web-01.acme.local", "Name": "web-01",
            "ActivationId": "a1b2c3", "RegistrationDate": 1714000000
        },
        {
            "InstanceId": "i-0abc123def4567890", "PingStatus": "ConnectionLost",
            "LastPingDateTime": 1714560000, "AgentVersion": "3.2.0.0",
            "PlatformType": "Windows", "PlatformName": "Windows Server 2022",
            "ResourceType": "EC2Instance", "IPAddress": "10.0.0.12",
            "ComputerName": "DC01"
        }
    ]))
    .await;
    let page = runbooks(&server)
        .await
        .list_managed_instances(authed(
            &server.admin_token,
            v1::ListManagedInstancesRequest {
                company_id: acme.id.clone(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(page.instances.len(), 2);
    let web = &page.instances[0];
    assert_eq!(web.company_id, acme.id);
    assert_eq!(web.instance_id, "mi-0123456789abcdef0");
    assert_eq!(web.name, "web-01");
    assert_eq!(web.platform_type, v1::PlatformType::Linux as i32);
    assert_eq!(web.ping_status, v1::PingStatus::Online as i32);
    assert_eq!(
        web.resource_type,
        v1::InstanceResourceType::ManagedInstance as i32
    );
    assert_eq!(web.last_ping_time.unwrap().seconds, 1_714_564_800);
    assert_eq!(web.activation_id, "a1b2c3");
    let dc = &page.instances[1];
    assert_eq!(
        dc.name, "DC01",
        "the computer name when the instance has no name"
    );
    assert_eq!(dc.ping_status, v1::PingStatus::ConnectionLost as i32);
    assert_eq!(dc.platform_type, v1::PlatformType::Windows as i32);

    // What reached AWS: the company's role, assumed with its external ID for 15 minutes.
    let calls = moto.calls().await;
    let assumed = &calls["AssumeRole"][0];
    assert_eq!(assumed["RoleArn"], role);
    assert_eq!(assumed["ExternalId"], "ext-acme-7");
    assert_eq!(assumed["DurationSeconds"], 900);
    assert_eq!(assumed["RoleSessionName"], "alert-whisperer");
    assert_eq!(calls["DescribeInstanceInformation"][0]["MaxResults"], 50);

    // A second call reuses the cached credentials: no second AssumeRole.
    runbooks(&server)
        .await
        .list_managed_instances(authed(
            &server.admin_token,
            v1::ListManagedInstancesRequest {
                company_id: acme.id.clone(),
                ..Default::default()
            },
        ))
        .await
        .unwrap();
    assert_eq!(
        moto.calls().await["AssumeRole"].as_array().unwrap().len(),
        1
    );
}

#[tokio::test]
async fn hybrid_activation_is_created_in_the_company_account() {
    let moto = Moto::start().await;
    let server = server_with_aws(&moto).await;
    let acme = tenant(&server, "Acme").await;
    set_role_arn(
        &server,
        &acme.id,
        "arn:aws:iam::123456789012:role/AlertWhisperer",
    )
    .await;
    let mut client = runbooks(&server).await;
    let created = client
        .create_hybrid_activation(authed(
            &server.admin_token,
            v1::CreateHybridActivationRequest {
                company_id: acme.id.clone(),
                description: "Acme on-prem servers".to_owned(),
                iam_role: "SSMServiceRole".to_owned(),
                registration_limit: 25,
                default_instance_name: "acme-onprem".to_owned(),
                tags: [("client".to_owned(), "acme".to_owned())].into(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(!created.activation_id.is_empty());
    assert_eq!(created.activation_code.len(), 20);
    assert_eq!(created.region, "us-east-1");
    assert!(created.expire_time.is_some());
    let sent = &moto.calls().await["CreateActivation"][0];
    assert_eq!(sent["IamRole"], "SSMServiceRole");
    assert_eq!(sent["RegistrationLimit"], 25);
    assert_eq!(sent["DefaultInstanceName"], "acme-onprem");
    assert_eq!(sent["Tags"][0]["Key"], "client");

    let error = client
        .create_hybrid_activation(authed(
            &server.admin_token,
            v1::CreateHybridActivationRequest {
                company_id: acme.id.clone(),
                ..Default::default()
            },
        ))
        .await
        .expect_err("no iam role");
    assert!(
        error.message().starts_with("iam_role"),
        "{}",
        error.message()
    );

    let audited = server
        .tenant()
        .await
        .list_audit_events(authed(
            &server.admin_token,
            v1::ListAuditEventsRequest {
                company_id: acme.id.clone(),
                action: "RunbookService.CreateHybridActivation".to_owned(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .audit_events;
    assert_eq!(audited.len(), 1);
    assert_eq!(audited[0].target_id, created.activation_id);
}

#[tokio::test]
async fn a_refused_role_is_named_not_an_internal_error() {
    let moto = Moto::start().await;
    let server = server_with_aws(&moto).await;
    let acme = tenant(&server, "Acme").await;
    let role = "arn:aws:iam::123456789012:role/Denied";
    set_role_arn(&server, &acme.id, role).await;
    let error = runbooks(&server)
        .await
        .list_managed_instances(authed(
            &server.admin_token,
            v1::ListManagedInstancesRequest {
                company_id: acme.id.clone(),
                ..Default::default()
            },
        ))
        .await
        .expect_err("denied");
    assert_eq!(
        error.code(),
        Code::FailedPrecondition,
        "{}",
        error.message()
    );
    assert!(error.message().contains(role), "{}", error.message());
    assert!(
        error.message().contains("trust policy"),
        "{}",
        error.message()
    );
}

#[tokio::test]
async fn aws_rpcs_respect_roles_and_companies() {
    let moto = Moto::start().await;
    let server = server_with_aws(&moto).await;
    let a = tenant(&server, "A").await;
    let b = tenant(&server, "B").await;
    set_role_arn(
        &server,
        &b.id,
        "arn:aws:iam::123456789012:role/AlertWhisperer",
    )
    .await;
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
    let mut client = runbooks(&server).await;
    let error = client
        .list_managed_instances(authed(
            &limited,
            v1::ListManagedInstancesRequest {
                company_id: b.id.clone(),
                ..Default::default()
            },
        ))
        .await
        .expect_err("other company");
    assert_eq!(error.code(), Code::NotFound);
    let error = client
        .create_hybrid_activation(authed(
            &limited,
            v1::CreateHybridActivationRequest {
                company_id: b.id.clone(),
                iam_role: "SSMServiceRole".to_owned(),
                ..Default::default()
            },
        ))
        .await
        .expect_err("other company");
    assert_eq!(error.code(), Code::NotFound);
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
    let error = client
        .create_hybrid_activation(authed(
            &viewer,
            v1::CreateHybridActivationRequest {
                company_id: b.id.clone(),
                iam_role: "SSMServiceRole".to_owned(),
                ..Default::default()
            },
        ))
        .await
        .expect_err("viewer");
    assert_eq!(error.code(), Code::PermissionDenied);
    assert!(
        moto.calls().await["CreateActivation"]
            .as_array()
            .unwrap()
            .is_empty()
    );
}
