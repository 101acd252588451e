//! TenantService end to end: companies, keys, HMAC, AWS roles, technicians,
//! operator tokens, audit, roles and tenant isolation.

use alert_whisperer::proto::v1::{self, OperatorRole};
use tonic::Code;

use crate::harness::{Backend, TestServer, authed};

crate::on_both_backends!(
    company_created_with_key_shown_once,
    company_validation_errors_name_the_field,
    roles_are_enforced,
    limited_token_gets_not_found_for_other_company,
    data_survives_restart,
    api_key_rotation_keeps_old_key_for_overlap,
    hmac_secrets_rotate_with_two_active_and_stay_encrypted,
    aws_role_is_validated,
    technicians_crud,
    operator_tokens_create_list_revoke,
    operator_token_links_to_a_technician_it_may_see,
    audit_log_records_mutations_and_is_scoped,
    deleted_company_disappears_and_name_is_reusable,
    pagination_walks_every_company_once,
);

async fn create_company(server: &TestServer, name: &str) -> v1::CreateCompanyResponse {
    server
        .tenant()
        .await
        .create_company(authed(
            &server.admin_token,
            v1::CreateCompanyRequest {
                name: name.to_owned(),
                website: "https://example.com".to_owned(),
                contact_email: "ops@example.com".to_owned(),
            },
        ))
        .await
        .expect("create company")
        .into_inner()
}

pub(crate) async fn token(server: &TestServer, role: OperatorRole, companies: &[&str]) -> String {
    server
        .tenant()
        .await
        .create_operator_token(authed(
            &server.admin_token,
            v1::CreateOperatorTokenRequest {
                technician_id: String::new(),
                name: format!("{role:?} token"),
                role: role.into(),
                company_ids: companies.iter().map(|c| (*c).to_owned()).collect(),
                ttl: None,
            },
        ))
        .await
        .expect("create token")
        .into_inner()
        .token
}

async fn company_created_with_key_shown_once(backend: Backend) {
    let server = TestServer::start(backend).await;
    let created = create_company(&server, "Acme").await;
    let company = created.company.expect("company");
    assert_eq!(company.name, "Acme");
    assert!(created.api_key_secret.starts_with("awk_"));
    let key = created.api_key.expect("key metadata");
    assert!(created.api_key_secret.starts_with(&key.prefix));
    assert!(key.active);

    let listed = server
        .tenant()
        .await
        .list_api_keys(authed(
            &server.admin_token,
            v1::ListApiKeysRequest {
                company_id: company.id.clone(),
                ..Default::default()
            },
        ))
        .await
        .expect("list keys")
        .into_inner();
    assert_eq!(listed.api_keys.len(), 1);
    assert_eq!(listed.api_keys[0].prefix, key.prefix);
    // The listing carries no field that could hold the key itself.
    let debug = format!("{listed:?}");
    assert!(!debug.contains(&created.api_key_secret));

    let got = server
        .tenant()
        .await
        .get_company(authed(
            &server.admin_token,
            v1::GetCompanyRequest {
                company_id: company.id.clone(),
            },
        ))
        .await
        .expect("get")
        .into_inner();
    assert!(!format!("{got:?}").contains(&created.api_key_secret));

    let duplicate = server
        .tenant()
        .await
        .create_company(authed(
            &server.admin_token,
            v1::CreateCompanyRequest {
                name: "Acme".to_owned(),
                ..Default::default()
            },
        ))
        .await
        .expect_err("name taken");
    assert_eq!(duplicate.code(), Code::AlreadyExists);
}

async fn company_validation_errors_name_the_field(backend: Backend) {
    let server = TestServer::start(backend).await;
    let mut client = server.tenant().await;
    let error = client
        .create_company(authed(
            &server.admin_token,
            v1::CreateCompanyRequest {
                name: "  ".to_owned(),
                ..Default::default()
            },
        ))
        .await
        .expect_err("empty name");
    assert_eq!(error.code(), Code::InvalidArgument);
    assert!(error.message().starts_with("name:"), "{}", error.message());

    let error = client
        .create_company(authed(
            &server.admin_token,
            v1::CreateCompanyRequest {
                name: "Ok".to_owned(),
                contact_email: "not-an-email".to_owned(),
                ..Default::default()
            },
        ))
        .await
        .expect_err("bad email");
    assert!(
        error.message().starts_with("contact_email:"),
        "{}",
        error.message()
    );

    let error = client
        .update_company(authed(
            &server.admin_token,
            v1::UpdateCompanyRequest {
                company_id: "x".to_owned(),
                update_mask: Some(prost_types::FieldMask {
                    paths: vec!["hmac_enabled".to_owned()],
                }),
                ..Default::default()
            },
        ))
        .await
        .expect_err("bad mask");
    assert_eq!(error.code(), Code::InvalidArgument);
    assert!(error.message().contains("update_mask"));

    let error = client
        .list_companies(authed(
            &server.admin_token,
            v1::ListCompaniesRequest {
                page_token: "garbage!".to_owned(),
                ..Default::default()
            },
        ))
        .await
        .expect_err("bad token");
    assert!(error.message().starts_with("page_token:"));
}

