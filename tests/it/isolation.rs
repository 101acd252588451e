//! Tenant isolation for every unary RPC of the control plane, built from the
//! API's descriptors so that a new RPC is covered without touching this file.
//!
//! Company B gets one of everything (an incident and its alert, a
//! technician, a silence, an inhibition rule, a notification channel, a
//! custom runbook, API keys, an operator token). An admin token limited to
//! company A then calls every RPC with every id field of the request set to
//! B's id of that kind (the other fields empty, then random), and:
//!
//! - no answer, success or refusal, names anything of B's (its name, its
//!   technician's, its alert's text, …);
//! - a request that names B's ids is refused, or succeeds without
//!   answering any of B's ids, and leaves every table as it was;
//! - every RPC whose request has an id field is refused with NOT_FOUND or
//!   PERMISSION_DENIED at least once (the scope check, not only field
//!   validation, stood in the way), judged by the first request of each
//!   (the others are random). An RPC whose other fields must be valid
//!   before its scope is checked gets a valid request in [`valid_bases`]:
//!   a new RPC of that kind fails this test until it has its row.
//!
//! IngestService is left out (an API key, not an id, says which company an
//! alert is for), and so are the streaming RPCs (their isolation is tested
//! with the watch tests).

use std::collections::BTreeMap;

use alert_whisperer::proto::v1;
use prost::Message as _;
use prost_reflect::{
    DescriptorPool, DynamicMessage, FieldDescriptor, Kind, ReflectMessage as _, Value,
};
use tonic::Code;

use crate::fuzz::{Corpus, RawCodec, fingerprint, random_message, rounds, seeded};
use crate::harness::{Backend, TestServer, authed};
use crate::ingest::tenant;

/// B's ids by the request field names that carry them.
struct Victim {
    ids: BTreeMap<&'static str, String>,
    /// What no answer to another tenant may contain.
    secrets: Vec<String>,
}

impl Victim {
    /// B's id for a request field, by its name (`company_ids` and
    /// `company_id` alike); a field of a kind B has none of gets B's company
    /// id (an id of the wrong kind is just as foreign).
    fn id_for(&self, field: &str) -> String {
        let singular = field.strip_suffix('s').unwrap_or(field);
        let kind = singular
            .rsplit_once("parent_")
            .map_or(singular, |(_, kind)| kind);
        self.ids
            .get(kind)
            .or_else(|| self.ids.get("company_id"))
            .cloned()
            .unwrap_or_default()
    }

    fn all_ids(&self) -> impl Iterator<Item = &String> {
        self.ids.values()
    }
}

/// Fields that name one of the service's own records (not a Slack member
/// or an AWS external id).
fn is_id_field(field: &FieldDescriptor) -> bool {
    matches!(field.kind(), Kind::String)
        && (field.name().ends_with("_id") || field.name().ends_with("_ids"))
        && !matches!(field.name(), "slack_member_id" | "external_id")
}

/// The request with every id field, also of the nested messages it holds,
/// set to B's ids.
fn aimed_at(base: DynamicMessage, victim: &Victim) -> DynamicMessage {
    let mut message = base;
    let descriptor = message.descriptor();
    for field in descriptor.fields() {
        if is_id_field(&field) {
            let id = victim.id_for(field.name());
            let value = if field.is_list() {
                Value::List(vec![Value::String(id)])
            } else {
                Value::String(id)
            };
            message.set_field(&field, value);
        } else if matches!(field.kind(), Kind::Message(_))
            && !field.is_map()
            && message.has_field(&field)
        {
            let value = match message.get_field(&field).into_owned() {
                Value::Message(inner) => Value::Message(aimed_at(inner, victim)),
                Value::List(items) => Value::List(
                    items
                        .into_iter()
                        .map(|item| match item {
                            Value::Message(inner) => Value::Message(aimed_at(inner, victim)),
                            other => other,
                        })
                        .collect(),
                ),
                other => other,
            };
            message.set_field(&field, value);
        }
    }
    message
}

