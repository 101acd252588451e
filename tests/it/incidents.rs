//! Correlation into incidents end to end: a storm with a known answer, rules,
//! the incident lifecycle, tenancy, the live feed with resumption, restarts
//! and two replicas on one PostgreSQL.

use std::collections::BTreeSet;
use std::time::Duration;

use alert_whisperer::proto::v1::{
    self, AlertAction, AlertOutcome, IncidentEventKind, IncidentStatus, MatchOperator,
    OperatorRole, Severity,
};
use alert_whisperer::store::Store;
use tokio_stream::StreamExt;
use tonic::Code;
use tonic::metadata::MetadataValue;
use tonic::transport::Channel;

use crate::harness::{Backend, TestServer, authed, postgres_url};
use crate::ingest::{Tenant, tenant};

crate::on_both_backends!(
    storm_with_a_known_answer_gives_exactly_the_expected_incidents,
    silences_and_inhibition_suppress_and_explain_says_why,
    incident_lifecycle_is_recorded_on_the_timeline,
    every_incident_rpc_refuses_another_tenants_ids,
    watcher_that_reconnects_with_after_sequence_receives_every_event_once,
    correlate_now_and_preview_work_while_auto_correlate_is_off,
    flapping_incident_stays_open_then_settles_after_a_quiet_window,
    get_incident_status_always_agrees_with_its_timeline,
    a_backlog_larger_than_one_pass_is_correlated_before_the_answer,
    concurrent_requests_of_several_companies_keep_each_to_its_own_rules_and_state,
    auto_assign_balances_by_open_incident_counts_the_database_keeps,
    inhibition_finds_its_sources_as_they_fire_and_resolve_and_after_a_restart,
    a_search_finds_a_storm_parent_through_its_childrens_alerts,
    a_storm_parent_lists_its_children_and_kpis_count_it_once,
    late_alerts_are_placed_in_event_time_and_a_bridging_one_merges_incidents,
    early_resolves_and_resolved_alerts_outlive_a_restart_within_the_lateness_bound,
    kpi_trend_buckets_in_the_database_and_agrees_with_get_kpis,
);

type Incidents = v1::incident_service_client::IncidentServiceClient<Channel>;
type Correlation = v1::correlation_service_client::CorrelationServiceClient<Channel>;
type Ingest = v1::ingest_service_client::IngestServiceClient<Channel>;

fn now_ms() -> i64 {
    i64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis(),
    )
    .unwrap()
}

/// A company id checked against every company (what the store's finders of
/// one company's rows take).
async fn scoped(server: &TestServer, company_id: &str) -> alert_whisperer::store::ScopedCompany {
    Store::connect(&server.config)
        .await
        .unwrap()
        .scoped_company(&alert_whisperer::store::Scope::All, company_id)
        .await
        .unwrap()
}

fn ts(ms: i64) -> Option<prost_types::Timestamp> {
    Some(prost_types::Timestamp {
        seconds: ms.div_euclid(1000),
        nanos: i32::try_from(ms.rem_euclid(1000) * 1_000_000).unwrap(),
    })
}

fn alert(asset: &str, signature: &str, dedup: &str, at: i64) -> v1::AlertInput {
    v1::AlertInput {
        asset: asset.to_owned(),
        signature: signature.to_owned(),
        severity: Severity::High.into(),
        message: format!("{signature} on {asset}"),
        tool_source: "prometheus".to_owned(),
        occur_time: ts(at),
        dedup_key: dedup.to_owned(),
        ..Default::default()
    }
}

fn with_key<T>(key: &str, message: T) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    request
        .metadata_mut()
        .insert("x-api-key", MetadataValue::try_from(key).expect("ascii"));
    request
}

async fn send(
    server: &TestServer,
    key: &str,
    alerts: Vec<v1::AlertInput>,
) -> Vec<v1::IngestResult> {
    Ingest::new(server.channel().await)
        .ingest_alerts(with_key(key, v1::IngestAlertsRequest { alerts }))
        .await
        .expect("ingest")
        .into_inner()
        .results
}

async fn list(
    server: &TestServer,
    token: &str,
    request: v1::ListIncidentsRequest,
) -> Vec<v1::Incident> {
    let mut client = Incidents::new(server.channel().await);
    let mut all = Vec::new();
    let mut request = v1::ListIncidentsRequest {
        page_size: 500,
        ..request
    };
    loop {
        let page = client
            .list_incidents(authed(token, request.clone()))
            .await
            .expect("list")
            .into_inner();
        all.extend(page.incidents);
        if page.next_page_token.is_empty() {
            return all;
        }
        request.page_token = page.next_page_token;
    }
}

async fn company_incidents(server: &TestServer, company: &Tenant) -> Vec<v1::Incident> {
    list(
        server,
        &server.admin_token,
        v1::ListIncidentsRequest {
            company_ids: vec![company.id.clone()],
            ..Default::default()
        },
    )
    .await
}

/// GetIncident with the default alert count, read by the admin.
pub(crate) async fn incident_view(
    server: &TestServer,
    incident_id: &str,
) -> v1::GetIncidentResponse {
    Incidents::new(server.channel().await)
        .get_incident(authed(
            &server.admin_token,
            v1::GetIncidentRequest {
                incident_id: incident_id.to_owned(),
                max_alerts: 0,
            },
        ))
        .await
        .unwrap()
        .into_inner()
}

fn matcher(name: &str, operator: MatchOperator, value: &str) -> v1::Matcher {
    v1::Matcher {
        name: name.to_owned(),
        operator: operator.into(),
        value: value.to_owned(),
    }
}

/// The inhibition rule the tests use: a firing `host_down` on an asset
/// inhibits the asset's other alerts.
async fn host_down_rule(server: &TestServer, company_id: &str) -> v1::InhibitionRule {
    Correlation::new(server.channel().await)
        .create_inhibition_rule(authed(
            &server.admin_token,
            v1::CreateInhibitionRuleRequest {
                company_id: company_id.to_owned(),
                source_matchers: vec![matcher("signature", MatchOperator::Equal, "host_down")],
                target_matchers: vec![matcher("signature", MatchOperator::NotEqual, "host_down")],
                equal: vec!["asset".to_owned()],
                comment: "host down hides its services".to_owned(),
            },
        ))
        .await
        .expect("inhibition rule")
        .into_inner()
        .inhibition_rule
        .expect("inhibition rule")
}

async fn set_config(
    server: &TestServer,
    company_id: &str,
    config: v1::CorrelationConfig,
    mask: &[&str],
) {
    Correlation::new(server.channel().await)
        .update_correlation_config(authed(
            &server.admin_token,
            v1::UpdateCorrelationConfigRequest {
                config: Some(v1::CorrelationConfig {
                    company_id: company_id.to_owned(),
                    ..config
                }),
                update_mask: Some(prost_types::FieldMask {
                    paths: mask.iter().map(|p| (*p).to_owned()).collect(),
                }),
            },
        ))
        .await
        .expect("update config");
}

/// 4 assets × 3 signatures, 5 distinct alerts per pair in each of two waves
/// 25 minutes apart (the window is 10): 24 incidents of 5 alerts, 80 % noise
/// reduction. Sent from three connections at once in uneven batches; the
/// first wave's alerts then resolve, which resolves its 12 incidents.
async fn storm_with_a_known_answer_gives_exactly_the_expected_incidents(backend: Backend) {
    let server = TestServer::start(backend).await;
    let acme = tenant(&server, "Acme").await;
    let base = now_ms() - 3_600_000;
    let mut alerts = Vec::new();
    for wave in 0..2i64 {
        for asset in 0..4 {
            for signature in 0..3 {
                for n in 0..5i64 {
                    let at = base + wave * 25 * 60_000 + n * 50_000 + asset * 1000 + signature * 10;
                    alerts.push(alert(
                        &format!("web-{asset}"),
                        &format!("sig-{signature}"),
                        &format!("web-{asset}|sig-{signature}|w{wave}|{n}"),
                        at,
                    ));
                }
            }
        }
    }
    // Interleave: deterministic shuffle, three senders, batches of 1 to 17.
    let mut order: Vec<usize> = (0..alerts.len()).collect();
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    for i in (1..order.len()).rev() {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        order.swap(i, usize::try_from(state % (i as u64 + 1)).unwrap());
    }
    let shuffled: Vec<v1::AlertInput> = order.iter().map(|&i| alerts[i].clone()).collect();
    let mut senders = Vec::new();
    for lane in 0..3 {
        let lane_alerts: Vec<v1::AlertInput> =
            shuffled.iter().skip(lane).step_by(3).cloned().collect();
        let channel = server.channel().await;
        let key = acme.key.clone();
        senders.push(tokio::spawn(async move {
            let mut client = Ingest::new(channel);
            let mut rest = lane_alerts.as_slice();
            let mut size = 1 + lane;
            while !rest.is_empty() {
                let (batch, tail) = rest.split_at(size.min(rest.len()));
                let results = client
                    .ingest_alerts(with_key(
                        &key,
                        v1::IngestAlertsRequest {
                            alerts: batch.to_vec(),
                        },
                    ))
                    .await
                    .expect("ingest")
                    .into_inner()
                    .results;
                for result in results {
                    assert!(
                        [
                            AlertOutcome::NewIncident as i32,
                            AlertOutcome::Correlated as i32
                        ]
                        .contains(&result.outcome),
                        "{result:?}"
                    );
                    assert!(!result.incident_id.is_empty());
                }
                rest = tail;
                size = size % 17 + 3;
            }
        }));
    }
    for sender in senders {
        sender.await.unwrap();
    }
    let incidents = company_incidents(&server, &acme).await;
    assert_eq!(incidents.len(), 24, "two waves × 12 keys");
    let mut keys = std::collections::BTreeMap::<String, usize>::new();
    for incident in &incidents {
        assert_eq!(incident.alert_count, 5, "{incident:?}");
        *keys.entry(incident.aggregation_key.clone()).or_default() += 1;
    }
    assert_eq!(keys.len(), 12);
    assert!(keys.values().all(|n| *n == 2), "{keys:?}");

    // Resolve the first wave: its incidents resolve themselves.
    let resolves: Vec<v1::AlertInput> = alerts
        .iter()
        .filter(|a| a.dedup_key.contains("|w0|"))
        .map(|a| v1::AlertInput {
            action: AlertAction::Resolve.into(),
            occur_time: ts(base + 20 * 60_000),
            ..a.clone()
        })
        .collect();
    for result in send(&server, &acme.key, resolves).await {
        assert_eq!(result.outcome, AlertOutcome::Resolved as i32, "{result:?}");
    }
    let resolved = list(
        &server,
        &server.admin_token,
        v1::ListIncidentsRequest {
            company_ids: vec![acme.id.clone()],
            statuses: vec![IncidentStatus::Resolved.into()],
            ..Default::default()
        },
    )
    .await;
    assert_eq!(resolved.len(), 12);
    assert!(
        resolved
            .iter()
            .all(|i| i.resolution == "all alerts resolved")
    );

    let kpis = crate::remediation::kpis(&server, &acme.id).await;
    assert_eq!(kpis.raw_alert_count, 120);
    assert_eq!(kpis.incident_count, 24);
    assert!((kpis.noise_reduction_pct - 80.0).abs() < 1e-9, "{kpis:?}");
    assert_eq!(kpis.resolved_count, 12);
    assert_eq!(kpis.open_count, 12);
    assert!(kpis.mttr.is_some());

    let metrics = server.metrics().await;
    assert!(
        metrics.contains(&format!(
            "alertwhisperer_incidents_created_total{{company_id=\"{}\"}} 24",
            acme.id
        )),
        "{metrics}"
    );
}

