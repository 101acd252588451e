//! Reports over plain HTTP for MSPs without QuickSight: the patch compliance
//! of a company's latest (or a named) snapshot as CSV. The same CSV (one
//! column list, one writer) is what the QuickSight export writes to S3.

use axum::Router;
use axum::extract::State;

use crate::extract::Query;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;

use crate::error::{Error, Result};
use crate::grpc::AppState;
use crate::store::entity::compliance_snapshot;
use crate::store::{Page, Scope, Store};

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

/// How a CSV column is typed when QuickSight reads it (documented in
/// docs/reports.md and docs/quicksight.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CsvType {
    /// Text.
    String,
    /// A whole number.
    Integer,
    /// A decimal number.
    Decimal,
    /// An RFC 3339 time (UTC, `Z`).
    DateTime,
}

/// The compliance CSV's columns and their types, documented in docs/reports.md.
/// The HTTP report and the QuickSight export both write them.
pub const COMPLIANCE_COLUMNS: [(&str, CsvType); 22] = [
    ("company_id", CsvType::String),
    ("snapshot_id", CsvType::String),
    ("snapshot_time", CsvType::DateTime),
    ("instance_id", CsvType::String),
    ("name", CsvType::String),
    ("platform_type", CsvType::String),
    ("platform_name", CsvType::String),
    ("status", CsvType::String),
    ("installed", CsvType::Integer),
    ("installed_other", CsvType::Integer),
    ("installed_pending_reboot", CsvType::Integer),
    ("installed_rejected", CsvType::Integer),
    ("missing", CsvType::Integer),
    ("failed", CsvType::Integer),
    ("not_applicable", CsvType::Integer),
    ("critical_non_compliant", CsvType::Integer),
    ("security_non_compliant", CsvType::Integer),
    ("other_non_compliant", CsvType::Integer),
    ("operation", CsvType::String),
    ("operation_end_time", CsvType::DateTime),
    ("baseline_id", CsvType::String),
    ("patch_group", CsvType::String),
];

/// A time as the CSVs write it: RFC 3339 in UTC.
pub fn rfc3339(ms: i64) -> String {
    crate::grpc::convert::timestamp(ms).to_string()
}

fn csv_error(error: impl std::fmt::Display) -> Error {
    Error::Internal(format!("csv: {error}"))
}

/// A snapshot's instance rows as CSV with a header row, read page by page
/// within `scope`; answers the bytes and the number of data rows.
pub async fn compliance_snapshot_csv(
    store: &Store,
    scope: &Scope,
    snapshot: &compliance_snapshot::Model,
) -> Result<(Vec<u8>, i64)> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer
        .write_record(COMPLIANCE_COLUMNS.map(|(name, _)| name))
        .map_err(csv_error)?;
    let mut written = 0_i64;
    let mut page_token = String::new();
    loop {
        let page = Page::new(500, &page_token)?;
        let (rows, next) = store
            .list_instance_compliance(scope, snapshot, None, &page)
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
            written += 1;
        }
        if next.is_empty() {
            break;
        }
        page_token = next;
    }
    let body = writer.into_inner().map_err(csv_error)?;
    Ok((body, written))
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
    let (body, _) = compliance_snapshot_csv(store, &operator.scope, &snapshot).await?;
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
