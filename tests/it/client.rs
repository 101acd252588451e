//! The Rust client crate against the real server: its interceptors and its
//! webhook signer are accepted.

use alert_whisperer_client::{ApiKey, BearerToken, sign_webhook, v1};

use crate::harness::{Backend, TestServer};
use crate::ingest::{post, stored_events};

#[tokio::test]
async fn rust_client_interceptors_and_signer_work_against_the_server() {
    let server = TestServer::start(Backend::Sqlite).await;
    let channel = server.channel().await;
    let mut tenants = v1::tenant_service_client::TenantServiceClient::with_interceptor(
        channel.clone(),
        BearerToken::new(&server.admin_token).unwrap(),
    );
    let created = tenants
        .create_company(v1::CreateCompanyRequest {
            name: "Client Co".to_owned(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let company_id = created.company.unwrap().id;

    let mut ingest = v1::ingest_service_client::IngestServiceClient::with_interceptor(
        channel,
        ApiKey::new(&created.api_key_secret).unwrap(),
    );
    let result = ingest
        .ingest_alert(v1::IngestAlertRequest {
            alert: Some(v1::AlertInput {
                asset: "web-01".to_owned(),
                signature: "high_cpu_usage".to_owned(),
                severity: v1::Severity::Critical.into(),
                ..Default::default()
            }),
        })
        .await
        .unwrap()
        .into_inner()
        .result
        .unwrap();
    assert_eq!(result.outcome, v1::AlertOutcome::NewIncident as i32);

    let secret = tenants
        .enable_hmac(v1::EnableHmacRequest {
            company_id: company_id.clone(),
        })
        .await
        .unwrap()
        .into_inner()
        .secret;
    let body = br#"{"asset_name":"db-01","signature":"disk_full","severity":"high","message":"/var 97%","tool_source":"rust"}"#;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let signed = sign_webhook(&secret, now, body);
    let response = post(&server, "/api/webhooks/alerts")
        .header("x-api-key", &created.api_key_secret)
        .header("content-type", "application/json")
        .header("x-timestamp", signed.timestamp)
        .header("x-signature", signed.signature)
        .body(body.to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 202);
    assert_eq!(stored_events(&server, &company_id).await.len(), 2);
}
