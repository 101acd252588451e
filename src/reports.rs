//! Reports over plain HTTP for MSPs without QuickSight: the patch compliance
//! of a company's latest (or a named) snapshot as CSV.

use axum::Router;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;

use crate::error::{Error, Result};
use crate::grpc::AppState;
use crate::store::Page;

/// The report routes.
pub(crate) fn routes(state: AppState) -> Router {
    Router::new()
        .route("/api/reports/compliance.csv", get(compliance_csv))
        .with_state(state)
}

#[derive(Debug, Deserialize)]
struct ComplianceQuery {
    company_id: String,
    #[serde(default)]
    snapshot_id: String,
}

/// The CSV columns, documented in docs/reports.md.
const COLUMNS: [&str; 22] = [
    "company_id",
    "snapshot_id",
    "snapshot_time",
    "instance_id",
    "name",
    "platform_type",
    "platform_name",
    "status",
    "installed",
    "installed_other",
    "installed_pending_reboot",
    "installed_rejected",
    "missing",
    "failed",
    "not_applicable",
    "critical_non_compliant",
    "security_non_compliant",
    "other_non_compliant",
    "operation",
    "operation_end_time",
    "baseline_id",
    "patch_group",
];

fn rfc3339(ms: i64) -> String {
    crate::grpc::convert::timestamp(ms).to_string()
}

async fn compliance_csv(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<ComplianceQuery>,
) -> Result<Response> {
    let operator = crate::grpc::auth::operator(&state, &headers).await?;
    if query.company_id.trim().is_empty() {
        return Err(Error::invalid("company_id", "is required"));
    }
    let store = &state.store;
    let snapshot = if query.snapshot_id.is_empty() {
        store
            .latest_compliance_snapshot(&operator.scope, &query.company_id)
            .await?
            .ok_or_else(|| {
                Error::FailedPrecondition(format!(
                    "company {} has no compliance data yet: run SyncCompliance",
                    query.company_id
                ))
            })?
    } else {
        store
            .compliance_snapshot(&operator.scope, &query.company_id, &query.snapshot_id)
            .await?
    };
    let mut writer = csv::Writer::from_writer(Vec::new());
    let csv_error = |error: csv::Error| Error::Internal(format!("csv: {error}"));
    writer.write_record(COLUMNS).map_err(csv_error)?;
    let mut page_token = String::new();
    loop {
        let page = Page::new(500, &page_token)?;
        let (rows, next) = store
            .list_instance_compliance(&operator.scope, &snapshot, None, &page)
            .await?;
        for row in rows {
            let status = match row.status {
                1 => "COMPLIANT",
                2 => "NON_COMPLIANT",
                _ => "NO_DATA",
            };
            let platform = match row.platform_type {
                1 => "LINUX",
                2 => "WINDOWS",
                3 => "MACOS",
                _ => "",
            };
            let operation = match row.operation {
                1 => "SCAN",
                2 => "INSTALL",
                _ => "",
            };
            writer
                .write_record([
                    row.company_id.clone(),
                    row.snapshot_id.clone(),
                    rfc3339(snapshot.taken_at),
                    row.instance_id,
                    row.name,
                    platform.to_owned(),
                    row.platform_name,
                    status.to_owned(),
                    row.installed.to_string(),
                    row.installed_other.to_string(),
                    row.installed_pending_reboot.to_string(),
                    row.installed_rejected.to_string(),
                    row.missing.to_string(),
                    row.failed.to_string(),
                    row.not_applicable.to_string(),
                    row.critical_non_compliant.to_string(),
                    row.security_non_compliant.to_string(),
                    row.other_non_compliant.to_string(),
                    operation.to_owned(),
                    row.operation_end_at.map(rfc3339).unwrap_or_default(),
                    row.baseline_id,
                    row.patch_group,
                ])
                .map_err(csv_error)?;
        }
        if next.is_empty() {
            break;
        }
        page_token = next;
    }
    let body = writer
        .into_inner()
        .map_err(|error| Error::Internal(format!("csv: {error}")))?;
    Ok((
        [
            (
                http::header::CONTENT_TYPE,
                "text/csv; charset=utf-8".to_owned(),
            ),
            (
                http::header::CONTENT_DISPOSITION,
                format!(
                    "attachment; filename=\"compliance-{}-{}.csv\"",
                    query.company_id, snapshot.id
                ),
            ),
        ],
        body,
    )
        .into_response())
}
