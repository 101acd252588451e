//! ComplianceService: sync patch compliance from Systems Manager, summaries,
//! per-instance detail, trends, and the export to S3 and QuickSight.

use tonic::{Request, Response, Status};

use super::convert::{duration, required_id, timestamp, timestamp_ms};
use super::operator;
use crate::app::AppState;
use crate::domain::compliance::Summary;
use crate::domain::tenant::Role;
use crate::error::{Error, Result};
use crate::proto::v1::{self, compliance_service_server::ComplianceService};
use crate::store::entity::{compliance_snapshot, instance_compliance};
use crate::store::{Page, now_ms};

/// The ComplianceService handler.
#[derive(Debug, Clone)]
pub struct ComplianceHandler {
    state: AppState,
}

impl ComplianceHandler {
    /// A handler over the shared state.
    pub fn new(state: AppState) -> Self {
        Self { state }
    }
}

fn summary_of(snapshot: &compliance_snapshot::Model) -> Summary {
    Summary {
        total: i64::from(snapshot.total_instances),
        compliant: i64::from(snapshot.compliant_instances),
        non_compliant: i64::from(snapshot.non_compliant_instances),
        critical_missing: snapshot.critical_missing,
        security_missing: snapshot.security_missing,
        oldest_result_ms: snapshot.oldest_result_at,
    }
}

fn summary_message(
    company_id: &str,
    snapshot: Option<&compliance_snapshot::Model>,
    summary: &Summary,
) -> v1::ComplianceSummary {
    let clamp = |value: i64| i32::try_from(value).unwrap_or(i32::MAX);
    v1::ComplianceSummary {
        company_id: company_id.to_owned(),
        snapshot_id: snapshot.map(|s| s.id.clone()).unwrap_or_default(),
        snapshot_time: snapshot.map(|s| timestamp(s.taken_at)),
        compliance_pct: summary.compliance_pct(),
        compliant_instances: clamp(summary.compliant),
        non_compliant_instances: clamp(summary.non_compliant),
        total_instances: clamp(summary.total),
        critical_patches_missing: summary.critical_missing,
        security_patches_missing: summary.security_missing,
        oldest_result_age: summary
            .oldest_result_ms
            .map(|oldest| prost_types::Duration {
                seconds: (now_ms() - oldest).max(0) / 1000,
                nanos: 0,
            }),
    }
}

fn instance_message(row: instance_compliance::Model) -> v1::InstanceCompliance {
    v1::InstanceCompliance {
        company_id: row.company_id,
        snapshot_id: row.snapshot_id,
        instance_id: row.instance_id,
        name: row.name,
        platform_type: i32::from(row.platform_type),
        platform_name: row.platform_name,
        status: i32::from(row.status),
        installed: row.installed,
        installed_other: row.installed_other,
        installed_pending_reboot: row.installed_pending_reboot,
        installed_rejected: row.installed_rejected,
        missing: row.missing,
        failed: row.failed,
        not_applicable: row.not_applicable,
        critical_non_compliant: row.critical_non_compliant,
        security_non_compliant: row.security_non_compliant,
        other_non_compliant: row.other_non_compliant,
        operation: i32::from(row.operation),
        operation_start_time: row.operation_start_at.map(timestamp),
        operation_end_time: row.operation_end_at.map(timestamp),
        baseline_id: row.baseline_id,
        patch_group: row.patch_group,
    }
}

