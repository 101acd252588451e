//! Each vendor route, fed the payload its tool sends, stores the right alerts.

use std::sync::Arc;

use alert_whisperer::ServerOptions;
use alert_whisperer::proto::v1::{self, AlertAction, Severity};
use alert_whisperer::webhook::sns::{CertificateError, CertificateSource};
use base64::Engine;

use crate::harness::{Backend, TestServer, authed};
use crate::ingest::{post, stored_events, tenant};

async fn post_json(server: &TestServer, path: &str, key: &str, body: &str) -> reqwest::Response {
    post(server, path)
        .header("x-api-key", key)
        .header("content-type", "application/json")
        .body(body.to_owned())
        .send()
        .await
        .unwrap()
}

const ALERTMANAGER: &str = r#"{
  "version": "4",
  "groupKey": "{}:{alertname=\"NodeFilesystemAlmostFull\"}",
  "truncatedAlerts": 0,
  "status": "firing",
  "receiver": "alert-whisperer",
  "groupLabels": {"alertname": "NodeFilesystemAlmostFull"},
  "commonLabels": {"alertname": "NodeFilesystemAlmostFull", "severity": "critical"},
  "commonAnnotations": {},
  "externalURL": "http://alertmanager.example:9093",
  "alerts": [
    {
      "status": "firing",
      "labels": {"alertname": "NodeFilesystemAlmostFull", "instance": "db-01:9100", "mountpoint": "/var", "severity": "critical", "job": "node"},
      "annotations": {"summary": "Filesystem /var on db-01 is 97% full"},
      "startsAt": "2024-05-01T12:00:00.000Z",
      "endsAt": "0001-01-01T00:00:00Z",
      "generatorURL": "http://prometheus.example:9090/graph?g0.expr=node_filesystem_avail_bytes",
      "fingerprint": "c2ad1f8f0e2a3b4c"
    },
    {
      "status": "resolved",
      "labels": {"alertname": "NodeFilesystemAlmostFull", "instance": "db-02:9100", "mountpoint": "/", "severity": "critical", "job": "node"},
      "annotations": {"summary": "Filesystem / on db-02 is 96% full"},
      "startsAt": "2024-05-01T11:00:00.000Z",
      "endsAt": "2024-05-01T12:05:00.000Z",
      "generatorURL": "http://prometheus.example:9090/graph",
      "fingerprint": "d3be2e9a1f0b5c6d"
    }
  ]
}"#;