/// Creates company B with one of everything, and answers what identifies it.
async fn victim(server: &TestServer) -> Victim {
    let name = "Globex Hidden Corp";
    let b = tenant(server, name).await;
    let admin = &server.admin_token;
    let mut ids = BTreeMap::new();
    ids.insert("company_id", b.id.clone());
    let secret_text = "secret-disk-on-vault-07";
    let mut ingest = v1::ingest_service_client::IngestServiceClient::new(server.channel().await);
    let mut request = tonic::Request::new(v1::IngestAlertRequest {
        alert: Some(v1::AlertInput {
            asset: "vault-07".to_owned(),
            signature: "disk_full".to_owned(),
            severity: v1::Severity::Critical.into(),
            message: secret_text.to_owned(),
            ..Default::default()
        }),
    });
    request
        .metadata_mut()
        .insert("x-api-key", b.key.parse().expect("ascii"));
    let result = ingest
        .ingest_alert(request)
        .await
        .expect("ingest")
        .into_inner()
        .result
        .expect("result");
    ids.insert("incident_id", result.incident_id);
    ids.insert("alert_id", result.alert_id);
    let technician = server
        .on_duty_technician(&b.id, "Bea Hiddenname", "bea@globex-hidden.example")
        .await;
    ids.insert("technician_id", technician.id);
    let mut tenants = server.tenant().await;
    let key = tenants
        .list_api_keys(authed(
            admin,
            v1::ListApiKeysRequest {
                company_id: b.id.clone(),
                ..Default::default()
            },
        ))
        .await
        .expect("keys")
        .into_inner()
        .api_keys
        .remove(0);
    ids.insert("api_key_id", key.id);
    let token = tenants
        .create_operator_token(authed(
            admin,
            v1::CreateOperatorTokenRequest {
                name: "globex hidden viewer".to_owned(),
                role: v1::OperatorRole::Viewer.into(),
                company_ids: vec![b.id.clone()],
                ..Default::default()
            },
        ))
        .await
        .expect("token")
        .into_inner();
    ids.insert("operator_token_id", token.operator_token.expect("token").id);
    let mut correlation =
        v1::correlation_service_client::CorrelationServiceClient::new(server.channel().await);
    let matcher = |value: &str| v1::Matcher {
        name: "asset".to_owned(),
        operator: v1::MatchOperator::Equal.into(),
        value: value.to_owned(),
    };
    let silence = correlation
        .create_silence(authed(
            admin,
            v1::CreateSilenceRequest {
                company_id: b.id.clone(),
                matchers: vec![matcher("vault-99")],
                start_time: None,
                end_time: Some(prost_types::Timestamp {
                    seconds: std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .expect("clock")
                        .as_secs()
                        .cast_signed()
                        + 86_400,
                    nanos: 0,
                }),
                comment: "hidden maintenance of vault-99".to_owned(),
            },
        ))
        .await
        .expect("silence")
        .into_inner();
    ids.insert("silence_id", silence.silence.expect("silence").id);
    let rule = correlation
        .create_inhibition_rule(authed(
            admin,
            v1::CreateInhibitionRuleRequest {
                company_id: b.id.clone(),
                source_matchers: vec![matcher("vault-98")],
                target_matchers: vec![matcher("vault-97")],
                equal: vec![],
                comment: "hidden inhibition".to_owned(),
            },
        ))
        .await
        .expect("inhibition rule")
        .into_inner();
    let rule_id = rule.inhibition_rule.expect("rule").id;
    ids.insert("inhibition_rule_id", rule_id.clone());
    ids.insert("rule_id", rule_id);
    let channel = crate::notifications::create_channel(
        server,
        &b,
        "hidden pager channel",
        crate::notifications::webhook("https://hooks.globex-hidden.example/x".to_owned()),
        1,
    )
    .await;
    ids.insert("channel_id", channel.channel.expect("channel").id);
    let runbook = v1::runbook_service_client::RunbookServiceClient::new(server.channel().await)
        .create_runbook(authed(
            admin,
            v1::CreateRunbookRequest {
                company_id: b.id.clone(),
                name: "Hidden vault fix".to_owned(),
                document_name: "Globex-Hidden-Fix".to_owned(),
                ..Default::default()
            },
        ))
        .await
        .expect("runbook")
        .into_inner();
    ids.insert("runbook_id", runbook.runbook.expect("runbook").id);
    Victim {
        ids,
        secrets: [
            name,
            "Bea Hiddenname",
            "bea@globex-hidden.example",
            secret_text,
            "hidden maintenance",
            "hidden inhibition",
            "hidden pager channel",
            "hooks.globex-hidden.example",
            "Hidden vault fix",
            "Globex-Hidden-Fix",
            "globex hidden viewer",
        ]
        .map(str::to_owned)
        .to_vec(),
    }
}

