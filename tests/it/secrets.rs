//! The AWS secrets backend end to end against moto's server: HMAC secrets in
//! Secrets Manager (none in the database), the master key wrapped by KMS,
//! rotation with its overlap, and ingest through an outage of AWS.

use alert_whisperer::config::SecretsBackend;
use alert_whisperer::proto::v1;
use alert_whisperer::store::entity::{hmac_secret, master_key_wrap, notification_channel};
use aws_config::{BehaviorVersion, Region};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use tonic::Code;

use crate::aws::Moto;
use crate::harness::{Backend, TestServer, authed};
use crate::ingest::{SEED_BODY, enable_hmac, now, send_signed, sign, stored_events, tenant};

crate::on_both_backends!(
    hmac_secrets_live_in_secrets_manager_under_a_kms_master_key,
    channel_credentials_live_in_secrets_manager,
    an_existing_local_key_is_wrapped_on_the_move_to_kms,
    rotation_keeps_the_overlap_in_secrets_manager,
    an_aws_outage_serves_cached_companies_and_refuses_the_others,
);

const PREFIX: &str = "aw-test/companies/";

/// The SDK configuration the test itself uses to look into moto.
async fn sdk(moto: &Moto) -> aws_config::SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .http_client(alert_whisperer::aws::https_client())
        .region(Region::new("us-east-1"))
        .endpoint_url(moto.url())
        .credentials_provider(aws_sdk_secretsmanager::config::Credentials::new(
            "testing", "testing", None, None, "test",
        ))
        .load()
        .await
}

/// A KMS key in moto for the master key.
async fn kms_key(moto: &Moto) -> String {
    let kms = aws_sdk_kms::Client::new(&sdk(moto).await);
    let key = kms
        .create_key()
        .description("alert whisperer master key")
        .send()
        .await
        .unwrap();
    key.key_metadata().unwrap().key_id().to_owned()
}

/// A server whose HMAC secrets are in moto's Secrets Manager and whose
/// master key `kms_key_id` wraps.
async fn server(
    backend: Backend,
    moto: &Moto,
    kms_key_id: &str,
    customize: impl FnOnce(&mut alert_whisperer::Config),
) -> TestServer {
    let url = moto.url().to_owned();
    let kms_key_id = kms_key_id.to_owned();
    TestServer::start_with(
        backend,
        move |config| {
            config.aws_region = "us-east-1".to_owned();
            config.aws_endpoint_url = url;
            config.aws_access_key_id = "testing".to_owned();
            config.aws_secret_access_key = "testing".to_owned();
            config.aws_max_attempts = 1;
            config.secrets_backend = SecretsBackend::AwsSecretsManager;
            config.secrets_name_prefix = PREFIX.to_owned();
            config.master_key_kms_key_id = kms_key_id;
            customize(config);
        },
        Default::default(),
    )
    .await
}

/// The company's secret as Secrets Manager holds it now.
async fn secret_in_aws(moto: &Moto, company_id: &str) -> (String, serde_json::Value) {
    let client = aws_sdk_secretsmanager::Client::new(&sdk(moto).await);
    let value = client
        .get_secret_value()
        .secret_id(format!("{PREFIX}{company_id}"))
        .send()
        .await
        .unwrap();
    (
        value.arn().unwrap().to_owned(),
        serde_json::from_str(value.secret_string().unwrap()).unwrap(),
    )
}

async fn hmac_rows(server: &TestServer, company_id: &str) -> Vec<hmac_secret::Model> {
    hmac_secret::Entity::find()
        .filter(hmac_secret::Column::CompanyId.eq(company_id))
        .all(server.store().await.connection())
        .await
        .unwrap()
}

/// A signed delivery of a distinct alert; answers the status and body.
async fn deliver(
    server: &TestServer,
    key: &str,
    secret: &str,
    asset: &str,
) -> (u16, serde_json::Value) {
    let body = SEED_BODY.replace("server-prod-01", asset);
    let ts = now();
    send_signed(server, key, &body, Some(ts), Some(&sign(secret, ts, &body))).await
}