#[tokio::test]
async fn alertmanager_firing_and_resolved_alerts() {
    let server = TestServer::start(Backend::Sqlite).await;
    let acme = tenant(&server, "Acme").await;
    let response = post_json(
        &server,
        "/api/webhooks/alertmanager",
        &acme.key,
        ALERTMANAGER,
    )
    .await;
    assert_eq!(response.status(), 202);
    let events = stored_events(&server, &acme.id).await;
    assert_eq!(events.len(), 2);
    let firing = events.iter().find(|e| e.asset == "db-01").expect("db-01");
    assert_eq!(firing.signature, "NodeFilesystemAlmostFull");
    assert_eq!(firing.severity, Severity::Critical as i16);
    assert_eq!(firing.action, AlertAction::Trigger as i16);
    assert_eq!(firing.dedup_key, "c2ad1f8f0e2a3b4c");
    assert_eq!(firing.source, "alertmanager");
    assert!(firing.labels.contains(r#""mountpoint":"/var""#));
    let resolved = events.iter().find(|e| e.asset == "db-02").expect("db-02");
    assert_eq!(resolved.action, AlertAction::Resolve as i16);
    assert_eq!(resolved.dedup_key, "d3be2e9a1f0b5c6d");
    // A resolved alert happens when it ended.
    assert_eq!(resolved.occurred_at, 1_714_565_100_000);
    // Alertmanager resends the same notification: nothing new is stored.
    let again = post_json(
        &server,
        "/api/webhooks/alertmanager",
        &acme.key,
        ALERTMANAGER,
    )
    .await;
    assert_eq!(again.status(), 202);
    let body: serde_json::Value = again.json().await.unwrap();
    assert_eq!(body["alerts"][0]["outcome"], "duplicate");
    assert_eq!(stored_events(&server, &acme.id).await.len(), 2);
}

#[tokio::test]
async fn grafana_contact_point_with_a_bearer_key() {
    let server = TestServer::start(Backend::Sqlite).await;
    let acme = tenant(&server, "Acme").await;
    // Grafana's documented body (its rules' labels, `values`, `orgId`,
    // `"version": "1"`), with the key where the contact point sends it.
    let body = r#"{
      "receiver": "alert-whisperer", "status": "firing", "orgId": 1,
      "alerts": [{
        "status": "firing",
        "labels": {"alertname": "High memory usage", "team": "blue", "instance": "db-04:9100"},
        "annotations": {"summary": "Memory above 95% on db-04"},
        "startsAt": "2021-10-12T09:51:03.157076+02:00", "endsAt": "0001-01-01T00:00:00Z",
        "generatorURL": "https://grafana.example/alerting/1afz29v7z/edit",
        "fingerprint": "c6eadffa33fcdf37",
        "silenceURL": "https://grafana.example/alerting/silence/new", "dashboardURL": "", "panelURL": "",
        "values": {"B": 96.2, "C": 1}
      }],
      "groupLabels": {}, "commonLabels": {"team": "blue"}, "commonAnnotations": {},
      "externalURL": "https://grafana.example/", "version": "1", "groupKey": "{}:{}",
      "truncatedAlerts": 0, "title": "[FIRING:1]", "state": "alerting", "message": "**Firing**"
    }"#;
    for path in ["/api/webhooks/grafana", "/api/webhooks/alertmanager"] {
        let response = post(&server, path)
            .header("content-type", "application/json")
            .header("authorization", format!("Bearer {}", acme.key))
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 202, "{path}");
    }
    let events = stored_events(&server, &acme.id).await;
    // The second route's delivery is the same alert, recognised as a retry.
    assert_eq!(events.len(), 1);
    let event = &events[0];
    assert_eq!(event.source, "grafana");
    assert_eq!(event.tool_source, "grafana");
    assert_eq!(event.asset, "db-04");
    assert_eq!(event.signature, "High memory usage");
    assert_eq!(event.dedup_key, "c6eadffa33fcdf37");
    assert_eq!(event.action, AlertAction::Trigger as i16);
}

