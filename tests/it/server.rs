//! The server as a whole: one port for gRPC, grpc-web and HTTP; health,
//! reflection, metrics; the binary's start-up, CLI and graceful shutdown.

use std::process::Stdio;
use std::time::Duration;

use alert_whisperer::proto::v1;
use prost::Message;
use tokio::io::AsyncBufReadExt;
use tonic::Code;
use tonic_reflection::pb::v1::ServerReflectionRequest;
use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;

use crate::harness::{Backend, TestServer, authed};

#[tokio::test]
async fn reflection_lists_the_seven_services() {
    let server = TestServer::start(Backend::Sqlite).await;
    let mut client = ServerReflectionClient::new(server.channel().await);
    let request = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let mut stream = client
        .server_reflection_info(tokio_stream::iter(vec![request]))
        .await
        .expect("reflection needs no token")
        .into_inner();
    let response = stream.message().await.unwrap().unwrap();
    let Some(MessageResponse::ListServicesResponse(list)) = response.message_response else {
        panic!("unexpected reflection answer {response:?}");
    };
    let mut names: Vec<_> = list
        .service
        .into_iter()
        .map(|s| s.name)
        .filter(|n| n.starts_with("alertwhisperer.v1."))
        .collect();
    names.sort();
    assert_eq!(
        names,
        vec![
            "alertwhisperer.v1.ComplianceService",
            "alertwhisperer.v1.CorrelationService",
            "alertwhisperer.v1.IncidentService",
            "alertwhisperer.v1.IngestService",
            "alertwhisperer.v1.NotificationService",
            "alertwhisperer.v1.RunbookService",
            "alertwhisperer.v1.TenantService",
        ]
    );

    // v1alpha too, for older grpcurl builds.
    let mut alpha =
        tonic_reflection::pb::v1alpha::server_reflection_client::ServerReflectionClient::new(
            server.channel().await,
        );
    let request = tonic_reflection::pb::v1alpha::ServerReflectionRequest {
        host: String::new(),
        message_request: Some(
            tonic_reflection::pb::v1alpha::server_reflection_request::MessageRequest::ListServices(
                String::new(),
            ),
        ),
    };
    let mut stream = alpha
        .server_reflection_info(tokio_stream::iter(vec![request]))
        .await
        .unwrap()
        .into_inner();
    assert!(stream.message().await.unwrap().is_some());
}

#[tokio::test]
async fn runbook_rpcs_need_a_token() {
    let server = TestServer::start(Backend::Sqlite).await;
    let mut runbooks =
        v1::runbook_service_client::RunbookServiceClient::new(server.channel().await);
    // Authentication comes before anything else.
    let error = runbooks
        .list_executions(v1::ListExecutionsRequest::default())
        .await
        .expect_err("no token");
    assert_eq!(error.code(), Code::Unauthenticated);
    let answer = runbooks
        .list_executions(authed(
            &server.admin_token,
            v1::ListExecutionsRequest::default(),
        ))
        .await
        .expect("implemented")
        .into_inner();
    assert!(answer.executions.is_empty());
}

fn grpc_web_frame(message: &impl Message) -> Vec<u8> {
    let body = message.encode_to_vec();
    let mut frame = vec![0u8];
    frame.extend_from_slice(&u32::try_from(body.len()).unwrap().to_be_bytes());
    frame.extend_from_slice(&body);
    frame
}

