//! Notifications end to end with real receivers (tests/senders/notify_receiver.py):
//! email through an aiosmtpd server that requires STARTTLS and AUTH,
//! outbound webhooks checked by the official `standardwebhooks` verifier,
//! Slack, Teams and PagerDuty bodies as their documentation gives them (and
//! PagerDuty forwarded into our own `/v2/enqueue` of another company),
//! escalation, and receivers that fail, hang or refuse connections.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use alert_whisperer::proto::v1::{
    self, ChannelKind, DeliveryStatus, NotifyEvent, OperatorRole, Severity,
};
use alert_whisperer::{Config, ServerOptions};
use serde_json::Value;
use tokio::io::AsyncBufReadExt;
use tonic::Code;
use tonic::transport::Channel;

use crate::harness::{Backend, TestServer, authed};
use crate::ingest::{Tenant, tenant};
use crate::tls::Authority;

crate::on_both_backends!(
    a_p1_reaches_email_signed_webhooks_slack_teams_and_pagerduty,
    escalation_reaches_level_two_only_while_nobody_acknowledges,
    failing_hanging_and_refused_receivers_retry_dead_letter_and_redeliver,
    notification_rpcs_validate_and_refuse_other_tenants_ids,
    routes_notify_only_inside_their_time_windows,
    repeats_page_the_last_level_and_its_technicians_until_acknowledged,
    a_rate_limited_slack_channel_sends_what_it_held_back_as_one_digest,
    a_server_that_blocks_private_networks_refuses_receivers_there,
    routes_match_the_labels_of_the_incidents_alerts,
);

type Notifications = v1::notification_service_client::NotificationServiceClient<Channel>;
type Incidents = v1::incident_service_client::IncidentServiceClient<Channel>;
type Ingest = v1::ingest_service_client::IngestServiceClient<Channel>;
type Tenants = v1::tenant_service_client::TenantServiceClient<Channel>;

/// The venv's Python when it has the receivers' packages (scripts/setup-tools).
fn python() -> Option<PathBuf> {
    let venv = std::env::var("AW_PYTHON_VENV").unwrap_or_else(|_| "/var/tmp/aw-venv".to_owned());
    let python = PathBuf::from(venv).join("bin/python");
    let ready = std::process::Command::new(&python)
        .args(["-c", "import aiosmtpd, standardwebhooks"])
        .output()
        .is_ok_and(|output| output.status.success());
    if ready {
        return Some(python);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "{} has no aiosmtpd or standardwebhooks: run scripts/setup-tools",
        python.display()
    );
    eprintln!("skipped: no aiosmtpd or standardwebhooks (run scripts/setup-tools)");
    None
}

/// The receivers' process and what it printed.
pub(crate) struct Receivers {
    _child: tokio::process::Child,
    smtp_port: u16,
    pub(crate) http: String,
    dir: tempfile::TempDir,
    ca_pem: String,
    lines: Arc<Mutex<Vec<Value>>>,
}

