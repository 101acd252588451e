//! ComplianceService: converts its messages to and from
//! [`crate::service::compliance`] (sync from Systems Manager, summaries,
//! per-instance detail, trends, and the export to S3 and QuickSight). The
//! export checks the caller's role before it converts the request, so that a
//! viewer is refused for its role whatever it sent; the service checks it
//! again, for every transport.

use tonic::{Request, Response, Status};

use super::convert::{duration, required_id, timestamp, timestamp_ms};
use super::operator;
use crate::app::AppState;
use crate::domain::compliance::{Status as InstanceStatus, Summary};
use crate::domain::tenant::Role;
use crate::error::{Error, Result};
use crate::proto::v1::{self, compliance_service_server::ComplianceService};
use crate::service::compliance::export::{Export, ExportRequest, ExportedDataset};
use crate::service::compliance::{
    self, CompanyCompliance, CompanySync, Instance, InstancePage, Snapshot, TrendPoint,
};
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

fn count(value: i64) -> i32 {
    i32::try_from(value).unwrap_or(i32::MAX)
}

fn summary_message(
    company_id: String,
    snapshot: Option<&Snapshot>,
    summary: &Summary,
) -> v1::ComplianceSummary {
    v1::ComplianceSummary {
        company_id,
        snapshot_id: snapshot.map(|s| s.id.clone()).unwrap_or_default(),
        snapshot_time: snapshot.map(|s| timestamp(s.taken_at)),
        compliance_pct: summary.compliance_pct(),
        compliant_instances: count(summary.compliant),
        non_compliant_instances: count(summary.non_compliant),
        total_instances: count(summary.total),
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

impl From<CompanyCompliance> for v1::ComplianceSummary {
    fn from(company: CompanyCompliance) -> Self {
        let summary = company
            .snapshot
            .as_ref()
            .map(|snapshot| snapshot.summary)
            .unwrap_or_default();
        summary_message(company.company_id, company.snapshot.as_ref(), &summary)
    }
}

impl From<CompanySync> for v1::ComplianceSyncResult {
    fn from(sync: CompanySync) -> Self {
        match sync.result {
            Ok(snapshot) => Self {
                company_id: sync.company_id,
                ok: true,
                error: String::new(),
                instance_count: count(snapshot.summary.total),
                snapshot_time: Some(timestamp(snapshot.taken_at)),
                snapshot_id: snapshot.id,
            },
            Err(error) => Self {
                company_id: sync.company_id,
                ok: false,
                error,
                ..Default::default()
            },
        }
    }
}

impl From<Instance> for v1::InstanceCompliance {
    fn from(instance: Instance) -> Self {
        Self {
            company_id: instance.company_id,
            snapshot_id: instance.snapshot_id,
            instance_id: instance.instance_id,
            name: instance.name,
            platform_type: i32::from(instance.platform_type),
            platform_name: instance.platform_name,
            status: i32::from(instance.status),
            installed: instance.installed,
            installed_other: instance.installed_other,
            installed_pending_reboot: instance.installed_pending_reboot,
            installed_rejected: instance.installed_rejected,
            missing: instance.missing,
            failed: instance.failed,
            not_applicable: instance.not_applicable,
            critical_non_compliant: instance.critical_non_compliant,
            security_non_compliant: instance.security_non_compliant,
            other_non_compliant: instance.other_non_compliant,
            operation: i32::from(instance.operation),
            operation_start_time: instance.operation_start_at.map(timestamp),
            operation_end_time: instance.operation_end_at.map(timestamp),
            baseline_id: instance.baseline_id,
            patch_group: instance.patch_group,
        }
    }
}

impl From<TrendPoint> for v1::CompliancePoint {
    fn from(point: TrendPoint) -> Self {
        let summary = &point.snapshot.summary;
        Self {
            time: Some(timestamp(point.time)),
            compliance_pct: summary.compliance_pct(),
            compliant_instances: count(summary.compliant),
            total_instances: count(summary.total),
            critical_patches_missing: summary.critical_missing,
        }
    }
}

impl From<ExportedDataset> for v1::ExportedDataset {
    fn from(dataset: ExportedDataset) -> Self {
        Self {
            csv_key: dataset.csv_key,
            manifest_key: dataset.manifest_key,
            data_source_id: dataset.data_source_id,
            data_set_id: dataset.data_set_id,
            ingestion_id: dataset.ingestion_id,
            rows_written: dataset.rows_written,
        }
    }
}

/// An id that may be left empty (every company in scope, the latest snapshot).
fn optional(id: &str) -> Option<&str> {
    (!id.is_empty()).then_some(id)
}

#[tonic::async_trait]
impl ComplianceService for ComplianceHandler {
    async fn sync_compliance(
        &self,
        request: Request<v1::SyncComplianceRequest>,
    ) -> Result<Response<v1::SyncComplianceResponse>, Status> {
        let operator = operator(&request)?;
        let body = request.into_inner();
        let results = compliance::sync(&self.state, &operator, optional(&body.company_id)).await?;
        Ok(Response::new(v1::SyncComplianceResponse {
            results: results.into_iter().map(Into::into).collect(),
        }))
    }

    async fn get_compliance_summary(
        &self,
        request: Request<v1::GetComplianceSummaryRequest>,
    ) -> Result<Response<v1::GetComplianceSummaryResponse>, Status> {
        let operator = operator(&request)?;
        let body = request.into_inner();
        let overview =
            compliance::overview(&self.state, &operator, optional(&body.company_id)).await?;
        Ok(Response::new(v1::GetComplianceSummaryResponse {
            overall: Some(summary_message(String::new(), None, &overview.overall)),
            companies: overview.companies.into_iter().map(Into::into).collect(),
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
        let status = match v1::ComplianceStatus::try_from(body.status) {
            Ok(v1::ComplianceStatus::Unspecified) => None,
            Ok(v1::ComplianceStatus::Compliant) => Some(InstanceStatus::Compliant),
            Ok(v1::ComplianceStatus::NonCompliant) => Some(InstanceStatus::NonCompliant),
            Ok(v1::ComplianceStatus::NoData) => Some(InstanceStatus::NoData),
            Err(_) => return Err(Error::invalid("status", "unknown value").into()),
        };
        let InstancePage {
            snapshot,
            instances,
            next_page_token,
        } = compliance::instances(
            &self.state,
            &operator,
            company_id,
            optional(&body.snapshot_id),
            status,
            &page,
        )
        .await?;
        Ok(Response::new(v1::ListInstanceComplianceResponse {
            instances: instances.into_iter().map(Into::into).collect(),
            next_page_token,
            snapshot_id: snapshot.id,
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
        let end = body
            .end_time
            .as_ref()
            .map(|t| timestamp_ms("end_time", t))
            .transpose()?;
        let start = body
            .start_time
            .as_ref()
            .map(|t| timestamp_ms("start_time", t))
            .transpose()?;
        let bucket = body
            .bucket
            .as_ref()
            .map(|b| duration("bucket", b))
            .transpose()?;
        let points =
            compliance::trend(&self.state, &operator, company_id, (start, end), bucket).await?;
        Ok(Response::new(v1::GetComplianceTrendResponse {
            points: points.into_iter().map(Into::into).collect(),
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
        let export = ExportRequest::new(
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
        let Export {
            bucket,
            snapshot,
            scorecard,
            export_ms,
        } = compliance::export_dataset(&self.state, &operator, company_id, &export).await?;
        Ok(Response::new(v1::ExportComplianceDatasetResponse {
            s3_bucket: bucket,
            snapshot: Some(snapshot.into()),
            scorecard: Some(scorecard.into()),
            export_time: Some(timestamp(export_ms)),
        }))
    }
}