/// ListCompanies as a browser calls it, grpc-web over HTTP/1.1 with `http`:
/// the answer's HTTP version, the decoded message and the trailer frame's
/// text (`grpc-status:0…`).
pub(crate) async fn grpc_web_list_companies(
    http: &reqwest::Client,
    server: &TestServer,
) -> (reqwest::Version, v1::ListCompaniesResponse, String) {
    let response = http
        .post(format!(
            "{}/alertwhisperer.v1.TenantService/ListCompanies",
            server.url()
        ))
        .header("content-type", "application/grpc-web+proto")
        .header("x-grpc-web", "1")
        .header("authorization", format!("Bearer {}", server.admin_token))
        .body(grpc_web_frame(&v1::ListCompaniesRequest::default()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let version = response.version();
    let bytes = response.bytes().await.unwrap();
    assert_eq!(bytes[0], 0, "first frame is data");
    let len = u32::from_be_bytes(bytes[1..5].try_into().unwrap()) as usize;
    let decoded = v1::ListCompaniesResponse::decode(&bytes[5..5 + len]).unwrap();
    let trailer = &bytes[5 + len..];
    assert_eq!(trailer[0], 0x80, "then the trailer frame");
    (
        version,
        decoded,
        String::from_utf8_lossy(&trailer[5..]).into_owned(),
    )
}

#[tokio::test]
async fn grpc_web_and_http_share_the_port() {
    let server = TestServer::start(Backend::Sqlite).await;
    let http = reqwest::Client::new();

    let health = http
        .get(format!("{}/healthz", server.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    let ready = http
        .get(format!("{}/readyz", server.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status(), 200);
    let missing = http
        .get(format!("{}/nope", server.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);

    // A grpc-web call over plain HTTP/1.1, as a browser makes it.
    let (version, decoded, trailer_text) = grpc_web_list_companies(&http, &server).await;
    assert_eq!(version, reqwest::Version::HTTP_11);
    assert!(decoded.companies.is_empty());
    assert!(trailer_text.contains("grpc-status:0"), "{trailer_text}");

    // The call shows up in /metrics by method and code.
    let metrics = server.metrics().await;
    assert!(
        metrics.contains(
            "alertwhisperer_grpc_requests_total{method=\"alertwhisperer.v1.TenantService/ListCompanies\",code=\"OK\"} 1"
        ),
        "{metrics}"
    );
    assert!(metrics.contains("alertwhisperer_grpc_request_duration_seconds_bucket"));
}

#[tokio::test]
async fn grpc_web_cors_preflight_when_configured() {
    let dir = tempfile::tempdir().unwrap();
    let config = alert_whisperer::Config {
        data_dir: dir.path().to_path_buf(),
        cors_allowed_origins: vec!["https://noc.example".to_owned()],
        ..Default::default()
    }
    .validated()
    .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = alert_whisperer::Server::prepare(config).await.unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(server.serve(listener, async {
        let _ = stopped.await;
    }));
    let response = reqwest::Client::new()
        .request(
            reqwest::Method::OPTIONS,
            format!("http://{addr}/alertwhisperer.v1.TenantService/ListCompanies"),
        )
        .header("origin", "https://noc.example")
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "authorization,content-type,x-grpc-web",
        )
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success());
    assert_eq!(
        response.headers()["access-control-allow-origin"],
        "https://noc.example"
    );
    stop.send(()).unwrap();
    task.await.unwrap().unwrap();
}

pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub(crate) fn binary() -> tokio::process::Command {
    tokio::process::Command::new(env!("CARGO_BIN_EXE_alert-whisperer"))
}

pub(crate) async fn wait_until_healthy(port: u16) {
    let http = reqwest::Client::new();
    for _ in 0..200 {
        let healthy = http
            .get(format!("http://127.0.0.1:{port}/healthz"))
            .send()
            .await
            .is_ok_and(|response| response.status() == 200);
        if healthy {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("server on port {port} did not become healthy");
}

#[tokio::test]
async fn binary_prints_token_once_and_exits_zero_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    for run in 0..2 {
        let port = free_port();
        let mut child = binary()
            .arg("serve")
            .current_dir(dir.path())
            .env("ALERT_WHISPERER_LISTEN", format!("127.0.0.1:{port}"))
            .env_remove("DATABASE_URL")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        wait_until_healthy(port).await;
        let pid = child.id().unwrap();
        let status = tokio::process::Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status()
            .await
            .unwrap();
        assert!(status.success());
        let exit = tokio::time::timeout(Duration::from_secs(30), child.wait())
            .await
            .expect("exits after SIGTERM")
            .unwrap();
        assert!(exit.success(), "exit status {exit:?}");
        let mut stdout = String::new();
        let mut lines = tokio::io::BufReader::new(child.stdout.take().unwrap()).lines();
        while let Some(line) = lines.next_line().await.unwrap() {
            stdout.push_str(&line);
            stdout.push('\n');
        }
        if run == 0 {
            assert!(
                stdout.contains("awo_"),
                "first start prints the token: {stdout}"
            );
        } else {
            assert!(!stdout.contains("awo_"), "later starts do not: {stdout}");
        }
    }
    assert!(dir.path().join("data/alert-whisperer.db").exists());
    assert!(dir.path().join("data/master.key").exists());
}

#[tokio::test]
async fn bad_configuration_stops_start_up_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("aw.toml"),
        "shutdown_grace_seconds = \"soon\"\n",
    )
    .unwrap();
    let output = binary()
        .args(["--config", "aw.toml", "serve"])
        .current_dir(dir.path())
        .output()
        .await
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("shutdown_grace_seconds"), "{stderr}");

    let output = binary()
        .arg("serve")
        .current_dir(dir.path())
        .env("ALERT_WHISPERER_DATABASE_MAX_CONNECTIONS", "0")
        .output()
        .await
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("database_max_connections"), "{stderr}");
}

#[tokio::test]
async fn migrate_and_admin_commands_work() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &'static [&'static str]| {
        let mut command = binary();
        command
            .args(args)
            .current_dir(dir.path())
            .env_remove("DATABASE_URL");
        async move { command.output().await.unwrap() }
    };
    // Each line of `migrate status` is "applied NAME" or "pending NAME", in order.
    let status_lines = |output: std::process::Output| -> Vec<(String, String)> {
        assert!(output.status.success());
        String::from_utf8_lossy(&output.stdout)
            .lines()
            .filter_map(|line| line.split_once(' '))
            .map(|(state, name)| (state.to_owned(), name.to_owned()))
            .collect()
    };
    let before = status_lines(run(&["migrate", "status"]).await);
    assert!(before.len() >= 4, "{before:?}");
    assert_eq!(before[0].1, "m20261126_000001_tenancy");
    assert!(before.iter().all(|(state, _)| state == "pending"));
    assert!(run(&["migrate", "up"]).await.status.success());
    let applied = status_lines(run(&["migrate", "status"]).await);
    assert!(
        applied.iter().all(|(state, _)| state == "applied"),
        "{applied:?}"
    );
    assert!(
        run(&["migrate", "down", "--steps", "1"])
            .await
            .status
            .success()
    );
    let after_one = status_lines(run(&["migrate", "status"]).await);
    let last = after_one.len() - 1;
    assert_eq!(
        after_one[last].0, "pending",
        "the last migration rolled back"
    );
    assert!(
        after_one[..last]
            .iter()
            .all(|(state, _)| state == "applied")
    );
    // Every down runs: all the way back to an empty schema.
    let rest = last.to_string();
    let mut down_rest = binary();
    down_rest
        .args(["migrate", "down", "--steps", &rest])
        .current_dir(dir.path())
        .env_remove("DATABASE_URL");
    assert!(down_rest.output().await.unwrap().status.success());
    let after_all = status_lines(run(&["migrate", "status"]).await);
    assert!(
        after_all.iter().all(|(state, _)| state == "pending"),
        "{after_all:?}"
    );

    let created = run(&["admin", "create-token", "--name", "ops", "--role", "viewer"]).await;
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );
    let token = String::from_utf8_lossy(&created.stdout).trim().to_owned();
    assert!(token.starts_with("awo_"));

    // The CLI-made token authenticates against a server on that database.
    let config = alert_whisperer::Config {
        data_dir: dir.path().join("data"),
        ..Default::default()
    }
    .validated()
    .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = alert_whisperer::Server::prepare(config).await.unwrap();
    assert!(
        server.initial_admin_token().is_none(),
        "a database with a token gets no bootstrap token"
    );
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(server.serve(listener, async {
        let _ = stopped.await;
    }));
    let mut client =
        v1::tenant_service_client::TenantServiceClient::connect(format!("http://{addr}"))
            .await
            .unwrap();
    client
        .list_companies(authed(&token, v1::ListCompaniesRequest::default()))
        .await
        .expect("viewer token from the CLI works");
    let error = client
        .create_company(authed(
            &token,
            v1::CreateCompanyRequest {
                name: "x".to_owned(),
                ..Default::default()
            },
        ))
        .await
        .expect_err("viewer");
    assert_eq!(error.code(), Code::PermissionDenied);
    stop.send(()).unwrap();
    task.await.unwrap().unwrap();
}