#[tokio::test]
async fn datadog_custom_payload_triggers_and_recovers() {
    let server = TestServer::start(Backend::Sqlite).await;
    let acme = tenant(&server, "Acme").await;
    let triggered = r#"{
        "alert_id": "146370871",
        "alert_cycle_key": "7439213488416745123",
        "alert_transition": "Triggered",
        "alert_type": "error",
        "alert_priority": "P1",
        "alert_title": "Disk space is low",
        "hostname": "db-02",
        "tags": "env:prod,role:db,device:/dev/sda1",
        "event_title": "[P1] [Triggered on {host:db-02}] Disk space is low",
        "event_msg": "Disk /dev/sda1 on db-02 is 95% full",
        "link": "https://app.datadoghq.com/event/event?id=7439213488416746000",
        "date": "1714564800000"
    }"#;
    let response = post_json(&server, "/api/webhooks/datadog", &acme.key, triggered).await;
    assert_eq!(response.status(), 202);
    let recovered = triggered
        .replace("\"Triggered\"", "\"Recovered\"")
        .replace("1714564800000", "1714565400000");
    let response = post_json(&server, "/api/webhooks/datadog", &acme.key, &recovered).await;
    assert_eq!(response.status(), 202);
    let events = stored_events(&server, &acme.id).await;
    assert_eq!(events.len(), 2);
    assert_eq!(events[0].asset, "db-02");
    assert_eq!(events[0].action, AlertAction::Trigger as i16);
    assert_eq!(events[1].action, AlertAction::Resolve as i16);
    assert_eq!(
        events[0].dedup_key, events[1].dedup_key,
        "the cycle key pairs them"
    );
    assert_eq!(events[0].severity, Severity::Critical as i16);
    assert!(events[0].labels.contains(r#""env":"prod""#));
}

#[tokio::test]
async fn zabbix_problem_and_recovery_pair_by_event_id() {
    let server = TestServer::start(Backend::Sqlite).await;
    let acme = tenant(&server, "Acme").await;
    let problem = r#"{
        "event_source": "0", "event_id": "4172", "event_value": "1", "event_nseverity": "4",
        "event_severity": "High", "event_name": "Linux: High CPU utilization",
        "event_timestamp": "1714564800", "event_recovery_timestamp": "{EVENT.RECOVERY.TIMESTAMP}",
        "event_update_status": "0", "event_tags": [{"tag": "component", "value": "cpu"}],
        "host_name": "web-01", "host_host": "web-01", "trigger_id": "23561",
        "alert_message": "Problem: high CPU", "zabbix_url": "https://zabbix.example.com/"
    }"#;
    assert_eq!(
        post_json(&server, "/api/webhooks/zabbix", &acme.key, problem)
            .await
            .status(),
        202
    );
    let recovery = problem
        .replace(r#""event_value": "1""#, r#""event_value": "0""#)
        .replace("{EVENT.RECOVERY.TIMESTAMP}", "1714565400");
    assert_eq!(
        post_json(&server, "/api/webhooks/zabbix", &acme.key, &recovery)
            .await
            .status(),
        202
    );
    let events = stored_events(&server, &acme.id).await;
    assert_eq!(events.len(), 2);
    assert_eq!(events[0].severity, Severity::High as i16);
    assert_eq!(events[0].action, AlertAction::Trigger as i16);
    assert_eq!(events[1].action, AlertAction::Resolve as i16);
    assert_eq!(events[0].dedup_key, "zabbix:4172");
    assert_eq!(events[1].dedup_key, "zabbix:4172");
}

#[tokio::test]
async fn nagios_recovery_pairs_with_its_problem() {
    let server = TestServer::start(Backend::Sqlite).await;
    let acme = tenant(&server, "Acme").await;
    let problem = r#"{
        "source": "nagios", "notification_type": "PROBLEM", "host_name": "web-01",
        "host_state": "UP", "service_desc": "Disk /var", "service_state": "CRITICAL",
        "output": "DISK CRITICAL - free space: /var 412 MB", "problem_id": "1842",
        "last_problem_id": "1701", "timestamp": "1714564800"
    }"#;
    let recovery = r#"{
        "source": "nagios", "notification_type": "RECOVERY", "host_name": "web-01",
        "host_state": "UP", "service_desc": "Disk /var", "service_state": "OK",
        "output": "DISK OK", "problem_id": "0", "last_problem_id": "1842",
        "timestamp": "1714566000"
    }"#;
    for body in [problem, recovery] {
        assert_eq!(
            post_json(&server, "/api/webhooks/nagios", &acme.key, body)
                .await
                .status(),
            202
        );
    }
    let events = stored_events(&server, &acme.id).await;
    assert_eq!(events.len(), 2);
    assert_eq!(events[0].signature, "Disk /var");
    assert_eq!(events[0].severity, Severity::Critical as i16);
    assert_eq!(events[1].action, AlertAction::Resolve as i16);
    assert_eq!(events[0].dedup_key, events[1].dedup_key);
}

/// The incident a webhook answer put its first alert in.
async fn incident_of(response: reqwest::Response) -> String {
    assert_eq!(response.status(), 202);
    let answer: serde_json::Value = response.json().await.unwrap();
    answer["alerts"][0]["incident_id"]
        .as_str()
        .expect("incident_id")
        .to_owned()
}

