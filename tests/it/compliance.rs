//! ComplianceService through the real AWS SDK against moto (with our
//! extension's per-account fixtures for the SSM patch APIs moto lacks).

use alert_whisperer::proto::v1::{self, OperatorRole};
use tonic::Code;

use crate::aws::{Moto, server_with_aws, set_role_arn};
use crate::harness::authed;
use crate::ingest::tenant;

type Client = v1::compliance_service_client::ComplianceServiceClient<tonic::transport::Channel>;

fn instance(id: &str, name: &str) -> serde_json::Value {
    serde_json::json!({
        "InstanceId": id, "PingStatus": "Online", "PlatformType": "Linux",
        "PlatformName": "Ubuntu", "ResourceType": "ManagedInstance", "Name": name,
        "LastPingDateTime": 1714564800
    })
}

fn patch_state(id: &str, missing: i64, critical: i64) -> serde_json::Value {
    serde_json::json!({
        "InstanceId": id, "PatchGroup": "prod", "BaselineId": "pb-0123456789abcdef0",
        "InstalledCount": 120, "InstalledOtherCount": 3, "MissingCount": missing,
        "FailedCount": 0, "NotApplicableCount": 40, "CriticalNonCompliantCount": critical,
        "SecurityNonCompliantCount": critical, "OtherNonCompliantCount": 0,
        "OperationStartTime": 1714560000, "OperationEndTime": 1714560600,
        "Operation": "Scan"
    })
}

pub(crate) async fn fixtures(moto: &Moto) {
    // Company A (account 111111111111): four instances, one missing patches.
    moto.post(
        "/_aw/instances?account=111111111111",
        serde_json::json!([
            instance("mi-0000000000000000a", "a-web-1"),
            instance("mi-0000000000000000b", "a-web-2"),
            instance("mi-0000000000000000c", "a-db-1"),
            instance("mi-0000000000000000d", "a-db-2"),
        ]),
    )
    .await;
    moto.post(
        "/_aw/patch_states?account=111111111111",
        serde_json::json!([
            patch_state("mi-0000000000000000a", 0, 0),
            patch_state("mi-0000000000000000b", 0, 0),
            patch_state("mi-0000000000000000c", 0, 0),
            patch_state("mi-0000000000000000d", 7, 2),
        ]),
    )
    .await;
    // Company B (account 222222222222): one compliant by its summary, one never scanned.
    moto.post(
        "/_aw/instances?account=222222222222",
        serde_json::json!([
            instance("i-0000000000000000e", "b-app-1"),
            instance("i-0000000000000000f", "b-app-2"),
        ]),
    )
    .await;
    moto.post(
        "/_aw/compliance_summaries?account=222222222222",
        serde_json::json!([{
            "ComplianceType": "Patch", "ResourceType": "ManagedInstance",
            "ResourceId": "i-0000000000000000e", "Status": "COMPLIANT",
            "OverallSeverity": "UNSPECIFIED",
            "ExecutionSummary": {"ExecutionTime": 1714560600},
            "CompliantSummary": {"CompliantCount": 12},
            "NonCompliantSummary": {"NonCompliantCount": 0}
        }]),
    )
    .await;
}