async fn roles_are_enforced(backend: Backend) {
    let server = TestServer::start(backend).await;
    let company = create_company(&server, "Acme").await.company.unwrap();
    let mut client = server.tenant().await;

    // No token, a malformed header and an unknown token: UNAUTHENTICATED.
    let error = client
        .list_companies(v1::ListCompaniesRequest::default())
        .await
        .expect_err("no token");
    assert_eq!(error.code(), Code::Unauthenticated);
    let error = client
        .list_companies(authed("awo_unknown", v1::ListCompaniesRequest::default()))
        .await
        .expect_err("unknown token");
    assert_eq!(error.code(), Code::Unauthenticated);
    let mut basic = tonic::Request::new(v1::ListCompaniesRequest::default());
    basic
        .metadata_mut()
        .insert("authorization", "Basic abc".parse().unwrap());
    assert_eq!(
        client.list_companies(basic).await.unwrap_err().code(),
        Code::Unauthenticated
    );

    // A viewer reads but cannot mutate.
    let viewer = token(&server, OperatorRole::Viewer, &[]).await;
    let listed = client
        .list_companies(authed(&viewer, v1::ListCompaniesRequest::default()))
        .await
        .expect("viewer lists")
        .into_inner();
    assert_eq!(listed.companies.len(), 1);
    let error = client
        .create_company(authed(
            &viewer,
            v1::CreateCompanyRequest {
                name: "Nope".to_owned(),
                ..Default::default()
            },
        ))
        .await
        .expect_err("viewer cannot create");
    assert_eq!(error.code(), Code::PermissionDenied);
    let error = client
        .enable_hmac(authed(
            &viewer,
            v1::EnableHmacRequest {
                company_id: company.id.clone(),
            },
        ))
        .await
        .expect_err("viewer cannot enable hmac");
    assert_eq!(error.code(), Code::PermissionDenied);

    // A technician cannot administer tenants either.
    let technician = token(&server, OperatorRole::Technician, &[]).await;
    let error = client
        .create_api_key(authed(
            &technician,
            v1::CreateApiKeyRequest {
                company_id: company.id.clone(),
                label: String::new(),
            },
        ))
        .await
        .expect_err("technician cannot create keys");
    assert_eq!(error.code(), Code::PermissionDenied);

    // A limited admin administers its company but cannot create companies.
    let limited_admin = token(&server, OperatorRole::Admin, &[&company.id]).await;
    client
        .create_api_key(authed(
            &limited_admin,
            v1::CreateApiKeyRequest {
                company_id: company.id.clone(),
                label: "second".to_owned(),
            },
        ))
        .await
        .expect("limited admin creates a key for its company");
    let error = client
        .create_company(authed(
            &limited_admin,
            v1::CreateCompanyRequest {
                name: "Other".to_owned(),
                ..Default::default()
            },
        ))
        .await
        .expect_err("limited admin cannot create companies");
    assert_eq!(error.code(), Code::PermissionDenied);

    // Health and reflection need no token.
    let mut health = tonic_health::pb::health_client::HealthClient::new(server.channel().await);
    let status = health
        .check(tonic_health::pb::HealthCheckRequest {
            service: "alertwhisperer.v1.TenantService".to_owned(),
        })
        .await
        .expect("health without token")
        .into_inner();
    assert_eq!(
        status.status,
        tonic_health::pb::health_check_response::ServingStatus::Serving as i32
    );
}