async fn timeline(server: &TestServer, incident_id: &str) -> Vec<v1::IncidentEvent> {
    crate::incidents::incident_view(server, incident_id)
        .await
        .timeline
}

#[tokio::test]
async fn nagios_and_zabbix_acknowledgements_put_author_and_comment_on_the_timeline() {
    let server = TestServer::start(Backend::Sqlite).await;
    let acme = tenant(&server, "Acme").await;
    let problem = r#"{
        "source": "nagios", "notification_type": "PROBLEM", "host_name": "sw-core-1",
        "host_state": "DOWN", "output": "PING CRITICAL - Packet loss = 100%", "problem_id": "77"
    }"#;
    let incident =
        incident_of(post_json(&server, "/api/webhooks/nagios", &acme.key, problem).await).await;
    let ack = problem.replace("PROBLEM", "ACKNOWLEDGEMENT").replace(
        r#""problem_id": "77""#,
        r#""problem_id": "77", "author": "alice", "comment": "Power outage in rack 4""#,
    );
    assert_eq!(
        incident_of(post_json(&server, "/api/webhooks/nagios", &acme.key, &ack).await).await,
        incident
    );
    let entries = timeline(&server, &incident).await;
    let acknowledged = entries
        .iter()
        .find(|entry| entry.kind == v1::IncidentEventKind::Acknowledged as i32)
        .expect("acknowledged entry");
    assert_eq!(
        acknowledged.message,
        "acknowledged in nagios by alice: Power outage in rack 4"
    );
    assert_eq!(acknowledged.actor, "tool:nagios");

    let problem = r#"{
        "event_source": "0", "event_id": "4172", "event_value": "1", "event_nseverity": "4",
        "event_name": "Linux: High CPU utilization", "event_timestamp": "1714564800",
        "event_update_status": "0", "host_host": "web-01"
    }"#;
    let incident =
        incident_of(post_json(&server, "/api/webhooks/zabbix", &acme.key, problem).await).await;
    let update = problem
        .replace(r#""event_update_status": "0""#, r#""event_update_status": "1",
            "event_update_action": "acknowledged and commented", "event_update_timestamp": "1714565000",
            "event_update_message": "Looking into it", "event_update_user": "Bob Operator""#);
    assert_eq!(
        incident_of(post_json(&server, "/api/webhooks/zabbix", &acme.key, &update).await).await,
        incident
    );
    let comment = update
        .replace("Looking into it", "Restarted the collector")
        .replace("1714565000", "1714565100");
    assert_eq!(
        incident_of(post_json(&server, "/api/webhooks/zabbix", &acme.key, &comment).await).await,
        incident
    );
    let messages: Vec<String> = timeline(&server, &incident)
        .await
        .into_iter()
        .filter(|entry| entry.actor == "tool:zabbix")
        .map(|entry| entry.message)
        .collect();
    assert_eq!(
        messages,
        [
            "acknowledged in zabbix by Bob Operator: Looking into it",
            "Bob Operator in zabbix: Restarted the collector"
        ]
    );
}

