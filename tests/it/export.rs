//! ComplianceService.ExportComplianceDataset through the real AWS SDK against
//! moto: CSVs and manifests written to S3 in the company's account (read back
//! here through the same assumed role), QuickSight data sources, data sets and
//! ingestions (emulated by tests/moto/aw_moto.py, read back through its
//! control API and the SDK's Describe calls).

use alert_whisperer::proto::v1::{self, OperatorRole};
use aws_config::BehaviorVersion;
use aws_config::sts::AssumeRoleProvider;
use tonic::Code;
use tonic::metadata::MetadataValue;

use crate::aws::{Moto, server_with_aws, set_role_arn};
use crate::compliance::fixtures;
use crate::harness::{TestServer, authed};
use crate::ingest::tenant;

type Client = v1::compliance_service_client::ComplianceServiceClient<tonic::transport::Channel>;

const ROLE_A: &str = "arn:aws:iam::111111111111:role/AlertWhisperer";
const ROLE_B: &str = "arn:aws:iam::222222222222:role/AlertWhisperer";
const ROLE_NO_QUICKSIGHT: &str = "arn:aws:iam::444444444444:role/NoQuickSight";

fn now_ms() -> i64 {
    i64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis(),
    )
    .unwrap()
}

fn ts(ms: i64) -> Option<prost_types::Timestamp> {
    Some(prost_types::Timestamp {
        seconds: ms.div_euclid(1000),
        nanos: i32::try_from(ms.rem_euclid(1000) * 1_000_000).unwrap(),
    })
}

/// The SDK configuration of a company's role, as the server assumes it.
async fn role_config(server: &TestServer, role_arn: &str) -> aws_config::SdkConfig {
    let base = aws_config::defaults(BehaviorVersion::latest())
        .http_client(alert_whisperer::aws::https_client())
        .region(aws_config::Region::new("us-east-1"))
        .endpoint_url(&server.config.aws_endpoint_url)
        .credentials_provider(aws_sdk_s3::config::Credentials::new(
            "testing", "testing", None, None, "test",
        ))
        .load()
        .await;
    let provider = AssumeRoleProvider::builder(role_arn)
        .external_id("ext-acme-7")
        .session_name("it-export")
        .configure(&base)
        .build()
        .await;
    base.to_builder()
        .credentials_provider(aws_sdk_s3::config::SharedCredentialsProvider::new(provider))
        .build()
}

async fn s3_as(server: &TestServer, role_arn: &str) -> aws_sdk_s3::Client {
    let config = role_config(server, role_arn).await;
    aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&config)
            .force_path_style(true)
            .build(),
    )
}

async fn read_object(s3: &aws_sdk_s3::Client, bucket: &str, key: &str) -> Vec<u8> {
    s3.get_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .unwrap_or_else(|error| panic!("get {key}: {error:?}"))
        .body
        .collect()
        .await
        .unwrap()
        .into_bytes()
        .to_vec()
}