impl Receivers {
    pub(crate) async fn start() -> Option<Receivers> {
        let python = python()?;
        let dir = tempfile::tempdir().unwrap();
        let authority = Authority::new("notification test CA");
        let leaf = authority.server("smtp.test", 1);
        std::fs::write(dir.path().join("cert.pem"), &leaf.cert).unwrap();
        std::fs::write(dir.path().join("key.pem"), &leaf.key).unwrap();
        std::fs::write(dir.path().join("secret"), "").unwrap();
        let script = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/senders/notify_receiver.py"
        );
        let mut child = tokio::process::Command::new(python)
            .arg(script)
            .arg(dir.path().join("cert.pem"))
            .arg(dir.path().join("key.pem"))
            .arg(dir.path())
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let mut stdout = tokio::io::BufReader::new(child.stdout.take().unwrap()).lines();
        let ready = tokio::time::timeout(Duration::from_secs(30), stdout.next_line())
            .await
            .expect("the receivers start")
            .unwrap()
            .expect("a ready line");
        let mut words = ready.split_whitespace().skip(1);
        let smtp_port = words.next().unwrap().parse().unwrap();
        let http = format!("http://127.0.0.1:{}", words.next().unwrap());
        let lines = Arc::new(Mutex::new(Vec::new()));
        let sink = lines.clone();
        tokio::spawn(async move {
            while let Ok(Some(line)) = stdout.next_line().await {
                if let Ok(value) = serde_json::from_str(&line) {
                    sink.lock().unwrap().push(value);
                }
            }
        });
        Some(Receivers {
            _child: child,
            smtp_port,
            http,
            dir,
            ca_pem: authority.pem(),
            lines,
        })
    }

    pub(crate) fn set_secret(&self, secret: &str) {
        std::fs::write(self.dir.path().join("secret"), secret).unwrap();
    }

    fn set_down(&self, down: bool) {
        let flag = self.dir.path().join("down");
        if down {
            std::fs::write(flag, "").unwrap();
        } else {
            let _ = std::fs::remove_file(flag);
        }
    }

    /// What arrived so far that `wanted` picks.
    pub(crate) fn received(&self, wanted: impl Fn(&Value) -> bool) -> Vec<Value> {
        self.lines
            .lock()
            .unwrap()
            .iter()
            .filter(|line| wanted(line))
            .cloned()
            .collect()
    }

    /// Waits (at most 30 s) until `count` arrivals match `wanted`.
    async fn wait_for(
        &self,
        what: &str,
        count: usize,
        wanted: impl Fn(&Value) -> bool,
    ) -> Vec<Value> {
        for _ in 0..300 {
            let found = self.received(&wanted);
            if found.len() >= count {
                return found;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!(
            "{what}: fewer than {count} arrived; everything received: {:#?}",
            self.lines.lock().unwrap()
        );
    }
}

fn path_is(line: &Value, prefix: &str) -> bool {
    line["kind"] == "http" && line["path"].as_str().is_some_and(|p| p.starts_with(prefix))
}

fn body_of(line: &Value) -> Value {
    serde_json::from_str(line["body"].as_str().unwrap()).unwrap()
}

async fn start_server(backend: Backend, customize: impl FnOnce(&mut Config)) -> TestServer {
    TestServer::start_with(
        backend,
        |config| {
            config.public_url = "https://alerts.msp.example".to_owned();
            customize(config);
        },
        ServerOptions::default(),
    )
    .await
}

async fn notifications(server: &TestServer) -> Notifications {
    Notifications::new(server.channel().await)
}

pub(crate) async fn create_channel(
    server: &TestServer,
    company: &Tenant,
    name: &str,
    config: v1::create_channel_request::Config,
    max_attempts: i32,
) -> v1::CreateChannelResponse {
    notifications(server)
        .await
        .create_channel(authed(
            &server.admin_token,
            v1::CreateChannelRequest {
                max_per_minute: 0,
                company_id: company.id.clone(),
                name: name.to_owned(),
                config: Some(config),
                max_attempts,
            },
        ))
        .await
        .expect("create channel")
        .into_inner()
}

pub(crate) fn webhook(url: String) -> v1::create_channel_request::Config {
    v1::create_channel_request::Config::Webhook(v1::WebhookChannelConfig { url })
}

fn level(channel: &v1::CreateChannelResponse, delay_seconds: i32) -> v1::EscalationLevel {
    v1::EscalationLevel {
        channel_ids: vec![channel.channel.as_ref().unwrap().id.clone()],
        delay_seconds,
        ..Default::default()
    }
}

async fn create_route(
    server: &TestServer,
    company: &Tenant,
    name: &str,
    events: &[NotifyEvent],
    max_priority: i32,
    levels: Vec<v1::EscalationLevel>,
) -> v1::Route {
    notifications(server)
        .await
        .create_route(authed(
            &server.admin_token,
            v1::CreateRouteRequest {
                company_id: company.id.clone(),
                name: name.to_owned(),
                events: events.iter().map(|e| *e as i32).collect(),
                max_priority,
                matchers: vec![],
                levels,
                ..Default::default()
            },
        ))
        .await
        .expect("create route")
        .into_inner()
        .route
        .unwrap()
}

/// Sends one alert through gRPC and answers its incident id.
async fn alert(
    server: &TestServer,
    company: &Tenant,
    asset: &str,
    signature: &str,
    severity: Severity,
) -> String {
    let alert = v1::AlertInput {
        asset: asset.to_owned(),
        signature: signature.to_owned(),
        severity: severity.into(),
        message: format!("{signature} on {asset}"),
        tool_source: "prometheus".to_owned(),
        ..Default::default()
    };
    ingest(server, company, vec![alert]).await.remove(0)
}

/// Sends alerts in one IngestAlerts request and answers their incident ids.
async fn ingest(server: &TestServer, company: &Tenant, alerts: Vec<v1::AlertInput>) -> Vec<String> {
    let mut request = tonic::Request::new(v1::IngestAlertsRequest { alerts });
    request
        .metadata_mut()
        .insert("x-api-key", company.key.parse().unwrap());
    Ingest::new(server.channel().await)
        .ingest_alerts(request)
        .await
        .expect("ingest")
        .into_inner()
        .results
        .into_iter()
        .map(|result| result.incident_id)
        .collect()
}

async fn deliveries(server: &TestServer, company: &Tenant, incident_id: &str) -> Vec<v1::Delivery> {
    notifications(server)
        .await
        .list_deliveries(authed(
            &server.admin_token,
            v1::ListDeliveriesRequest {
                company_id: company.id.clone(),
                incident_id: incident_id.to_owned(),
                page_size: 500,
                ..Default::default()
            },
        ))
        .await
        .expect("list deliveries")
        .into_inner()
        .deliveries
}

/// Waits (at most 30 s) until the incident's deliveries satisfy `done`.
async fn wait_deliveries(
    server: &TestServer,
    company: &Tenant,
    incident_id: &str,
    what: &str,
    done: impl Fn(&[v1::Delivery]) -> bool,
) -> Vec<v1::Delivery> {
    let mut last = Vec::new();
    for _ in 0..300 {
        last = deliveries(server, company, incident_id).await;
        if done(&last) {
            return last;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{what}: deliveries are {last:#?}");
}

fn status(delivery: &v1::Delivery) -> DeliveryStatus {
    DeliveryStatus::try_from(delivery.status).unwrap()
}

async fn timeline(server: &TestServer, incident_id: &str) -> Vec<v1::IncidentEvent> {
    Incidents::new(server.channel().await)
        .get_incident(authed(
            &server.admin_token,
            v1::GetIncidentRequest {
                incident_id: incident_id.to_owned(),
                ..Default::default()
            },
        ))
        .await
        .expect("get incident")
        .into_inner()
        .timeline
}

/// Creates a technician with a Slack member id and answers its id.
async fn technician(
    server: &TestServer,
    company: &Tenant,
    email: &str,
    slack_member_id: &str,
    on_duty: bool,
) -> String {
    Tenants::new(server.channel().await)
        .create_technician(authed(
            &server.admin_token,
            v1::CreateTechnicianRequest {
                company_id: company.id.clone(),
                name: email.split('@').next().unwrap().to_owned(),
                email: email.to_owned(),
                skills: vec![],
                on_duty,
                slack_member_id: slack_member_id.to_owned(),
            },
        ))
        .await
        .expect("create technician")
        .into_inner()
        .technician
        .unwrap()
        .id
}

async fn acknowledge(server: &TestServer, incident_id: &str) {
    Incidents::new(server.channel().await)
        .acknowledge_incident(authed(
            &server.admin_token,
            v1::AcknowledgeIncidentRequest {
                incident_id: incident_id.to_owned(),
                comment: "on it".to_owned(),
            },
        ))
        .await
        .expect("acknowledge");
}

async fn a_p1_reaches_email_signed_webhooks_slack_teams_and_pagerduty(backend: Backend) {
    let Some(receivers) = Receivers::start().await else {
        return;
    };
    let server = start_server(backend, |_| {}).await;
    let acme = tenant(&server, "Acme").await;
    // PagerDuty's events go into our own /v2/enqueue, as another company.
    let pager = tenant(&server, "Pager").await;
    server
        .on_duty_technician(&acme.id, "Dana", "dana@acme.example")
        .await;

    let email = create_channel(
        &server,
        &acme,
        "ops mail",
        smtp_channel(&receivers, &["noc@acme.example"]),
        0,
    )
    .await;
    let email_channel = email.channel.clone().unwrap();
    assert_eq!(email_channel.kind, ChannelKind::Email as i32);
    assert!(email_channel.has_secret);
    assert!(email.signing_secret.is_empty());
    assert_eq!(email_channel.max_attempts, 8);
    let hook = create_channel(
        &server,
        &acme,
        "customer hook",
        webhook(format!("{}/webhook", receivers.http)),
        0,
    )
    .await;
    assert!(
        hook.signing_secret.starts_with("whsec_"),
        "{}",
        hook.signing_secret
    );
    receivers.set_secret(&hook.signing_secret);
    let slack = create_channel(
        &server,
        &acme,
        "slack",
        v1::create_channel_request::Config::Slack(v1::SlackChannelConfig {
            webhook_url: format!("{}/slack/services/T000/B000/XXXX", receivers.http),
        }),
        0,
    )
    .await;
    // A webhook URL that is a credential is shown as its host only.
    assert_eq!(slack.channel.as_ref().unwrap().target, "127.0.0.1");
    let teams = create_channel(
        &server,
        &acme,
        "teams",
        v1::create_channel_request::Config::Teams(v1::TeamsChannelConfig {
            webhook_url: format!("{}/teams/workflows/abc", receivers.http),
        }),
        0,
    )
    .await;
    let pagerduty = create_channel(
        &server,
        &acme,
        "pagerduty",
        v1::create_channel_request::Config::Pagerduty(v1::PagerDutyChannelConfig {
            routing_key: pager.key.clone(),
            events_url: format!("{}/v2/enqueue", server.url()),
        }),
        0,
    )
    .await;

    // TestChannel answers what the SMTP server said.
    let tested = notifications(&server)
        .await
        .test_channel(authed(
            &server.admin_token,
            v1::TestChannelRequest {
                channel_id: email_channel.id.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(tested.ok, "{tested:?}");
    assert_eq!(tested.status_code, 250);
    receivers
        .wait_for("the test email", 1, |line| line["kind"] == "smtp")
        .await;

    // One level of five channels; its email also goes to the on-duty technicians.
    let mut levels = vec![level(&email, 0)];
    for channel in [&hook, &slack, &teams, &pagerduty] {
        levels[0]
            .channel_ids
            .push(channel.channel.as_ref().unwrap().id.clone());
    }
    levels[0].to_on_duty_technicians = true;
    create_route(
        &server,
        &acme,
        "urgent",
        &[
            NotifyEvent::Opened,
            NotifyEvent::Acknowledged,
            NotifyEvent::Resolved,
        ],
        2,
        levels,
    )
    .await;

    // A P3 (one high alert) notifies nobody; a critical one (P2) everybody.
    let quiet = alert(&server, &acme, "web-02", "cpu_high", Severity::High).await;
    let incident = alert(&server, &acme, "db-01", "disk_full", Severity::Critical).await;

    let mails = receivers
        .wait_for("the incident's email", 2, |line| line["kind"] == "smtp")
        .await;
    let mail = &mails[1];
    assert_eq!(mail["tls"], true, "STARTTLS was used");
    assert_eq!(mail["authenticated"], true, "AUTH was used");
    assert_eq!(mail["from"], "alerts@msp.example");
    assert_eq!(
        mail["to"],
        serde_json::json!(["dana@acme.example", "noc@acme.example"]),
        "the channel's recipients and the on-duty technician"
    );
    assert_eq!(mail["subject"], "[P2] opened: disk_full on db-01");
    let text = mail["text"].as_str().unwrap();
    assert!(text.contains("Priority: P2 (severity critical"), "{text}");
    assert!(
        text.contains(&format!(
            "Open the incident: https://alerts.msp.example/#/incidents/{incident}"
        )),
        "{text}"
    );

    let hooks = receivers
        .wait_for("the signed webhook", 1, |l| path_is(l, "/webhook"))
        .await;
    assert_eq!(hooks[0]["verified"], true, "{}", hooks[0]);
    assert_eq!(hooks[0]["tampered_verified"], false);
    let body = body_of(&hooks[0]);
    assert_eq!(body["type"], "incident.opened");
    assert_eq!(body["data"]["incident"]["id"], incident.as_str());
    assert_eq!(body["data"]["incident"]["priority"], 2);
    assert_eq!(body["data"]["incident"]["severity"], "critical");
    assert_eq!(hooks[0]["headers"]["webhook-id"], body["delivery_id"]);

    let slack_body = body_of(
        &receivers
            .wait_for("slack", 1, |l| path_is(l, "/slack"))
            .await[0],
    );
    assert!(
        slack_body["text"]
            .as_str()
            .unwrap()
            .contains("disk_full on db-01")
    );
    assert_eq!(slack_body["blocks"][0]["type"], "header");
    let teams_body = body_of(
        &receivers
            .wait_for("teams", 1, |l| path_is(l, "/teams"))
            .await[0],
    );
    assert_eq!(teams_body["type"], "message");
    assert_eq!(
        teams_body["attachments"][0]["contentType"],
        "application/vnd.microsoft.card.adaptive"
    );
    assert_eq!(
        teams_body["attachments"][0]["content"]["type"],
        "AdaptiveCard"
    );

    // Every delivery of the incident is delivered once; the P3 has none.
    let done = wait_deliveries(&server, &acme, &incident, "five deliveries", |all| {
        all.len() == 5 && all.iter().all(|d| status(d) == DeliveryStatus::Delivered)
    })
    .await;
    for delivery in &done {
        assert_eq!(delivery.attempts, 1);
        assert_eq!(delivery.event, NotifyEvent::Opened as i32);
        assert!(delivery.deliver_time.is_some());
        assert!(delivery.last_error.is_empty());
    }
    let pd = done
        .iter()
        .find(|d| d.channel_id == pagerduty.channel.as_ref().unwrap().id)
        .unwrap();
    assert_eq!(
        pd.last_status_code, 202,
        "our /v2/enqueue answers like PagerDuty"
    );
    assert!(deliveries(&server, &acme, &quiet).await.is_empty());

    // The PagerDuty event opened an incident in the other company, keyed by
    // our incident id; acknowledging ours acknowledges it there.
    let forwarded = crate::ingest::stored_events(&server, &pager.id).await;
    assert_eq!(forwarded.len(), 1, "{forwarded:?}");
    assert_eq!(forwarded[0].dedup_key, incident);
    acknowledge(&server, &incident).await;
    receivers
        .wait_for("the acknowledgement on slack", 2, |l| path_is(l, "/slack"))
        .await;
    wait_deliveries(
        &server,
        &acme,
        &incident,
        "acknowledgement deliveries",
        |all| all.len() == 10 && all.iter().all(|d| status(d) == DeliveryStatus::Delivered),
    )
    .await;
    let forwarded = crate::ingest::stored_events(&server, &pager.id).await;
    assert_eq!(forwarded.len(), 2, "{forwarded:?}");
    let hooks = receivers
        .wait_for("the second webhook", 2, |l| path_is(l, "/webhook"))
        .await;
    assert_eq!(body_of(&hooks[1])["type"], "incident.acknowledged");
    assert_ne!(
        hooks[0]["headers"]["webhook-id"], hooks[1]["headers"]["webhook-id"],
        "each delivery has its own id"
    );
}

async fn escalation_reaches_level_two_only_while_nobody_acknowledges(backend: Backend) {
    let Some(receivers) = Receivers::start().await else {
        return;
    };
    let server = start_server(backend, |_| {}).await;
    let acme = tenant(&server, "Acme").await;
    let first = create_channel(
        &server,
        &acme,
        "level one",
        webhook(format!("{}/l1", receivers.http)),
        0,
    )
    .await;
    let second = create_channel(
        &server,
        &acme,
        "level two",
        webhook(format!("{}/l2", receivers.http)),
        0,
    )
    .await;
    create_route(
        &server,
        &acme,
        "escalate",
        &[NotifyEvent::Opened, NotifyEvent::Acknowledged],
        4,
        vec![level(&first, 0), level(&second, 2)],
    )
    .await;
    let ignored = alert(&server, &acme, "web-01", "service_down", Severity::Critical).await;
    let taken = alert(&server, &acme, "web-02", "service_down", Severity::Critical).await;
    acknowledge(&server, &taken).await;

    // Only the ignored incident reaches level two, after its delay.
    let escalated = receivers
        .wait_for("level two", 1, |l| path_is(l, "/l2"))
        .await;
    assert_eq!(
        body_of(&escalated[0])["data"]["incident"]["id"],
        ignored.as_str()
    );
    assert_eq!(body_of(&escalated[0])["data"]["level"], 2);
    let taken_deliveries = wait_deliveries(
        &server,
        &acme,
        &taken,
        "the escalation is cancelled",
        |all| {
            all.iter()
                .any(|d| d.level == 2 && status(d) == DeliveryStatus::Cancelled)
        },
    )
    .await;
    let cancelled = taken_deliveries.iter().find(|d| d.level == 2).unwrap();
    assert!(
        cancelled.last_error.contains("acknowledged"),
        "{cancelled:?}"
    );
    assert_eq!(cancelled.attempts, 0);
    // The acknowledgement itself goes to level one only.
    assert!(
        taken_deliveries
            .iter()
            .filter(|d| d.event == NotifyEvent::Acknowledged as i32)
            .all(|d| d.level == 1)
    );
    let ignored_deliveries = wait_deliveries(
        &server,
        &acme,
        &ignored,
        "the escalation is delivered",
        |all| {
            all.iter()
                .any(|d| d.level == 2 && status(d) == DeliveryStatus::Delivered)
        },
    )
    .await;
    assert_eq!(ignored_deliveries.len(), 2);
    let entries = timeline(&server, &ignored).await;
    assert!(
        entries.iter().any(|e| e.actor == "notifier"
            && e.message == "escalated to level 2: nobody acknowledged within 2 s"),
        "{entries:#?}"
    );
    assert!(
        !timeline(&server, &taken)
            .await
            .iter()
            .any(|e| e.message.starts_with("escalated")),
        "an acknowledged incident is not escalated"
    );
    assert_eq!(receivers.received(|l| path_is(l, "/l2")).len(), 1);
}

async fn failing_hanging_and_refused_receivers_retry_dead_letter_and_redeliver(backend: Backend) {
    let Some(receivers) = Receivers::start().await else {
        return;
    };
    let server = start_server(backend, |config| {
        config.notify_retry_base_ms = 200;
        config.notify_timeout_seconds = 2;
    })
    .await;
    let acme = tenant(&server, "Acme").await;
    // A port nobody listens on.
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    receivers.set_down(true);
    let down = create_channel(
        &server,
        &acme,
        "down",
        webhook(format!("{}/down", receivers.http)),
        3,
    )
    .await;
    let hang = create_channel(
        &server,
        &acme,
        "hang",
        webhook(format!("{}/hang", receivers.http)),
        2,
    )
    .await;
    let refused = create_channel(
        &server,
        &acme,
        "refused",
        webhook(format!("http://127.0.0.1:{closed}/x")),
        3,
    )
    .await;
    let fine = create_channel(
        &server,
        &acme,
        "fine",
        webhook(format!("{}/webhook", receivers.http)),
        3,
    )
    .await;
    receivers.set_secret(&fine.signing_secret);
    for (name, channel) in [
        ("r-down", &down),
        ("r-hang", &hang),
        ("r-refused", &refused),
        ("r-fine", &fine),
    ] {
        create_route(
            &server,
            &acme,
            name,
            &[NotifyEvent::Opened],
            4,
            vec![level(channel, 0)],
        )
        .await;
    }
    let incident = alert(&server, &acme, "db-01", "disk_full", Severity::Critical).await;
    let id_of = |channel: &v1::CreateChannelResponse| channel.channel.as_ref().unwrap().id.clone();

    // The fine receiver is served while the hanging one still holds its
    // first attempt (2 s timeout).
    let all = wait_deliveries(&server, &acme, &incident, "the fine delivery", |all| {
        all.iter()
            .any(|d| d.channel_id == id_of(&fine) && status(d) == DeliveryStatus::Delivered)
    })
    .await;
    let hanging = all.iter().find(|d| d.channel_id == id_of(&hang)).unwrap();
    assert_eq!(
        hanging.attempts, 0,
        "the hanging receiver has not answered yet"
    );

    let all = wait_deliveries(&server, &acme, &incident, "three dead letters", |all| {
        all.iter()
            .filter(|d| status(d) == DeliveryStatus::Dead)
            .count()
            == 3
    })
    .await;
    let by_channel = |channel: &v1::CreateChannelResponse| {
        all.iter()
            .find(|d| d.channel_id == id_of(channel))
            .unwrap()
            .clone()
    };
    let dead_down = by_channel(&down);
    assert_eq!(dead_down.attempts, 3);
    assert_eq!(dead_down.last_status_code, 500);
    assert!(dead_down.last_error.contains("500"), "{dead_down:?}");
    let dead_refused = by_channel(&refused);
    assert_eq!(dead_refused.attempts, 3);
    assert_eq!(dead_refused.last_status_code, 0);
    assert!(
        dead_refused.last_error.contains("cannot connect"),
        "{dead_refused:?}"
    );
    let dead_hang = by_channel(&hang);
    assert_eq!(dead_hang.attempts, 2);
    assert!(
        dead_hang.last_error.contains("did not answer within 2 s"),
        "{dead_hang:?}"
    );
    assert_eq!(status(&by_channel(&fine)), DeliveryStatus::Delivered);
    // Every attempt of one delivery carried the same idempotency id.
    let attempts = receivers.received(|l| path_is(l, "/down"));
    assert_eq!(attempts.len(), 3);
    assert!(
        attempts
            .iter()
            .all(|a| a["headers"]["webhook-id"] == dead_down.id.as_str())
    );

    // The dead letters are listed by status, and one comes back to life.
    let dead = notifications(&server)
        .await
        .list_deliveries(authed(
            &server.admin_token,
            v1::ListDeliveriesRequest {
                company_id: acme.id.clone(),
                status: DeliveryStatus::Dead.into(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .deliveries;
    assert_eq!(dead.len(), 3);
    receivers.set_down(false);
    let again = notifications(&server)
        .await
        .redeliver_notification(authed(
            &server.admin_token,
            v1::RedeliverNotificationRequest {
                delivery_id: dead_down.id.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .delivery
        .unwrap();
    assert_eq!(status(&again), DeliveryStatus::Pending);
    let redelivered = wait_deliveries(&server, &acme, &incident, "the redelivery", |all| {
        all.iter()
            .any(|d| d.id == dead_down.id && status(d) == DeliveryStatus::Delivered)
    })
    .await;
    let redelivered = redelivered.iter().find(|d| d.id == dead_down.id).unwrap();
    assert_eq!(redelivered.attempts, 4);
    assert_eq!(redelivered.last_status_code, 200);
    let attempts = receivers.received(|l| path_is(l, "/down"));
    assert_eq!(attempts.len(), 4);
    assert_eq!(attempts[3]["status"], 200);
    assert_eq!(attempts[3]["headers"]["webhook-id"], dead_down.id.as_str());
}

async fn notification_rpcs_validate_and_refuse_other_tenants_ids(backend: Backend) {
    let server = start_server(backend, |_| {}).await;
    let acme = tenant(&server, "Acme").await;
    let globex = tenant(&server, "Globex").await;
    let mut client = notifications(&server).await;
    let admin = &server.admin_token;
    let invalid = |request: v1::CreateChannelRequest| {
        let mut client = client.clone();
        async move {
            client
                .create_channel(authed(admin, request))
                .await
                .expect_err("refused")
        }
    };
    let base = v1::CreateChannelRequest {
        company_id: acme.id.clone(),
        name: "x".to_owned(),
        ..Default::default()
    };
    for (request, field) in [
        (base.clone(), "config"),
        (
            v1::CreateChannelRequest {
                config: Some(webhook("ftp://example.com/x".to_owned())),
                ..base.clone()
            },
            "webhook.url",
        ),
        (
            v1::CreateChannelRequest {
                config: Some(webhook("https://example.com/x".to_owned())),
                max_attempts: 50,
                ..base.clone()
            },
            "max_attempts",
        ),
        (
            v1::CreateChannelRequest {
                config: Some(v1::create_channel_request::Config::Email(
                    v1::EmailChannelConfig {
                        smtp_host: "smtp.example.com".to_owned(),
                        from: "not an address".to_owned(),
                        ..Default::default()
                    },
                )),
                ..base.clone()
            },
            "email.from",
        ),
        (
            v1::CreateChannelRequest {
                config: Some(v1::create_channel_request::Config::Pagerduty(
                    v1::PagerDutyChannelConfig {
                        routing_key: "has spaces".to_owned(),
                        ..Default::default()
                    },
                )),
                ..base.clone()
            },
            "pagerduty.routing_key",
        ),
        (
            v1::CreateChannelRequest {
                config: Some(webhook(
                    "http://169.254.169.254/latest/meta-data/".to_owned(),
                )),
                ..base.clone()
            },
            "webhook.url",
        ),
        (
            v1::CreateChannelRequest {
                config: Some(webhook("https://example.com/x".to_owned())),
                max_per_minute: -1,
                ..base.clone()
            },
            "max_per_minute",
        ),
        (
            v1::CreateChannelRequest {
                config: Some(webhook("https://example.com/x".to_owned())),
                max_per_minute: 6_001,
                ..base.clone()
            },
            "max_per_minute",
        ),
    ] {
        let status = invalid(request).await;
        assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
        assert!(status.message().starts_with(field), "{field}: {status:?}");
    }

    let hook = create_channel(
        &server,
        &acme,
        "hook",
        webhook("https://example.com/hook".to_owned()),
        0,
    )
    .await;
    let duplicate = client
        .create_channel(authed(
            admin,
            v1::CreateChannelRequest {
                max_per_minute: 0,
                company_id: acme.id.clone(),
                name: "hook".to_owned(),
                config: Some(webhook("https://example.com/other".to_owned())),
                max_attempts: 0,
            },
        ))
        .await
        .expect_err("a second channel of one name");
    assert_eq!(duplicate.code(), Code::AlreadyExists);
    let globex_hook = create_channel(
        &server,
        &globex,
        "hook",
        webhook("https://example.com/g".to_owned()),
        0,
    )
    .await;
    let acme_slack = create_channel(
        &server,
        &acme,
        "slack",
        v1::create_channel_request::Config::Slack(v1::SlackChannelConfig {
            webhook_url: "https://hooks.slack.example/services/T0/B0/x".to_owned(),
        }),
        0,
    )
    .await;
    let acme_technician = technician(&server, &acme, "ada@acme.example", "U0ACME01", true).await;
    let globex_technician =
        technician(&server, &globex, "grace@globex.example", "U0GLOBEX1", true).await;
    let route_request =
        |company: &Tenant, levels: Vec<v1::EscalationLevel>| v1::CreateRouteRequest {
            repeat_interval_seconds: 0,
            repeat_count: 0,
            company_id: company.id.clone(),
            name: "r".to_owned(),
            events: vec![NotifyEvent::Opened as i32],
            max_priority: 0,
            matchers: vec![],
            levels,
            windows: vec![],
            time_zone: String::new(),
        };
    for (request, field) in [
        (route_request(&acme, vec![]), "levels"),
        (
            v1::CreateRouteRequest {
                time_zone: "Mars/Olympus_Mons".to_owned(),
                ..route_request(&acme, vec![level(&hook, 0)])
            },
            "time_zone",
        ),
        (
            v1::CreateRouteRequest {
                windows: vec![v1::TimeWindow {
                    weekdays: vec![8],
                    start_time: "08:00".to_owned(),
                    end_time: "18:00".to_owned(),
                }],
                ..route_request(&acme, vec![level(&hook, 0)])
            },
            "windows[0].weekdays[0]",
        ),
        (
            v1::CreateRouteRequest {
                windows: vec![v1::TimeWindow {
                    weekdays: vec![],
                    start_time: "8am".to_owned(),
                    end_time: "18:00".to_owned(),
                }],
                ..route_request(&acme, vec![level(&hook, 0)])
            },
            "windows[0].start_time",
        ),
        (
            route_request(&acme, vec![level(&globex_hook, 0)]),
            "levels[0].channel_ids[0]",
        ),
        (
            route_request(&acme, vec![level(&hook, 10), level(&hook, 5)]),
            "levels[1].delay_seconds",
        ),
        (
            v1::CreateRouteRequest {
                events: vec![],
                ..route_request(&acme, vec![level(&hook, 0)])
            },
            "events",
        ),
        (
            v1::CreateRouteRequest {
                max_priority: 7,
                ..route_request(&acme, vec![level(&hook, 0)])
            },
            "max_priority",
        ),
        (
            v1::CreateRouteRequest {
                matchers: vec![v1::Matcher {
                    name: "dedup_key".to_owned(),
                    operator: v1::MatchOperator::Equal.into(),
                    value: "x".to_owned(),
                }],
                ..route_request(&acme, vec![level(&hook, 0)])
            },
            "matchers[0].name",
        ),
        (
            route_request(
                &acme,
                vec![v1::EscalationLevel {
                    to_on_duty_technicians: true,
                    ..level(&hook, 0)
                }],
            ),
            "levels[0]",
        ),
        (
            route_request(
                &acme,
                vec![v1::EscalationLevel {
                    technician_ids: vec![globex_technician.clone()],
                    ..level(&acme_slack, 0)
                }],
            ),
            "levels[0].technician_ids[0]",
        ),
        (
            route_request(
                &acme,
                vec![v1::EscalationLevel {
                    technician_ids: vec![acme_technician.clone()],
                    ..level(&hook, 0)
                }],
            ),
            "levels[0]",
        ),
        (
            v1::CreateRouteRequest {
                repeat_count: 3,
                ..route_request(&acme, vec![level(&hook, 0)])
            },
            "repeat_count",
        ),
        (
            v1::CreateRouteRequest {
                repeat_interval_seconds: 60,
                repeat_count: 21,
                ..route_request(&acme, vec![level(&hook, 0)])
            },
            "repeat_count",
        ),
        (
            v1::CreateRouteRequest {
                repeat_interval_seconds: 86_401,
                repeat_count: 1,
                ..route_request(&acme, vec![level(&hook, 0)])
            },
            "repeat_interval_seconds",
        ),
        (
            v1::CreateRouteRequest {
                events: vec![NotifyEvent::Resolved as i32],
                repeat_interval_seconds: 60,
                repeat_count: 2,
                ..route_request(&acme, vec![level(&hook, 0)])
            },
            "repeat_count",
        ),
    ] {
        let status = client
            .create_route(authed(admin, request))
            .await
            .expect_err("refused");
        assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
        assert!(status.message().starts_with(field), "{field}: {status:?}");
    }
    let route = create_route(
        &server,
        &acme,
        "r",
        &[NotifyEvent::Opened],
        0,
        vec![level(&hook, 0)],
    )
    .await;
    assert_eq!(route.max_priority, 4);
    // A channel a route uses cannot be deleted.
    let in_use = client
        .delete_channel(authed(
            admin,
            v1::DeleteChannelRequest {
                channel_id: hook.channel.as_ref().unwrap().id.clone(),
            },
        ))
        .await
        .expect_err("in use");
    assert_eq!(in_use.code(), Code::FailedPrecondition);
    assert!(
        in_use.message().contains("\"r\"") || in_use.message().contains(" r"),
        "{in_use:?}"
    );

    // A token of Globex sees none of Acme's ids.
    let globex_token = crate::tenancy::token(&server, OperatorRole::Admin, &[&globex.id]).await;
    let hook_id = hook.channel.as_ref().unwrap().id.clone();
    let mut globex_client = notifications(&server).await;
    not_found(
        globex_client
            .test_channel(authed(
                &globex_token,
                v1::TestChannelRequest {
                    channel_id: hook_id.clone(),
                },
            ))
            .await,
        "TestChannel",
    );
    not_found(
        globex_client
            .delete_channel(authed(
                &globex_token,
                v1::DeleteChannelRequest {
                    channel_id: hook_id.clone(),
                },
            ))
            .await,
        "DeleteChannel",
    );
    not_found(
        globex_client
            .delete_route(authed(
                &globex_token,
                v1::DeleteRouteRequest {
                    route_id: route.id.clone(),
                },
            ))
            .await,
        "DeleteRoute",
    );
    not_found(
        globex_client
            .list_channels(authed(
                &globex_token,
                v1::ListChannelsRequest {
                    company_id: acme.id.clone(),
                    ..Default::default()
                },
            ))
            .await,
        "ListChannels",
    );
    not_found(
        globex_client
            .list_routes(authed(
                &globex_token,
                v1::ListRoutesRequest {
                    company_id: acme.id.clone(),
                    ..Default::default()
                },
            ))
            .await,
        "ListRoutes",
    );
    not_found(
        globex_client
            .list_deliveries(authed(
                &globex_token,
                v1::ListDeliveriesRequest {
                    company_id: acme.id.clone(),
                    ..Default::default()
                },
            ))
            .await,
        "ListDeliveries",
    );
    not_found(
        globex_client
            .create_route(authed(
                &globex_token,
                route_request(&acme, vec![level(&hook, 0)]),
            ))
            .await,
        "CreateRoute",
    );
    // A delivery of Acme's, made by an incident.
    let incident = alert(&server, &acme, "db-01", "disk_full", Severity::Critical).await;
    let made = wait_deliveries(&server, &acme, &incident, "a delivery", |all| {
        !all.is_empty()
    })
    .await;
    not_found(
        globex_client
            .redeliver_notification(authed(
                &globex_token,
                v1::RedeliverNotificationRequest {
                    delivery_id: made[0].id.clone(),
                },
            ))
            .await,
        "RedeliverNotification",
    );
    // Globex's own view holds only its own channel.
    let own = globex_client
        .list_channels(authed(
            &globex_token,
            v1::ListChannelsRequest {
                company_id: globex.id.clone(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .channels;
    assert_eq!(own.len(), 1);
    assert_eq!(own[0].id, globex_hook.channel.as_ref().unwrap().id);
    // Viewers read but cannot change.
    let viewer = crate::tenancy::token(&server, OperatorRole::Viewer, &[&acme.id]).await;
    let denied = client
        .create_channel(authed(
            &viewer,
            v1::CreateChannelRequest {
                max_per_minute: 0,
                company_id: acme.id.clone(),
                name: "v".to_owned(),
                config: Some(webhook("https://example.com/v".to_owned())),
                max_attempts: 0,
            },
        ))
        .await
        .expect_err("viewer");
    assert_eq!(denied.code(), Code::PermissionDenied);
}

fn not_found<T: std::fmt::Debug>(result: Result<tonic::Response<T>, tonic::Status>, what: &str) {
    let status = result.expect_err(what);
    assert_eq!(status.code(), Code::NotFound, "{what}: {status:?}");
}

/// "HH:MM" of the UTC time `minutes_from_now` minutes from now.
fn utc_clock(minutes_from_now: i64) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let minute = (i64::try_from(now / 60).unwrap() + minutes_from_now).rem_euclid(1440);
    format!("{:02}:{:02}", minute / 60, minute % 60)
}

async fn routes_notify_only_inside_their_time_windows(backend: Backend) {
    let Some(receivers) = Receivers::start().await else {
        return;
    };
    let server = start_server(backend, |_| {}).await;
    let acme = tenant(&server, "Acme").await;
    let inside = create_channel(
        &server,
        &acme,
        "inside",
        webhook(format!("{}/inside", receivers.http)),
        0,
    )
    .await;
    let outside = create_channel(
        &server,
        &acme,
        "outside",
        webhook(format!("{}/outside", receivers.http)),
        0,
    )
    .await;
    let mut client = notifications(&server).await;
    // One route for a window around now, one for a window half a day away;
    // both in a time zone other than UTC (Asia/Kolkata, UTC+5:30), with
    // windows written in its local time.
    let kolkata = |minutes: i64| utc_clock(minutes + 330);
    for (name, channel, start, end) in [
        ("now", &inside, kolkata(-30), kolkata(30)),
        ("later", &outside, kolkata(600), kolkata(660)),
    ] {
        let route = client
            .create_route(authed(
                &server.admin_token,
                v1::CreateRouteRequest {
                    repeat_interval_seconds: 0,
                    repeat_count: 0,
                    company_id: acme.id.clone(),
                    name: name.to_owned(),
                    events: vec![NotifyEvent::Opened as i32],
                    max_priority: 4,
                    matchers: vec![],
                    levels: vec![level(channel, 0)],
                    windows: vec![v1::TimeWindow {
                        weekdays: vec![],
                        start_time: start.clone(),
                        end_time: end.clone(),
                    }],
                    time_zone: "Asia/Kolkata".to_owned(),
                },
            ))
            .await
            .expect("create route")
            .into_inner()
            .route
            .unwrap();
        assert_eq!(route.time_zone, "Asia/Kolkata");
        assert_eq!(route.windows[0].start_time, start);
    }
    let incident = alert(&server, &acme, "db-01", "disk_full", Severity::Critical).await;
    let done = wait_deliveries(&server, &acme, &incident, "the route of now", |all| {
        all.iter().any(|d| status(d) == DeliveryStatus::Delivered)
    })
    .await;
    assert_eq!(
        done.len(),
        1,
        "only the route whose window holds now: {done:#?}"
    );
    assert_eq!(done[0].channel_id, inside.channel.as_ref().unwrap().id);
    receivers
        .wait_for("inside", 1, |l| path_is(l, "/inside"))
        .await;
    assert!(receivers.received(|l| path_is(l, "/outside")).is_empty());
}

fn smtp_channel(receivers: &Receivers, to: &[&str]) -> v1::create_channel_request::Config {
    v1::create_channel_request::Config::Email(v1::EmailChannelConfig {
        smtp_host: "127.0.0.1".to_owned(),
        smtp_port: u32::from(receivers.smtp_port),
        security: v1::SmtpSecurity::Starttls.into(),
        username: "aw".to_owned(),
        password: "s3cret".to_owned(),
        from: "Alert Whisperer <alerts@msp.example>".to_owned(),
        to: to.iter().map(|address| (*address).to_owned()).collect(),
        ca_certificate_pem: receivers.ca_pem.clone(),
    })
}

async fn repeats_page_the_last_level_and_its_technicians_until_acknowledged(backend: Backend) {
    let Some(receivers) = Receivers::start().await else {
        return;
    };
    let server = start_server(backend, |_| {}).await;
    let acme = tenant(&server, "Acme").await;
    let named = technician(&server, &acme, "ada@acme.example", "U0ADA0001", false).await;
    // Off duty and not named: never paged.
    technician(&server, &acme, "bob@acme.example", "U0BOB0001", false).await;
    let mail = create_channel(
        &server,
        &acme,
        "pager mail",
        smtp_channel(&receivers, &[]),
        0,
    )
    .await;
    let route = notifications(&server)
        .await
        .create_route(authed(
            &server.admin_token,
            v1::CreateRouteRequest {
                company_id: acme.id.clone(),
                name: "page ada".to_owned(),
                events: vec![NotifyEvent::Opened as i32],
                levels: vec![v1::EscalationLevel {
                    technician_ids: vec![named.clone()],
                    ..level(&mail, 0)
                }],
                repeat_interval_seconds: 2,
                repeat_count: 5,
                ..Default::default()
            },
        ))
        .await
        .expect("create route")
        .into_inner()
        .route
        .unwrap();
    assert_eq!((route.repeat_interval_seconds, route.repeat_count), (2, 5));
    assert_eq!(route.levels[0].technician_ids, vec![named.clone()]);

    let incident = alert(&server, &acme, "db-01", "disk_full", Severity::Critical).await;
    // The first sending and two repeats reach the named technician alone.
    let mails = receivers
        .wait_for("the first page and two repeats", 3, |l| l["kind"] == "smtp")
        .await;
    for mail in &mails {
        assert_eq!(
            mail["to"],
            serde_json::json!(["ada@acme.example"]),
            "{mail}"
        );
    }
    let subjects: Vec<&str> = mails
        .iter()
        .map(|m| m["subject"].as_str().unwrap())
        .collect();
    assert!(!subjects[0].contains("repeat"), "{subjects:?}");
    assert!(subjects[1].ends_with("(repeat 1)"), "{subjects:?}");
    assert!(subjects[2].ends_with("(repeat 2)"), "{subjects:?}");
    acknowledge(&server, &incident).await;
    let settled = wait_deliveries(&server, &acme, &incident, "repeats end", |all| {
        all.len() == 6
            && all.iter().all(|d| {
                matches!(
                    status(d),
                    DeliveryStatus::Delivered | DeliveryStatus::Cancelled
                )
            })
    })
    .await;
    let delivered: Vec<&v1::Delivery> = settled
        .iter()
        .filter(|d| status(d) == DeliveryStatus::Delivered)
        .collect();
    let cancelled: Vec<&v1::Delivery> = settled
        .iter()
        .filter(|d| status(d) == DeliveryStatus::Cancelled)
        .collect();
    assert!(delivered.len() >= 3, "{settled:#?}");
    assert!(!cancelled.is_empty(), "{settled:#?}");
    for delivery in &cancelled {
        assert!(delivery.round > 0);
        assert_eq!(delivery.attempts, 0);
        assert_eq!(
            delivery.last_error,
            "acknowledged before the repeat was due"
        );
    }
    let mut rounds: Vec<i32> = settled.iter().map(|d| d.round).collect();
    rounds.sort_unstable();
    assert_eq!(rounds, vec![0, 1, 2, 3, 4, 5]);
    // Nothing more is sent after the acknowledgement settled the rest.
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    assert_eq!(
        receivers.received(|l| l["kind"] == "smtp").len(),
        delivered.len()
    );
    let entries = timeline(&server, &incident).await;
    assert!(
        entries.iter().any(|e| e.actor == "notifier"
            && e.message == "paged level 1 again (repeat 1): nobody acknowledged within 2 s"),
        "{entries:#?}"
    );
    let repeats_on_timeline = entries
        .iter()
        .filter(|e| e.message.starts_with("paged level 1 again"))
        .count();
    assert_eq!(repeats_on_timeline, delivered.len() - 1);
}

async fn a_rate_limited_slack_channel_sends_what_it_held_back_as_one_digest(backend: Backend) {
    let Some(receivers) = Receivers::start().await else {
        return;
    };
    let server = start_server(backend, |_| {}).await;
    let acme = tenant(&server, "Acme").await;
    technician(&server, &acme, "ada@acme.example", "U0ADA0001", true).await;
    let named = technician(&server, &acme, "bob@acme.example", "W0BOB0001", false).await;
    // Off duty and not named: not mentioned.
    technician(&server, &acme, "eve@acme.example", "U0EVE0001", false).await;
    let slack = notifications(&server)
        .await
        .create_channel(authed(
            &server.admin_token,
            v1::CreateChannelRequest {
                company_id: acme.id.clone(),
                name: "noc slack".to_owned(),
                config: Some(v1::create_channel_request::Config::Slack(
                    v1::SlackChannelConfig {
                        webhook_url: format!("{}/slack/services/T0/B0/x", receivers.http),
                    },
                )),
                max_per_minute: 2,
                ..Default::default()
            },
        ))
        .await
        .expect("create slack channel")
        .into_inner();
    assert_eq!(slack.channel.as_ref().unwrap().max_per_minute, 2);
    let hook = notifications(&server)
        .await
        .create_channel(authed(
            &server.admin_token,
            v1::CreateChannelRequest {
                company_id: acme.id.clone(),
                name: "ticketing".to_owned(),
                config: Some(webhook(format!("{}/limited", receivers.http))),
                max_per_minute: 1,
                ..Default::default()
            },
        ))
        .await
        .expect("create webhook channel")
        .into_inner();
    create_route(
        &server,
        &acme,
        "everything",
        &[NotifyEvent::Opened],
        4,
        vec![v1::EscalationLevel {
            channel_ids: vec![
                slack.channel.as_ref().unwrap().id.clone(),
                hook.channel.as_ref().unwrap().id.clone(),
            ],
            to_on_duty_technicians: true,
            technician_ids: vec![named],
            ..Default::default()
        }],
    )
    .await;

    // Ten problems in one request (different checks: no storm folds them),
    // so the notifier sees them in one look.
    let alerts = (0..10)
        .map(|n| v1::AlertInput {
            asset: format!("web-{n:02}"),
            signature: format!("check_{n}_failed"),
            severity: Severity::Critical.into(),
            message: format!("check {n} failed on web-{n:02}"),
            tool_source: "prometheus".to_owned(),
            ..Default::default()
        })
        .collect();
    let incidents = ingest(&server, &acme, alerts).await;

    // Two messages in the minute: one on its own, the other nine as a digest.
    let messages = receivers
        .wait_for("two slack messages", 2, |l| path_is(l, "/slack"))
        .await;
    let texts: Vec<String> = messages
        .iter()
        .map(|m| body_of(m)["text"].as_str().unwrap().to_owned())
        .collect();
    for text in &texts {
        assert!(
            text.starts_with("<@U0ADA0001> <@W0BOB0001> "),
            "on-duty and named technicians are mentioned, no one else: {text}"
        );
    }
    let digest = texts
        .iter()
        .position(|t| t.ends_with("9 incident notifications"))
        .unwrap_or_else(|| panic!("a digest of nine: {texts:#?}"));
    let digest_body = body_of(&messages[digest]);
    let listed = digest_body["blocks"][1]["text"]["text"].as_str().unwrap();
    assert_eq!(listed.lines().count(), 9, "{listed}");

    let slack_id = slack.channel.as_ref().unwrap().id.clone();
    let hook_id = hook.channel.as_ref().unwrap().id.clone();
    // The webhook's one message is recorded once its receiver answered.
    receivers
        .wait_for("the webhook's one message", 1, |l| path_is(l, "/limited"))
        .await;
    let hook_delivered = || async {
        let mut delivered = 0;
        for incident in &incidents {
            delivered += deliveries(&server, &acme, incident)
                .await
                .iter()
                .filter(|d| d.channel_id == hook_id && status(d) == DeliveryStatus::Delivered)
                .count();
        }
        delivered
    };
    for _ in 0..100 {
        if hook_delivered().await > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mut slack_sizes = Vec::new();
    let mut hook_statuses = Vec::new();
    for incident in &incidents {
        let all = wait_deliveries(&server, &acme, incident, "the slack delivery", |all| {
            all.iter()
                .any(|d| d.channel_id == slack_id && status(d) == DeliveryStatus::Delivered)
        })
        .await;
        let on_slack = all.iter().find(|d| d.channel_id == slack_id).unwrap();
        assert_eq!(on_slack.attempts, 1);
        slack_sizes.push(on_slack.digest_size);
        hook_statuses.push(status(
            all.iter().find(|d| d.channel_id == hook_id).unwrap(),
        ));
    }
    slack_sizes.sort_unstable();
    assert_eq!(slack_sizes, [1, 9, 9, 9, 9, 9, 9, 9, 9, 9]);
    // A webhook receiver takes each delivery alone: one went, nine wait for the next minute.
    assert_eq!(
        hook_statuses
            .iter()
            .filter(|s| **s == DeliveryStatus::Delivered)
            .count(),
        1,
        "{hook_statuses:?}"
    );
    assert_eq!(
        hook_statuses
            .iter()
            .filter(|s| **s == DeliveryStatus::Pending)
            .count(),
        9
    );
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(receivers.received(|l| path_is(l, "/limited")).len(), 1);
    assert_eq!(receivers.received(|l| path_is(l, "/slack")).len(), 2);
}

async fn a_server_that_blocks_private_networks_refuses_receivers_there(backend: Backend) {
    let Some(receivers) = Receivers::start().await else {
        return;
    };
    let server = start_server(backend, |config| {
        config.notify_block_private_networks = true;
    })
    .await;
    let acme = tenant(&server, "Acme").await;
    let mut client = notifications(&server).await;
    // Addresses are refused when the channel is made.
    let port = receivers.http.rsplit(':').next().unwrap().to_owned();
    for (config, field) in [
        (
            webhook(format!("{}/webhook", receivers.http)),
            "webhook.url",
        ),
        (
            v1::create_channel_request::Config::Slack(v1::SlackChannelConfig {
                webhook_url: format!("http://[::1]:{port}/slack"),
            }),
            "slack.webhook_url",
        ),
        (webhook("http://10.20.30.40/hook".to_owned()), "webhook.url"),
        (
            smtp_channel(&receivers, &["noc@acme.example"]),
            "email.smtp_host",
        ),
    ] {
        let status = client
            .create_channel(authed(
                &server.admin_token,
                v1::CreateChannelRequest {
                    company_id: acme.id.clone(),
                    name: "refused".to_owned(),
                    config: Some(config),
                    ..Default::default()
                },
            ))
            .await
            .expect_err("a private receiver is refused");
        assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
        assert!(status.message().starts_with(field), "{field}: {status:?}");
        assert!(
            status
                .message()
                .contains("this server does not send notifications there"),
            "{status:?}"
        );
    }
    // Names are checked where they resolve, at every attempt.
    let by_name = create_channel(
        &server,
        &acme,
        "by name",
        webhook(format!("http://localhost:{port}/webhook")),
        0,
    )
    .await;
    let mut mail = smtp_channel(&receivers, &["noc@acme.example"]);
    if let v1::create_channel_request::Config::Email(email) = &mut mail {
        email.smtp_host = "localhost".to_owned();
    }
    let mail = create_channel(&server, &acme, "mail by name", mail, 0).await;
    for channel in [&by_name, &mail] {
        let answer = client
            .test_channel(authed(
                &server.admin_token,
                v1::TestChannelRequest {
                    channel_id: channel.channel.as_ref().unwrap().id.clone(),
                },
            ))
            .await
            .expect("test channel")
            .into_inner();
        assert!(!answer.ok, "{answer:?}");
        assert!(
            answer
                .error
                .contains("localhost resolves to a loopback address"),
            "{answer:?}"
        );
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        receivers.received(|_| true).is_empty(),
        "nothing reached the private receivers"
    );
}

async fn routes_match_the_labels_of_the_incidents_alerts(backend: Backend) {
    let Some(receivers) = Receivers::start().await else {
        return;
    };
    let server = start_server(backend, |_| {}).await;
    let acme = tenant(&server, "Acme").await;
    let hook = create_channel(
        &server,
        &acme,
        "prod hook",
        webhook(format!("{}/prod", receivers.http)),
        0,
    )
    .await;
    let route = notifications(&server)
        .await
        .create_route(authed(
            &server.admin_token,
            v1::CreateRouteRequest {
                company_id: acme.id.clone(),
                name: "production only".to_owned(),
                events: vec![NotifyEvent::Opened as i32],
                matchers: vec![v1::Matcher {
                    name: "labels.env".to_owned(),
                    operator: v1::MatchOperator::Equal.into(),
                    value: "prod".to_owned(),
                }],
                levels: vec![level(&hook, 0)],
                ..Default::default()
            },
        ))
        .await
        .expect("a route on a label")
        .into_inner()
        .route
        .unwrap();
    assert_eq!(route.matchers[0].name, "labels.env");
    let mut ids = Vec::new();
    for (asset, env) in [("web-01", "staging"), ("web-02", "prod"), ("web-03", "")] {
        let mut labels = std::collections::HashMap::new();
        if !env.is_empty() {
            labels.insert("env".to_owned(), env.to_owned());
        }
        let alert = v1::AlertInput {
            asset: asset.to_owned(),
            signature: "service_down".to_owned(),
            severity: Severity::Critical.into(),
            message: format!("service_down on {asset}"),
            tool_source: "prometheus".to_owned(),
            labels,
            ..Default::default()
        };
        ids.extend(ingest(&server, &acme, vec![alert]).await);
    }
    let arrived = receivers
        .wait_for("the production incident", 1, |l| path_is(l, "/prod"))
        .await;
    assert_eq!(
        body_of(&arrived[0])["data"]["incident"]["id"],
        ids[1].as_str()
    );
    tokio::time::sleep(Duration::from_millis(1_000)).await;
    assert_eq!(receivers.received(|l| path_is(l, "/prod")).len(), 1);
    for other in [&ids[0], &ids[2]] {
        assert!(deliveries(&server, &acme, other).await.is_empty());
    }
}