fn timestamp(offset_seconds: i64) -> Option<prost_types::Timestamp> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs()
        .cast_signed();
    Some(prost_types::Timestamp {
        seconds: now + offset_seconds,
        nanos: 0,
    })
}

fn asset_is(value: &str) -> v1::Matcher {
    v1::Matcher {
        name: "asset".to_owned(),
        operator: v1::MatchOperator::Equal.into(),
        value: value.to_owned(),
    }
}

/// One row per RPC whose request needs valid fields besides its ids before
/// the scope is checked: a request that passes validation (its ids are then
/// replaced by the other tenant's).
fn valid_bases() -> BTreeMap<&'static str, Vec<u8>> {
    let mut rows: BTreeMap<&'static str, Vec<u8>> = BTreeMap::new();
    let mut row = |path: &'static str, bytes: Vec<u8>| {
        assert!(rows.insert(path, bytes).is_none(), "{path} has two rows");
    };
    row(
        "/alertwhisperer.v1.CorrelationService/CreateSilence",
        v1::CreateSilenceRequest {
            matchers: vec![asset_is("web-01")],
            end_time: timestamp(3_600),
            comment: "c".to_owned(),
            ..Default::default()
        }
        .encode_to_vec(),
    );
    row(
        "/alertwhisperer.v1.CorrelationService/CreateInhibitionRule",
        v1::CreateInhibitionRuleRequest {
            source_matchers: vec![asset_is("web-01")],
            target_matchers: vec![asset_is("web-02")],
            comment: "c".to_owned(),
            ..Default::default()
        }
        .encode_to_vec(),
    );
    row(
        "/alertwhisperer.v1.ComplianceService/ExportComplianceDataset",
        v1::ExportComplianceDatasetRequest {
            s3_bucket: "bucket".to_owned(),
            ..Default::default()
        }
        .encode_to_vec(),
    );
    row(
        "/alertwhisperer.v1.RunbookService/CreateHybridActivation",
        v1::CreateHybridActivationRequest {
            iam_role: "SSMServiceRole".to_owned(),
            ..Default::default()
        }
        .encode_to_vec(),
    );
    row(
        "/alertwhisperer.v1.CorrelationService/PreviewCorrelation",
        v1::PreviewCorrelationRequest {
            start_time: timestamp(-3_600),
            end_time: timestamp(0),
            ..Default::default()
        }
        .encode_to_vec(),
    );
    row(
        "/alertwhisperer.v1.CorrelationService/GetNoiseStats",
        v1::GetNoiseStatsRequest {
            start_time: timestamp(-86_400),
            end_time: timestamp(0),
            ..Default::default()
        }
        .encode_to_vec(),
    );
    row(
        "/alertwhisperer.v1.TenantService/UpdateCompany",
        v1::UpdateCompanyRequest {
            name: "Renamed".to_owned(),
            update_mask: Some(prost_types::FieldMask {
                paths: vec!["name".to_owned()],
            }),
            ..Default::default()
        }
        .encode_to_vec(),
    );
    row(
        "/alertwhisperer.v1.IncidentService/AddComment",
        v1::AddCommentRequest {
            text: "looking".to_owned(),
            ..Default::default()
        }
        .encode_to_vec(),
    );
    row(
        "/alertwhisperer.v1.IncidentService/ResolveIncident",
        v1::ResolveIncidentRequest {
            resolution: "fixed".to_owned(),
            ..Default::default()
        }
        .encode_to_vec(),
    );
    row(
        "/alertwhisperer.v1.RunbookService/RejectExecution",
        v1::RejectExecutionRequest {
            reason: "no".to_owned(),
            ..Default::default()
        }
        .encode_to_vec(),
    );
    row(
        "/alertwhisperer.v1.IncidentService/GetKpiTrend",
        v1::GetKpiTrendRequest {
            start_time: timestamp(-86_400),
            end_time: timestamp(0),
            bucket: v1::KpiBucket::Hour.into(),
            ..Default::default()
        }
        .encode_to_vec(),
    );
    row(
        "/alertwhisperer.v1.NotificationService/CreateChannel",
        v1::CreateChannelRequest {
            name: "c".to_owned(),
            config: Some(crate::notifications::webhook(
                "https://hooks.example/x".to_owned(),
            )),
            max_attempts: 1,
            ..Default::default()
        }
        .encode_to_vec(),
    );
    row(
        "/alertwhisperer.v1.NotificationService/CreateRoute",
        v1::CreateRouteRequest {
            name: "r".to_owned(),
            events: vec![v1::NotifyEvent::Opened.into()],
            // Its channel id becomes the other tenant's.
            levels: vec![v1::EscalationLevel {
                channel_ids: vec![String::new()],
                ..Default::default()
            }],
            ..Default::default()
        }
        .encode_to_vec(),
    );
    row(
        "/alertwhisperer.v1.RunbookService/CreateRemediationRule",
        v1::CreateRemediationRuleRequest {
            name: "r".to_owned(),
            matchers: vec![asset_is("web-01")],
            mode: v1::RemediationMode::Approval.into(),
            ..Default::default()
        }
        .encode_to_vec(),
    );
    row(
        "/alertwhisperer.v1.RunbookService/CreateRunbook",
        v1::CreateRunbookRequest {
            name: "r".to_owned(),
            document_name: "Doc".to_owned(),
            ..Default::default()
        }
        .encode_to_vec(),
    );
    row(
        "/alertwhisperer.v1.TenantService/CreateOperatorToken",
        v1::CreateOperatorTokenRequest {
            name: "t".to_owned(),
            role: v1::OperatorRole::Viewer.into(),
            ..Default::default()
        }
        .encode_to_vec(),
    );
    row(
        "/alertwhisperer.v1.TenantService/CreateTechnician",
        v1::CreateTechnicianRequest {
            name: "T".to_owned(),
            email: "t@example.com".to_owned(),
            ..Default::default()
        }
        .encode_to_vec(),
    );
    row(
        "/alertwhisperer.v1.TenantService/SetAwsRole",
        v1::SetAwsRoleRequest {
            role_arn: "arn:aws:iam::123456789012:role/aw".to_owned(),
            external_id: "external-id-0123".to_owned(),
            ..Default::default()
        }
        .encode_to_vec(),
    );
    row(
        "/alertwhisperer.v1.TenantService/UpdateTechnician",
        v1::UpdateTechnicianRequest {
            name: "T".to_owned(),
            update_mask: Some(prost_types::FieldMask {
                paths: vec!["name".to_owned()],
            }),
            ..Default::default()
        }
        .encode_to_vec(),
    );
    rows
}