#[tonic::async_trait]
impl ComplianceService for ComplianceHandler {
    async fn sync_compliance(
        &self,
        request: Request<v1::SyncComplianceRequest>,
    ) -> Result<Response<v1::SyncComplianceResponse>, Status> {
        let operator = operator(&request)?;
        operator.require(Role::Technician)?;
        let body = request.into_inner();
        let store = &self.state.store;
        let companies = if body.company_id.is_empty() {
            store.companies_with_aws_roles(&operator.scope).await?
        } else {
            let company = store.get_company(&operator.scope, &body.company_id).await?;
            // One named company: say at once what is missing.
            crate::aws::CompanyRole::of(&company)?;
            vec![company]
        };
        let mut results = Vec::with_capacity(companies.len());
        // A company that fails does not stop the others; its result says why.
        for company in companies {
            let result = crate::service::compliance::sync::sync_company(store, &self.state.aws, &company).await;
            results.push(match result {
                Ok(snapshot) => v1::ComplianceSyncResult {
                    company_id: company.id.clone(),
                    ok: true,
                    error: String::new(),
                    snapshot_id: snapshot.id.clone(),
                    instance_count: snapshot.total_instances,
                    snapshot_time: Some(timestamp(snapshot.taken_at)),
                },
                Err(Error::FailedPrecondition(why)) if body.company_id.is_empty() => {
                    v1::ComplianceSyncResult {
                        company_id: company.id.clone(),
                        ok: false,
                        error: why,
                        ..Default::default()
                    }
                }
                Err(Error::Upstream(why)) if body.company_id.is_empty() => {
                    v1::ComplianceSyncResult {
                        company_id: company.id.clone(),
                        ok: false,
                        error: why,
                        ..Default::default()
                    }
                }
                Err(error) => return Err(error.into()),
            });
        }
        Ok(Response::new(v1::SyncComplianceResponse { results }))
    }

    async fn get_compliance_summary(
        &self,
        request: Request<v1::GetComplianceSummaryRequest>,
    ) -> Result<Response<v1::GetComplianceSummaryResponse>, Status> {
        let operator = operator(&request)?;
        let body = request.into_inner();
        let store = &self.state.store;
        let company_ids: Vec<String> = if body.company_id.is_empty() {
            let mut ids = Vec::new();
            let mut page_token = String::new();
            loop {
                let page = Page::new(500, &page_token)?;
                let (companies, next) = store.list_companies(&operator.scope, &page, "").await?;
                ids.extend(companies.into_iter().map(|company| company.id));
                if next.is_empty() {
                    break;
                }
                page_token = next;
            }
            ids
        } else {
            vec![body.company_id.clone()]
        };
        let mut overall = Summary::default();
        let mut companies = Vec::new();
        for company_id in company_ids {
            let Some(snapshot) = store
                .latest_compliance_snapshot(&operator.scope, &company_id)
                .await?
            else {
                if !body.company_id.is_empty() {
                    companies.push(summary_message(&company_id, None, &Summary::default()));
                }
                continue;
            };
            let summary = summary_of(&snapshot);
            overall.add(&summary);
            companies.push(summary_message(&company_id, Some(&snapshot), &summary));
        }
        Ok(Response::new(v1::GetComplianceSummaryResponse {
            overall: Some(summary_message("", None, &overall)),
            companies,
        }))
    }

    async fn list_instance_compliance(
        &self,
        request: Request<v1::ListInstanceComplianceRequest>,
    ) -> Result<Response<v1::ListInstanceComplianceResponse>, Status> {
        let operator = operator(&request)?;
        let body = request.into_inner();
        let company_id = required_id("company_id", &body.company_id)?;
        let page = Page::new(body.page_size, &body.page_token)?;
        let store = &self.state.store;
        let snapshot = if body.snapshot_id.is_empty() {
            store
                .latest_compliance_snapshot(&operator.scope, company_id)
                .await?
                .ok_or_else(|| {
                    Error::FailedPrecondition(format!(
                        "company {company_id} has no compliance data yet: run SyncCompliance"
                    ))
                })?
        } else {
            store
                .compliance_snapshot(&operator.scope, company_id, &body.snapshot_id)
                .await?
        };
        let status = match v1::ComplianceStatus::try_from(body.status) {
            Ok(v1::ComplianceStatus::Unspecified) => None,
            Ok(status) => Some(status as i16),
            Err(_) => return Err(Error::invalid("status", "unknown value").into()),
        };
        let (rows, next_page_token) = store
            .list_instance_compliance(&operator.scope, &snapshot, status, &page)
            .await?;
        Ok(Response::new(v1::ListInstanceComplianceResponse {
            instances: rows.into_iter().map(instance_message).collect(),
            next_page_token,
            snapshot_id: snapshot.id.clone(),
            snapshot_time: Some(timestamp(snapshot.taken_at)),
        }))
    }