#[tokio::test]
async fn sync_summarises_each_company_and_keeps_history() {
    let moto = Moto::start().await;
    fixtures(&moto).await;
    let server = server_with_aws(&moto).await;
    let a = tenant(&server, "A").await;
    let b = tenant(&server, "B").await;
    let c = tenant(&server, "C without role").await;
    set_role_arn(
        &server,
        &a.id,
        "arn:aws:iam::111111111111:role/AlertWhisperer",
    )
    .await;
    set_role_arn(
        &server,
        &b.id,
        "arn:aws:iam::222222222222:role/AlertWhisperer",
    )
    .await;
    let mut client: Client =
        v1::compliance_service_client::ComplianceServiceClient::new(server.channel().await);
    let results = client
        .sync_compliance(authed(
            &server.admin_token,
            v1::SyncComplianceRequest::default(),
        ))
        .await
        .unwrap()
        .into_inner()
        .results;
    assert_eq!(results.len(), 2, "companies with a role: {results:?}");
    assert!(results.iter().all(|r| r.ok), "{results:?}");
    let a_result = results.iter().find(|r| r.company_id == a.id).unwrap();
    assert_eq!(a_result.instance_count, 4);

    let summary = client
        .get_compliance_summary(authed(
            &server.admin_token,
            v1::GetComplianceSummaryRequest::default(),
        ))
        .await
        .unwrap()
        .into_inner();
    let a_summary = summary
        .companies
        .iter()
        .find(|s| s.company_id == a.id)
        .unwrap();
    assert_eq!(a_summary.total_instances, 4);
    assert_eq!(a_summary.compliant_instances, 3);
    assert!((a_summary.compliance_pct - 75.0).abs() < 1e-9);
    assert_eq!(a_summary.critical_patches_missing, 2);
    assert!(a_summary.oldest_result_age.is_some());
    let b_summary = summary
        .companies
        .iter()
        .find(|s| s.company_id == b.id)
        .unwrap();
    assert_eq!(
        (b_summary.total_instances, b_summary.compliant_instances),
        (2, 1),
        "the never-scanned instance counts in the total only"
    );
    assert!((b_summary.compliance_pct - 50.0).abs() < 1e-9);
    let overall = summary.overall.unwrap();
    assert_eq!(overall.total_instances, 6);
    assert!((overall.compliance_pct - 4.0 / 6.0 * 100.0).abs() < 1e-9);

    let non_compliant = client
        .list_instance_compliance(authed(
            &server.admin_token,
            v1::ListInstanceComplianceRequest {
                company_id: a.id.clone(),
                status: v1::ComplianceStatus::NonCompliant.into(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(non_compliant.instances.len(), 1);
    let db2 = &non_compliant.instances[0];
    assert_eq!(db2.instance_id, "mi-0000000000000000d");
    assert_eq!(db2.name, "a-db-2");
    assert_eq!((db2.missing, db2.critical_non_compliant), (7, 2));
    assert_eq!(db2.operation, v1::PatchOperation::Scan as i32);
    assert_eq!(db2.baseline_id, "pb-0123456789abcdef0");

    // Pages list the most critical patches missing first, then by instance id.
    let mut order = Vec::new();
    let mut page_token = String::new();
    loop {
        let page = client
            .list_instance_compliance(authed(
                &server.admin_token,
                v1::ListInstanceComplianceRequest {
                    company_id: a.id.clone(),
                    page_size: 2,
                    page_token: page_token.clone(),
                    ..Default::default()
                },
            ))
            .await
            .unwrap()
            .into_inner();
        order.extend(page.instances.into_iter().map(|i| i.instance_id));
        if page.next_page_token.is_empty() {
            break;
        }
        page_token = page.next_page_token;
    }
    assert_eq!(
        order,
        [
            "mi-0000000000000000d",
            "mi-0000000000000000a",
            "mi-0000000000000000b",
            "mi-0000000000000000c"
        ]
    );

    // A second sync adds history: two points in the trend.
    client
        .sync_compliance(authed(
            &server.admin_token,
            v1::SyncComplianceRequest {
                company_id: a.id.clone(),
            },
        ))
        .await
        .unwrap();
    let trend = client
        .get_compliance_trend(authed(
            &server.admin_token,
            v1::GetComplianceTrendRequest {
                company_id: a.id.clone(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .points;
    assert_eq!(trend.len(), 2);
    assert!(trend.iter().all(|p| (p.compliance_pct - 75.0).abs() < 1e-9));

    // The same data as CSV over HTTP, for MSPs without QuickSight.
    let url = format!(
        "{}/api/reports/compliance.csv?company_id={}",
        server.url(),
        a.id
    );
    let response = reqwest::Client::new()
        .get(&url)
        .header("authorization", format!("Bearer {}", server.admin_token))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let text = response.text().await.unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header = reader.headers().unwrap().clone();
    assert_eq!(&header[0], "company_id");
    assert_eq!(&header[7], "status");
    let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(records.len(), 4);
    let db2 = records
        .iter()
        .find(|r| &r[3] == "mi-0000000000000000d")
        .unwrap();
    assert_eq!(&db2[7], "NON_COMPLIANT");
    assert_eq!(&db2[12], "7", "missing");
    assert_eq!(&db2[15], "2", "critical non-compliant");
    assert_eq!(
        records.iter().filter(|r| &r[7] == "COMPLIANT").count(),
        3,
        "the CSV matches the summary"
    );
    let unauthenticated = reqwest::get(&url).await.unwrap();
    assert_eq!(unauthenticated.status(), 401);

    let error = client
        .sync_compliance(authed(
            &server.admin_token,
            v1::SyncComplianceRequest {
                company_id: c.id.clone(),
            },
        ))
        .await
        .expect_err("no role");
    assert_eq!(error.code(), Code::FailedPrecondition);
    let error = client
        .list_instance_compliance(authed(
            &server.admin_token,
            v1::ListInstanceComplianceRequest {
                company_id: c.id.clone(),
                ..Default::default()
            },
        ))
        .await
        .expect_err("never synced");
    assert_eq!(error.code(), Code::FailedPrecondition);
}

#[tokio::test]
async fn a_failing_company_does_not_stop_the_others() {
    let moto = Moto::start().await;
    fixtures(&moto).await;
    let server = server_with_aws(&moto).await;
    let a = tenant(&server, "A").await;
    let denied = tenant(&server, "Denied").await;
    set_role_arn(
        &server,
        &a.id,
        "arn:aws:iam::111111111111:role/AlertWhisperer",
    )
    .await;
    set_role_arn(&server, &denied.id, "arn:aws:iam::333333333333:role/Denied").await;
    let results =
        v1::compliance_service_client::ComplianceServiceClient::new(server.channel().await)
            .sync_compliance(authed(
                &server.admin_token,
                v1::SyncComplianceRequest::default(),
            ))
            .await
            .unwrap()
            .into_inner()
            .results;
    let ok = results.iter().find(|r| r.company_id == a.id).unwrap();
    assert!(ok.ok);
    let failed = results.iter().find(|r| r.company_id == denied.id).unwrap();
    assert!(!failed.ok);
    assert!(failed.error.contains("role/Denied"), "{}", failed.error);
}

#[tokio::test]
async fn compliance_rpcs_refuse_other_companies_and_viewers_cannot_sync() {
    let moto = Moto::start().await;
    fixtures(&moto).await;
    let server = server_with_aws(&moto).await;
    let a = tenant(&server, "A").await;
    let b = tenant(&server, "B").await;
    set_role_arn(
        &server,
        &b.id,
        "arn:aws:iam::222222222222:role/AlertWhisperer",
    )
    .await;
    let limited = crate::correlation::token(&server, OperatorRole::Admin, &[&a.id]).await;
    let mut client: Client =
        v1::compliance_service_client::ComplianceServiceClient::new(server.channel().await);
    let codes = vec![
        client
            .sync_compliance(authed(
                &limited,
                v1::SyncComplianceRequest {
                    company_id: b.id.clone(),
                },
            ))
            .await
            .map(|_| ()),
        client
            .get_compliance_summary(authed(
                &limited,
                v1::GetComplianceSummaryRequest {
                    company_id: b.id.clone(),
                },
            ))
            .await
            .map(|_| ()),
        client
            .list_instance_compliance(authed(
                &limited,
                v1::ListInstanceComplianceRequest {
                    company_id: b.id.clone(),
                    ..Default::default()
                },
            ))
            .await
            .map(|_| ()),
        client
            .get_compliance_trend(authed(
                &limited,
                v1::GetComplianceTrendRequest {
                    company_id: b.id.clone(),
                    ..Default::default()
                },
            ))
            .await
            .map(|_| ()),
    ];
    for result in codes {
        assert_eq!(result.expect_err("other company").code(), Code::NotFound);
    }
    let csv = reqwest::Client::new()
        .get(format!(
            "{}/api/reports/compliance.csv?company_id={}",
            server.url(),
            b.id
        ))
        .header("authorization", format!("Bearer {limited}"))
        .send()
        .await
        .unwrap();
    assert_eq!(csv.status(), 404, "the CSV of another company is not found");
    // Syncing all as a token limited to A touches only A (which has no role): nothing.
    let results = client
        .sync_compliance(authed(&limited, v1::SyncComplianceRequest::default()))
        .await
        .unwrap()
        .into_inner()
        .results;
    assert!(results.is_empty(), "{results:?}");
    let viewer = crate::correlation::token(&server, OperatorRole::Viewer, &[]).await;
    let error = client
        .sync_compliance(authed(&viewer, v1::SyncComplianceRequest::default()))
        .await
        .expect_err("viewer");
    assert_eq!(error.code(), Code::PermissionDenied);
}