async fn no_rpc_reaches_another_tenants_data(backend: Backend) {
    let (seed, mut rng) = seeded();
    let server = TestServer::start(backend).await;
    let a = tenant(&server, "Acme").await;
    let b = victim(&server).await;
    let limited = crate::correlation::token(&server, v1::OperatorRole::Admin, &[&a.id]).await;
    let corpus = Corpus::new(std::slice::from_ref(&a.id));
    let pool = DescriptorPool::decode(alert_whisperer::proto::FILE_DESCRIPTOR_SET).expect("pool");
    let mut grpc = tonic::client::Grpc::new(server.channel().await);
    // Per RPC with id fields: whether the scope check refused it at least once.
    let mut scoped: BTreeMap<String, Vec<(Code, String)>> = BTreeMap::new();
    let bases = valid_bases();
    let mut calls = 0;
    for service in pool
        .services()
        .filter(|service| service.package_name() == "alertwhisperer.v1")
        .filter(|service| service.name() != "IngestService")
    {
        for method in service.methods() {
            if method.is_client_streaming() || method.is_server_streaming() {
                continue;
            }
            let input = method.input();
            let has_ids = input.fields().any(|field| is_id_field(&field));
            let path = format!("/{}/{}", service.full_name(), method.name());
            for round in 0..=rounds().min(4) {
                let base = if round == 0 {
                    match bases.get(path.as_str()) {
                        Some(bytes) => {
                            DynamicMessage::decode(input.clone(), bytes.as_slice()).expect("row")
                        }
                        None => DynamicMessage::new(input.clone()),
                    }
                } else {
                    random_message(&input, &mut rng, &corpus, 0)
                };
                let message = aimed_at(base, &b);
                let bytes = message.encode_to_vec();
                let before = fingerprint(&server, backend).await;
                grpc.ready().await.expect("ready");
                let answer = grpc
                    .unary(
                        authed(&limited, bytes.clone()),
                        http::uri::PathAndQuery::try_from(path.as_str()).expect("path"),
                        RawCodec,
                    )
                    .await;
                calls += 1;
                let context = format!(
                    "{path} (AW_FUZZ_SEED={seed}, request {})",
                    hex::encode(&bytes)
                );
                let text = match &answer {
                    Ok(response) => String::from_utf8_lossy(response.get_ref()).into_owned(),
                    Err(status) => status.message().to_owned(),
                };
                for secret in &b.secrets {
                    assert!(
                        !text.contains(secret.as_str()),
                        "{context} answered another tenant's {secret:?}: {text}"
                    );
                }
                match &answer {
                    Ok(_) => {
                        for id in b.all_ids() {
                            assert!(
                                !text.contains(id.as_str()),
                                "{context} answered another tenant's id {id}"
                            );
                        }
                    }
                    Err(status) => {
                        // Whether the scope check refused it is judged by
                        // the valid request (round 0), not by random ones.
                        if has_ids && round == 0 {
                            scoped
                                .entry(path.clone())
                                .or_default()
                                .push((status.code(), status.message().to_owned()));
                        }
                    }
                }
                if has_ids {
                    assert_eq!(
                        before,
                        fingerprint(&server, backend).await,
                        "{context} named another tenant's ids and changed a table"
                    );
                }
            }
            if has_ids {
                scoped.entry(path.clone()).or_default();
            }
        }
    }
    let unscoped: Vec<String> = scoped
        .iter()
        .filter(|(_, codes)| {
            !codes.iter().any(|(code, message)| {
                matches!(code, Code::NotFound | Code::PermissionDenied)
                    // An id in a list field is refused by its place in the
                    // list ("company_ids[0]: company … not found").
                    || (*code == Code::InvalidArgument
                        && (message.contains("not found") || message.contains("in this company"))
                        && b.all_ids().any(|id| message.contains(id.as_str())))
            })
        })
        .map(|(path, codes)| format!("{path}: {:?}", codes.first()))
        .collect();
    eprintln!("{calls} calls; {} RPCs with id fields", scoped.len());
    assert!(
        unscoped.is_empty(),
        "never refused with NOT_FOUND or PERMISSION_DENIED for another tenant's ids (AW_FUZZ_SEED={seed}):\n{}",
        unscoped.join("\n")
    );
}

crate::on_both_backends!(no_rpc_reaches_another_tenants_data);