/// The isolation matrix: every TenantService RPC that takes an id, called by
/// an admin token limited to company A with company B's ids, answers NOT_FOUND.
async fn limited_token_gets_not_found_for_other_company(backend: Backend) {
    let server = TestServer::start(backend).await;
    let a = create_company(&server, "A").await;
    let b = create_company(&server, "B").await;
    let a_id = a.company.unwrap().id;
    let b_id = b.company.unwrap().id;
    let b_key = b.api_key.unwrap().id;
    let mut admin = server.tenant().await;
    let b_technician = admin
        .create_technician(authed(
            &server.admin_token,
            v1::CreateTechnicianRequest {
                slack_member_id: String::new(),
                company_id: b_id.clone(),
                name: "Bea".to_owned(),
                email: "bea@b.example".to_owned(),
                skills: vec![],
                on_duty: true,
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .technician
        .unwrap()
        .id;
    admin
        .enable_hmac(authed(
            &server.admin_token,
            v1::EnableHmacRequest {
                company_id: b_id.clone(),
            },
        ))
        .await
        .unwrap();
    let b_token = admin
        .create_operator_token(authed(
            &server.admin_token,
            v1::CreateOperatorTokenRequest {
                technician_id: String::new(),
                name: "b viewer".to_owned(),
                role: OperatorRole::Viewer.into(),
                company_ids: vec![b_id.clone()],
                ttl: None,
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .operator_token
        .unwrap()
        .id;

    let limited = token(&server, OperatorRole::Admin, &[&a_id]).await;
    let mut c = server.tenant().await;
    let mut results: Vec<(&str, Result<(), tonic::Status>)> = Vec::new();
    macro_rules! call {
        ($name:literal, $fut:expr) => {
            results.push(($name, $fut.await.map(|_| ())));
        };
    }
    call!(
        "GetCompany",
        c.get_company(authed(
            &limited,
            v1::GetCompanyRequest {
                company_id: b_id.clone()
            }
        ))
    );
    call!(
        "UpdateCompany",
        c.update_company(authed(
            &limited,
            v1::UpdateCompanyRequest {
                company_id: b_id.clone(),
                name: "Taken over".to_owned(),
                update_mask: Some(prost_types::FieldMask {
                    paths: vec!["name".to_owned()]
                }),
                ..Default::default()
            }
        ))
    );
    call!(
        "DeleteCompany",
        c.delete_company(authed(
            &limited,
            v1::DeleteCompanyRequest {
                company_id: b_id.clone()
            }
        ))
    );
    call!(
        "CreateApiKey",
        c.create_api_key(authed(
            &limited,
            v1::CreateApiKeyRequest {
                company_id: b_id.clone(),
                label: String::new()
            }
        ))
    );
    call!(
        "ListApiKeys",
        c.list_api_keys(authed(
            &limited,
            v1::ListApiKeysRequest {
                company_id: b_id.clone(),
                ..Default::default()
            }
        ))
    );
    call!(
        "RevokeApiKey",
        c.revoke_api_key(authed(
            &limited,
            v1::RevokeApiKeyRequest {
                company_id: b_id.clone(),
                api_key_id: b_key.clone()
            }
        ))
    );
    // B's key id under A's company id must not be found either.
    call!(
        "RevokeApiKey(A, B's key)",
        c.revoke_api_key(authed(
            &limited,
            v1::RevokeApiKeyRequest {
                company_id: a_id.clone(),
                api_key_id: b_key.clone()
            }
        ))
    );
    call!(
        "RotateApiKey",
        c.rotate_api_key(authed(
            &limited,
            v1::RotateApiKeyRequest {
                company_id: b_id.clone(),
                api_key_id: b_key.clone(),
                overlap: None,
            }
        ))
    );
    call!(
        "EnableHmac",
        c.enable_hmac(authed(
            &limited,
            v1::EnableHmacRequest {
                company_id: b_id.clone()
            }
        ))
    );
    call!(
        "RotateHmacSecret",
        c.rotate_hmac_secret(authed(
            &limited,
            v1::RotateHmacSecretRequest {
                company_id: b_id.clone(),
                overlap: None
            }
        ))
    );
    call!(
        "DisableHmac",
        c.disable_hmac(authed(
            &limited,
            v1::DisableHmacRequest {
                company_id: b_id.clone()
            }
        ))
    );
    call!(
        "SetAwsRole",
        c.set_aws_role(authed(
            &limited,
            v1::SetAwsRoleRequest {
                company_id: b_id.clone(),
                role_arn: "arn:aws:iam::123456789012:role/AW".to_owned(),
                external_id: "ext-123".to_owned(),
            }
        ))
    );
    call!(
        "CreateTechnician",
        c.create_technician(authed(
            &limited,
            v1::CreateTechnicianRequest {
                slack_member_id: String::new(),
                company_id: b_id.clone(),
                name: "Eve".to_owned(),
                email: "eve@a.example".to_owned(),
                skills: vec![],
                on_duty: false,
            }
        ))
    );
    call!(
        "ListTechnicians",
        c.list_technicians(authed(
            &limited,
            v1::ListTechniciansRequest {
                company_id: b_id.clone(),
                ..Default::default()
            }
        ))
    );
    call!(
        "UpdateTechnician",
        c.update_technician(authed(
            &limited,
            v1::UpdateTechnicianRequest {
                technician_id: b_technician.clone(),
                on_duty: false,
                update_mask: Some(prost_types::FieldMask {
                    paths: vec!["on_duty".to_owned()]
                }),
                ..Default::default()
            }
        ))
    );
    call!(
        "DeleteTechnician",
        c.delete_technician(authed(
            &limited,
            v1::DeleteTechnicianRequest {
                technician_id: b_technician.clone()
            }
        ))
    );
    call!(
        "RevokeOperatorToken",
        c.revoke_operator_token(authed(
            &limited,
            v1::RevokeOperatorTokenRequest {
                operator_token_id: b_token.clone()
            }
        ))
    );
    call!(
        "ListAuditEvents",
        c.list_audit_events(authed(
            &limited,
            v1::ListAuditEventsRequest {
                company_id: b_id.clone(),
                ..Default::default()
            }
        ))
    );
    call!(
        "ListSnsConfirmations",
        c.list_sns_confirmations(authed(
            &limited,
            v1::ListSnsConfirmationsRequest {
                company_id: b_id.clone(),
                ..Default::default()
            }
        ))
    );
    assert_eq!(
        results.len(),
        19,
        "every TenantService RPC that takes an id"
    );
    for (name, result) in &results {
        let status = result.as_ref().expect_err(name);
        assert_eq!(status.code(), Code::NotFound, "{name}: {status:?}");
    }
    // Granting B in a new token is refused too, without revealing that B exists.
    let status = c
        .create_operator_token(authed(
            &limited,
            v1::CreateOperatorTokenRequest {
                technician_id: String::new(),
                name: "escalate".to_owned(),
                role: OperatorRole::Admin.into(),
                company_ids: vec![b_id.clone()],
                ttl: None,
            },
        ))
        .await
        .expect_err("cannot grant B");
    assert_eq!(status.code(), Code::InvalidArgument);
    assert!(status.message().contains("not found"));

    // Lists show only A; B is untouched.
    let listed = c
        .list_companies(authed(&limited, v1::ListCompaniesRequest::default()))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        listed
            .companies
            .iter()
            .map(|c| c.id.as_str())
            .collect::<Vec<_>>(),
        vec![a_id.as_str()]
    );
    let technicians = c
        .list_technicians(authed(&limited, v1::ListTechniciansRequest::default()))
        .await
        .unwrap()
        .into_inner();
    assert!(technicians.technicians.is_empty());
    let b_now = admin
        .get_company(authed(
            &server.admin_token,
            v1::GetCompanyRequest {
                company_id: b_id.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .company
        .unwrap();
    assert_eq!(b_now.name, "B");
    assert!(b_now.hmac_enabled);
    assert!(b_now.aws_role.is_none());
}

async fn data_survives_restart(backend: Backend) {
    let server = TestServer::start(backend).await;
    let created = create_company(&server, "Durable").await;
    let id = created.company.unwrap().id;
    let secret = server
        .tenant()
        .await
        .enable_hmac(authed(
            &server.admin_token,
            v1::EnableHmacRequest {
                company_id: id.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .secret;
    assert_eq!(secret.len(), 64);

    let server = server.restart().await;
    let company = server
        .tenant()
        .await
        .get_company(authed(
            &server.admin_token,
            v1::GetCompanyRequest {
                company_id: id.clone(),
            },
        ))
        .await
        .expect("the admin token and the company survive a restart")
        .into_inner()
        .company
        .unwrap();
    assert_eq!(company.name, "Durable");
    assert!(company.hmac_enabled);
    // The master key file survived too: the secret still decrypts.
    let store = alert_whisperer::store::Store::connect(&server.config)
        .await
        .unwrap();
    let key = alert_whisperer::secrets::MasterKey::load_or_create(&server.config).unwrap();
    let stored = store.active_hmac_secrets(&id).await.unwrap();
    assert_eq!(stored.len(), 1);
    let plain = key
        .decrypt(&id, &stored[0].nonce, &stored[0].ciphertext)
        .unwrap();
    assert_eq!(plain, secret.as_bytes());
}

async fn api_key_rotation_keeps_old_key_for_overlap(backend: Backend) {
    let server = TestServer::start(backend).await;
    let created = create_company(&server, "Rotor").await;
    let company_id = created.company.unwrap().id;
    let old = created.api_key.unwrap();
    let store = alert_whisperer::store::Store::connect(&server.config)
        .await
        .unwrap();
    let hash = alert_whisperer::secrets::hash_credential;
    let mut client = server.tenant().await;

    let rotated = client
        .rotate_api_key(authed(
            &server.admin_token,
            v1::RotateApiKeyRequest {
                company_id: company_id.clone(),
                api_key_id: old.id.clone(),
                overlap: Some(prost_types::Duration {
                    seconds: 3600,
                    nanos: 0,
                }),
            },
        ))
        .await
        .expect("rotate")
        .into_inner();
    let previous = rotated.previous_api_key.unwrap();
    assert!(previous.expire_time.is_some());
    assert!(previous.active, "the old key works during the overlap");
    // Both keys authenticate during the overlap.
    assert!(
        store
            .authenticate_api_key(&hash(&created.api_key_secret))
            .await
            .unwrap()
            .is_some()
    );
    assert!(
        store
            .authenticate_api_key(&hash(&rotated.api_key_secret))
            .await
            .unwrap()
            .is_some()
    );

    // A zero overlap ends the old key at once.
    let again = client
        .rotate_api_key(authed(
            &server.admin_token,
            v1::RotateApiKeyRequest {
                company_id: company_id.clone(),
                api_key_id: rotated.api_key.as_ref().unwrap().id.clone(),
                overlap: Some(prost_types::Duration {
                    seconds: 0,
                    nanos: 0,
                }),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(
        store
            .authenticate_api_key(&hash(&rotated.api_key_secret))
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .authenticate_api_key(&hash(&again.api_key_secret))
            .await
            .unwrap()
            .is_some()
    );

    // Revoked keys stop at once and drop out of the default listing.
    client
        .revoke_api_key(authed(
            &server.admin_token,
            v1::RevokeApiKeyRequest {
                company_id: company_id.clone(),
                api_key_id: old.id.clone(),
            },
        ))
        .await
        .unwrap();
    assert!(
        store
            .authenticate_api_key(&hash(&created.api_key_secret))
            .await
            .unwrap()
            .is_none()
    );
    let active = client
        .list_api_keys(authed(
            &server.admin_token,
            v1::ListApiKeysRequest {
                company_id: company_id.clone(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(active.api_keys.len(), 1);
    let all = client
        .list_api_keys(authed(
            &server.admin_token,
            v1::ListApiKeysRequest {
                company_id: company_id.clone(),
                include_inactive: true,
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(all.api_keys.len(), 3);

    let error = client
        .rotate_api_key(authed(
            &server.admin_token,
            v1::RotateApiKeyRequest {
                company_id,
                api_key_id: old.id,
                overlap: Some(prost_types::Duration {
                    seconds: 40 * 24 * 3600,
                    nanos: 0,
                }),
            },
        ))
        .await
        .expect_err("overlap too long");
    assert!(error.message().starts_with("overlap:"));
}

async fn hmac_secrets_rotate_with_two_active_and_stay_encrypted(backend: Backend) {
    let server = TestServer::start(backend).await;
    let company_id = create_company(&server, "Signer").await.company.unwrap().id;
    let mut client = server.tenant().await;

    let error = client
        .rotate_hmac_secret(authed(
            &server.admin_token,
            v1::RotateHmacSecretRequest {
                company_id: company_id.clone(),
                overlap: None,
            },
        ))
        .await
        .expect_err("not enabled yet");
    assert_eq!(error.code(), Code::FailedPrecondition);

    let first = client
        .enable_hmac(authed(
            &server.admin_token,
            v1::EnableHmacRequest {
                company_id: company_id.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(first.company.unwrap().hmac_enabled);
    let error = client
        .enable_hmac(authed(
            &server.admin_token,
            v1::EnableHmacRequest {
                company_id: company_id.clone(),
            },
        ))
        .await
        .expect_err("already enabled");
    assert_eq!(error.code(), Code::FailedPrecondition);

    let second = client
        .rotate_hmac_secret(authed(
            &server.admin_token,
            v1::RotateHmacSecretRequest {
                company_id: company_id.clone(),
                overlap: None,
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(second.active_secrets.len(), 2);
    let third = client
        .rotate_hmac_secret(authed(
            &server.admin_token,
            v1::RotateHmacSecretRequest {
                company_id: company_id.clone(),
                overlap: None,
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        third.active_secrets.len(),
        2,
        "never more than two secrets verify"
    );
    let active_ids: Vec<_> = third.active_secrets.iter().map(|s| s.id.clone()).collect();
    assert_eq!(
        active_ids,
        vec![
            third.hmac_secret.as_ref().unwrap().id.clone(),
            second.hmac_secret.as_ref().unwrap().id.clone()
        ]
    );

    // At rest the secrets are ciphertext, never the secret itself.
    let store = alert_whisperer::store::Store::connect(&server.config)
        .await
        .unwrap();
    for stored in store.active_hmac_secrets(&company_id).await.unwrap() {
        for secret in [&first.secret, &second.secret, &third.secret] {
            assert!(
                !stored
                    .ciphertext
                    .windows(secret.len())
                    .any(|w| w == secret.as_bytes())
            );
        }
    }

    let disabled = client
        .disable_hmac(authed(
            &server.admin_token,
            v1::DisableHmacRequest {
                company_id: company_id.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(!disabled.company.unwrap().hmac_enabled);
    assert!(
        store
            .active_hmac_secrets(&company_id)
            .await
            .unwrap()
            .is_empty()
    );
}

async fn aws_role_is_validated(backend: Backend) {
    let server = TestServer::start(backend).await;
    let company_id = create_company(&server, "Cloudy").await.company.unwrap().id;
    let mut client = server.tenant().await;
    let set = |arn: &str, ext: &str| {
        authed(
            &server.admin_token,
            v1::SetAwsRoleRequest {
                company_id: company_id.clone(),
                role_arn: arn.to_owned(),
                external_id: ext.to_owned(),
            },
        )
    };
    let error = client
        .set_aws_role(set("arn:aws:iam::123:role/X", "ext-123"))
        .await
        .expect_err("short account id");
    assert!(error.message().starts_with("role_arn:"));
    let error = client
        .set_aws_role(set("arn:aws:iam::123456789012:role/X", ""))
        .await
        .expect_err("no external id");
    assert!(error.message().starts_with("external_id:"));
    let company = client
        .set_aws_role(set(
            "arn:aws:iam::123456789012:role/msp/AlertWhisperer",
            "ext-123",
        ))
        .await
        .unwrap()
        .into_inner()
        .company
        .unwrap();
    let role = company.aws_role.unwrap();
    assert_eq!(
        role.role_arn,
        "arn:aws:iam::123456789012:role/msp/AlertWhisperer"
    );
    assert_eq!(role.external_id, "ext-123");
    let cleared = client
        .set_aws_role(set("", ""))
        .await
        .unwrap()
        .into_inner()
        .company
        .unwrap();
    assert!(cleared.aws_role.is_none());
}

async fn technicians_crud(backend: Backend) {
    let server = TestServer::start(backend).await;
    let company_id = create_company(&server, "Staffed").await.company.unwrap().id;
    let mut client = server.tenant().await;
    let created = client
        .create_technician(authed(
            &server.admin_token,
            v1::CreateTechnicianRequest {
                slack_member_id: String::new(),
                company_id: company_id.clone(),
                name: "Ada".to_owned(),
                email: "ada@example.com".to_owned(),
                skills: vec!["Linux".to_owned(), "network".to_owned()],
                on_duty: true,
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .technician
        .unwrap();
    assert_eq!(created.skills, vec!["linux", "network"]);
    let error = client
        .create_technician(authed(
            &server.admin_token,
            v1::CreateTechnicianRequest {
                slack_member_id: String::new(),
                company_id: company_id.clone(),
                name: "Ada again".to_owned(),
                email: "ada@example.com".to_owned(),
                skills: vec![],
                on_duty: false,
            },
        ))
        .await
        .expect_err("email taken");
    assert_eq!(error.code(), Code::AlreadyExists);
    let error = client
        .create_technician(authed(
            &server.admin_token,
            v1::CreateTechnicianRequest {
                slack_member_id: String::new(),
                company_id: company_id.clone(),
                name: "Bob".to_owned(),
                email: "bob@example.com".to_owned(),
                skills: vec!["has space".to_owned()],
                on_duty: false,
            },
        ))
        .await
        .expect_err("bad skill");
    assert!(error.message().starts_with("skills[0]:"));
    let error = client
        .create_technician(authed(
            &server.admin_token,
            v1::CreateTechnicianRequest {
                slack_member_id: "@ada".to_owned(),
                company_id: company_id.clone(),
                name: "Bob".to_owned(),
                email: "bob@example.com".to_owned(),
                skills: vec![],
                on_duty: false,
            },
        ))
        .await
        .expect_err("a display name is not a member id");
    assert_eq!(error.code(), Code::InvalidArgument);
    assert!(error.message().starts_with("slack_member_id:"), "{error:?}");
    // Only the Slack member id changes; the mask keeps the rest.
    let with_slack = client
        .update_technician(authed(
            &server.admin_token,
            v1::UpdateTechnicianRequest {
                technician_id: created.id.clone(),
                slack_member_id: " U024BE7LH ".to_owned(),
                name: "ignored".to_owned(),
                update_mask: Some(prost_types::FieldMask {
                    paths: vec!["slack_member_id".to_owned()],
                }),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .technician
        .unwrap();
    assert_eq!(with_slack.slack_member_id, "U024BE7LH");
    assert_eq!(with_slack.name, "Ada");

    let updated = client
        .update_technician(authed(
            &server.admin_token,
            v1::UpdateTechnicianRequest {
                technician_id: created.id.clone(),
                on_duty: false,
                update_mask: Some(prost_types::FieldMask {
                    paths: vec!["on_duty".to_owned()],
                }),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .technician
        .unwrap();
    assert!(!updated.on_duty);
    assert_eq!(updated.name, "Ada", "fields outside the mask are kept");
    let on_duty = client
        .list_technicians(authed(
            &server.admin_token,
            v1::ListTechniciansRequest {
                company_id: company_id.clone(),
                on_duty_only: true,
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(on_duty.technicians.is_empty());
    client
        .delete_technician(authed(
            &server.admin_token,
            v1::DeleteTechnicianRequest {
                technician_id: created.id.clone(),
            },
        ))
        .await
        .unwrap();
    let error = client
        .delete_technician(authed(
            &server.admin_token,
            v1::DeleteTechnicianRequest {
                technician_id: created.id,
            },
        ))
        .await
        .expect_err("gone");
    assert_eq!(error.code(), Code::NotFound);
}

async fn operator_tokens_create_list_revoke(backend: Backend) {
    let server = TestServer::start(backend).await;
    let a = create_company(&server, "A").await.company.unwrap().id;
    let mut client = server.tenant().await;
    let created = client
        .create_operator_token(authed(
            &server.admin_token,
            v1::CreateOperatorTokenRequest {
                technician_id: String::new(),
                name: "noc wall".to_owned(),
                role: OperatorRole::Viewer.into(),
                company_ids: vec![a.clone()],
                ttl: Some(prost_types::Duration {
                    seconds: 3600,
                    nanos: 0,
                }),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    let metadata = created.operator_token.unwrap();
    assert_eq!(metadata.company_ids, vec![a.clone()]);
    assert!(metadata.expire_time.is_some());
    assert!(created.token.starts_with(&metadata.prefix));

    let error = client
        .create_operator_token(authed(
            &server.admin_token,
            v1::CreateOperatorTokenRequest {
                name: "no role".to_owned(),
                ..Default::default()
            },
        ))
        .await
        .expect_err("role required");
    assert!(error.message().starts_with("role:"));
    // A ttl of zero, or past ten years (an expiry clients cannot read), is
    // refused and creates nothing.
    for seconds in [0, 3650 * 24 * 3600 + 1, 10_000 * 365 * 24 * 3600] {
        let error = client
            .create_operator_token(authed(
                &server.admin_token,
                v1::CreateOperatorTokenRequest {
                    technician_id: String::new(),
                    name: "forever".to_owned(),
                    role: OperatorRole::Viewer.into(),
                    company_ids: vec![],
                    ttl: Some(prost_types::Duration { seconds, nanos: 0 }),
                },
            ))
            .await
            .expect_err("ttl out of range");
        assert_eq!(error.code(), Code::InvalidArgument, "{seconds}");
        assert!(error.message().starts_with("ttl:"), "{}", error.message());
    }

    let listed = client
        .list_operator_tokens(authed(
            &server.admin_token,
            v1::ListOperatorTokensRequest::default(),
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        listed.operator_tokens.len(),
        2,
        "initial admin + the new one"
    );
    assert!(!format!("{listed:?}").contains(&created.token));

    // The new token works, then stops working once revoked.
    client
        .list_companies(authed(&created.token, v1::ListCompaniesRequest::default()))
        .await
        .expect("token works");
    client
        .revoke_operator_token(authed(
            &server.admin_token,
            v1::RevokeOperatorTokenRequest {
                operator_token_id: metadata.id.clone(),
            },
        ))
        .await
        .unwrap();
    let error = client
        .list_companies(authed(&created.token, v1::ListCompaniesRequest::default()))
        .await
        .expect_err("revoked");
    assert_eq!(error.code(), Code::Unauthenticated);
    let listed = client
        .list_operator_tokens(authed(
            &server.admin_token,
            v1::ListOperatorTokensRequest {
                include_inactive: true,
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    let revoked = listed
        .operator_tokens
        .iter()
        .find(|t| t.id == metadata.id)
        .unwrap();
    assert!(!revoked.active && revoked.revoke_time.is_some());

    // A limited admin may only grant a subset of its own companies.
    let limited = token(&server, OperatorRole::Admin, &[&a]).await;
    let error = client
        .create_operator_token(authed(
            &limited,
            v1::CreateOperatorTokenRequest {
                technician_id: String::new(),
                name: "everything".to_owned(),
                role: OperatorRole::Viewer.into(),
                company_ids: vec![],
                ttl: None,
            },
        ))
        .await
        .expect_err("cannot grant all companies");
    assert_eq!(error.code(), Code::InvalidArgument);
    let visible = client
        .list_operator_tokens(authed(&limited, v1::ListOperatorTokensRequest::default()))
        .await
        .unwrap()
        .into_inner();
    assert!(
        visible
            .operator_tokens
            .iter()
            .all(|t| t.company_ids == vec![a.clone()]),
        "a limited admin never sees unlimited tokens"
    );
}

async fn audit_log_records_mutations_and_is_scoped(backend: Backend) {
    let server = TestServer::start(backend).await;
    let a = create_company(&server, "A").await.company.unwrap().id;
    let b = create_company(&server, "B").await.company.unwrap().id;
    let mut client = server.tenant().await;
    client
        .enable_hmac(authed(
            &server.admin_token,
            v1::EnableHmacRequest {
                company_id: a.clone(),
            },
        ))
        .await
        .unwrap();
    let events = client
        .list_audit_events(authed(
            &server.admin_token,
            v1::ListAuditEventsRequest {
                company_id: a.clone(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .audit_events;
    let actions: Vec<_> = events.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        vec!["TenantService.EnableHmac", "TenantService.CreateCompany"],
        "newest first"
    );
    assert!(events[0].actor.starts_with("token:"));
    assert!(events.iter().all(|e| e.company_id == a));
    let details = format!("{:?}", events);
    assert!(
        !details.contains("awk_"),
        "no key material in the audit log"
    );

    let filtered = client
        .list_audit_events(authed(
            &server.admin_token,
            v1::ListAuditEventsRequest {
                action: "TenantService.CreateCompany".to_owned(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .audit_events;
    assert_eq!(filtered.len(), 2);

    let limited = token(&server, OperatorRole::Viewer, &[&b]).await;
    let visible = client
        .list_audit_events(authed(&limited, v1::ListAuditEventsRequest::default()))
        .await
        .unwrap()
        .into_inner()
        .audit_events;
    assert!(!visible.is_empty());
    assert!(
        visible.iter().all(|e| e.company_id == b),
        "a limited token sees only its companies' events, no global ones"
    );
}

async fn deleted_company_disappears_and_name_is_reusable(backend: Backend) {
    let server = TestServer::start(backend).await;
    let created = create_company(&server, "Gone").await;
    let id = created.company.unwrap().id;
    let mut client = server.tenant().await;
    client
        .delete_company(authed(
            &server.admin_token,
            v1::DeleteCompanyRequest {
                company_id: id.clone(),
            },
        ))
        .await
        .unwrap();
    let error = client
        .get_company(authed(
            &server.admin_token,
            v1::GetCompanyRequest {
                company_id: id.clone(),
            },
        ))
        .await
        .expect_err("deleted");
    assert_eq!(error.code(), Code::NotFound);
    let store = alert_whisperer::store::Store::connect(&server.config)
        .await
        .unwrap();
    assert!(
        store
            .authenticate_api_key(&alert_whisperer::secrets::hash_credential(
                &created.api_key_secret
            ))
            .await
            .unwrap()
            .is_none(),
        "a deleted company's keys stop working"
    );
    create_company(&server, "Gone").await;
}

async fn pagination_walks_every_company_once(backend: Backend) {
    let server = TestServer::start(backend).await;
    let mut names = Vec::new();
    for i in 0..7 {
        let name = format!("Company {i}");
        create_company(&server, &name).await;
        names.push(name);
    }
    let mut client = server.tenant().await;
    let mut seen = Vec::new();
    let mut page_token = String::new();
    loop {
        let page = client
            .list_companies(authed(
                &server.admin_token,
                v1::ListCompaniesRequest {
                    page_size: 3,
                    page_token: page_token.clone(),
                    ..Default::default()
                },
            ))
            .await
            .unwrap()
            .into_inner();
        assert!(page.companies.len() <= 3);
        seen.extend(page.companies.into_iter().map(|c| c.name));
        if page.next_page_token.is_empty() {
            break;
        }
        page_token = page.next_page_token;
    }
    assert_eq!(seen, names);
    let filtered = client
        .list_companies(authed(
            &server.admin_token,
            v1::ListCompaniesRequest {
                name_contains: "ANY 3".to_owned(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(filtered.companies.len(), 1);
    assert_eq!(filtered.companies[0].name, "Company 3");
    // A filter longer than any name (the fuzz test's 70,000 bytes made
    // SQLite refuse the LIKE pattern: INTERNAL) is the caller's mistake.
    let status = client
        .list_companies(authed(
            &server.admin_token,
            v1::ListCompaniesRequest {
                name_contains: "y".repeat(70_000),
                ..Default::default()
            },
        ))
        .await
        .expect_err("too long");
    assert_eq!(status.code(), tonic::Code::InvalidArgument);
    assert!(
        status.message().starts_with("name_contains"),
        "{}",
        status.message()
    );
}

/// Creates an operator token as `creator`: the answer, or the refusal.
async fn create_linked_token(
    server: &TestServer,
    creator: &str,
    name: &str,
    company_ids: &[&str],
    technician_id: &str,
) -> Result<v1::CreateOperatorTokenResponse, tonic::Status> {
    server
        .tenant()
        .await
        .create_operator_token(authed(
            creator,
            v1::CreateOperatorTokenRequest {
                name: name.to_owned(),
                role: OperatorRole::Technician.into(),
                company_ids: company_ids.iter().map(|c| (*c).to_owned()).collect(),
                ttl: None,
                technician_id: technician_id.to_owned(),
            },
        ))
        .await
        .map(tonic::Response::into_inner)
}

async fn caller(server: &TestServer, token: &str) -> v1::GetCallerResponse {
    server
        .tenant()
        .await
        .get_caller(authed(token, v1::GetCallerRequest {}))
        .await
        .expect("get caller")
        .into_inner()
}

async fn operator_token_links_to_a_technician_it_may_see(backend: Backend) {
    let server = TestServer::start(backend).await;
    let a = create_company(&server, "A").await.company.unwrap().id;
    let b = create_company(&server, "B").await.company.unwrap().id;
    let ada = server.on_duty_technician(&a, "Ada", "ada@a.example").await;
    let bea = server.on_duty_technician(&b, "Bea", "bea@b.example").await;

    // The initial admin token is linked to no one.
    let me = caller(&server, &server.admin_token).await;
    let own = me.operator_token.expect("token");
    assert_eq!(own.name, "initial admin");
    assert_eq!(own.role, i32::from(OperatorRole::Admin));
    assert!(own.company_ids.is_empty());
    assert!(own.technician_id.is_empty());
    assert!(me.technician.is_none());

    // A token linked to Ada tells its caller who they are.
    let created = create_linked_token(&server, &server.admin_token, "ada laptop", &[&a], &ada.id)
        .await
        .expect("linked token");
    assert_eq!(created.operator_token.unwrap().technician_id, ada.id);
    let me = caller(&server, &created.token).await;
    let own = me.operator_token.expect("token");
    assert_eq!(own.name, "ada laptop");
    assert_eq!(own.role, i32::from(OperatorRole::Technician));
    assert_eq!(own.company_ids, vec![a.clone()]);
    assert_eq!(own.technician_id, ada.id);
    assert!(!format!("{own:?}").contains(&created.token));
    let technician = me.technician.expect("linked technician");
    assert_eq!(
        (technician.id.as_str(), technician.name.as_str()),
        (ada.id.as_str(), "Ada")
    );
    // Any role may ask.
    let viewer = token(&server, OperatorRole::Viewer, &[&b]).await;
    let me = caller(&server, &viewer).await;
    assert_eq!(me.operator_token.unwrap().company_ids, vec![b.clone()]);
    assert!(me.technician.is_none());

    // An admin of company A cannot link a token to B's technician, or to an
    // unknown one: NOT_FOUND, as for every id outside its companies.
    let a_admin = token(&server, OperatorRole::Admin, &[&a]).await;
    let tokens_before = token_count(&server).await;
    for technician_id in [bea.id.as_str(), "01900000-0000-7000-8000-000000000000"] {
        let error = create_linked_token(&server, &a_admin, "stolen", &[&a], technician_id)
            .await
            .expect_err("another tenant's technician");
        assert_eq!(error.code(), Code::NotFound, "{}", error.message());
        assert!(
            error.message().contains(technician_id),
            "{}",
            error.message()
        );
    }
    assert_eq!(
        token_count(&server).await,
        tokens_before,
        "nothing was created"
    );
    // Its own company's technician is fine.
    let linked = create_linked_token(&server, &a_admin, "ada desk", &[&a], &ada.id)
        .await
        .expect("own technician");
    assert_eq!(linked.operator_token.unwrap().technician_id, ada.id);

    // A token limited to A cannot be linked to B's technician, even by an
    // admin of every company: it could not see their incidents.
    let error = create_linked_token(&server, &server.admin_token, "mixed", &[&a], &bea.id)
        .await
        .expect_err("technician outside the token's companies");
    assert_eq!(error.code(), Code::InvalidArgument);
    assert!(
        error.message().starts_with("technician_id:"),
        "{}",
        error.message()
    );

    // The link is in the list and the audit log.
    let listed = server
        .tenant()
        .await
        .list_operator_tokens(authed(
            &server.admin_token,
            v1::ListOperatorTokensRequest::default(),
        ))
        .await
        .unwrap()
        .into_inner();
    let ada_laptop = listed
        .operator_tokens
        .iter()
        .find(|t| t.name == "ada laptop")
        .expect("listed");
    assert_eq!(ada_laptop.technician_id, ada.id);
    let audit = server
        .tenant()
        .await
        .list_audit_events(authed(
            &server.admin_token,
            v1::ListAuditEventsRequest {
                action: "TenantService.CreateOperatorToken".to_owned(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(
        audit
            .audit_events
            .iter()
            .any(|event| event.target_id == ada_laptop.id
                && format!("{:?}", event.details).contains(&ada.id)),
        "{audit:?}"
    );

    // A token linked to B's technician loses the technician with B: the id
    // stays, the technician is no longer there to describe.
    let bea_token = create_linked_token(&server, &server.admin_token, "bea", &[], &bea.id)
        .await
        .expect("unlimited token linked to bea")
        .token;
    server
        .tenant()
        .await
        .delete_company(authed(
            &server.admin_token,
            v1::DeleteCompanyRequest {
                company_id: b.clone(),
            },
        ))
        .await
        .unwrap();
    let me = caller(&server, &bea_token).await;
    assert_eq!(me.operator_token.unwrap().technician_id, bea.id);
    assert!(me.technician.is_none());

    // Deleting the technician unlinks the tokens.
    server
        .tenant()
        .await
        .delete_technician(authed(
            &server.admin_token,
            v1::DeleteTechnicianRequest {
                technician_id: ada.id.clone(),
            },
        ))
        .await
        .unwrap();
    let me = caller(&server, &created.token).await;
    assert!(me.operator_token.unwrap().technician_id.is_empty());
    assert!(me.technician.is_none());
}

async fn token_count(server: &TestServer) -> usize {
    server
        .tenant()
        .await
        .list_operator_tokens(authed(
            &server.admin_token,
            v1::ListOperatorTokensRequest {
                page_size: 500,
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .operator_tokens
        .len()
}