#[tokio::test]
async fn pagerduty_enqueue_answers_like_pagerduty() {
    let server = TestServer::start(Backend::Sqlite).await;
    let acme = tenant(&server, "Acme").await;
    let trigger = format!(
        r#"{{
      "payload": {{
        "summary": "DISK at 99% on machine prod-datapipe03.example.com",
        "timestamp": "2015-07-17T08:42:58.315+0000",
        "severity": "critical",
        "source": "prod-datapipe03.example.com",
        "component": "mysql",
        "group": "prod-datapipe",
        "class": "disk"
      }},
      "routing_key": "{key}",
      "dedup_key": "srv01/mysql",
      "event_action": "trigger",
      "client": "Sample Monitoring Service"
    }}"#,
        key = acme.key
    );
    let response = post(&server, "/v2/enqueue")
        .header("content-type", "application/json")
        .body(trigger)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 202);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["status"], "success");
    assert_eq!(body["dedup_key"], "srv01/mysql");
    let resolve = format!(
        r#"{{"routing_key": "{}", "dedup_key": "srv01/mysql", "event_action": "resolve"}}"#,
        acme.key
    );
    let response = post(&server, "/v2/enqueue")
        .header("content-type", "application/json")
        .body(resolve)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 202);
    let unknown = post(&server, "/v2/enqueue")
        .header("content-type", "application/json")
        .body(r#"{"routing_key": "awk_unknown", "dedup_key": "x", "event_action": "resolve"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 401);
    let events = stored_events(&server, &acme.id).await;
    assert_eq!(events.len(), 2);
    assert_eq!(events[0].asset, "prod-datapipe03.example.com");
    assert_eq!(events[0].severity, Severity::Critical as i16);
    assert_eq!(events[1].action, AlertAction::Resolve as i16);
    assert_eq!(events[1].dedup_key, "srv01/mysql");
}

// ---- CloudWatch through SNS ---------------------------------------------

const CERT_URL: &str = "https://sns.test.invalid/SimpleNotificationService-test.pem";

/// Serves the test certificate for CERT_URL only.
pub(crate) struct FixtureCertificates;

#[tonic::async_trait]
impl CertificateSource for FixtureCertificates {
    async fn certificate(&self, url: &str) -> Result<String, CertificateError> {
        if url == CERT_URL {
            Ok(include_str!("../fixtures/sns/signing-cert.pem").to_owned())
        } else if url == GARBLED_CERT_URL {
            Ok(
                "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n"
                    .to_owned(),
            )
        } else {
            Err(CertificateError::Refused(format!(
                "untrusted certificate url {url}"
            )))
        }
    }
}

/// Serves what it fetched only once it is reachable again, as AWS's
/// certificate host through a passing outage.
struct FlakyCertificates {
    reachable: std::sync::atomic::AtomicBool,
}

#[tonic::async_trait]
impl CertificateSource for FlakyCertificates {
    async fn certificate(&self, url: &str) -> Result<String, CertificateError> {
        if self.reachable.load(std::sync::atomic::Ordering::SeqCst) {
            FixtureCertificates.certificate(url).await
        } else {
            Err(CertificateError::Unreachable(
                "cannot fetch the signing certificate: connection refused".to_owned(),
            ))
        }
    }
}

/// A certificate URL whose certificate is fetched but is no certificate.
const GARBLED_CERT_URL: &str = "https://sns.test.invalid/garbled.pem";

/// Signs `text` with the fixture key through openssl, as SNS signs.
fn openssl_sign(digest: &str, text: &str) -> String {
    use std::io::Write;
    let key = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/sns/signing-key.pem"
    );
    let mut child = std::process::Command::new("openssl")
        .args(["dgst", digest, "-sign", key])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("openssl");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success());
    base64::engine::general_purpose::STANDARD.encode(output.stdout)
}

pub(crate) fn alarm_message(state: &str) -> String {
    serde_json::json!({
        "AlarmName": "web-01-high-cpu",
        "AlarmDescription": "CPU above 90% for 5 minutes",
        "AWSAccountId": "123456789012",
        "NewStateValue": state,
        "NewStateReason": "Threshold Crossed: 1 datapoint [97.5] was greater than the threshold (90.0).",
        "StateChangeTime": "2024-05-01T12:00:00.000+0000",
        "Region": "US East (N. Virginia)",
        "AlarmArn": "arn:aws:cloudwatch:us-east-1:123456789012:alarm:web-01-high-cpu",
        "OldStateValue": "OK",
        "Trigger": {
            "MetricName": "CPUUtilization",
            "Namespace": "AWS/EC2",
            "StatisticType": "Statistic",
            "Statistic": "AVERAGE",
            "Dimensions": [{"value": "i-0abc123def4567890", "name": "InstanceId"}],
            "Period": 300,
            "EvaluationPeriods": 1,
            "ComparisonOperator": "GreaterThanThreshold",
            "Threshold": 90.0
        }
    })
    .to_string()
}

