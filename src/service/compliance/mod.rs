//! Patch compliance: the sync from Systems Manager ([`sync`]), the export to
//! S3 and QuickSight ([`export`]), and a snapshot's rows as CSV, which the
//! export writes to S3 and the report route serves.

pub mod export;
pub mod sync;

use crate::domain::compliance::{COMPLIANCE_COLUMNS, rfc3339};
use crate::error::{Error, Result};
use crate::store::entity::compliance_snapshot;
use crate::store::{Page, Scope, Store};

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