async fn silences_and_inhibition_suppress_and_explain_says_why(backend: Backend) {
    let server = TestServer::start(backend).await;
    let acme = tenant(&server, "Acme").await;
    let mut correlation = Correlation::new(server.channel().await);
    let silence = correlation
        .create_silence(authed(
            &server.admin_token,
            v1::CreateSilenceRequest {
                company_id: acme.id.clone(),
                matchers: vec![matcher("asset", MatchOperator::Equal, "web-01")],
                start_time: ts(now_ms() - 3_600_000),
                end_time: ts(now_ms() + 3_600_000),
                comment: "patching".to_owned(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .silence
        .unwrap();
    let rule = host_down_rule(&server, &acme.id).await;
    let t = now_ms() - 60_000;
    let results = send(
        &server,
        &acme.key,
        vec![
            alert("web-01", "disk_full", "", t),
            alert("db-01", "host_down", "", t + 1),
            alert("db-01", "mysql_down", "", t + 2),
            alert("db-02", "mysql_down", "", t + 3),
        ],
    )
    .await;
    let outcomes: Vec<i32> = results.iter().map(|r| r.outcome).collect();
    assert_eq!(
        outcomes,
        [
            AlertOutcome::SuppressedBySilence as i32,
            AlertOutcome::NewIncident as i32,
            AlertOutcome::SuppressedByInhibition as i32,
            AlertOutcome::NewIncident as i32,
        ]
    );
    assert!(results[0].incident_id.is_empty() && results[2].incident_id.is_empty());

    let explained = correlation
        .explain_alert(authed(
            &server.admin_token,
            v1::ExplainAlertRequest {
                alert_id: results[2].alert_id.clone(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        explained.outcome,
        AlertOutcome::SuppressedByInhibition as i32
    );
    assert_eq!(explained.aggregation_key, "db-01|mysql_down");
    let inhibition = explained
        .decisions
        .iter()
        .find(|d| d.kind == v1::DecisionKind::Inhibition as i32)
        .expect("an inhibition decision");
    assert_eq!(inhibition.reference_id, rule.id);
    assert!(
        inhibition.reason.contains(&results[1].alert_id),
        "{inhibition:?}"
    );

    let by_key = correlation
        .explain_alert(authed(
            &server.admin_token,
            v1::ExplainAlertRequest {
                company_id: acme.id.clone(),
                dedup_key: "web-01|disk_full".to_owned(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(by_key.outcome, AlertOutcome::SuppressedBySilence as i32);
    assert!(
        by_key
            .decisions
            .iter()
            .any(|d| d.reference_id == silence.id)
    );

    let joined = send(
        &server,
        &acme.key,
        vec![alert("db-02", "mysql_down", "second", t + 4)],
    )
    .await;
    assert_eq!(joined[0].outcome, AlertOutcome::Correlated as i32);
    let explained = correlation
        .explain_alert(authed(
            &server.admin_token,
            v1::ExplainAlertRequest {
                alert_id: joined[0].alert_id.clone(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(explained.incident_id, results[3].incident_id);
    assert!(
        explained
            .decisions
            .iter()
            .any(|d| d.kind == v1::DecisionKind::Window as i32
                && d.reason.contains("within the 10m window")),
        "{:?}",
        explained.decisions
    );

    let stats = correlation
        .get_noise_stats(authed(
            &server.admin_token,
            v1::GetNoiseStatsRequest {
                company_id: acme.id.clone(),
                start_time: ts(now_ms() - 3_600_000),
                end_time: None,
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(stats.alert_count, 5);
    assert_eq!(stats.incident_count, 2);
    assert_eq!(stats.silenced_alert_count, 1);
    assert_eq!(stats.inhibited_alert_count, 1);
    assert_eq!(stats.correlated_alert_count, 1);
    assert!((stats.noise_reduction_pct - 60.0).abs() < 1e-9);
    let listed = correlation
        .list_silences(authed(
            &server.admin_token,
            v1::ListSilencesRequest {
                company_id: acme.id.clone(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(listed.silences[0].suppressed_alert_count, 1);
    let rules = correlation
        .list_inhibition_rules(authed(
            &server.admin_token,
            v1::ListInhibitionRulesRequest {
                company_id: acme.id.clone(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .inhibition_rules;
    assert_eq!(rules[0].suppressed_alert_count, 1);
}

async fn incident_lifecycle_is_recorded_on_the_timeline(backend: Backend) {
    let server = TestServer::start(backend).await;
    let acme = tenant(&server, "Acme").await;
    let tech = server
        .on_duty_technician(&acme.id, "Ada", "ada@example.com")
        .await;
    let result = send(
        &server,
        &acme.key,
        vec![alert("web-01", "disk_full", "", now_ms())],
    )
    .await;
    let incident_id = result[0].incident_id.clone();
    let mut client = Incidents::new(server.channel().await);
    let token = &server.admin_token;
    let ack = client
        .acknowledge_incident(authed(
            token,
            v1::AcknowledgeIncidentRequest {
                incident_id: incident_id.clone(),
                comment: "on it".to_owned(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .incident
        .unwrap();
    assert_eq!(ack.status, IncidentStatus::Acknowledged as i32);
    assert!(ack.acknowledge_time.is_some());
    let assigned = client
        .assign_incident(authed(
            token,
            v1::AssignIncidentRequest {
                incident_id: incident_id.clone(),
                auto_assign: true,
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .incident
        .unwrap();
    assert_eq!(assigned.assigned_technician_id, tech.id);
    let both = client
        .assign_incident(authed(
            token,
            v1::AssignIncidentRequest {
                incident_id: incident_id.clone(),
                technician_id: tech.id.clone(),
                auto_assign: true,
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(both.code(), Code::InvalidArgument);
    let comment = client
        .add_comment(authed(
            token,
            v1::AddCommentRequest {
                incident_id: incident_id.clone(),
                text: "freed 20 GB".to_owned(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .event
        .unwrap();
    assert_eq!(comment.kind, IncidentEventKind::Commented as i32);
    assert!(!comment.id.is_empty());
    let empty = client
        .resolve_incident(authed(
            token,
            v1::ResolveIncidentRequest {
                incident_id: incident_id.clone(),
                resolution: " ".to_owned(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(empty.code(), Code::InvalidArgument);
    let resolved = client
        .resolve_incident(authed(
            token,
            v1::ResolveIncidentRequest {
                incident_id: incident_id.clone(),
                resolution: "cleaned /var".to_owned(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .incident
        .unwrap();
    assert_eq!(resolved.status, IncidentStatus::Resolved as i32);
    for error in [
        client
            .resolve_incident(authed(
                token,
                v1::ResolveIncidentRequest {
                    incident_id: incident_id.clone(),
                    resolution: "again".to_owned(),
                },
            ))
            .await
            .unwrap_err(),
        client
            .acknowledge_incident(authed(
                token,
                v1::AcknowledgeIncidentRequest {
                    incident_id: incident_id.clone(),
                    comment: String::new(),
                },
            ))
            .await
            .unwrap_err(),
    ] {
        assert_eq!(error.code(), Code::FailedPrecondition, "{error:?}");
    }
    // The alert resolved with its incident: the same alert firing again opens a new one.
    let again = send(
        &server,
        &acme.key,
        vec![alert("web-01", "disk_full", "", now_ms())],
    )
    .await;
    assert_eq!(again[0].outcome, AlertOutcome::NewIncident as i32);
    assert_ne!(again[0].incident_id, incident_id);
    let reopened = client
        .reopen_incident(authed(
            token,
            v1::ReopenIncidentRequest {
                incident_id: incident_id.clone(),
                reason: "came back".to_owned(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .incident
        .unwrap();
    assert_eq!(reopened.status, IncidentStatus::Open as i32);
    let full = client
        .get_incident(authed(
            token,
            v1::GetIncidentRequest {
                incident_id: incident_id.clone(),
                max_alerts: 0,
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(full.alerts.len(), 1);
    let kinds: Vec<i32> = full.timeline.iter().map(|e| e.kind).collect();
    assert_eq!(
        kinds,
        [
            IncidentEventKind::Created as i32,
            IncidentEventKind::Acknowledged as i32,
            IncidentEventKind::Assigned as i32,
            IncidentEventKind::Commented as i32,
            IncidentEventKind::Resolved as i32,
            IncidentEventKind::Reopened as i32,
        ]
    );
    assert!(full.timeline[1].actor.starts_with("token:"));
    // Search and filters.
    let found = list(
        &server,
        token,
        v1::ListIncidentsRequest {
            query: "DISK web-01".to_owned(),
            statuses: vec![IncidentStatus::Open.into()],
            ..Default::default()
        },
    )
    .await;
    assert_eq!(found.len(), 2);
    let none = list(
        &server,
        token,
        v1::ListIncidentsRequest {
            query: "disk nginx".to_owned(),
            ..Default::default()
        },
    )
    .await;
    assert!(none.is_empty());
    // LIKE's wildcards in a query are plain characters: "%" is in no
    // alert's text, and "web_01" is not "web-01".
    for literal in ["%", "web_01", "\\"] {
        let found = list(
            &server,
            token,
            v1::ListIncidentsRequest {
                query: literal.to_owned(),
                ..Default::default()
            },
        )
        .await;
        assert!(found.is_empty(), "{literal:?} matched {}", found.len());
    }
    // An oversized query is refused, the same on both databases.
    for length in [513, 50_000] {
        let refused = client
            .list_incidents(authed(
                token,
                v1::ListIncidentsRequest {
                    query: "x".repeat(length),
                    ..Default::default()
                },
            ))
            .await
            .unwrap_err();
        assert_eq!(refused.code(), Code::InvalidArgument, "{length}");
        assert!(refused.message().contains("query"), "{}", refused.message());
    }
    // An unknown id of 20,000 characters is NOT_FOUND, its echo cut short
    // (whole, the message would not fit the trailers).
    let missing = client
        .get_incident(authed(
            token,
            v1::GetIncidentRequest {
                incident_id: "0".repeat(20_000),
                max_alerts: 0,
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(missing.code(), Code::NotFound);
    assert!(
        missing.message().len() < 1_100,
        "{}",
        missing.message().len()
    );
    // A viewer reads but cannot act.
    let viewer = crate::correlation::token(&server, OperatorRole::Viewer, &[]).await;
    let denied = client
        .acknowledge_incident(authed(
            &viewer,
            v1::AcknowledgeIncidentRequest {
                incident_id: again[0].incident_id.clone(),
                comment: String::new(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(denied.code(), Code::PermissionDenied);
}

async fn every_incident_rpc_refuses_another_tenants_ids(backend: Backend) {
    let server = TestServer::start(backend).await;
    let acme = tenant(&server, "Acme").await;
    let globex = tenant(&server, "Globex").await;
    let result = send(
        &server,
        &acme.key,
        vec![alert("web-01", "disk_full", "", now_ms())],
    )
    .await;
    let incident_id = result[0].incident_id.clone();
    let alert_id = result[0].alert_id.clone();
    let other = crate::correlation::token(&server, OperatorRole::Admin, &[&globex.id]).await;
    let mut incidents = Incidents::new(server.channel().await);
    let mut correlation = Correlation::new(server.channel().await);
    let id = || incident_id.clone();
    let codes = vec![
        incidents
            .get_incident(authed(
                &other,
                v1::GetIncidentRequest {
                    incident_id: id(),
                    max_alerts: 0,
                },
            ))
            .await
            .map(|_| ()),
        incidents
            .acknowledge_incident(authed(
                &other,
                v1::AcknowledgeIncidentRequest {
                    incident_id: id(),
                    comment: String::new(),
                },
            ))
            .await
            .map(|_| ()),
        incidents
            .assign_incident(authed(
                &other,
                v1::AssignIncidentRequest {
                    incident_id: id(),
                    auto_assign: true,
                    ..Default::default()
                },
            ))
            .await
            .map(|_| ()),
        incidents
            .resolve_incident(authed(
                &other,
                v1::ResolveIncidentRequest {
                    incident_id: id(),
                    resolution: "x".to_owned(),
                },
            ))
            .await
            .map(|_| ()),
        incidents
            .reopen_incident(authed(
                &other,
                v1::ReopenIncidentRequest {
                    incident_id: id(),
                    reason: String::new(),
                },
            ))
            .await
            .map(|_| ()),
        incidents
            .add_comment(authed(
                &other,
                v1::AddCommentRequest {
                    incident_id: id(),
                    text: "x".to_owned(),
                },
            ))
            .await
            .map(|_| ()),
        incidents
            .list_incidents(authed(
                &other,
                v1::ListIncidentsRequest {
                    company_ids: vec![acme.id.clone()],
                    ..Default::default()
                },
            ))
            .await
            .map(|_| ()),
        incidents
            .get_kpis(authed(
                &other,
                v1::GetKpisRequest {
                    company_id: acme.id.clone(),
                    ..Default::default()
                },
            ))
            .await
            .map(|_| ()),
        incidents
            .get_kpi_trend(authed(
                &other,
                v1::GetKpiTrendRequest {
                    company_id: acme.id.clone(),
                    bucket: v1::KpiBucket::Day.into(),
                    ..Default::default()
                },
            ))
            .await
            .map(|_| ()),
        incidents
            .watch_incidents(authed(
                &other,
                v1::WatchIncidentsRequest {
                    company_id: acme.id.clone(),
                    ..Default::default()
                },
            ))
            .await
            .map(|_| ()),
        correlation
            .explain_alert(authed(
                &other,
                v1::ExplainAlertRequest {
                    alert_id: alert_id.clone(),
                    ..Default::default()
                },
            ))
            .await
            .map(|_| ()),
        correlation
            .explain_alert(authed(
                &other,
                v1::ExplainAlertRequest {
                    company_id: acme.id.clone(),
                    dedup_key: "web-01|disk_full".to_owned(),
                    ..Default::default()
                },
            ))
            .await
            .map(|_| ()),
        correlation
            .correlate_now(authed(
                &other,
                v1::CorrelateNowRequest {
                    company_id: acme.id.clone(),
                },
            ))
            .await
            .map(|_| ()),
        correlation
            .preview_correlation(authed(
                &other,
                v1::PreviewCorrelationRequest {
                    company_id: acme.id.clone(),
                    start_time: ts(now_ms() - 86_400_000),
                    ..Default::default()
                },
            ))
            .await
            .map(|_| ()),
        correlation
            .get_noise_stats(authed(
                &other,
                v1::GetNoiseStatsRequest {
                    company_id: acme.id.clone(),
                    start_time: ts(0),
                    end_time: None,
                },
            ))
            .await
            .map(|_| ()),
    ];
    for (index, result) in codes.into_iter().enumerate() {
        let error = result.expect_err(&format!("call {index} must be refused"));
        assert_eq!(error.code(), Code::NotFound, "call {index}: {error:?}");
    }
    // Lists and totals over "every company I may see" leave Acme out.
    let seen = list(&server, &other, v1::ListIncidentsRequest::default()).await;
    assert!(seen.is_empty());
    let totals = incidents
        .get_kpis(authed(&other, v1::GetKpisRequest::default()))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(totals.total.unwrap().incident_count, 0);
    assert!(totals.companies.iter().all(|k| k.company_id == globex.id));
    let trend = incidents
        .get_kpi_trend(authed(
            &other,
            v1::GetKpiTrendRequest {
                bucket: v1::KpiBucket::Day.into(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(trend.buckets.len(), 30);
    assert!(
        trend
            .buckets
            .iter()
            .all(|b| b.raw_alert_count == 0 && b.incident_count == 0),
        "Acme's alerts are not in another tenant's trend"
    );
    // The incident is untouched.
    let incident = incidents
        .get_incident(authed(
            &server.admin_token,
            v1::GetIncidentRequest {
                incident_id,
                max_alerts: 0,
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(incident.timeline.len(), 1);
}

/// Reads a watch stream until `until` says stop; answers the events' sequences
/// and the last heartbeat position seen.
async fn read_events(
    stream: &mut tonic::Streaming<v1::WatchIncidentsResponse>,
    mut until: impl FnMut(&[u64]) -> bool,
) -> Vec<u64> {
    let mut sequences = Vec::new();
    while !until(&sequences) {
        let message = tokio::time::timeout(Duration::from_secs(20), stream.next())
            .await
            .expect("an event within 20 s")
            .expect("stream open")
            .expect("no error");
        if let Some(v1::watch_incidents_response::Payload::Event(event)) = message.payload {
            sequences.push(event.sequence);
        }
    }
    sequences
}

/// Opens a WatchIncidents stream of the company without `after_sequence` and
/// reads its first message, which must be a heartbeat at the log's head;
/// answers the stream and that head.
async fn watch_from_head(
    server: &TestServer,
    company_id: &str,
) -> (tonic::Streaming<v1::WatchIncidentsResponse>, u64) {
    let mut stream = Incidents::new(server.channel().await)
        .watch_incidents(authed(
            &server.admin_token,
            v1::WatchIncidentsRequest {
                company_id: company_id.to_owned(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    let first = stream.next().await.unwrap().unwrap();
    let Some(v1::watch_incidents_response::Payload::Heartbeat(heartbeat)) = first.payload else {
        panic!("first message must be a heartbeat: {first:?}");
    };
    (stream, heartbeat.sequence)
}

async fn watcher_that_reconnects_with_after_sequence_receives_every_event_once(backend: Backend) {
    let server = TestServer::start(backend).await;
    let acme = tenant(&server, "Acme").await;
    let mut client = Incidents::new(server.channel().await);
    let (mut stream, head_at_open) = watch_from_head(&server, &acme.id).await;
    assert_eq!(head_at_open, 0);
    // A storm from two senders while the watcher reads, drops and resumes.
    let storm = |lane: usize| {
        let key = acme.key.clone();
        let url = server.url();
        tokio::spawn(async move {
            let channel = Channel::from_shared(url).unwrap().connect().await.unwrap();
            let mut ingest = Ingest::new(channel);
            for round in 0..15 {
                let alerts = (0..4)
                    .map(|n| {
                        alert(
                            &format!("host-{lane}-{n}"),
                            &format!("sig-{}", round % 3),
                            &format!("{lane}-{n}-{round}"),
                            now_ms(),
                        )
                    })
                    .collect();
                ingest
                    .ingest_alerts(with_key(&key, v1::IngestAlertsRequest { alerts }))
                    .await
                    .unwrap();
            }
        })
    };
    let senders = [storm(0), storm(1)];
    let before = read_events(&mut stream, |seen| seen.len() >= 10).await;
    drop(stream);
    let last = *before.last().unwrap();
    for sender in senders {
        sender.await.unwrap();
    }
    let company = scoped(&server, &acme.id).await;
    let head = u64::try_from(server.owners.head_sequence(&company).await.unwrap()).unwrap();
    assert!(
        head > last + 10,
        "the storm went on after the disconnect ({last} of {head})"
    );
    let mut resumed = client
        .watch_incidents(authed(
            &server.admin_token,
            v1::WatchIncidentsRequest {
                company_id: acme.id.clone(),
                after_sequence: Some(last),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    let after = read_events(&mut resumed, |seen| seen.last().is_some_and(|s| *s >= head)).await;
    let all: Vec<u64> = before.iter().chain(after.iter()).copied().collect();
    let unique: BTreeSet<u64> = all.iter().copied().collect();
    assert_eq!(unique.len(), all.len(), "no event twice");
    assert_eq!(
        unique,
        (1..=head).collect::<BTreeSet<u64>>(),
        "every event of the log, in order"
    );
    assert!(all.windows(2).all(|w| w[0] < w[1]));

    // A position beyond the log's end is refused.
    let beyond = client
        .watch_incidents(authed(
            &server.admin_token,
            v1::WatchIncidentsRequest {
                company_id: acme.id.clone(),
                after_sequence: Some(head + 100),
                ..Default::default()
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(beyond.code(), Code::InvalidArgument);
}

async fn correlate_now_and_preview_work_while_auto_correlate_is_off(backend: Backend) {
    let server = TestServer::start(backend).await;
    let acme = tenant(&server, "Acme").await;
    set_config(
        &server,
        &acme.id,
        v1::CorrelationConfig {
            auto_correlate: false,
            ..Default::default()
        },
        &["auto_correlate"],
    )
    .await;
    let base = now_ms() - 40 * 60_000;
    // Two keys; key A has alerts 8 minutes apart (inside a 10m window, outside 5m).
    let alerts = vec![
        alert("web-01", "cpu", "a1", base),
        alert("web-01", "cpu", "a2", base + 8 * 60_000),
        alert("web-01", "cpu", "a3", base + 16 * 60_000),
        alert("db-01", "cpu", "b1", base),
    ];
    let results = send(&server, &acme.key, alerts).await;
    assert!(
        results
            .iter()
            .all(|r| r.outcome == AlertOutcome::Stored as i32)
    );
    assert!(company_incidents(&server, &acme).await.is_empty());
    let mut correlation = Correlation::new(server.channel().await);
    let preview = |minutes: i64| v1::PreviewCorrelationRequest {
        company_id: acme.id.clone(),
        config: Some(v1::CorrelationConfig {
            window: Some(prost_types::Duration {
                seconds: minutes * 60,
                nanos: 0,
            }),
            ..Default::default()
        }),
        start_time: ts(base - 1),
        end_time: None,
        max_incidents: 0,
    };
    let wide = correlation
        .preview_correlation(authed(&server.admin_token, preview(10)))
        .await
        .unwrap()
        .into_inner();
    assert_eq!((wide.alert_count, wide.incident_count), (4, 2));
    assert!((wide.noise_reduction_pct - 50.0).abs() < 1e-9);
    assert_eq!(wide.incidents[0].alert_count, 3);
    let narrow = correlation
        .preview_correlation(authed(&server.admin_token, preview(5)))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(narrow.incident_count, 4);
    let bad = correlation
        .preview_correlation(authed(&server.admin_token, preview(20)))
        .await
        .unwrap_err();
    assert_eq!(bad.code(), Code::InvalidArgument);
    assert!(
        company_incidents(&server, &acme).await.is_empty(),
        "a preview changes nothing"
    );
    let explained = correlation
        .explain_alert(authed(
            &server.admin_token,
            v1::ExplainAlertRequest {
                alert_id: results[0].alert_id.clone(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(explained.outcome, AlertOutcome::Stored as i32);
    assert_eq!(
        explained.decisions[0].kind,
        v1::DecisionKind::AutoCorrelateOff as i32
    );

    let done = correlation
        .correlate_now(authed(
            &server.admin_token,
            v1::CorrelateNowRequest {
                company_id: acme.id.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(done.alerts_processed, 4);
    assert_eq!(done.incidents_created, 2);
    assert_eq!(done.alerts_correlated, 2);
    let incidents = company_incidents(&server, &acme).await;
    assert_eq!(incidents.len(), 2);
    let again = correlation
        .correlate_now(authed(
            &server.admin_token,
            v1::CorrelateNowRequest {
                company_id: acme.id.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(again.alerts_processed, 0);
}

/// Two replicas on one PostgreSQL: alerts of one key sent to both at once never
/// open two incidents, and a watcher on one replica sees the other's incidents.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_replicas_on_postgres_never_split_an_incident() {
    if postgres_url().is_none() {
        eprintln!("TEST_DATABASE_URL is not set: skipped");
        return;
    }
    let first = TestServer::start(Backend::Postgres).await;
    let second = first.replica().await;
    let acme = tenant(&first, "Acme").await;
    let mut watch = Incidents::new(second.channel().await)
        .watch_incidents(authed(
            &first.admin_token,
            v1::WatchIncidentsRequest {
                company_id: acme.id.clone(),
                after_sequence: Some(0),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    for round in 0..20 {
        let asset = format!("web-{round}");
        let at = now_ms();
        let a = send(
            &first,
            &acme.key,
            vec![alert(
                &asset,
                &format!("sig-{round}"),
                &format!("{asset}-a"),
                at,
            )],
        );
        let b = send(
            &second,
            &acme.key,
            vec![alert(
                &asset,
                &format!("sig-{round}"),
                &format!("{asset}-b"),
                at,
            )],
        );
        let (a, b) = tokio::join!(a, b);
        assert_eq!(
            a[0].incident_id, b[0].incident_id,
            "round {round}: {a:?} {b:?}"
        );
    }
    let incidents = company_incidents(&first, &acme).await;
    assert_eq!(incidents.len(), 20);
    assert!(incidents.iter().all(|i| i.alert_count == 2));
    // The watcher on the second replica sees every incident, including those
    // created through the first one (LISTEN/NOTIFY wakes it).
    let mut created = BTreeSet::new();
    while created.len() < 20 {
        let message = tokio::time::timeout(Duration::from_secs(10), watch.next())
            .await
            .expect("an event within 10 s")
            .unwrap()
            .unwrap();
        if let Some(v1::watch_incidents_response::Payload::Event(event)) = message.payload
            && event.kind == IncidentEventKind::Created as i32
        {
            created.insert(event.incident.unwrap().id);
        }
    }
    // Live: an incident made through the first replica reaches the watcher on the second.
    let live = send(
        &first,
        &acme.key,
        vec![alert("live-01", "cpu", "", now_ms())],
    )
    .await;
    loop {
        let message = tokio::time::timeout(Duration::from_secs(10), watch.next())
            .await
            .expect("the live incident within 10 s")
            .unwrap()
            .unwrap();
        if let Some(v1::watch_incidents_response::Payload::Event(event)) = message.payload
            && event
                .incident
                .as_ref()
                .is_some_and(|i| i.id == live[0].incident_id)
        {
            break;
        }
    }
}

async fn flapping_incident_stays_open_then_settles_after_a_quiet_window(backend: Backend) {
    let server = TestServer::start(backend).await;
    let acme = tenant(&server, "Acme").await;
    set_config(
        &server,
        &acme.id,
        v1::CorrelationConfig {
            flapping: Some(v1::FlappingSettings {
                enabled: true,
                threshold: 2,
            }),
            ..Default::default()
        },
        &["flapping"],
    )
    .await;
    let t = now_ms() - 60_000;
    let resolve = |dedup: &str, at: i64| v1::AlertInput {
        action: AlertAction::Resolve.into(),
        ..alert("web-01", "http_5xx", dedup, at)
    };
    let results = send(
        &server,
        &acme.key,
        vec![
            alert("web-01", "http_5xx", "steady", t),
            alert("web-01", "http_5xx", "flap", t + 1000),
            resolve("flap", t + 2000),
            alert("web-01", "http_5xx", "flap", t + 3000),
            resolve("flap", t + 4000),
            resolve("steady", t + 5000),
        ],
    )
    .await;
    let incident_id = results[0].incident_id.clone();
    assert!(
        results.iter().all(|r| r.incident_id == incident_id),
        "the re-fire joins the same incident: {results:?}"
    );
    let incidents = company_incidents(&server, &acme).await;
    assert_eq!(incidents.len(), 1);
    assert!(incidents[0].flapping);
    assert_eq!(
        incidents[0].status,
        IncidentStatus::Open as i32,
        "a flapping incident does not resolve itself"
    );
    let company = scoped(&server, &acme.id).await;
    let settled = server
        .owners
        .settle_flapping(&company, now_ms())
        .await
        .unwrap();
    assert_eq!(settled, 0, "not quiet for a whole window yet");
    let settled = server
        .owners
        .settle_flapping(&company, now_ms() + 11 * 60_000)
        .await
        .unwrap();
    assert_eq!(settled, 1);
    let full = Incidents::new(server.channel().await)
        .get_incident(authed(
            &server.admin_token,
            v1::GetIncidentRequest {
                incident_id,
                max_alerts: 0,
            },
        ))
        .await
        .unwrap()
        .into_inner();
    let incident = full.incident.unwrap();
    assert!(!incident.flapping);
    assert_eq!(incident.status, IncidentStatus::Resolved as i32);
    let kinds: Vec<i32> = full.timeline.iter().map(|e| e.kind).collect();
    for kind in [
        IncidentEventKind::FlappingStarted,
        IncidentEventKind::FlappingEnded,
        IncidentEventKind::Resolved,
    ] {
        assert!(kinds.contains(&(kind as i32)), "{kind:?} in {kinds:?}");
    }
}

/// GetIncident reads the incident, its alerts and its timeline from one
/// snapshot: while other requests acknowledge and resolve incidents, no
/// answer shows a status its timeline does not explain, or a timeline entry
/// its status has not caught up with.
async fn get_incident_status_always_agrees_with_its_timeline(backend: Backend) {
    let server = TestServer::start(backend).await;
    let acme = tenant(&server, "Acme").await;
    let token = server.admin_token.clone();
    let mut ids = Vec::new();
    for n in 0..12 {
        let result = send(
            &server,
            &acme.key,
            vec![alert(
                &format!("web-{n:02}"),
                &format!("sig_{n}"),
                "",
                now_ms(),
            )],
        )
        .await;
        ids.push(result[0].incident_id.clone());
    }
    let has = |timeline: &[v1::IncidentEvent], kind: IncidentEventKind| {
        timeline.iter().any(|event| event.kind == kind as i32)
    };
    let mut views = 0;
    for incident_id in ids {
        let channel = server.channel().await;
        let writer = {
            let (channel, token, incident_id) =
                (channel.clone(), token.clone(), incident_id.clone());
            tokio::spawn(async move {
                let mut client = Incidents::new(channel);
                for n in 0..4 {
                    client
                        .add_comment(authed(
                            &token,
                            v1::AddCommentRequest {
                                incident_id: incident_id.clone(),
                                text: format!("note {n}"),
                            },
                        ))
                        .await
                        .expect("comment");
                }
                client
                    .acknowledge_incident(authed(
                        &token,
                        v1::AcknowledgeIncidentRequest {
                            incident_id: incident_id.clone(),
                            comment: "on it".to_owned(),
                        },
                    ))
                    .await
                    .expect("acknowledge");
                client
                    .resolve_incident(authed(
                        &token,
                        v1::ResolveIncidentRequest {
                            incident_id: incident_id.clone(),
                            resolution: "done".to_owned(),
                        },
                    ))
                    .await
                    .expect("resolve");
            })
        };
        let mut client = Incidents::new(channel);
        loop {
            let view = client
                .get_incident(authed(
                    &token,
                    v1::GetIncidentRequest {
                        incident_id: incident_id.clone(),
                        max_alerts: 0,
                    },
                ))
                .await
                .expect("get")
                .into_inner();
            views += 1;
            let status = view.incident.unwrap().status;
            let acknowledged = has(&view.timeline, IncidentEventKind::Acknowledged);
            let resolved = has(&view.timeline, IncidentEventKind::Resolved);
            assert_eq!(
                status == IncidentStatus::Resolved as i32,
                resolved,
                "status {status} against timeline {:?}",
                view.timeline
            );
            assert_eq!(
                status != IncidentStatus::Open as i32,
                acknowledged,
                "status {status} against timeline {:?}",
                view.timeline
            );
            if resolved {
                break;
            }
        }
        writer.await.unwrap();
    }
    assert!(views >= 12);
}

/// The ingest writer correlates what it commits in the same transaction, one
/// pass (at most 2,000 events) per company. A backlog that auto-correlate left
/// pending is bigger than that; the new alert, the latest of all, is not in
/// the writer's pass, so the request hands it to the correlator, and the
/// answer still says what became of it. The backlog ends correlated too.
async fn a_backlog_larger_than_one_pass_is_correlated_before_the_answer(backend: Backend) {
    let server = TestServer::start(backend).await;
    let acme = tenant(&server, "Acme").await;
    let off = |auto_correlate: bool| v1::CorrelationConfig {
        auto_correlate,
        ..Default::default()
    };
    set_config(&server, &acme.id, off(false), &["auto_correlate"]).await;
    let base = now_ms() - 30 * 60_000;
    for chunk in 0..3 {
        let alerts = (0..800)
            .map(|n| {
                let n = chunk * 800 + n;
                alert(&format!("host-{n}"), "backlog", "", base + n)
            })
            .collect();
        let results = send(&server, &acme.key, alerts).await;
        assert!(
            results
                .iter()
                .all(|r| r.outcome == AlertOutcome::Stored as i32),
            "auto-correlate is off: stored, not correlated"
        );
    }
    set_config(&server, &acme.id, off(true), &["auto_correlate"]).await;
    let results = send(
        &server,
        &acme.key,
        vec![alert("web-01", "latest", "", now_ms())],
    )
    .await;
    assert_eq!(
        results[0].outcome,
        AlertOutcome::NewIncident as i32,
        "{results:?}"
    );
    assert!(!results[0].incident_id.is_empty());
    let backlog = list(
        &server,
        &server.admin_token,
        v1::ListIncidentsRequest {
            company_ids: vec![acme.id.clone()],
            query: "backlog".to_owned(),
            ..Default::default()
        },
    )
    .await;
    // 2,400 assets of one signature inside the window: incidents folded
    // under a storm parent, which counts its children's alerts again.
    let alerts: i64 = backlog
        .iter()
        .filter(|i| i.child_incident_count == 0)
        .map(|i| i.alert_count)
        .sum();
    assert_eq!(alerts, 2400, "every backlog alert correlated");
}

/// Requests of several companies are decided by their own owners and
/// appended in one group commit. Three companies get the very same alerts
/// (same assets, signatures, dedup keys and aggregation keys) at once, but
/// have different rules: a silence in the first, an inhibition rule in the
/// second, a 5-minute window (not 10) in the third. Each must be decided
/// exactly by its own rules and state, and get its own log sequences from 1.
async fn concurrent_requests_of_several_companies_keep_each_to_its_own_rules_and_state(
    backend: Backend,
) {
    use alert_whisperer::domain::incident::Outcome;

    let server = TestServer::start(backend).await;
    let silenced = tenant(&server, "Silenced").await;
    let inhibited = tenant(&server, "Inhibited").await;
    let narrow = tenant(&server, "Narrow").await;
    let mut correlation = Correlation::new(server.channel().await);
    correlation
        .create_silence(authed(
            &server.admin_token,
            v1::CreateSilenceRequest {
                company_id: silenced.id.clone(),
                matchers: vec![matcher("asset", MatchOperator::Equal, "web-01")],
                start_time: ts(now_ms() - 3_600_000),
                end_time: ts(now_ms() + 3_600_000),
                comment: "patching".to_owned(),
            },
        ))
        .await
        .unwrap();
    host_down_rule(&server, &inhibited.id).await;
    set_config(
        &server,
        &narrow.id,
        v1::CorrelationConfig {
            window: Some(prost_types::Duration {
                seconds: 300,
                nanos: 0,
            }),
            ..Default::default()
        },
        &["window"],
    )
    .await;
    let t = now_ms() - 10 * 60_000;
    let alerts = || {
        vec![
            alert("web-01", "disk_full", "", t),
            alert("db-01", "host_down", "", t + 1),
            alert("db-01", "mysql_down", "", t + 2),
            alert("web-02", "cpu", "c1", t),
            alert("web-02", "cpu", "c2", t + 7 * 60_000),
        ]
    };
    let (a, b, c) = tokio::join!(
        send(&server, &silenced.key, alerts()),
        send(&server, &inhibited.key, alerts()),
        send(&server, &narrow.key, alerts()),
    );
    use Outcome::{Correlated, NewIncident, SuppressedByInhibition, SuppressedBySilence};
    let expected = [
        (
            &silenced,
            a,
            [
                SuppressedBySilence,
                NewIncident,
                NewIncident,
                NewIncident,
                Correlated,
            ],
            3,
        ),
        (
            &inhibited,
            b,
            [
                NewIncident,
                NewIncident,
                SuppressedByInhibition,
                NewIncident,
                Correlated,
            ],
            3,
        ),
        (
            &narrow,
            c,
            [
                NewIncident,
                NewIncident,
                NewIncident,
                NewIncident,
                NewIncident,
            ],
            5,
        ),
    ];
    let store = server.store().await;
    for (company, results, outcomes, incidents) in expected {
        let got: Vec<i32> = results.iter().map(|r| r.outcome).collect();
        let want: Vec<i32> = outcomes
            .iter()
            .map(|outcome| i32::from(outcome.as_i16()))
            .collect();
        assert_eq!(got, want, "company {}", company.id);
        let listed = company_incidents(&server, company).await;
        assert_eq!(listed.len(), incidents, "company {}", company.id);
        // Its log: sequences 1..=head, one CREATED per incident.
        let scoped = scoped(&server, &company.id).await;
        let head = server.owners.head_sequence(&scoped).await.unwrap();
        assert_eq!(store.head_sequence(&scoped).await.unwrap(), head);
        let log = store.events_after(&scoped, 0, 1000).await.unwrap();
        let sequences: Vec<i64> = log.iter().map(|e| e.sequence).collect();
        assert_eq!(sequences, (1..=head).collect::<Vec<_>>());
        assert_eq!(
            log.iter()
                .filter(|e| e.kind == alert_whisperer::domain::incident::EventKind::Created)
                .count(),
            incidents
        );
        assert!(
            log.iter()
                .all(|e| listed.iter().any(|i| i.id == e.incident_id))
        );
    }
}

/// Rolls the schema back to just before migration `name`, then applies every
/// migration from it on again: what upgrading a database from there runs.
async fn upgrade_again_from(server: &TestServer, name: &str) {
    use migrations::sea_orm_migration::MigratorTrait;
    let all = migrations::Migrator::migrations();
    let position = all
        .iter()
        .position(|migration| migration.name() == name)
        .expect("the migration");
    let store = Store::connect(&server.config).await.expect("store");
    let steps = u32::try_from(all.len() - position).expect("steps");
    // Through the store, as `alert-whisperer migrate` does: on SQLite its
    // steps run on one connection in one transaction, so an index one step
    // drops is gone for the next (the pool's other connections would
    // still see it).
    store.migrate_down(steps).await.expect("down");
    store.migrate().await.expect("up");
}

/// Each technician's open incidents as the API shows them (by name), and
/// checks them against a count of the incidents themselves.
async fn open_counts(server: &TestServer, company: &Tenant) -> Vec<(String, i64)> {
    use sea_orm::{ConnectionTrait, Statement};
    let technicians = server
        .tenant()
        .await
        .list_technicians(authed(
            &server.admin_token,
            v1::ListTechniciansRequest {
                company_id: company.id.clone(),
                ..Default::default()
            },
        ))
        .await
        .expect("list technicians")
        .into_inner()
        .technicians;
    let store = server.store().await;
    let counted = store
        .connection()
        .query_all_raw(Statement::from_string(
            store.backend(),
            "SELECT t.id AS id, (SELECT COUNT(*) FROM incidents i \
             WHERE i.assigned_technician_id = t.id AND i.status <> 3) AS n \
             FROM technicians t",
        ))
        .await
        .expect("count");
    for tech in &technicians {
        let row = counted
            .iter()
            .find(|row| row.try_get::<String>("", "id").expect("id") == tech.id)
            .expect("the technician's row");
        assert_eq!(
            tech.open_incident_count,
            row.try_get::<i64>("", "n").expect("n"),
            "{}'s kept count differs from the incidents",
            tech.name
        );
    }
    technicians
        .into_iter()
        .map(|tech| (tech.name, tech.open_incident_count))
        .collect()
}

/// Automatic assignment reads each technician's open-incident count from the
/// technician's row, which triggers keep as incidents are created assigned,
/// resolved (by an RPC and by their alert), reassigned and reopened; the
/// migration's backfill recounts the same after a down and up.
async fn auto_assign_balances_by_open_incident_counts_the_database_keeps(backend: Backend) {
    let server = TestServer::start(backend).await;
    let acme = tenant(&server, "Acme").await;
    set_config(
        &server,
        &acme.id,
        v1::CorrelationConfig {
            auto_assign: true,
            ..Default::default()
        },
        &["auto_assign"],
    )
    .await;
    let mut ids = Vec::new();
    for (name, email) in [("Ada", "ada@example.com"), ("Bob", "bob@example.com")] {
        let tech = server.on_duty_technician(&acme.id, name, email).await;
        assert_eq!(tech.open_incident_count, 0);
        ids.push(tech.id);
    }
    let (ada, bob) = (ids[0].clone(), ids[1].clone());
    assert!(ada < bob, "ties go to the lower id");
    let fire = |n: usize| {
        alert(
            &format!("h{n}"),
            &format!("sig_{n}"),
            &format!("k{n}"),
            now_ms(),
        )
    };
    let mut assigned = Vec::new();
    for n in 1..=3 {
        let result = send(&server, &acme.key, vec![fire(n)]).await;
        assert_eq!(result[0].outcome, AlertOutcome::NewIncident as i32);
        let incident = Incidents::new(server.channel().await)
            .get_incident(authed(
                &server.admin_token,
                v1::GetIncidentRequest {
                    incident_id: result[0].incident_id.clone(),
                    max_alerts: 0,
                },
            ))
            .await
            .expect("get")
            .into_inner()
            .incident
            .expect("incident");
        assigned.push((incident.id, incident.assigned_technician_id));
    }
    // Ada (0, lower id), Bob (0 against Ada's 1), Ada (1 against 1).
    let owners: Vec<&str> = assigned.iter().map(|(_, t)| t.as_str()).collect();
    assert_eq!(owners, [ada.as_str(), bob.as_str(), ada.as_str()]);
    assert_eq!(
        open_counts(&server, &acme).await,
        [("Ada".to_owned(), 2), ("Bob".to_owned(), 1)]
    );

    let mut client = Incidents::new(server.channel().await);
    let token = &server.admin_token;
    client
        .resolve_incident(authed(
            token,
            v1::ResolveIncidentRequest {
                incident_id: assigned[0].0.clone(),
                resolution: "done".to_owned(),
            },
        ))
        .await
        .expect("resolve");
    client
        .assign_incident(authed(
            token,
            v1::AssignIncidentRequest {
                incident_id: assigned[1].0.clone(),
                technician_id: ada.clone(),
                auto_assign: false,
            },
        ))
        .await
        .expect("reassign");
    assert_eq!(
        open_counts(&server, &acme).await,
        [("Ada".to_owned(), 2), ("Bob".to_owned(), 0)]
    );
    // Bob has fewer open incidents now, so the next one is his.
    let fourth = send(&server, &acme.key, vec![fire(4)]).await;
    assert_eq!(
        open_counts(&server, &acme).await,
        [("Ada".to_owned(), 2), ("Bob".to_owned(), 1)]
    );
    // Its alert resolving resolves it (auto-resolve), in the correlation pass.
    let mut resolve = fire(4);
    resolve.action = AlertAction::Resolve.into();
    let resolved = send(&server, &acme.key, vec![resolve]).await;
    assert_eq!(resolved[0].incident_id, fourth[0].incident_id);
    client
        .reopen_incident(authed(
            token,
            v1::ReopenIncidentRequest {
                incident_id: assigned[0].0.clone(),
                reason: "back".to_owned(),
            },
        ))
        .await
        .expect("reopen");
    assert_eq!(
        open_counts(&server, &acme).await,
        [("Ada".to_owned(), 3), ("Bob".to_owned(), 0)]
    );

    // The migration's backfill counts what the triggers kept.
    upgrade_again_from(&server, "m20261127_000011_technician_loads").await;
    assert_eq!(
        open_counts(&server, &acme).await,
        [("Ada".to_owned(), 3), ("Bob".to_owned(), 0)]
    );
    let fifth = send(&server, &acme.key, vec![fire(5)]).await;
    assert_eq!(fifth[0].outcome, AlertOutcome::NewIncident as i32);
    assert_eq!(
        open_counts(&server, &acme).await,
        [("Ada".to_owned(), 3), ("Bob".to_owned(), 1)]
    );
}

/// The owner finds an inhibiting alert in its memory's index of sources,
/// not by looking through every firing alert: a source that fired before
/// the rule existed (indexed when the rule arrives), one that fires later,
/// in another request; a source inhibits only targets with its equal
/// values, and stops when its alert resolves or its incident is resolved;
/// after a restart the index is built again from the tables; a deleted rule
/// inhibits nothing. The answer names the source that inhibited.
async fn inhibition_finds_its_sources_as_they_fire_and_resolve_and_after_a_restart(
    backend: Backend,
) {
    let server = TestServer::start(backend).await;
    let acme = tenant(&server, "Acme").await;
    let fire = |asset: &str, signature: &str| alert(asset, signature, "", now_ms());
    let one = |asset: &str, signature: &str| vec![fire(asset, signature)];
    // Fired before the rule exists; an unrelated alert fires too.
    let early = send(&server, &acme.key, one("db-01", "host_down")).await;
    send(&server, &acme.key, one("web-09", "disk_full")).await;
    let rule = host_down_rule(&server, &acme.id).await;

    let inhibited = AlertOutcome::SuppressedByInhibition as i32;
    let opened = AlertOutcome::NewIncident as i32;
    let by = |results: &[v1::IngestResult], source: &str| {
        assert_eq!(results[0].outcome, inhibited, "{results:?}");
        assert!(
            results[0].reason.contains(&rule.id) && results[0].reason.contains(source),
            "names the rule and the source {source}: {}",
            results[0].reason
        );
    };
    by(
        &send(&server, &acme.key, one("db-01", "mysql_down")).await,
        &early[0].alert_id,
    );
    let later = send(&server, &acme.key, one("db-02", "host_down")).await;
    by(
        &send(&server, &acme.key, one("db-02", "mysql_down")).await,
        &later[0].alert_id,
    );
    assert_eq!(
        send(&server, &acme.key, one("db-03", "mysql_down")).await[0].outcome,
        opened,
        "only targets with the source's equal values"
    );

    // A restart loads the company again: its index is built from the tables.
    let server = server.restart().await;
    by(
        &send(&server, &acme.key, one("db-02", "redis_down")).await,
        &later[0].alert_id,
    );

    // The source's own resolve ends it.
    let mut resolve = fire("db-02", "host_down");
    resolve.action = AlertAction::Resolve.into();
    send(&server, &acme.key, vec![resolve]).await;
    assert_eq!(
        send(&server, &acme.key, one("db-02", "nginx_down")).await[0].outcome,
        opened
    );
    by(
        &send(&server, &acme.key, one("db-01", "php_down")).await,
        &early[0].alert_id,
    );

    // Resolving the source's incident resolves the source.
    Incidents::new(server.channel().await)
        .resolve_incident(authed(
            &server.admin_token,
            v1::ResolveIncidentRequest {
                incident_id: early[0].incident_id.clone(),
                resolution: "rebooted".to_owned(),
            },
        ))
        .await
        .expect("resolve");
    assert_eq!(
        send(&server, &acme.key, one("db-01", "nginx_down")).await[0].outcome,
        opened
    );

    let last = send(&server, &acme.key, one("db-04", "host_down")).await;
    by(
        &send(&server, &acme.key, one("db-04", "ntp_down")).await,
        &last[0].alert_id,
    );
    Correlation::new(server.channel().await)
        .delete_inhibition_rule(authed(
            &server.admin_token,
            v1::DeleteInhibitionRuleRequest {
                inhibition_rule_id: rule.id.clone(),
            },
        ))
        .await
        .expect("delete");
    assert_eq!(
        send(&server, &acme.key, one("db-04", "mysql_down")).await[0].outcome,
        opened,
        "a deleted rule inhibits nothing"
    );
}

/// A storm parent's own search text is its signature; a search finds it
/// through its children's alerts (assets, messages), every word in any of
/// them, and only within the caller's companies.
async fn a_search_finds_a_storm_parent_through_its_childrens_alerts(backend: Backend) {
    let server = TestServer::start(backend).await;
    let acme = tenant(&server, "Acme").await;
    let other = tenant(&server, "Other").await;
    let at = now_ms() - 60_000;
    let storm = |company: &str| -> Vec<v1::AlertInput> {
        (1..=6)
            .map(|n| {
                let mut input = alert(
                    &format!("db-{n}"),
                    "replication_lag",
                    &format!("db-{n}|lag"),
                    at + n,
                );
                input.message = format!("lag on db-{n} ticket-{company}-{n}");
                input
            })
            .collect()
    };
    send(&server, &acme.key, storm("acme")).await;
    send(&server, &other.key, storm("other")).await;
    let viewer = crate::correlation::token(&server, OperatorRole::Viewer, &[&acme.id]).await;
    let search = |query: &str| {
        list(
            &server,
            &viewer,
            v1::ListIncidentsRequest {
                query: query.to_owned(),
                ..Default::default()
            },
        )
    };
    let all = search("").await;
    let parents: Vec<&v1::Incident> = all.iter().filter(|i| i.child_incident_count > 0).collect();
    assert_eq!(parents.len(), 1, "one storm in Acme: {all:?}");
    let parent = parents[0].id.clone();
    assert_eq!(parents[0].child_incident_count, 6);

    // A child's asset: that child and its parent.
    let found = search("DB-6").await;
    let ids: BTreeSet<&str> = found.iter().map(|i| i.id.as_str()).collect();
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(ids.contains(parent.as_str()));
    assert!(found.iter().all(|i| i.company_id == acme.id));
    // A word only in one child's message finds the parent too.
    let found = search("ticket-acme-4").await;
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(found.iter().any(|i| i.id == parent));
    // Words from two children: only the parent holds both.
    let found = search("db-2 ticket-acme-5").await;
    assert_eq!(
        found.iter().map(|i| i.id.as_str()).collect::<Vec<_>>(),
        vec![parent.as_str()]
    );
    // Another company's children name neither its parent nor ours here.
    assert!(search("ticket-other-4").await.is_empty());
    // A word in no alert finds nothing.
    assert!(search("db-7").await.is_empty());
}

/// #20: a technician handles a storm once. GetIncident of its parent lists
/// the grouped incidents and their alerts; GetKpis counts the parent and the
/// incidents in no storm, so grouping raises noise reduction.
async fn a_storm_parent_lists_its_children_and_kpis_count_it_once(backend: Backend) {
    let server = TestServer::start(backend).await;
    let acme = tenant(&server, "Acme").await;
    let at = now_ms() - 60_000;
    let mut alerts: Vec<v1::AlertInput> = (1..=6)
        .map(|n| {
            alert(
                &format!("db-{n}"),
                "replication_lag",
                &format!("db-{n}|lag"),
                at + n,
            )
        })
        .collect();
    alerts.push(alert("web-01", "high_cpu", "web-01|cpu", at + 10));
    alerts.push(alert("web-02", "disk_full", "web-02|disk", at + 11));
    send(&server, &acme.key, alerts).await;
    let all = list(
        &server,
        &server.admin_token,
        v1::ListIncidentsRequest {
            company_ids: vec![acme.id.clone()],
            ..Default::default()
        },
    )
    .await;
    assert_eq!(
        all.len(),
        9,
        "a parent, its 6 children and 2 others: {all:?}"
    );
    let parent = all
        .iter()
        .find(|incident| incident.child_incident_count > 0)
        .expect("a storm parent");
    let mut incidents = Incidents::new(server.channel().await);
    let view = incident_view(&server, &parent.id).await;
    let children: BTreeSet<&str> = view.children.iter().map(|c| c.id.as_str()).collect();
    let expected: BTreeSet<&str> = all
        .iter()
        .filter(|incident| incident.parent_incident_id == parent.id)
        .map(|incident| incident.id.as_str())
        .collect();
    assert_eq!(children.len(), 6);
    assert_eq!(children, expected);
    assert_eq!(
        view.alerts.len(),
        6,
        "the parent's alerts are its children's"
    );
    assert!(
        view.alerts
            .iter()
            .all(|alert| children.contains(alert.incident_id.as_str()))
    );
    // A child lists no children, only its own alert.
    let child = incident_view(&server, &view.children[0].id).await;
    assert!(child.children.is_empty());
    assert_eq!(child.alerts.len(), 1);

    let kpis = crate::remediation::kpis(&server, &acme.id).await;
    assert_eq!(kpis.raw_alert_count, 8);
    assert_eq!(kpis.incident_count, 3, "the storm once, and the two others");
    assert!((kpis.noise_reduction_pct - 62.5).abs() < 1e-9, "{kpis:?}");
    assert_eq!(kpis.open_count, 3);

    // The fold is on the parent's timeline, and a child's repeat reaches the
    // parent as an entry of its own (what WatchIncidents streams), with the
    // parent's new count.
    let kinds: Vec<i32> = view.timeline.iter().map(|entry| entry.kind).collect();
    assert!(
        kinds.contains(&(v1::IncidentEventKind::Grouped as i32)),
        "{kinds:?}"
    );
    send(
        &server,
        &acme.key,
        vec![alert("db-1", "replication_lag", "db-1|lag", at + 1_000)],
    )
    .await;
    let after = incident_view(&server, &parent.id).await;
    let latest = after.timeline.last().expect("an entry");
    assert_eq!(latest.kind, v1::IncidentEventKind::AlertRepeated as i32);
    assert!(
        latest
            .message
            .starts_with("in its grouped incidents: 1 repeats"),
        "{}",
        latest.message
    );
    let now_count = after.incident.unwrap().alert_count;
    assert_eq!(now_count, parent.alert_count + 1);
    // The stream of the parent carries it with its new count.
    let mut stream = incidents
        .watch_incidents(authed(
            &server.admin_token,
            v1::WatchIncidentsRequest {
                company_id: acme.id.clone(),
                incident_id: parent.id.clone(),
                after_sequence: Some(0),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    let streamed = tokio::time::timeout(std::time::Duration::from_secs(10), async {
        loop {
            let message = stream.message().await.unwrap().expect("the stream goes on");
            if let Some(v1::watch_incidents_response::Payload::Event(event)) = message.payload
                && event.message.starts_with("in its grouped incidents")
            {
                return event;
            }
        }
    })
    .await
    .expect("the parent's update is streamed");
    assert_eq!(
        streamed.incident.expect("the parent").alert_count,
        now_count
    );
}

fn resolve_input(asset: &str, signature: &str, dedup: &str, at: i64) -> v1::AlertInput {
    v1::AlertInput {
        action: v1::AlertAction::Resolve.into(),
        ..alert(asset, signature, dedup, at)
    }
}

async fn late_alerts_are_placed_in_event_time_and_a_bridging_one_merges_incidents(
    backend: Backend,
) {
    let server = TestServer::start(backend).await;
    let acme = tenant(&server, "Acme").await;
    let (mut stream, head) = watch_from_head(&server, &acme.id).await;
    let t0 = now_ms() - 40 * 60_000;
    let minute = 60_000;
    let disk = |at: i64| alert("web-01", "disk_full", "web-01|disk", at);
    let outcome = |result: &v1::IngestResult| v1::AlertOutcome::try_from(result.outcome).unwrap();

    // An alert that fired and resolved, then a late occurrence from before
    // its resolve: a repeat of it, and it stays resolved.
    let first = send(&server, &acme.key, vec![disk(t0)]).await.remove(0);
    send(
        &server,
        &acme.key,
        vec![resolve_input(
            "web-01",
            "disk_full",
            "web-01|disk",
            t0 + minute,
        )],
    )
    .await;
    let late = send(&server, &acme.key, vec![disk(t0 + minute / 2)])
        .await
        .remove(0);
    assert_eq!(outcome(&late), v1::AlertOutcome::Deduplicated, "{late:?}");
    assert_eq!(late.alert_id, first.alert_id);
    let view = incident_view(&server, &first.incident_id).await;
    assert_eq!(view.alerts.len(), 1);
    assert_eq!(view.alerts[0].count, 2);
    assert_eq!(
        v1::AlertStatus::try_from(view.alerts[0].status).unwrap(),
        v1::AlertStatus::Resolved
    );

    // The same key 16 minutes later (past the 10-minute window): a new
    // incident. Then a late alert 8 minutes in brings the two within the
    // window of each other: they merge into the first.
    let second = send(&server, &acme.key, vec![disk(t0 + 16 * minute)])
        .await
        .remove(0);
    assert_eq!(outcome(&second), v1::AlertOutcome::NewIncident);
    assert_ne!(second.incident_id, first.incident_id);
    let bridge = send(&server, &acme.key, vec![disk(t0 + 8 * minute)])
        .await
        .remove(0);
    assert_eq!(
        bridge.alert_id, second.alert_id,
        "it starts the second alert earlier"
    );
    let absorbed = incident_view(&server, &second.incident_id).await;
    let absorbed_incident = absorbed.incident.unwrap();
    assert_eq!(absorbed_incident.merged_into_incident_id, first.incident_id);
    assert_eq!(
        v1::IncidentStatus::try_from(absorbed_incident.status).unwrap(),
        v1::IncidentStatus::Resolved
    );
    assert!(
        absorbed
            .timeline
            .iter()
            .any(|e| e.kind == v1::IncidentEventKind::Merged as i32),
        "{:?}",
        absorbed.timeline
    );
    let survivor = incident_view(&server, &first.incident_id).await;
    let survivor_incident = survivor.incident.clone().unwrap();
    assert!(survivor_incident.merged_into_incident_id.is_empty());
    assert_eq!(
        v1::IncidentStatus::try_from(survivor_incident.status).unwrap(),
        v1::IncidentStatus::Open,
        "the second alert fires: the survivor reopened"
    );
    assert_eq!(survivor_incident.alert_count, 4);
    assert_eq!(survivor.alerts.len(), 2, "both alerts are the survivor's");
    assert!(
        survivor
            .timeline
            .iter()
            .any(|e| e.kind == v1::IncidentEventKind::Merged as i32)
    );
    let listed = company_incidents(&server, &acme).await;
    assert_eq!(
        listed.iter().map(|i| i.id.as_str()).collect::<Vec<_>>(),
        vec![first.incident_id.as_str()],
        "the absorbed incident is not listed"
    );
    assert_eq!(
        crate::remediation::kpis(&server, &acme.id)
            .await
            .incident_count,
        1
    );

    // A resolve that arrives before its trigger: kept, and the late trigger
    // is resolved by it at once.
    let early = send(
        &server,
        &acme.key,
        vec![resolve_input("db-01", "lag", "db-01|lag", t0 + 2 * minute)],
    )
    .await
    .remove(0);
    assert_eq!(outcome(&early), v1::AlertOutcome::Unmatched);
    let trigger = send(
        &server,
        &acme.key,
        vec![alert("db-01", "lag", "db-01|lag", t0 + minute)],
    )
    .await
    .remove(0);
    let view = incident_view(&server, &trigger.incident_id).await;
    assert_eq!(
        v1::AlertStatus::try_from(view.alerts[0].status).unwrap(),
        v1::AlertStatus::Resolved
    );
    assert_eq!(
        v1::IncidentStatus::try_from(view.incident.unwrap().status).unwrap(),
        v1::IncidentStatus::Resolved
    );

    // The stream carried the merge, on both incidents.
    let events = tokio::time::timeout(Duration::from_secs(20), async {
        let mut merged = BTreeSet::new();
        while merged.len() < 2 {
            let message = stream.next().await.unwrap().unwrap();
            if let Some(v1::watch_incidents_response::Payload::Event(event)) = message.payload
                && event.sequence > head
                && event.kind == v1::IncidentEventKind::Merged as i32
            {
                merged.insert(event.incident.unwrap().id);
            }
        }
        merged
    })
    .await
    .expect("both MERGED entries streamed");
    assert_eq!(
        events,
        BTreeSet::from([first.incident_id.clone(), second.incident_id.clone()])
    );
}

async fn early_resolves_and_resolved_alerts_outlive_a_restart_within_the_lateness_bound(
    backend: Backend,
) {
    let server = TestServer::start(backend).await;
    let acme = tenant(&server, "Acme").await;
    let t0 = now_ms() - 30 * 60_000;
    let minute = 60_000;
    let first = send(
        &server,
        &acme.key,
        vec![alert("web-01", "disk_full", "web-01|disk", t0)],
    )
    .await
    .remove(0);
    send(
        &server,
        &acme.key,
        vec![
            resolve_input("web-01", "disk_full", "web-01|disk", t0 + minute),
            resolve_input("db-01", "lag", "db-01|lag", t0 + 3 * minute),
        ],
    )
    .await;
    let server = server.restart().await;
    // After the restart: a late occurrence of the resolved alert is still
    // its repeat, and the early resolve still resolves its late trigger.
    let late = send(
        &server,
        &acme.key,
        vec![alert("web-01", "disk_full", "web-01|disk", t0 + 1)],
    )
    .await
    .remove(0);
    assert_eq!(late.alert_id, first.alert_id, "{late:?}");
    let trigger = send(
        &server,
        &acme.key,
        vec![alert("db-01", "lag", "db-01|lag", t0 + 2 * minute)],
    )
    .await
    .remove(0);
    let view = incident_view(&server, &trigger.incident_id).await;
    assert_eq!(
        v1::AlertStatus::try_from(view.alerts[0].status).unwrap(),
        v1::AlertStatus::Resolved,
        "{:?}",
        view.alerts
    );
}

/// #23: GetKpiTrend buckets alerts (by receive time) and top-level incidents
/// (by creation time) per hour or day in the database, counts as GetKpis
/// does, lists empty buckets with the ratio and means unset, and refuses a
/// missing bucket, a reversed range and too many buckets, naming the field.
async fn kpi_trend_buckets_in_the_database_and_agrees_with_get_kpis(backend: Backend) {
    use sea_orm::{ConnectionTrait, Statement};
    const HOUR: i64 = 3_600_000;
    let server = TestServer::start(backend).await;
    let acme = tenant(&server, "Acme").await;
    let mut incidents = Incidents::new(server.channel().await);
    let start = (now_ms() / HOUR) * HOUR - 5 * HOUR;
    let end = start + 8 * HOUR;

    // An earlier batch: three repeats of one alert and another alert make
    // two incidents of four alerts; one is acknowledged, the other resolved.
    let at = now_ms() - 10_000;
    send(
        &server,
        &acme.key,
        vec![
            alert("web-01", "disk_full", "web-01|disk", at),
            alert("web-01", "disk_full", "web-01|disk", at + 1),
            alert("web-01", "disk_full", "web-01|disk", at + 2),
            alert("db-01", "replication_lag", "db-01|lag", at + 3),
        ],
    )
    .await;
    let first = list(
        &server,
        &server.admin_token,
        v1::ListIncidentsRequest {
            company_ids: vec![acme.id.clone()],
            ..Default::default()
        },
    )
    .await;
    assert_eq!(first.len(), 2, "{first:?}");
    for incident in &first {
        if incident.asset == "web-01" {
            incidents
                .acknowledge_incident(authed(
                    &server.admin_token,
                    v1::AcknowledgeIncidentRequest {
                        incident_id: incident.id.clone(),
                        comment: String::new(),
                    },
                ))
                .await
                .expect("acknowledge");
        } else {
            incidents
                .resolve_incident(authed(
                    &server.admin_token,
                    v1::ResolveIncidentRequest {
                        incident_id: incident.id.clone(),
                        resolution: "caught up".to_owned(),
                    },
                ))
                .await
                .expect("resolve");
        }
    }
    // The KPIs use the server's receive and creation times: move that batch
    // three hours back in the tables.
    let store = server.store().await;
    for sql in [
        format!(
            "UPDATE alert_events SET received_at = received_at - {} WHERE company_id = '{}'",
            3 * HOUR,
            acme.id
        ),
        format!(
            "UPDATE incidents SET created_at = created_at - {h}, \
             first_acknowledged_at = first_acknowledged_at - {h}, \
             resolved_at = resolved_at - {h} WHERE company_id = '{id}'",
            h = 3 * HOUR,
            id = acme.id
        ),
    ] {
        store
            .connection()
            .execute_raw(Statement::from_string(store.backend(), sql))
            .await
            .expect("move the batch back");
    }
    // A batch now: two alerts, two incidents.
    let at = now_ms();
    send(
        &server,
        &acme.key,
        vec![
            alert("api-01", "high_cpu", "api-01|cpu", at),
            alert("api-02", "oom", "api-02|oom", at + 1),
        ],
    )
    .await;

    let client = incidents.clone();
    let trend = |bucket: v1::KpiBucket, start: i64, end: i64| {
        let mut incidents = client.clone();
        let company_id = acme.id.clone();
        let token = server.admin_token.clone();
        async move {
            incidents
                .get_kpi_trend(authed(
                    &token,
                    v1::GetKpiTrendRequest {
                        company_id,
                        start_time: ts(start),
                        end_time: ts(end),
                        bucket: bucket.into(),
                    },
                ))
                .await
        }
    };
    let hourly = trend(v1::KpiBucket::Hour, start, end)
        .await
        .expect("trend")
        .into_inner();
    assert_eq!(hourly.buckets.len(), 8);
    for (index, bucket) in hourly.buckets.iter().enumerate() {
        let index = i64::try_from(index).unwrap();
        assert_eq!(bucket.start_time, ts(start + index * HOUR));
    }
    let filled: Vec<(usize, &v1::KpiTrendBucket)> = hourly
        .buckets
        .iter()
        .enumerate()
        .filter(|(_, bucket)| bucket.raw_alert_count > 0 || bucket.incident_count > 0)
        .collect();
    assert_eq!(filled.len(), 2, "{:?}", hourly.buckets);
    let ((early_index, early), (late_index, late)) = (filled[0], filled[1]);
    // Three hours apart (four if an hour began between the batches).
    assert!(
        [3, 4].contains(&(late_index - early_index)),
        "{early_index} {late_index}"
    );
    assert!([5, 6].contains(&late_index), "{late_index}");
    assert_eq!((early.raw_alert_count, early.incident_count), (4, 2));
    assert_eq!(early.noise_reduction_pct, Some(50.0));
    assert_eq!((early.acknowledged_count, early.resolved_count), (1, 1));
    assert!(early.mtta.is_some() && early.mttr.is_some(), "{early:?}");
    assert_eq!((late.raw_alert_count, late.incident_count), (2, 2));
    assert_eq!(
        late.noise_reduction_pct,
        Some(0.0),
        "no reduction is not no data"
    );
    assert_eq!((late.acknowledged_count, late.resolved_count), (0, 0));
    assert!(late.mtta.is_none() && late.mttr.is_none());
    for (index, bucket) in hourly.buckets.iter().enumerate() {
        if index != early_index && index != late_index {
            assert_eq!(
                (bucket.raw_alert_count, bucket.incident_count),
                (0, 0),
                "{bucket:?}"
            );
            assert_eq!(
                bucket.noise_reduction_pct, None,
                "an empty bucket has no data"
            );
            assert!(bucket.mtta.is_none() && bucket.mttr.is_none());
        }
    }

    // The buckets add up to GetKpis over the same range, hourly and daily.
    let kpis = incidents
        .get_kpis(authed(
            &server.admin_token,
            v1::GetKpisRequest {
                company_id: acme.id.clone(),
                start_time: ts(start),
                end_time: ts(end),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .total
        .unwrap();
    assert_eq!((kpis.raw_alert_count, kpis.incident_count), (6, 4));
    let daily = trend(v1::KpiBucket::Day, start, end)
        .await
        .expect("daily trend")
        .into_inner();
    assert_eq!(daily.buckets.len(), 1);
    for buckets in [&hourly.buckets, &daily.buckets] {
        let sum = |figure: fn(&v1::KpiTrendBucket) -> i64| buckets.iter().map(figure).sum::<i64>();
        assert_eq!(sum(|b| b.raw_alert_count), kpis.raw_alert_count);
        assert_eq!(sum(|b| b.incident_count), kpis.incident_count);
        assert_eq!(sum(|b| b.acknowledged_count), kpis.acknowledged_count);
        assert_eq!(sum(|b| b.resolved_count), kpis.resolved_count);
    }
    assert_eq!(early.mtta, kpis.mtta, "the one acknowledged incident");
    assert_eq!(early.mttr, kpis.mttr, "the one resolved incident");
    let day = &daily.buckets[0];
    let reduction = day.noise_reduction_pct.expect("alerts that day");
    assert!(
        (reduction - kpis.noise_reduction_pct).abs() < 1e-9,
        "{day:?} {kpis:?}"
    );
    assert_eq!((day.mtta, day.mttr), (kpis.mtta, kpis.mttr));
    // Over every company the admin sees, the one series holds Acme's alerts.
    let all = incidents
        .get_kpi_trend(authed(
            &server.admin_token,
            v1::GetKpiTrendRequest {
                start_time: ts(start),
                end_time: ts(end),
                bucket: v1::KpiBucket::Hour.into(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    let total: i64 = all.buckets.iter().map(|b| b.raw_alert_count).sum();
    assert!(total >= 6, "{total}");
    // Defaults: the last 30 days, by day (30 buckets) or by hour (720).
    for (bucket, count) in [(v1::KpiBucket::Day, 30), (v1::KpiBucket::Hour, 720)] {
        let defaulted = incidents
            .get_kpi_trend(authed(
                &server.admin_token,
                v1::GetKpiTrendRequest {
                    company_id: acme.id.clone(),
                    bucket: bucket.into(),
                    ..Default::default()
                },
            ))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(defaulted.buckets.len(), count);
        let sum: i64 = defaulted.buckets.iter().map(|b| b.raw_alert_count).sum();
        assert_eq!(sum, 6);
    }

    // Refusals name the field.
    let refused = |result: Result<tonic::Response<v1::GetKpiTrendResponse>, tonic::Status>,
                   field: &str| {
        let status = result.expect_err("refused");
        assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
        assert!(status.message().contains(field), "{status:?}");
    };
    refused(
        trend(v1::KpiBucket::Unspecified, start, end).await,
        "bucket",
    );
    refused(trend(v1::KpiBucket::Hour, end, start).await, "start_time");
    refused(trend(v1::KpiBucket::Hour, start, start).await, "start_time");
    refused(
        trend(v1::KpiBucket::Hour, end - 745 * HOUR, end).await,
        "bucket",
    );
    refused(
        trend(v1::KpiBucket::Day, end - 745 * 24 * HOUR, end).await,
        "bucket",
    );
    // The widest range there is: too many buckets, not an overflow.
    refused(
        trend(
            v1::KpiBucket::Day,
            -9_000_000_000_000_000_000,
            9_000_000_000_000_000_000,
        )
        .await,
        "bucket",
    );
    // 744 hours is the most.
    trend(v1::KpiBucket::Hour, end - 744 * HOUR, end)
        .await
        .expect("744 buckets");
    let unknown = incidents
        .get_kpi_trend(authed(
            &server.admin_token,
            v1::GetKpiTrendRequest {
                company_id: acme.id.clone(),
                bucket: 99,
                ..Default::default()
            },
        ))
        .await;
    refused(unknown, "bucket");
}