pub(crate) fn notification(message_id: &str, message: &str, version: &str) -> String {
    let subject = "ALARM: \"web-01-high-cpu\" in US East (N. Virginia)";
    let timestamp = "2024-05-01T12:00:01.000Z";
    let topic = "arn:aws:sns:us-east-1:123456789012:msp-alerts";
    // The string to sign for a Notification, in the documented order.
    let string_to_sign = format!(
        "Message\n{message}\nMessageId\n{message_id}\nSubject\n{subject}\nTimestamp\n{timestamp}\nTopicArn\n{topic}\nType\nNotification\n"
    );
    let digest = if version == "1" { "-sha1" } else { "-sha256" };
    serde_json::json!({
        "Type": "Notification",
        "MessageId": message_id,
        "TopicArn": topic,
        "Subject": subject,
        "Message": message,
        "Timestamp": timestamp,
        "SignatureVersion": version,
        "Signature": openssl_sign(digest, &string_to_sign),
        "SigningCertURL": CERT_URL,
        "UnsubscribeURL": "https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe"
    })
    .to_string()
}

async fn post_sns(server: &TestServer, key: &str, body: &str) -> reqwest::Response {
    post(server, &format!("/api/webhooks/cloudwatch?api_key={key}"))
        .header("content-type", "text/plain; charset=UTF-8")
        .header("x-amz-sns-message-type", "Notification")
        .body(body.to_owned())
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn cloudwatch_alarms_through_signed_sns() {
    let options = ServerOptions {
        sns_certificates: Arc::new(FixtureCertificates),
        ..ServerOptions::default()
    };
    let server = TestServer::start_with(Backend::Sqlite, |_| {}, options).await;
    let acme = tenant(&server, "Acme").await;

    let alarm = notification("msg-1", &alarm_message("ALARM"), "1");
    assert_eq!(post_sns(&server, &acme.key, &alarm).await.status(), 202);
    let ok = notification("msg-2", &alarm_message("OK"), "2");
    assert_eq!(post_sns(&server, &acme.key, &ok).await.status(), 202);
    // SNS retries a delivery: the MessageId makes it a duplicate.
    let retry = post_sns(&server, &acme.key, &alarm).await;
    assert_eq!(retry.status(), 202);
    let body: serde_json::Value = retry.json().await.unwrap();
    assert_eq!(body["alerts"][0]["outcome"], "duplicate");

    // A tampered message fails the SNS signature and stores nothing.
    let tampered = alarm.replace("web-01-high-cpu", "web-02-high-cpu");
    let refused = post_sns(&server, &acme.key, &tampered).await;
    assert_eq!(refused.status(), 401);
    let body: serde_json::Value = refused.json().await.unwrap();
    assert_eq!(body["check"], "sns_signature");
    assert_eq!(body["reason"], "mismatch");
    // A certificate from anywhere else is refused.
    let elsewhere = alarm.replace(CERT_URL, "https://evil.example/cert.pem");
    assert_eq!(post_sns(&server, &acme.key, &elsewhere).await.status(), 401);

    let events = stored_events(&server, &acme.id).await;
    assert_eq!(events.len(), 2);
    assert_eq!(events[0].asset, "i-0abc123def4567890");
    assert_eq!(events[0].action, AlertAction::Trigger as i16);
    assert_eq!(events[1].action, AlertAction::Resolve as i16);
    assert_eq!(events[0].dedup_key, events[1].dedup_key);
    assert_eq!(events[0].source, "cloudwatch");
}

#[tokio::test]
async fn an_unreachable_sns_certificate_answers_503_so_that_sns_retries() {
    let certificates = Arc::new(FlakyCertificates {
        reachable: std::sync::atomic::AtomicBool::new(false),
    });
    let options = ServerOptions {
        sns_certificates: certificates.clone(),
        ..ServerOptions::default()
    };
    let server = TestServer::start_with(Backend::Sqlite, |_| {}, options).await;
    let acme = tenant(&server, "Acme").await;
    let alarm = notification("msg-1", &alarm_message("ALARM"), "2");

    // The certificate cannot be fetched: a server error, which SNS retries
    // (a 4xx would drop the alarm for good), and nothing stored.
    let response = post_sns(&server, &acme.key, &alarm).await;
    assert_eq!(response.status(), 503);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"], "unavailable");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("signing certificate"),
        "{body}"
    );
    assert!(stored_events(&server, &acme.id).await.is_empty());

    // SNS's retry, once the certificate host is back, is stored.
    certificates
        .reachable
        .store(true, std::sync::atomic::Ordering::SeqCst);
    assert_eq!(post_sns(&server, &acme.key, &alarm).await.status(), 202);
    assert_eq!(stored_events(&server, &acme.id).await.len(), 1);

    // A certificate that is fetched and wrong stays a refusal.
    let garbled =
        notification("msg-2", &alarm_message("OK"), "2").replace(CERT_URL, GARBLED_CERT_URL);
    let refused = post_sns(&server, &acme.key, &garbled).await;
    assert_eq!(refused.status(), 401);
    let body: serde_json::Value = refused.json().await.unwrap();
    assert_eq!(body["check"], "sns_signature");
    assert_eq!(body["reason"], "certificate");
    assert_eq!(stored_events(&server, &acme.id).await.len(), 1);
}

