//! CorrelationService: config, silences and inhibition rules.

use alert_whisperer::proto::v1::{self, MatchOperator, OperatorRole};
use tonic::Code;

use crate::harness::{Backend, TestServer, authed};
use crate::ingest::tenant;

crate::on_both_backends!(
    config_has_defaults_and_updates_are_validated_and_audited,
    silences_have_states_and_end_early,
    inhibition_rules_are_created_listed_and_deleted,
    limited_token_gets_not_found_for_other_company_rules,
    a_companys_asset_labels_choose_the_asset_and_answers_name_the_label,
    storm_and_lateness_settings_round_trip_and_bad_values_name_their_field,
);

type Client = v1::correlation_service_client::CorrelationServiceClient<tonic::transport::Channel>;

async fn client(server: &TestServer) -> Client {
    v1::correlation_service_client::CorrelationServiceClient::new(server.channel().await)
}

pub(crate) async fn token(server: &TestServer, role: OperatorRole, companies: &[&str]) -> String {
    server
        .tenant()
        .await
        .create_operator_token(authed(
            &server.admin_token,
            v1::CreateOperatorTokenRequest {
                technician_id: String::new(),
                name: "t".to_owned(),
                role: role.into(),
                company_ids: companies.iter().map(|c| (*c).to_owned()).collect(),
                ttl: None,
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .token
}

fn minutes(n: i64) -> Option<prost_types::Duration> {
    Some(prost_types::Duration {
        seconds: n * 60,
        nanos: 0,
    })
}

fn at(offset_seconds: i64) -> Option<prost_types::Timestamp> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    Some(prost_types::Timestamp {
        seconds: now + offset_seconds,
        nanos: 0,
    })
}

fn matcher(name: &str, operator: MatchOperator, value: &str) -> v1::Matcher {
    v1::Matcher {
        name: name.to_owned(),
        operator: operator.into(),
        value: value.to_owned(),
    }
}

/// The company's correlation config, read by the admin.
async fn config_of(server: &TestServer, company_id: &str) -> v1::CorrelationConfig {
    client(server)
        .await
        .get_correlation_config(authed(
            &server.admin_token,
            v1::GetCorrelationConfigRequest {
                company_id: company_id.to_owned(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .config
        .unwrap()
}

fn mask(paths: &[&str]) -> Option<prost_types::FieldMask> {
    Some(prost_types::FieldMask {
        paths: paths.iter().map(|p| (*p).to_owned()).collect(),
    })
}

async fn config_has_defaults_and_updates_are_validated_and_audited(backend: Backend) {
    let server = TestServer::start(backend).await;
    let acme = tenant(&server, "Acme").await;
    let mut c = client(&server).await;
    let config = config_of(&server, &acme.id).await;
    assert_eq!(config.window, minutes(10));
    assert_eq!(config.aggregation_key, "asset|signature");
    assert!(config.auto_correlate && config.auto_resolve_incidents && !config.auto_assign);
    assert_eq!(config.flapping.unwrap().threshold, 3);
    assert_eq!(config.storm_grouping.unwrap().min_assets, 5);
    assert!(config.update_time.is_none(), "never changed");

    let update = |config: v1::CorrelationConfig, paths: &[&str]| {
        authed(
            &server.admin_token,
            v1::UpdateCorrelationConfigRequest {
                config: Some(config),
                update_mask: mask(paths),
            },
        )
    };
    let changed = c
        .update_correlation_config(update(
            v1::CorrelationConfig {
                company_id: acme.id.clone(),
                window: minutes(7),
                aggregation_key: "asset|signature|labels.service".to_owned(),
                asset_criticality: [("db-01".to_owned(), v1::AssetCriticality::Critical as i32)]
                    .into(),
                ..Default::default()
            },
            &["window", "aggregation_key", "asset_criticality"],
        ))
        .await
        .unwrap()
        .into_inner()
        .config
        .unwrap();
    assert_eq!(changed.window, minutes(7));
    assert!(changed.auto_correlate, "fields outside the mask are kept");
    let got = config_of(&server, &acme.id).await;
    assert_eq!(got.aggregation_key, "asset|signature|labels.service");
    assert_eq!(
        got.asset_criticality.get("db-01"),
        Some(&(v1::AssetCriticality::Critical as i32))
    );
    assert!(got.updated_by.starts_with("token:"));

    for (config, paths, field) in [
        (
            v1::CorrelationConfig {
                company_id: acme.id.clone(),
                window: minutes(4),
                ..Default::default()
            },
            vec!["window"],
            "config.window",
        ),
        (
            v1::CorrelationConfig {
                company_id: acme.id.clone(),
                window: minutes(16),
                ..Default::default()
            },
            vec!["window"],
            "config.window",
        ),
        (
            v1::CorrelationConfig {
                company_id: acme.id.clone(),
                aggregation_key: "host|signature".to_owned(),
                ..Default::default()
            },
            vec!["aggregation_key"],
            "config.aggregation_key",
        ),
        (
            v1::CorrelationConfig {
                company_id: acme.id.clone(),
                flapping: Some(v1::FlappingSettings {
                    enabled: true,
                    threshold: 1,
                }),
                ..Default::default()
            },
            vec!["flapping"],
            "config.flapping.threshold",
        ),
        (
            v1::CorrelationConfig {
                company_id: acme.id.clone(),
                ..Default::default()
            },
            vec!["colour"],
            "update_mask",
        ),
    ] {
        let error = c
            .update_correlation_config(update(config, &paths))
            .await
            .expect_err(field);
        assert_eq!(error.code(), Code::InvalidArgument);
        assert!(error.message().starts_with(field), "{}", error.message());
    }

    let viewer = token(&server, OperatorRole::Viewer, &[]).await;
    let error = c
        .update_correlation_config(authed(
            &viewer,
            v1::UpdateCorrelationConfigRequest {
                config: Some(v1::CorrelationConfig {
                    company_id: acme.id.clone(),
                    auto_correlate: false,
                    ..Default::default()
                }),
                update_mask: mask(&["auto_correlate"]),
            },
        ))
        .await
        .expect_err("viewer");
    assert_eq!(error.code(), Code::PermissionDenied);

    let audited = server
        .tenant()
        .await
        .list_audit_events(authed(
            &server.admin_token,
            v1::ListAuditEventsRequest {
                company_id: acme.id.clone(),
                action: "CorrelationService.UpdateCorrelationConfig".to_owned(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .audit_events;
    assert_eq!(audited.len(), 1, "one successful change, one audit event");
}

async fn silences_have_states_and_end_early(backend: Backend) {
    let server = TestServer::start(backend).await;
    let acme = tenant(&server, "Acme").await;
    let technician = token(&server, OperatorRole::Technician, &[]).await;
    let mut c = client(&server).await;
    let create = |matchers: Vec<v1::Matcher>, start: i64, end: i64, comment: &str| {
        authed(
            &technician,
            v1::CreateSilenceRequest {
                company_id: acme.id.clone(),
                matchers,
                start_time: at(start),
                end_time: at(end),
                comment: comment.to_owned(),
            },
        )
    };
    let active = c
        .create_silence(create(
            vec![
                matcher("asset", MatchOperator::Regex, "db-.*"),
                matcher("labels.env", MatchOperator::Equal, "prod"),
            ],
            -60,
            3600,
            "database patching",
        ))
        .await
        .unwrap()
        .into_inner()
        .silence
        .unwrap();
    assert_eq!(active.state, v1::SilenceState::Active as i32);
    assert_eq!(active.matchers.len(), 2);
    assert_eq!(active.matchers[0].name, "asset");
    assert!(active.created_by.starts_with("token:"));
    let pending = c
        .create_silence(create(
            vec![matcher("signature", MatchOperator::Equal, "backup_failed")],
            3600,
            7200,
            "weekend backup window",
        ))
        .await
        .unwrap()
        .into_inner()
        .silence
        .unwrap();
    assert_eq!(pending.state, v1::SilenceState::Pending as i32);

    for (request, field) in [
        (create(vec![], -60, 3600, "x"), "matchers"),
        (
            create(
                vec![matcher("asset", MatchOperator::Regex, "(")],
                -60,
                3600,
                "x",
            ),
            "matchers[0].value",
        ),
        (
            create(
                vec![matcher("host", MatchOperator::Equal, "a")],
                -60,
                3600,
                "x",
            ),
            "matchers[0].name",
        ),
        (
            create(
                vec![matcher("asset", MatchOperator::Unspecified, "a")],
                -60,
                3600,
                "x",
            ),
            "matchers[0].operator",
        ),
        (
            create(
                vec![matcher("asset", MatchOperator::Equal, "a")],
                100,
                50,
                "x",
            ),
            "end_time",
        ),
        (
            create(
                vec![matcher("asset", MatchOperator::Equal, "a")],
                -60,
                3600,
                " ",
            ),
            "comment",
        ),
    ] {
        let error = c.create_silence(request).await.expect_err(field);
        assert_eq!(error.code(), Code::InvalidArgument);
        assert!(error.message().starts_with(field), "{}", error.message());
    }

    let viewer = token(&server, OperatorRole::Viewer, &[]).await;
    let error = c
        .create_silence(authed(
            &viewer,
            v1::CreateSilenceRequest {
                company_id: acme.id.clone(),
                matchers: vec![matcher("asset", MatchOperator::Equal, "a")],
                start_time: None,
                end_time: at(60),
                comment: "x".to_owned(),
            },
        ))
        .await
        .expect_err("viewer");
    assert_eq!(error.code(), Code::PermissionDenied);

    let ended = c
        .delete_silence(authed(
            &technician,
            v1::DeleteSilenceRequest {
                silence_id: active.id.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .silence
        .unwrap();
    assert_eq!(ended.state, v1::SilenceState::Expired as i32);
    let list = |include_expired| {
        authed(
            &server.admin_token,
            v1::ListSilencesRequest {
                company_id: acme.id.clone(),
                include_expired,
                ..Default::default()
            },
        )
    };
    let current = c
        .list_silences(list(false))
        .await
        .unwrap()
        .into_inner()
        .silences;
    assert_eq!(
        current.iter().map(|s| s.id.as_str()).collect::<Vec<_>>(),
        vec![pending.id.as_str()]
    );
    let all = c
        .list_silences(list(true))
        .await
        .unwrap()
        .into_inner()
        .silences;
    assert_eq!(all.len(), 2, "an ended silence stays listed for the record");
}

async fn inhibition_rules_are_created_listed_and_deleted(backend: Backend) {
    let server = TestServer::start(backend).await;
    let acme = tenant(&server, "Acme").await;
    let mut c = client(&server).await;
    let rule = c
        .create_inhibition_rule(authed(
            &server.admin_token,
            v1::CreateInhibitionRuleRequest {
                company_id: acme.id.clone(),
                source_matchers: vec![matcher("signature", MatchOperator::Equal, "host_down")],
                target_matchers: vec![matcher("signature", MatchOperator::NotEqual, "host_down")],
                equal: vec!["asset".to_owned()],
                comment: "a down host silences its services".to_owned(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .inhibition_rule
        .unwrap();
    assert_eq!(rule.equal, vec!["asset"]);
    let error = c
        .create_inhibition_rule(authed(
            &server.admin_token,
            v1::CreateInhibitionRuleRequest {
                company_id: acme.id.clone(),
                source_matchers: vec![matcher("signature", MatchOperator::Equal, "x")],
                target_matchers: vec![matcher("signature", MatchOperator::Equal, "y")],
                equal: vec!["hostname".to_owned()],
                comment: "x".to_owned(),
            },
        ))
        .await
        .expect_err("bad equal");
    assert!(
        error.message().starts_with("equal[0]"),
        "{}",
        error.message()
    );
    let listed = c
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
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].source_matchers[0].value, "host_down");
    c.delete_inhibition_rule(authed(
        &server.admin_token,
        v1::DeleteInhibitionRuleRequest {
            inhibition_rule_id: rule.id.clone(),
        },
    ))
    .await
    .unwrap();
    let error = c
        .delete_inhibition_rule(authed(
            &server.admin_token,
            v1::DeleteInhibitionRuleRequest {
                inhibition_rule_id: rule.id,
            },
        ))
        .await
        .expect_err("gone");
    assert_eq!(error.code(), Code::NotFound);
}

async fn limited_token_gets_not_found_for_other_company_rules(backend: Backend) {
    let server = TestServer::start(backend).await;
    let a = tenant(&server, "A").await;
    let b = tenant(&server, "B").await;
    let mut admin = client(&server).await;
    let b_silence = admin
        .create_silence(authed(
            &server.admin_token,
            v1::CreateSilenceRequest {
                company_id: b.id.clone(),
                matchers: vec![matcher("asset", MatchOperator::Equal, "b-01")],
                start_time: None,
                end_time: at(3600),
                comment: "b maintenance".to_owned(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .silence
        .unwrap()
        .id;
    let b_rule = admin
        .create_inhibition_rule(authed(
            &server.admin_token,
            v1::CreateInhibitionRuleRequest {
                company_id: b.id.clone(),
                source_matchers: vec![matcher("signature", MatchOperator::Equal, "host_down")],
                target_matchers: vec![matcher("signature", MatchOperator::Regex, ".*")],
                equal: vec!["asset".to_owned()],
                comment: "b rule".to_owned(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .inhibition_rule
        .unwrap()
        .id;

    let limited = token(&server, OperatorRole::Admin, &[&a.id]).await;
    let mut c = client(&server).await;
    let mut results: Vec<(&str, Result<(), tonic::Status>)> = Vec::new();
    results.push((
        "GetCorrelationConfig",
        c.get_correlation_config(authed(
            &limited,
            v1::GetCorrelationConfigRequest {
                company_id: b.id.clone(),
            },
        ))
        .await
        .map(|_| ()),
    ));
    results.push((
        "UpdateCorrelationConfig",
        c.update_correlation_config(authed(
            &limited,
            v1::UpdateCorrelationConfigRequest {
                config: Some(v1::CorrelationConfig {
                    company_id: b.id.clone(),
                    auto_correlate: false,
                    ..Default::default()
                }),
                update_mask: mask(&["auto_correlate"]),
            },
        ))
        .await
        .map(|_| ()),
    ));
    results.push((
        "CreateSilence",
        c.create_silence(authed(
            &limited,
            v1::CreateSilenceRequest {
                company_id: b.id.clone(),
                matchers: vec![matcher("asset", MatchOperator::Equal, "x")],
                start_time: None,
                end_time: at(60),
                comment: "x".to_owned(),
            },
        ))
        .await
        .map(|_| ()),
    ));
    results.push((
        "ListSilences",
        c.list_silences(authed(
            &limited,
            v1::ListSilencesRequest {
                company_id: b.id.clone(),
                ..Default::default()
            },
        ))
        .await
        .map(|_| ()),
    ));
    results.push((
        "DeleteSilence",
        c.delete_silence(authed(
            &limited,
            v1::DeleteSilenceRequest {
                silence_id: b_silence.clone(),
            },
        ))
        .await
        .map(|_| ()),
    ));
    results.push((
        "CreateInhibitionRule",
        c.create_inhibition_rule(authed(
            &limited,
            v1::CreateInhibitionRuleRequest {
                company_id: b.id.clone(),
                source_matchers: vec![matcher("asset", MatchOperator::Equal, "x")],
                target_matchers: vec![matcher("asset", MatchOperator::Equal, "y")],
                equal: vec![],
                comment: "x".to_owned(),
            },
        ))
        .await
        .map(|_| ()),
    ));
    results.push((
        "ListInhibitionRules",
        c.list_inhibition_rules(authed(
            &limited,
            v1::ListInhibitionRulesRequest {
                company_id: b.id.clone(),
                ..Default::default()
            },
        ))
        .await
        .map(|_| ()),
    ));
    results.push((
        "DeleteInhibitionRule",
        c.delete_inhibition_rule(authed(
            &limited,
            v1::DeleteInhibitionRuleRequest {
                inhibition_rule_id: b_rule.clone(),
            },
        ))
        .await
        .map(|_| ()),
    ));
    for (name, result) in &results {
        let status = result.as_ref().expect_err(name);
        assert_eq!(status.code(), Code::NotFound, "{name}: {status:?}");
    }
    // B's silence is untouched.
    let silences = admin
        .list_silences(authed(
            &server.admin_token,
            v1::ListSilencesRequest {
                company_id: b.id.clone(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .silences;
    assert_eq!(silences.len(), 1);
    assert_eq!(silences[0].state, v1::SilenceState::Active as i32);
}

/// #22: which label names the asset is a per-company, ordered list for the
/// label-based formats; the webhook's answer and ExplainAlert name the label.
async fn a_companys_asset_labels_choose_the_asset_and_answers_name_the_label(backend: Backend) {
    let server = TestServer::start(backend).await;
    let acme = tenant(&server, "Acme").await;
    let mut c = client(&server).await;
    let notification = |fingerprint: &str| {
        serde_json::json!({
            "version": "4", "status": "firing", "receiver": "aw", "groupKey": "{}:{}",
            "alerts": [{"status": "firing", "fingerprint": fingerprint,
                "labels": {"alertname": "KubeletDown", "instance": "10.0.0.7:10250",
                           "node": "worker-3", "severity": "critical"},
                "startsAt": "2026-12-04T10:00:00Z"}]
        })
    };
    let post = |body: serde_json::Value| {
        crate::ingest::post(&server, "/api/webhooks/alertmanager")
            .header("x-api-key", &acme.key)
            .json(&body)
            .send()
    };
    // The format's own order: instance, its port stripped.
    let answer: serde_json::Value = post(notification("f1"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(answer["alerts"][0]["asset"], "10.0.0.7", "{answer}");
    assert_eq!(answer["alerts"][0]["asset_label"], "instance", "{answer}");

    let update = |labels: &[&str]| {
        authed(
            &server.admin_token,
            v1::UpdateCorrelationConfigRequest {
                config: Some(v1::CorrelationConfig {
                    company_id: acme.id.clone(),
                    asset_labels: labels.iter().map(|l| (*l).to_owned()).collect(),
                    ..Default::default()
                }),
                update_mask: mask(&["asset_labels"]),
            },
        )
    };
    for (labels, field) in [
        (vec!["node", "node"], "config.asset_labels[1]"),
        (vec![""], "config.asset_labels[0]"),
        (vec!["a"; 17], "config.asset_labels"),
    ] {
        let error = c
            .update_correlation_config(update(&labels))
            .await
            .expect_err(field);
        assert_eq!(error.code(), Code::InvalidArgument);
        assert!(error.message().starts_with(field), "{}", error.message());
    }
    let config = c
        .update_correlation_config(update(&["host", "node"]))
        .await
        .unwrap()
        .into_inner()
        .config
        .unwrap();
    assert_eq!(config.asset_labels, ["host", "node"]);

    let answer: serde_json::Value = post(notification("f2"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let alert = &answer["alerts"][0];
    assert_eq!(alert["asset"], "worker-3", "{answer}");
    assert_eq!(alert["asset_label"], "node", "{answer}");
    let explained = c
        .explain_alert(authed(
            &server.admin_token,
            v1::ExplainAlertRequest {
                alert_id: alert["alert_id"].as_str().unwrap().to_owned(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(explained.asset_label, "node");
    assert_eq!(explained.alert.unwrap().asset, "worker-3");

    // Formats that name the asset directly keep it.
    let answer: serde_json::Value = crate::ingest::post(&server, "/api/webhooks/alerts")
        .header("x-api-key", &acme.key)
        .json(&serde_json::json!({"asset_name": "web-01", "signature": "cpu", "severity": "high"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(answer["alerts"][0]["asset"], "web-01", "{answer}");
    assert!(answer["alerts"][0]["asset_label"].is_null(), "{answer}");

    // The list survives a restart.
    let server = server.restart().await;
    let config = config_of(&server, &acme.id).await;
    assert_eq!(config.asset_labels, ["host", "node"]);
}

fn seconds(n: i64) -> Option<prost_types::Duration> {
    Some(prost_types::Duration {
        seconds: n,
        nanos: 0,
    })
}

async fn storm_and_lateness_settings_round_trip_and_bad_values_name_their_field(backend: Backend) {
    let server = TestServer::start(backend).await;
    let acme = tenant(&server, "Acme").await;
    let mut c = client(&server).await;
    let config = config_of(&server, &acme.id).await;
    let storm = config.storm_grouping.unwrap();
    assert_eq!(storm.gap, seconds(30));
    assert_eq!(storm.baseline_factor, Some(4));
    assert_eq!(config.lateness, minutes(60));

    let update = |config: v1::CorrelationConfig, paths: &[&str]| {
        authed(
            &server.admin_token,
            v1::UpdateCorrelationConfigRequest {
                config: Some(config),
                update_mask: mask(paths),
            },
        )
    };
    let wanted = v1::CorrelationConfig {
        company_id: acme.id.clone(),
        storm_grouping: Some(v1::StormGroupingSettings {
            enabled: true,
            min_assets: 8,
            gap: seconds(45),
            baseline_factor: Some(0),
        }),
        lateness: minutes(120),
        ..Default::default()
    };
    c.update_correlation_config(update(wanted.clone(), &["storm_grouping", "lateness"]))
        .await
        .unwrap();
    let got = config_of(&server, &acme.id).await;
    assert_eq!(got.storm_grouping, wanted.storm_grouping);
    assert_eq!(got.lateness, minutes(120));

    // Unset storm fields take their defaults.
    c.update_correlation_config(update(
        v1::CorrelationConfig {
            company_id: acme.id.clone(),
            storm_grouping: Some(v1::StormGroupingSettings {
                enabled: true,
                min_assets: 5,
                ..Default::default()
            }),
            ..Default::default()
        },
        &["storm_grouping"],
    ))
    .await
    .unwrap();
    let storm = config_of(&server, &acme.id).await.storm_grouping.unwrap();
    assert_eq!((storm.gap, storm.baseline_factor), (seconds(30), Some(4)));

    let half_second = Some(prost_types::Duration {
        seconds: 1,
        nanos: 500_000_000,
    });
    let storm =
        |gap: Option<prost_types::Duration>, factor: Option<i32>| v1::StormGroupingSettings {
            enabled: true,
            min_assets: 5,
            gap,
            baseline_factor: factor,
        };
    for (config, paths, field) in [
        (
            v1::CorrelationConfig {
                storm_grouping: Some(storm(half_second, None)),
                ..Default::default()
            },
            &["storm_grouping"][..],
            "config.storm_grouping.gap",
        ),
        (
            v1::CorrelationConfig {
                storm_grouping: Some(storm(minutes(11), None)),
                ..Default::default()
            },
            &["storm_grouping"][..],
            "config.storm_grouping.gap",
        ),
        (
            v1::CorrelationConfig {
                storm_grouping: Some(storm(None, Some(101))),
                ..Default::default()
            },
            &["storm_grouping"][..],
            "config.storm_grouping.baseline_factor",
        ),
        (
            v1::CorrelationConfig {
                storm_grouping: Some(storm(None, Some(-1))),
                ..Default::default()
            },
            &["storm_grouping"][..],
            "config.storm_grouping.baseline_factor",
        ),
        (
            v1::CorrelationConfig {
                lateness: minutes(5),
                ..Default::default()
            },
            &["lateness"][..],
            "config.lateness",
        ),
        (
            v1::CorrelationConfig {
                lateness: minutes(25 * 60),
                ..Default::default()
            },
            &["lateness"][..],
            "config.lateness",
        ),
        (
            v1::CorrelationConfig::default(),
            &["lateness"][..],
            "config.lateness",
        ),
    ] {
        let status = c
            .update_correlation_config(update(
                v1::CorrelationConfig {
                    company_id: acme.id.clone(),
                    ..config
                },
                paths,
            ))
            .await
            .expect_err(field);
        assert_eq!(status.code(), tonic::Code::InvalidArgument, "{field}");
        assert!(status.message().starts_with(field), "{}", status.message());
    }
    // Nothing half-written: the last good settings stand.
    let storm = config_of(&server, &acme.id).await.storm_grouping.unwrap();
    assert_eq!((storm.gap, storm.baseline_factor), (seconds(30), Some(4)));
}