    async fn get_compliance_trend(
        &self,
        request: Request<v1::GetComplianceTrendRequest>,
    ) -> Result<Response<v1::GetComplianceTrendResponse>, Status> {
        let operator = operator(&request)?;
        let body = request.into_inner();
        let company_id = required_id("company_id", &body.company_id)?;
        let end_ms = body
            .end_time
            .as_ref()
            .map(|t| timestamp_ms("end_time", t))
            .transpose()?
            .unwrap_or_else(|| now_ms() + 1);
        let start_ms = body
            .start_time
            .as_ref()
            .map(|t| timestamp_ms("start_time", t))
            .transpose()?
            .unwrap_or(end_ms - 30 * 24 * 3600 * 1000);
        if start_ms >= end_ms {
            return Err(Error::invalid("start_time", "must be before end_time").into());
        }
        let bucket_ms = body
            .bucket
            .as_ref()
            .map(|b| duration("bucket", b))
            .transpose()?
            .map(|b| i64::try_from(b.as_millis()).unwrap_or(i64::MAX))
            .filter(|ms| *ms > 0);
        let snapshots = self
            .state
            .store
            .compliance_snapshots_between(&operator.scope, company_id, start_ms, end_ms)
            .await?;
        // With a bucket, the last snapshot of each bucket stands for it.
        let mut points: Vec<(i64, &compliance_snapshot::Model)> = Vec::new();
        for snapshot in &snapshots {
            let key = bucket_ms.map_or(snapshot.taken_at, |bucket| {
                start_ms + (snapshot.taken_at - start_ms) / bucket * bucket
            });
            match points.last_mut() {
                Some((last_key, last)) if *last_key == key => *last = snapshot,
                _ => points.push((key, snapshot)),
            }
        }
        Ok(Response::new(v1::GetComplianceTrendResponse {
            points: points
                .into_iter()
                .map(|(key, snapshot)| {
                    let summary = summary_of(snapshot);
                    v1::CompliancePoint {
                        time: Some(timestamp(key)),
                        compliance_pct: summary.compliance_pct(),
                        compliant_instances: snapshot.compliant_instances,
                        total_instances: snapshot.total_instances,
                        critical_patches_missing: snapshot.critical_missing,
                    }
                })
                .collect(),
        }))
    }

    async fn export_compliance_dataset(
        &self,
        request: Request<v1::ExportComplianceDatasetRequest>,
    ) -> Result<Response<v1::ExportComplianceDatasetResponse>, Status> {
        let operator = operator(&request)?;
        operator.require(Role::Technician)?;
        let body = request.into_inner();
        // The export lands in the company's own account, through its role: one
        // company per call.
        let company_id = required_id("company_id", &body.company_id)?;
        let export = crate::service::compliance::export::ExportRequest::new(
            &body.s3_bucket,
            &body.s3_prefix,
            body.kpi_start_time
                .as_ref()
                .map(|t| timestamp_ms("kpi_start_time", t))
                .transpose()?,
            body.kpi_end_time
                .as_ref()
                .map(|t| timestamp_ms("kpi_end_time", t))
                .transpose()?,
            body.skip_quicksight,
        )?;
        let store = &self.state.store;
        let company = store.get_company(&operator.scope, company_id).await?;
        let done = crate::service::compliance::export::export_company(
            store,
            &self.state.aws,
            &operator.scope,
            &company,
            &export,
        )
        .await?;
        let dataset = |d: crate::service::compliance::export::ExportedDataset| v1::ExportedDataset {
            csv_key: d.csv_key,
            manifest_key: d.manifest_key,
            data_source_id: d.data_source_id,
            data_set_id: d.data_set_id,
            ingestion_id: d.ingestion_id,
            rows_written: d.rows_written,
        };
        Ok(Response::new(v1::ExportComplianceDatasetResponse {
            s3_bucket: done.bucket,
            snapshot: Some(dataset(done.snapshot)),
            scorecard: Some(dataset(done.scorecard)),
            export_time: Some(timestamp(done.export_ms)),
        }))
    }
}