#[tokio::test]
async fn sns_subscription_confirmation_is_shown_to_operators() {
    let options = ServerOptions {
        sns_certificates: Arc::new(FixtureCertificates),
        ..ServerOptions::default()
    };
    let server = TestServer::start_with(Backend::Sqlite, |_| {}, options).await;
    let acme = tenant(&server, "Acme").await;
    let topic = "arn:aws:sns:us-east-1:123456789012:msp-alerts";
    let subscribe_url = "https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn=arn:aws:sns:us-east-1:123456789012:msp-alerts&Token=2336412f37";
    let message = "You have chosen to subscribe to the topic. To confirm the subscription, visit the SubscribeURL included in this message.";
    let string_to_sign = format!(
        "Message\n{message}\nMessageId\nconfirm-1\nSubscribeURL\n{subscribe_url}\nTimestamp\n2024-05-01T12:00:00.000Z\nToken\n2336412f37\nTopicArn\n{topic}\nType\nSubscriptionConfirmation\n"
    );
    let body = serde_json::json!({
        "Type": "SubscriptionConfirmation",
        "MessageId": "confirm-1",
        "Token": "2336412f37",
        "TopicArn": topic,
        "Message": message,
        "SubscribeURL": subscribe_url,
        "Timestamp": "2024-05-01T12:00:00.000Z",
        "SignatureVersion": "2",
        "Signature": openssl_sign("-sha256", &string_to_sign),
        "SigningCertURL": CERT_URL
    })
    .to_string();
    let response = post_sns(&server, &acme.key, &body).await;
    assert_eq!(response.status(), 200);
    let listed = server
        .tenant()
        .await
        .list_sns_confirmations(authed(
            &server.admin_token,
            v1::ListSnsConfirmationsRequest {
                company_id: acme.id.clone(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .sns_confirmations;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].subscribe_url, subscribe_url);
    assert_eq!(listed[0].topic_arn, topic);
    assert_eq!(listed[0].message_type, "SubscriptionConfirmation");
    assert!(stored_events(&server, &acme.id).await.is_empty());
}