async fn quicksight_objects(server: &TestServer) -> serde_json::Value {
    reqwest::get(format!("{}/_aw/quicksight", server.config.aws_endpoint_url))
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

async fn moto_calls(server: &TestServer) -> serde_json::Value {
    reqwest::get(format!("{}/_aw/calls", server.config.aws_endpoint_url))
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// CSV rows as maps from column name to value.
fn csv_rows(bytes: &[u8]) -> (Vec<String>, Vec<std::collections::HashMap<String, String>>) {
    let mut reader = csv::Reader::from_reader(bytes);
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    let rows = reader
        .records()
        .map(|record| {
            let record = record.unwrap();
            header
                .iter()
                .cloned()
                .zip(record.iter().map(str::to_owned))
                .collect()
        })
        .collect();
    (header, rows)
}

fn number(row: &std::collections::HashMap<String, String>, column: &str) -> f64 {
    row[column]
        .parse()
        .unwrap_or_else(|_| panic!("{column}: {:?}", row[column]))
}

async fn ingest(server: &TestServer, key: &str, alerts: Vec<v1::AlertInput>) -> Vec<String> {
    let mut request = tonic::Request::new(v1::IngestAlertsRequest { alerts });
    request
        .metadata_mut()
        .insert("x-api-key", MetadataValue::try_from(key).unwrap());
    v1::ingest_service_client::IngestServiceClient::new(server.channel().await)
        .ingest_alerts(request)
        .await
        .unwrap()
        .into_inner()
        .results
        .into_iter()
        .map(|result| result.incident_id)
        .collect()
}

fn alert(asset: &str, signature: &str, at: i64) -> v1::AlertInput {
    v1::AlertInput {
        asset: asset.to_owned(),
        signature: signature.to_owned(),
        severity: v1::Severity::High.into(),
        message: format!("{signature} on {asset}"),
        tool_source: "prometheus".to_owned(),
        occur_time: ts(at),
        ..Default::default()
    }
}

fn export_request(company_id: &str, bucket: &str) -> v1::ExportComplianceDatasetRequest {
    v1::ExportComplianceDatasetRequest {
        company_id: company_id.to_owned(),
        s3_bucket: bucket.to_owned(),
        s3_prefix: "exports/compliance/".to_owned(),
        ..Default::default()
    }
}

#[tokio::test]
async fn export_writes_csvs_and_manifests_and_publishes_them_to_quicksight() {
    let moto = Moto::start().await;
    fixtures(&moto).await;
    let server = server_with_aws(&moto).await;
    let a = tenant(&server, "A").await;
    let b = tenant(&server, "B").await;
    set_role_arn(&server, &a.id, ROLE_A).await;
    set_role_arn(&server, &b.id, ROLE_B).await;
    let s3_a = s3_as(&server, ROLE_A).await;
    s3_a.create_bucket()
        .bucket("a-exports")
        .send()
        .await
        .unwrap();
    let s3_b = s3_as(&server, ROLE_B).await;
    s3_b.create_bucket()
        .bucket("b-exports")
        .send()
        .await
        .unwrap();

    let mut client: Client =
        v1::compliance_service_client::ComplianceServiceClient::new(server.channel().await);
    let token = &server.admin_token;
    let synced = client
        .sync_compliance(authed(token, v1::SyncComplianceRequest::default()))
        .await
        .unwrap()
        .into_inner()
        .results;
    assert!(synced.iter().all(|r| r.ok), "{synced:?}");

    // Incidents of A: three alerts, two of them the same fault on the same asset.
    let start_ms = now_ms() - 60_000;
    let incident_ids = ingest(
        &server,
        &a.key,
        vec![
            alert("web-01", "disk_full", now_ms() - 2_000),
            alert("web-01", "disk_full", now_ms() - 1_000),
            alert("db-01", "cpu_high", now_ms()),
        ],
    )
    .await;
    let mut distinct: Vec<String> = incident_ids
        .iter()
        .filter(|id| !id.is_empty())
        .cloned()
        .collect();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), 2, "{incident_ids:?}");
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    let mut incidents =
        v1::incident_service_client::IncidentServiceClient::new(server.channel().await);
    incidents
        .acknowledge_incident(authed(
            token,
            v1::AcknowledgeIncidentRequest {
                incident_id: distinct[0].clone(),
                comment: String::new(),
            },
        ))
        .await
        .unwrap();
    incidents
        .resolve_incident(authed(
            token,
            v1::ResolveIncidentRequest {
                incident_id: distinct[1].clone(),
                resolution: "restarted".to_owned(),
            },
        ))
        .await
        .unwrap();
    let end_ms = now_ms() + 60_000;
    let kpis = incidents
        .get_kpis(authed(
            token,
            v1::GetKpisRequest {
                company_id: a.id.clone(),
                start_time: ts(start_ms),
                end_time: ts(end_ms),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .companies
        .into_iter()
        .find(|k| k.company_id == a.id)
        .unwrap();
    assert_eq!((kpis.raw_alert_count, kpis.incident_count), (3, 2));
    assert_eq!((kpis.acknowledged_count, kpis.resolved_count), (1, 1));

    let request = v1::ExportComplianceDatasetRequest {
        kpi_start_time: ts(start_ms),
        kpi_end_time: ts(end_ms),
        ..export_request(&a.id, "a-exports")
    };
    let first = client
        .export_compliance_dataset(authed(token, request.clone()))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(first.s3_bucket, "a-exports");
    assert!(first.export_time.is_some());
    let snapshot = first.snapshot.clone().unwrap();
    let scorecard = first.scorecard.clone().unwrap();
    assert_eq!(
        snapshot.csv_key,
        format!("exports/compliance/{}/compliance-snapshot.csv", a.id)
    );
    assert_eq!(
        snapshot.manifest_key,
        format!(
            "exports/compliance/{}/compliance-snapshot.manifest.json",
            a.id
        )
    );
    assert_eq!(
        scorecard.csv_key,
        format!("exports/compliance/{}/scorecard.csv", a.id)
    );
    assert_eq!((snapshot.rows_written, scorecard.rows_written), (4, 1));
    let snapshot_id = format!("aw-compliance-{}-compliance-snapshot", a.id);
    let scorecard_id = format!("aw-compliance-{}-scorecard", a.id);
    assert_eq!(snapshot.data_source_id, snapshot_id);
    assert_eq!(snapshot.data_set_id, snapshot_id);
    assert_eq!(scorecard.data_source_id, scorecard_id);
    assert_eq!(scorecard.data_set_id, scorecard_id);
    assert!(!snapshot.ingestion_id.is_empty() && !scorecard.ingestion_id.is_empty());

    // The snapshot CSV: the very bytes of the HTTP report, matching the database.
    let csv = read_object(&s3_a, "a-exports", &snapshot.csv_key).await;
    let http = reqwest::Client::new()
        .get(format!(
            "{}/api/reports/compliance.csv?company_id={}",
            server.url(),
            a.id
        ))
        .header("authorization", format!("Bearer {token}"))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(csv, http.to_vec(), "one CSV for S3 and HTTP");
    let (header, rows) = csv_rows(&csv);
    assert_eq!(header[0], "company_id");
    assert_eq!(rows.len(), 4);
    assert!(rows.iter().all(|r| r["company_id"] == a.id));
    assert_eq!(
        rows.iter().filter(|r| r["status"] == "COMPLIANT").count(),
        3
    );
    let db2 = rows
        .iter()
        .find(|r| r["instance_id"] == "mi-0000000000000000d")
        .unwrap();
    assert_eq!(
        (
            db2["missing"].as_str(),
            db2["critical_non_compliant"].as_str()
        ),
        ("7", "2")
    );

    // Its manifest names it, in QuickSight's manifest format.
    let manifest: serde_json::Value =
        serde_json::from_slice(&read_object(&s3_a, "a-exports", &snapshot.manifest_key).await)
            .unwrap();
    assert_eq!(
        manifest["fileLocations"][0]["URIs"][0],
        format!("s3://a-exports/{}", snapshot.csv_key)
    );
    assert_eq!(manifest["globalUploadSettings"]["format"], "CSV");
    assert_eq!(manifest["globalUploadSettings"]["containsHeader"], "true");
    let manifest: serde_json::Value =
        serde_json::from_slice(&read_object(&s3_a, "a-exports", &scorecard.manifest_key).await)
            .unwrap();
    assert_eq!(
        manifest["fileLocations"][0]["URIs"][0],
        format!("s3://a-exports/{}", scorecard.csv_key)
    );

    // The scorecard: the KPIs of the range and the latest snapshot's compliance.
    let (_, rows) = csv_rows(&read_object(&s3_a, "a-exports", &scorecard.csv_key).await);
    assert_eq!(rows.len(), 1);
    let row = &rows[0];
    assert_eq!(row["company_id"], a.id);
    assert_eq!(row["company_name"], "A");
    assert!((number(row, "compliance_pct") - 75.0).abs() < 1e-9);
    assert_eq!(
        (
            row["compliant_instances"].as_str(),
            row["total_instances"].as_str(),
            row["critical_patches_missing"].as_str()
        ),
        ("3", "4", "2")
    );
    assert_eq!(row["raw_alert_count"], "3");
    assert_eq!(row["incident_count"], "2");
    assert_eq!(row["acknowledged_count"], "1");
    assert_eq!(row["resolved_count"], "1");
    assert_eq!(row["open_count"], "1");
    assert!((number(row, "noise_reduction_pct") - kpis.noise_reduction_pct).abs() < 1e-3);
    assert!((number(row, "noise_reduction_pct") - 100.0 / 3.0).abs() < 1e-3);
    assert!((number(row, "self_healed_pct")).abs() < 1e-9);
    let seconds = |d: &Option<prost_types::Duration>| {
        let d = d.as_ref().unwrap();
        d.seconds as f64 + f64::from(d.nanos) / 1e9
    };
    assert!((number(row, "mtta_seconds") - seconds(&kpis.mtta)).abs() < 1e-3);
    assert!((number(row, "mttr_seconds") - seconds(&kpis.mttr)).abs() < 1e-3);
    assert!(number(row, "mtta_seconds") >= 0.05, "{row:?}");

    // QuickSight: a data source over each manifest, a SPICE data set over
    // each data source with typed columns, one ingestion each.
    let objects = quicksight_objects(&server).await;
    let account = &objects["111111111111"];
    let source = &account["DataSources"][&snapshot_id];
    assert_eq!(source["Type"], "S3");
    assert_eq!(
        source["DataSourceParameters"]["S3Parameters"]["ManifestFileLocation"],
        serde_json::json!({"Bucket": "a-exports", "Key": snapshot.manifest_key.clone()})
    );
    let data_set = &account["DataSets"][&snapshot_id];
    assert_eq!(data_set["ImportMode"], "SPICE");
    let table = &data_set["PhysicalTableMap"]["compliance-snapshot"]["S3Source"];
    assert_eq!(table["DataSourceArn"], source["Arn"]);
    assert_eq!(table["UploadSettings"]["ContainsHeader"], true);
    let columns: Vec<&str> = table["InputColumns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["Name"].as_str().unwrap())
        .collect();
    assert_eq!(
        columns,
        header.iter().map(String::as_str).collect::<Vec<_>>()
    );
    let casts = data_set["LogicalTableMap"]["compliance-snapshot"]["DataTransforms"]
        .as_array()
        .unwrap();
    assert!(casts.iter().any(|t| t["CastColumnTypeOperation"]
        == serde_json::json!({"ColumnName": "missing", "NewColumnType": "INTEGER"})));
    assert!(casts.iter().any(|t| t["CastColumnTypeOperation"]
        == serde_json::json!({"ColumnName": "snapshot_time", "NewColumnType": "DATETIME"})));
    let scorecard_set = &account["DataSets"][&scorecard_id];
    assert!(
        scorecard_set["LogicalTableMap"]["scorecard"]["DataTransforms"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["CastColumnTypeOperation"]
                == serde_json::json!({"ColumnName": "compliance_pct", "NewColumnType": "DECIMAL"}))
    );
    assert_eq!(account["Ingestions"].as_array().unwrap().len(), 2);
    let quicksight = aws_sdk_quicksight::Client::new(&role_config(&server, ROLE_A).await);
    let ingestion = quicksight
        .describe_ingestion()
        .aws_account_id("111111111111")
        .data_set_id(&snapshot_id)
        .ingestion_id(&snapshot.ingestion_id)
        .send()
        .await
        .unwrap();
    assert_eq!(
        ingestion.ingestion().unwrap().ingestion_id(),
        Some(snapshot.ingestion_id.as_str())
    );

    // Exporting again updates the same objects and starts new ingestions.
    let second = client
        .export_compliance_dataset(authed(token, request))
        .await
        .unwrap()
        .into_inner();
    let again = second.snapshot.unwrap();
    assert_eq!(
        (&again.data_source_id, &again.data_set_id),
        (&snapshot_id, &snapshot_id)
    );
    assert_ne!(again.ingestion_id, snapshot.ingestion_id);
    assert_eq!(second.scorecard.unwrap().data_set_id, scorecard_id);
    let objects = quicksight_objects(&server).await;
    let account = &objects["111111111111"];
    assert_eq!(account["DataSources"].as_object().unwrap().len(), 2);
    assert_eq!(account["DataSets"].as_object().unwrap().len(), 2);
    assert_eq!(account["Ingestions"].as_array().unwrap().len(), 4);
    let calls = moto_calls(&server).await;
    let count = |operation: &str| calls[operation].as_array().unwrap().len();
    assert_eq!(
        (
            count("CreateDataSource"),
            count("UpdateDataSource"),
            count("CreateDataSet"),
            count("UpdateDataSet"),
            count("CreateIngestion")
        ),
        (4, 2, 4, 2, 4),
        "the second export's creates met ResourceExistsException and updated"
    );

    // Without QuickSight (company B, its own account and bucket): S3 only.
    let only_s3 = client
        .export_compliance_dataset(authed(
            token,
            v1::ExportComplianceDatasetRequest {
                skip_quicksight: true,
                s3_prefix: String::new(),
                ..export_request(&b.id, "b-exports")
            },
        ))
        .await
        .unwrap()
        .into_inner();
    let b_snapshot = only_s3.snapshot.unwrap();
    assert_eq!(b_snapshot.rows_written, 2);
    assert_eq!(
        b_snapshot.csv_key,
        format!("alert-whisperer/{}/compliance-snapshot.csv", b.id)
    );
    assert!(b_snapshot.data_source_id.is_empty() && b_snapshot.ingestion_id.is_empty());
    let (_, b_rows) =
        csv_rows(&read_object(&s3_b, "b-exports", &only_s3.scorecard.unwrap().csv_key).await);
    assert!((number(&b_rows[0], "compliance_pct") - 50.0).abs() < 1e-9);
    assert_eq!(b_rows[0]["raw_alert_count"], "0");
    assert_eq!(b_rows[0]["mtta_seconds"], "", "no acknowledgement: empty");
    assert!(
        quicksight_objects(&server)
            .await
            .get("222222222222")
            .is_none()
    );
}

#[tokio::test]
async fn export_errors_name_what_is_wrong() {
    let moto = Moto::start().await;
    fixtures(&moto).await;
    let server = server_with_aws(&moto).await;
    let a = tenant(&server, "A").await;
    let b = tenant(&server, "B").await;
    let no_role = tenant(&server, "No role").await;
    let no_quicksight = tenant(&server, "No QuickSight").await;
    set_role_arn(&server, &a.id, ROLE_A).await;
    set_role_arn(&server, &b.id, ROLE_B).await;
    set_role_arn(&server, &no_quicksight.id, ROLE_NO_QUICKSIGHT).await;
    s3_as(&server, ROLE_A)
        .await
        .create_bucket()
        .bucket("a-exports")
        .send()
        .await
        .unwrap();
    s3_as(&server, ROLE_NO_QUICKSIGHT)
        .await
        .create_bucket()
        .bucket("d-exports")
        .send()
        .await
        .unwrap();
    let mut client: Client =
        v1::compliance_service_client::ComplianceServiceClient::new(server.channel().await);
    let token = server.admin_token.clone();
    client
        .sync_compliance(authed(&token, v1::SyncComplianceRequest::default()))
        .await
        .unwrap();
    let export = |token: String, request: v1::ExportComplianceDatasetRequest| {
        let mut client = client.clone();
        async move {
            client
                .export_compliance_dataset(authed(&token, request))
                .await
                .expect_err("export must fail")
        }
    };

    let error = export(token.clone(), export_request(&no_role.id, "a-exports")).await;
    assert_eq!(error.code(), Code::FailedPrecondition);
    assert!(
        error.message().contains("SetAwsRole"),
        "{}",
        error.message()
    );

    let error = export(token.clone(), export_request(&a.id, "no-such-bucket")).await;
    assert_eq!(error.code(), Code::FailedPrecondition);
    assert!(
        error.message().contains("no-such-bucket"),
        "{}",
        error.message()
    );

    let error = export(
        token.clone(),
        export_request(&no_quicksight.id, "d-exports"),
    )
    .await;
    assert_eq!(error.code(), Code::FailedPrecondition);
    assert!(
        error.message().contains("role/NoQuickSight")
            && error.message().contains("quicksight:CreateDataSource"),
        "{}",
        error.message()
    );

    for (request, field) in [
        (export_request(&a.id, ""), "s3_bucket"),
        (export_request(&a.id, "Not_A_Bucket"), "s3_bucket"),
        (
            v1::ExportComplianceDatasetRequest {
                s3_prefix: "/abs".to_owned(),
                ..export_request(&a.id, "a-exports")
            },
            "s3_prefix",
        ),
        (
            v1::ExportComplianceDatasetRequest {
                kpi_start_time: ts(2_000_000),
                kpi_end_time: ts(1_000_000),
                ..export_request(&a.id, "a-exports")
            },
            "kpi_start_time",
        ),
        (export_request("", "a-exports"), "company_id"),
    ] {
        let error = export(token.clone(), request).await;
        assert_eq!(error.code(), Code::InvalidArgument, "{field}");
        assert!(error.message().contains(field), "{}", error.message());
    }

    let technician = crate::correlation::token(&server, OperatorRole::Technician, &[&a.id]).await;
    let error = export(technician, export_request(&b.id, "a-exports")).await;
    assert_eq!(error.code(), Code::NotFound, "another tenant's company");
    let viewer = crate::correlation::token(&server, OperatorRole::Viewer, &[&a.id]).await;
    let error = export(viewer, export_request(&a.id, "a-exports")).await;
    assert_eq!(error.code(), Code::PermissionDenied);
}

#[tokio::test]
async fn export_without_aws_says_what_is_missing() {
    let plain = TestServer::start(crate::harness::Backend::Sqlite).await;
    let a = tenant(&plain, "A").await;
    set_role_arn(&plain, &a.id, ROLE_A).await;
    let error = v1::compliance_service_client::ComplianceServiceClient::new(plain.channel().await)
        .export_compliance_dataset(authed(
            &plain.admin_token,
            export_request(&a.id, "a-exports"),
        ))
        .await
        .expect_err("aws not configured");
    assert_eq!(error.code(), Code::FailedPrecondition);
    assert!(
        error.message().contains("aws_region"),
        "{}",
        error.message()
    );
}