/// Every webhook answered 202 is in the database after a `kill -9` right after
/// the last answer.
#[tokio::test]
async fn accepted_alerts_survive_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut child = binary()
        .arg("serve")
        .current_dir(dir.path())
        .env("ALERT_WHISPERER_LISTEN", format!("127.0.0.1:{port}"))
        .env_remove("DATABASE_URL")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    wait_until_healthy(port).await;
    let mut lines = tokio::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let mut token = String::new();
    while let Some(line) = lines.next_line().await.unwrap() {
        if let Some(found) = line.split_whitespace().find(|w| w.starts_with("awo_")) {
            token = found.to_owned();
            break;
        }
    }
    let mut client =
        v1::tenant_service_client::TenantServiceClient::connect(format!("http://127.0.0.1:{port}"))
            .await
            .unwrap();
    let created = client
        .create_company(authed(
            &token,
            v1::CreateCompanyRequest {
                name: "Durable".to_owned(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    let company_id = created.company.unwrap().id;
    let key = created.api_key_secret;

    let http = reqwest::Client::new();
    let mut tasks = Vec::new();
    for i in 0..200 {
        let http = http.clone();
        let key = key.clone();
        tasks.push(tokio::spawn(async move {
            let body = serde_json::json!({
                "asset_name": format!("host-{i}"),
                "signature": "disk_full",
                "severity": "high",
                "message": "disk full",
                "tool_source": "test",
            });
            http.post(format!("http://127.0.0.1:{port}/api/webhooks/alerts"))
                .header("x-api-key", key)
                .json(&body)
                .send()
                .await
                .map(|response| response.status().as_u16())
                .unwrap_or(0)
        }));
    }
    let mut accepted = 0;
    for task in tasks {
        if task.await.unwrap() == 202 {
            accepted += 1;
        }
    }
    // SIGKILL at once: no shutdown, no flush.
    let pid = child.id().unwrap();
    std::process::Command::new("kill")
        .args(["-9", &pid.to_string()])
        .status()
        .unwrap();
    child.wait().await.unwrap();
    assert_eq!(accepted, 200);

    // The answers came from the durable ingest log; a restart writes what
    // the tables did not hold yet into them before it serves.
    let mut restarted = binary()
        .arg("serve")
        .current_dir(dir.path())
        .env("ALERT_WHISPERER_LISTEN", format!("127.0.0.1:{port}"))
        .env_remove("DATABASE_URL")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    wait_until_healthy(port).await;
    let config = alert_whisperer::Config {
        data_dir: dir.path().join("data"),
        ..Default::default()
    }
    .validated()
    .unwrap();
    let store = alert_whisperer::store::Store::connect(&config)
        .await
        .unwrap();
    let events = store
        .alert_events(&alert_whisperer::store::Scope::All, &company_id, 10_000)
        .await
        .unwrap();
    assert_eq!(events.len(), accepted, "every 202 is durable");
    restarted.kill().await.unwrap();
}

/// The `?api_key=` of a webhook never reaches the logs, even at trace level.
#[tokio::test]
async fn query_string_api_key_is_never_logged() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut child = binary()
        .arg("serve")
        .current_dir(dir.path())
        .env("ALERT_WHISPERER_LISTEN", format!("127.0.0.1:{port}"))
        .env("RUST_LOG", "trace")
        .env_remove("DATABASE_URL")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    // Drain the (verbose) log while the server runs, or the pipe fills and blocks it.
    let mut stderr = child.stderr.take().unwrap();
    let logs = tokio::spawn(async move {
        let mut text = Vec::new();
        tokio::io::AsyncReadExt::read_to_end(&mut stderr, &mut text)
            .await
            .unwrap();
        String::from_utf8_lossy(&text).into_owned()
    });
    wait_until_healthy(port).await;
    let stdout = child.stdout.take().unwrap();
    let mut lines = tokio::io::BufReader::new(stdout).lines();
    let mut token = String::new();
    while let Some(line) = lines.next_line().await.unwrap() {
        if let Some(found) = line.split_whitespace().find(|w| w.starts_with("awo_")) {
            token = found.to_owned();
            break;
        }
    }
    let created =
        v1::tenant_service_client::TenantServiceClient::connect(format!("http://127.0.0.1:{port}"))
            .await
            .unwrap()
            .create_company(authed(
                &token,
                v1::CreateCompanyRequest {
                    name: "Quiet".to_owned(),
                    ..Default::default()
                },
            ))
            .await
            .unwrap()
            .into_inner();
    let key = created.api_key_secret;
    let response = reqwest::Client::new()
        .post(format!(
            "http://127.0.0.1:{port}/api/webhooks/alerts?api_key={key}"
        ))
        .header("content-type", "application/json")
        .body(r#"{"asset_name":"a","signature":"b","severity":"low","message":"m","tool_source":"t"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 202);
    let pid = child.id().unwrap();
    std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .unwrap();
    child.wait().await.unwrap();
    let logs = logs.await.unwrap();
    assert!(
        logs.contains("/api/webhooks/alerts"),
        "the request was traced"
    );
    assert!(!logs.contains(&key), "the api key leaked into the logs");
}

/// sqlx 0.9.0 stopped setting TCP_NODELAY (see vendor/README.md); without it
/// every statement longer than one segment waits about 40 ms for the
/// database's delayed ACK. Every socket this process holds to the test
/// PostgreSQL server, the running server's pools among them, has it set.
#[tokio::test]
async fn postgres_sockets_have_nagle_off() {
    use std::os::fd::FromRawFd;
    let Some(url) = crate::harness::postgres_url() else {
        eprintln!("TEST_DATABASE_URL is not set: skipped");
        return;
    };
    let authority = url
        .split("://")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .unwrap_or_default();
    let host_port = authority.rsplit('@').next().unwrap_or_default();
    let port: u16 = match host_port.rsplit_once(':') {
        Some((_, port)) => port.parse().expect("port"),
        None => 5432,
    };
    if host_port.starts_with('%') || host_port.starts_with('/') {
        eprintln!("TEST_DATABASE_URL uses a Unix socket: skipped");
        return;
    }
    let server = TestServer::start(Backend::Postgres).await;
    // A request that reaches the database, so the pools hold connections.
    let _ = server
        .tenant()
        .await
        .list_companies(authed(
            &server.admin_token,
            v1::ListCompaniesRequest::default(),
        ))
        .await
        .expect("list companies");
    let mut checked = 0;
    for entry in std::fs::read_dir("/proc/self/fd").expect("/proc/self/fd") {
        let entry = entry.expect("fd entry");
        let is_socket = std::fs::read_link(entry.path())
            .is_ok_and(|target| target.to_string_lossy().starts_with("socket:"));
        let Some(fd) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<i32>().ok())
        else {
            continue;
        };
        if !is_socket {
            continue;
        }
        // SAFETY: the fd is only borrowed: ManuallyDrop never closes it.
        let stream = std::mem::ManuallyDrop::new(unsafe { std::net::TcpStream::from_raw_fd(fd) });
        let Ok(peer) = stream.peer_addr() else {
            continue;
        };
        if peer.port() != port {
            continue;
        }
        let mut nodelay = stream.nodelay().expect("getsockopt TCP_NODELAY");
        if !nodelay {
            // Another test's pool may be between connect and set_nodelay:
            // look again once that moment has surely passed.
            tokio::time::sleep(Duration::from_millis(200)).await;
            nodelay = stream.peer_addr().map_or(true, |again| again != peer)
                || stream.nodelay().unwrap_or(true);
        }
        assert!(nodelay, "database socket fd {fd} to {peer} has Nagle on");
        checked += 1;
    }
    assert!(checked > 0, "no socket to port {port} found");
}

/// Reads from `stream` until the server closes it or answers; what it read.
async fn until_closed(stream: &mut tokio::net::TcpStream) -> String {
    use tokio::io::AsyncReadExt;
    let mut read = Vec::new();
    let mut buffer = [0u8; 4096];
    loop {
        match stream.read(&mut buffer).await {
            Ok(0) | Err(_) => break,
            Ok(n) => read.extend_from_slice(&buffer[..n]),
        }
    }
    String::from_utf8_lossy(&read).into_owned()
}

#[tokio::test]
async fn slow_and_silent_clients_are_cut_off_and_connections_are_limited() {
    use tokio::io::AsyncWriteExt;
    let server = TestServer::start_with(
        Backend::Sqlite,
        |config| {
            config.header_read_timeout_seconds = 1;
            config.body_read_timeout_seconds = 1;
            config.max_connections = 20;
        },
        Default::default(),
    )
    .await;
    let bound = Duration::from_secs(20);

    // Half a request's headers, then nothing: the server closes the
    // connection (it used to hold it for ever).
    let mut partial = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    partial
        .write_all(b"POST /api/webhooks/alerts HTTP/1.1\r\nHost: aw\r\nContent-Type: app")
        .await
        .unwrap();
    tokio::time::timeout(bound, until_closed(&mut partial))
        .await
        .expect("a client that stops in its headers is cut off");

    // A body shorter than its Content-Length: the request ends with an
    // answer, and the connection closes.
    let mut short = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    short
        .write_all(
            b"POST /api/webhooks/alerts HTTP/1.1\r\nHost: aw\r\nX-API-Key: awk_x\r\n\
              Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"asset",
        )
        .await
        .unwrap();
    let answer = tokio::time::timeout(bound, until_closed(&mut short))
        .await
        .expect("a client that stops in its body is cut off");
    assert!(!answer.contains(" 5"), "never a server error: {answer}");

    // More silent connections than the limit: they hold their slots only
    // until their header timeout, and a real request is then served.
    let mut silent = Vec::new();
    for _ in 0..40 {
        silent.push(tokio::net::TcpStream::connect(server.addr).await.unwrap());
    }
    let health = tokio::time::timeout(
        bound,
        reqwest::Client::new()
            .get(format!("{}/healthz", server.url()))
            .send(),
    )
    .await
    .expect("a request is served once silent connections time out")
    .unwrap();
    assert_eq!(health.status(), 200);
    for mut stream in silent {
        tokio::time::timeout(bound, until_closed(&mut stream))
            .await
            .expect("every silent connection is closed");
    }
}

/// ReplicaService, what replicas of one PostgreSQL deployment ask each
/// other: only a caller with the cluster token (derived from the shared
/// master key) is heard, and a forward in an encoding layout this build does
/// not speak (a replica of another build, mid-upgrade) is refused with
/// FAILED_PRECONDITION naming the layout before its bytes are read; layout 0
/// (what builds before the field sent) is the first layout.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forward_from_a_replica_of_another_layout_is_refused_not_misread() {
    use alert_whisperer::proto::alertwhisperer::internal::v1::ForwardRequest;
    use alert_whisperer::proto::alertwhisperer::internal::v1::replica_service_client::ReplicaServiceClient;

    if crate::harness::postgres_url().is_none() {
        eprintln!("TEST_DATABASE_URL is not set: skipped (replicas need PostgreSQL)");
        return;
    }
    let server = TestServer::start(Backend::Postgres).await;
    let key = alert_whisperer::secrets::MasterKey::existing_local_key(&server.config)
        .expect("read the master key")
        .expect("the server made a master key");
    let token = alert_whisperer::secrets::MasterKey::from_bytes(&key)
        .replica_token()
        .to_owned();
    let mut client = ReplicaServiceClient::new(server.channel().await);
    let forward = |layout: u32, token: &str| {
        let mut request = tonic::Request::new(ForwardRequest {
            company_id: "c-1".to_owned(),
            command: vec![0xFF; 8],
            layout,
        });
        request
            .metadata_mut()
            .insert("x-aw-replica-token", token.parse().expect("ascii token"));
        request
    };
    let stranger = client
        .forward(forward(1, "not-the-token"))
        .await
        .expect_err("a stranger is not heard");
    assert_eq!(stranger.code(), Code::Unauthenticated, "{stranger:?}");
    let newer = client
        .forward(forward(2, &token))
        .await
        .expect_err("layout 2 is not this build's");
    assert_eq!(newer.code(), Code::FailedPrecondition, "{newer:?}");
    assert!(newer.message().contains("forward layout 2"), "{newer:?}");
    for layout in [0, 1] {
        // The layout is accepted; the bytes are then no command at all.
        let garbage = client
            .forward(forward(layout, &token))
            .await
            .expect_err("not a command");
        assert_eq!(
            garbage.code(),
            Code::InvalidArgument,
            "layout {layout}: {garbage:?}"
        );
    }
}