async fn rotate(server: &TestServer, company_id: &str, overlap_seconds: i64) -> String {
    server
        .tenant()
        .await
        .rotate_hmac_secret(authed(
            &server.admin_token,
            v1::RotateHmacSecretRequest {
                company_id: company_id.to_owned(),
                overlap: Some(prost_types::Duration {
                    seconds: overlap_seconds,
                    nanos: 0,
                }),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .secret
}

async fn hmac_secrets_live_in_secrets_manager_under_a_kms_master_key(backend: Backend) {
    let moto = Moto::start().await;
    let key_id = kms_key(&moto).await;
    let server = server(backend, &moto, &key_id, |_| {}).await;

    // The master key is KMS's data key, stored wrapped in the database: no
    // key file, and KMS unwraps the stored blob to 32 bytes.
    assert!(
        !server.config.master_key_file.exists(),
        "no local master key file with KMS"
    );
    let wrap = master_key_wrap::Entity::find()
        .all(server.store().await.connection())
        .await
        .unwrap();
    assert_eq!(wrap.len(), 1);
    assert_eq!(wrap[0].kms_key_id, key_id);
    let kms = aws_sdk_kms::Client::new(&sdk(&moto).await);
    let unwrapped = kms
        .decrypt()
        .ciphertext_blob(aws_sdk_kms::primitives::Blob::new(
            wrap[0].wrapped_key.clone(),
        ))
        .encryption_context("service", "alert-whisperer")
        .encryption_context("purpose", "master-key")
        .send()
        .await
        .unwrap();
    assert_eq!(unwrapped.plaintext().unwrap().as_ref().len(), 32);

    let acme = tenant(&server, "Acme").await;
    let secret = enable_hmac(&server, &acme.id).await;

    // The secret is in Secrets Manager, under the company's name...
    let (arn, held) = secret_in_aws(&moto, &acme.id).await;
    let rows = hmac_rows(&server, &acme.id).await;
    assert_eq!(rows.len(), 1);
    assert_eq!(held["hmac_secrets"][&rows[0].id]["secret"], secret.as_str());
    // ...and the database keeps only a reference to it.
    assert!(rows[0].nonce.is_empty() && rows[0].ciphertext.is_empty());
    assert_eq!(rows[0].secret_arn.as_deref(), Some(arn.as_str()));
    assert!(rows[0].secret_version_id.is_some());

    let (status, body) = deliver(&server, &acme.key, &secret, "host-1").await;
    assert_eq!(status, 202, "{body}");
    let (status, body) = send_signed(&server, &acme.key, SEED_BODY, None, None).await;
    assert_eq!((status, body["reason"].as_str()), (401, Some("missing")));
    let (status, body) = deliver(&server, &acme.key, &"0".repeat(64), "host-2").await;
    assert_eq!((status, body["reason"].as_str()), (401, Some("mismatch")));

    // A restart unwraps the same master key with KMS and reads the secret
    // from Secrets Manager again.
    let server = server.restart().await;
    let (status, body) = deliver(&server, &acme.key, &secret, "host-3").await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(stored_events(&server, &acme.id).await.len(), 2);

    // Disabling HMAC leaves a version without secrets.
    server
        .tenant()
        .await
        .disable_hmac(authed(
            &server.admin_token,
            v1::DisableHmacRequest {
                company_id: acme.id.clone(),
            },
        ))
        .await
        .unwrap();
    let (_, held) = secret_in_aws(&moto, &acme.id).await;
    assert_eq!(held["hmac_secrets"], serde_json::json!({}));
}

async fn rotation_keeps_the_overlap_in_secrets_manager(backend: Backend) {
    let moto = Moto::start().await;
    let key_id = kms_key(&moto).await;
    let server = server(backend, &moto, &key_id, |_| {}).await;
    let acme = tenant(&server, "Acme").await;
    let first = enable_hmac(&server, &acme.id).await;
    let second = rotate(&server, &acme.id, 3600).await;
    for (i, secret) in [&first, &second].into_iter().enumerate() {
        let (status, body) = deliver(&server, &acme.key, secret, &format!("a-{i}")).await;
        assert_eq!(
            status, 202,
            "secret {i} verifies during the overlap: {body}"
        );
    }
    let (_, held) = secret_in_aws(&moto, &acme.id).await;
    assert_eq!(held["hmac_secrets"].as_object().unwrap().len(), 2);

    // A second rotation ends the first secret at once and keeps the
    // second through the overlap: two verify, and the first is gone from
    // Secrets Manager's current version.
    let third = rotate(&server, &acme.id, 3600).await;
    let (status, body) = deliver(&server, &acme.key, &first, "b-0").await;
    assert_eq!((status, body["reason"].as_str()), (401, Some("mismatch")));
    for (i, secret) in [&second, &third].into_iter().enumerate() {
        let (status, body) = deliver(&server, &acme.key, secret, &format!("b-{}", i + 1)).await;
        assert_eq!(status, 202, "secret {} verifies: {body}", i + 1);
    }
    let (_, held) = secret_in_aws(&moto, &acme.id).await;
    let values: Vec<&str> = held["hmac_secrets"]
        .as_object()
        .unwrap()
        .values()
        .map(|stored| stored["secret"].as_str().unwrap())
        .collect();
    assert_eq!(values.len(), 2, "{held}");
    assert!(values.contains(&second.as_str()) && values.contains(&third.as_str()));

    // Every change was a new version of the one secret.
    let client = aws_sdk_secretsmanager::Client::new(&sdk(&moto).await);
    let versions = client
        .list_secret_version_ids()
        .secret_id(format!("{PREFIX}{}", acme.id))
        .include_deprecated(true)
        .send()
        .await
        .unwrap();
    assert_eq!(versions.versions().len(), 3, "{versions:?}");
    let rows = hmac_rows(&server, &acme.id).await;
    assert!(
        rows.iter()
            .all(|row| row.ciphertext.is_empty() && row.secret_arn.is_some())
    );
}

async fn an_aws_outage_serves_cached_companies_and_refuses_the_others(backend: Backend) {
    let mut moto = Moto::start().await;
    let key_id = kms_key(&moto).await;
    let server = server(backend, &moto, &key_id, |config| {
        config.secrets_cache_seconds = 1;
        config.ingest_credential_cache_seconds = 0;
    })
    .await;
    let cached = tenant(&server, "Cached").await;
    let uncached = tenant(&server, "Uncached").await;
    let cached_secret = enable_hmac(&server, &cached.id).await;
    let uncached_secret = enable_hmac(&server, &uncached.id).await;
    // A fresh start knows no secret; one delivery caches the first company's.
    let server = server.restart().await;
    let (status, body) = deliver(&server, &cached.key, &cached_secret, "warm").await;
    assert_eq!(status, 202, "{body}");

    moto.stop().await;
    // Past the cache's lifetime: the refresh fails, the cached value serves.
    tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
    let (status, body) = deliver(&server, &cached.key, &cached_secret, "during-outage").await;
    assert_eq!(status, 202, "a cached company ingests on: {body}");
    // Still checked: a wrong signature is refused, not let through.
    let (status, body) = deliver(&server, &cached.key, &"0".repeat(64), "forged").await;
    assert_eq!((status, body["reason"].as_str()), (401, Some("mismatch")));

    // A company whose secret was never read is answered a retryable 503.
    let (status, body) = deliver(&server, &uncached.key, &uncached_secret, "refused").await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["error"], "unavailable");
    assert!(
        body["message"].as_str().unwrap().contains("retry later"),
        "{body}"
    );
    assert!(stored_events(&server, &uncached.id).await.is_empty());
    assert_eq!(stored_events(&server, &cached.id).await.len(), 2);

    // Changing a secret needs Secrets Manager: UNAVAILABLE, retryable.
    let error = server
        .tenant()
        .await
        .rotate_hmac_secret(authed(
            &server.admin_token,
            v1::RotateHmacSecretRequest {
                company_id: cached.id.clone(),
                overlap: None,
            },
        ))
        .await
        .expect_err("secrets manager is down");
    assert_eq!(error.code(), Code::Unavailable, "{error:?}");
}

/// A receiver on 127.0.0.1 that answers 200 to anything, counting requests.
async fn receiver() -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    let hits = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = hits.clone();
    let app = axum::Router::new().fallback(move || {
        let counter = counter.clone();
        async move {
            counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            "1"
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, hits)
}

async fn channel_credentials_live_in_secrets_manager(backend: Backend) {
    let moto = Moto::start().await;
    let key_id = kms_key(&moto).await;
    let server = server(backend, &moto, &key_id, |_| {}).await;
    let acme = tenant(&server, "Acme").await;
    let (url, hits) = receiver().await;
    let mut notifications =
        v1::notification_service_client::NotificationServiceClient::new(server.channel().await);
    let create = |name: &str, config| {
        authed(
            &server.admin_token,
            v1::CreateChannelRequest {
                company_id: acme.id.clone(),
                name: name.to_owned(),
                config: Some(config),
                max_attempts: 0,
                max_per_minute: 0,
            },
        )
    };
    // A Teams channel's credential is its workflow URL.
    let teams_url = format!("{url}/teams/workflows/abc");
    let teams = notifications
        .create_channel(create(
            "teams",
            v1::create_channel_request::Config::Teams(v1::TeamsChannelConfig {
                webhook_url: teams_url.clone(),
            }),
        ))
        .await
        .unwrap()
        .into_inner()
        .channel
        .unwrap();
    let hook = notifications
        .create_channel(create(
            "hook",
            v1::create_channel_request::Config::Webhook(v1::WebhookChannelConfig {
                url: format!("{url}/hook"),
            }),
        ))
        .await
        .unwrap()
        .into_inner();
    let hook_id = hook.channel.as_ref().unwrap().id.clone();
    assert!(teams.has_secret);

    // Both credentials are in the company's secret, none in the database.
    let (arn, held) = secret_in_aws(&moto, &acme.id).await;
    assert_eq!(
        held["channel_secrets"][&teams.id]["secret"],
        teams_url.as_str()
    );
    assert_eq!(
        held["channel_secrets"][&hook_id]["secret"],
        hook.signing_secret.as_str()
    );
    let rows = notification_channel::Entity::find()
        .filter(notification_channel::Column::CompanyId.eq(acme.id.clone()))
        .all(server.store().await.connection())
        .await
        .unwrap();
    assert_eq!(rows.len(), 2);
    for row in &rows {
        assert!(row.nonce.is_none() && row.ciphertext.is_none(), "{row:?}");
        assert_eq!(row.secret_arn.as_deref(), Some(arn.as_str()));
    }

    // A delivery reads the URL from Secrets Manager.
    let tested = notifications
        .test_channel(authed(
            &server.admin_token,
            v1::TestChannelRequest {
                channel_id: teams.id.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(tested.ok, "{tested:?}");
    assert_eq!(hits.load(std::sync::atomic::Ordering::SeqCst), 1);

    // HMAC secrets and channel credentials share the secret: enabling HMAC
    // keeps the channels'.
    enable_hmac(&server, &acme.id).await;
    let (_, held) = secret_in_aws(&moto, &acme.id).await;
    assert_eq!(held["channel_secrets"].as_object().unwrap().len(), 2);
    assert_eq!(held["hmac_secrets"].as_object().unwrap().len(), 1);

    // A deleted channel's credential leaves the secret.
    notifications
        .delete_channel(authed(
            &server.admin_token,
            v1::DeleteChannelRequest {
                channel_id: teams.id.clone(),
            },
        ))
        .await
        .unwrap();
    let (_, held) = secret_in_aws(&moto, &acme.id).await;
    assert!(held["channel_secrets"].get(&teams.id).is_none(), "{held}");
    assert!(held["channel_secrets"].get(&hook_id).is_some(), "{held}");
}

async fn an_existing_local_key_is_wrapped_on_the_move_to_kms(backend: Backend) {
    let moto = Moto::start().await;
    let key_id = kms_key(&moto).await;
    // A deployment on the local key file and the local backend...
    let mut server = server(backend, &moto, "", |config| {
        config.secrets_backend = SecretsBackend::Local;
    })
    .await;
    assert!(server.config.master_key_file.exists());
    let acme = tenant(&server, "Acme").await;
    let secret = enable_hmac(&server, &acme.id).await;
    assert!(!hmac_rows(&server, &acme.id).await[0].ciphertext.is_empty());

    // ...moves to KMS: its key is wrapped (so the secret it encrypted still
    // decrypts), and once the file is gone KMS alone provides it.
    server.config.master_key_kms_key_id = key_id.clone();
    let mut server = server.restart().await;
    let (status, body) = deliver(&server, &acme.key, &secret, "after-wrap").await;
    assert_eq!(status, 202, "{body}");
    std::fs::remove_file(&server.config.master_key_file).unwrap();
    server.config.master_key_file = server.config.data_dir.join("gone.key");
    let server = server.restart().await;
    let (status, body) = deliver(&server, &acme.key, &secret, "kms-only").await;
    assert_eq!(status, 202, "{body}");
    assert!(
        !server.config.master_key_file.exists(),
        "no key file is made"
    );
}
