//! Patch compliance: the sync from Systems Manager ([`sync`]), the company
//! summaries, the instances of a snapshot, trends, the export to S3 and
//! QuickSight ([`export`]), and a snapshot's rows as CSV, which the export
//! writes to S3 and the report route serves. ComplianceService and the report
//! route call it; they only convert their messages to and from it.

pub mod export;
pub mod sync;

use crate::app::AppState;
use crate::auth::Operator;
use crate::domain::compliance::{COMPLIANCE_COLUMNS, Status, Summary, rfc3339};
use crate::domain::tenant::Role;
use crate::error::{Error, Result};
use crate::store::entity::{compliance_snapshot, instance_compliance};
use crate::store::{Page, Scope, Store, now_ms};

/// The default length of a trend's or a scorecard's range.
const DEFAULT_RANGE_MS: i64 = 30 * 24 * 3600 * 1000;

/// A stored snapshot: which, when, and what it counted.
#[derive(Debug, Clone)]
pub struct Snapshot {
    pub id: String,
    /// When it was taken (ms).
    pub taken_at: i64,
    pub summary: Summary,
}

impl From<&compliance_snapshot::Model> for Snapshot {
    fn from(snapshot: &compliance_snapshot::Model) -> Self {
        Self {
            id: snapshot.id.clone(),
            taken_at: snapshot.taken_at,
            summary: Summary {
                total: i64::from(snapshot.total_instances),
                compliant: i64::from(snapshot.compliant_instances),
                non_compliant: i64::from(snapshot.non_compliant_instances),
                critical_missing: snapshot.critical_missing,
                security_missing: snapshot.security_missing,
                oldest_result_ms: snapshot.oldest_result_at,
            },
        }
    }
}

/// One instance of a snapshot, as Systems Manager reported it (platform,
/// status and operation as their stored numbers).
#[derive(Debug, Clone)]
pub struct Instance {
    pub company_id: String,
    pub snapshot_id: String,
    /// Managed instance id.
    pub instance_id: String,
    /// Name (or computer name).
    pub name: String,
    /// Platform: 1 Linux, 2 Windows, 3 macOS, 0 unknown.
    pub platform_type: i16,
    pub platform_name: String,
    /// [`Status`] number.
    pub status: i16,
    pub installed: i32,
    /// Installed patches outside the baseline.
    pub installed_other: i32,
    /// Installed patches waiting for a reboot.
    pub installed_pending_reboot: i32,
    /// Installed patches the baseline rejects.
    pub installed_rejected: i32,
    pub missing: i32,
    pub failed: i32,
    /// Patches that do not apply.
    pub not_applicable: i32,
    /// Critical non-compliant patches.
    pub critical_non_compliant: i32,
    /// Security non-compliant patches.
    pub security_non_compliant: i32,
    /// Other non-compliant patches.
    pub other_non_compliant: i32,
    /// Last patch operation: 1 scan, 2 install, 0 none.
    pub operation: i16,
    /// When it started (ms).
    pub operation_start_at: Option<i64>,
    /// When it ended (ms).
    pub operation_end_at: Option<i64>,
    pub baseline_id: String,
    pub patch_group: String,
}

impl From<instance_compliance::Model> for Instance {
    fn from(row: instance_compliance::Model) -> Self {
        Self {
            company_id: row.company_id,
            snapshot_id: row.snapshot_id,
            instance_id: row.instance_id,
            name: row.name,
            platform_type: row.platform_type,
            platform_name: row.platform_name,
            status: row.status,
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
            operation: row.operation,
            operation_start_at: row.operation_start_at,
            operation_end_at: row.operation_end_at,
            baseline_id: row.baseline_id,
            patch_group: row.patch_group,
        }
    }
}

/// One company's sync: its new snapshot, or why it failed.
#[derive(Debug, Clone)]
pub struct CompanySync {
    pub company_id: String,
    /// The snapshot stored, or why the company could not be synced.
    pub result: std::result::Result<Snapshot, String>,
}

/// Syncs patch compliance from Systems Manager (technicians and admins):
/// the named company, whose failure is the answer, or every company with an
/// AWS role in the operator's scope, where a company that fails for its role
/// or its account says why in its result and does not stop the others.
pub async fn sync(
    state: &AppState,
    operator: &Operator,
    company_id: Option<&str>,
) -> Result<Vec<CompanySync>> {
    operator.require(Role::Technician)?;
    let store = &state.store;
    let companies = match company_id {
        None => store.companies_with_aws_roles(&operator.scope).await?,
        Some(company_id) => {
            let company = store.get_company(&operator.scope, company_id).await?;
            // One named company: say at once what is missing.
            crate::aws::CompanyRole::of(&company)?;
            vec![company]
        }
    };
    let mut results = Vec::with_capacity(companies.len());
    for company in companies {
        let result = match sync::sync_company(store, &state.aws, &company).await {
            Ok(snapshot) => Ok(Snapshot::from(&snapshot)),
            Err(Error::FailedPrecondition(why) | Error::Upstream(why)) if company_id.is_none() => {
                Err(why)
            }
            Err(error) => return Err(error),
        };
        results.push(CompanySync {
            company_id: company.id,
            result,
        });
    }
    Ok(results)
}

/// One company's latest snapshot, if it has one.
#[derive(Debug, Clone)]
pub struct CompanyCompliance {
    pub company_id: String,
    pub snapshot: Option<Snapshot>,
}

/// The compliance of the companies asked for.
#[derive(Debug, Clone, Default)]
pub struct Overview {
    /// The sum of the companies' latest snapshots.
    pub overall: Summary,
    /// The companies: without a name, those of the scope that have a
    /// snapshot; a named company also without one.
    pub companies: Vec<CompanyCompliance>,
}

/// The latest snapshot of the named company, or of every company in the
/// operator's scope, and their sum.
pub async fn overview(
    state: &AppState,
    operator: &Operator,
    company_id: Option<&str>,
) -> Result<Overview> {
    let store = &state.store;
    let company_ids: Vec<String> = match company_id {
        None => {
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
        }
        Some(company_id) => vec![company_id.to_owned()],
    };
    let mut overview = Overview::default();
    for id in company_ids {
        let snapshot = store
            .latest_compliance_snapshot(&operator.scope, &id)
            .await?
            .map(|snapshot| Snapshot::from(&snapshot));
        match &snapshot {
            Some(snapshot) => overview.overall.add(&snapshot.summary),
            // Over every company, one without data is left out.
            None if company_id.is_none() => continue,
            None => {}
        }
        overview.companies.push(CompanyCompliance {
            company_id: id,
            snapshot,
        });
    }
    Ok(overview)
}

/// The named snapshot of a company, or its latest (FAILED_PRECONDITION when
/// it has none yet).
async fn snapshot_of(
    store: &Store,
    scope: &Scope,
    company_id: &str,
    snapshot_id: Option<&str>,
) -> Result<compliance_snapshot::Model> {
    match snapshot_id {
        Some(snapshot_id) => Ok(store
            .compliance_snapshot(scope, company_id, snapshot_id)
            .await?),
        None => store
            .latest_compliance_snapshot(scope, company_id)
            .await?
            .ok_or_else(|| {
                Error::FailedPrecondition(format!(
                    "company {company_id} has no compliance data yet: run SyncCompliance"
                ))
            }),
    }
}

/// One page of a snapshot's instances.
#[derive(Debug, Clone)]
pub struct InstancePage {
    /// The snapshot they belong to.
    pub snapshot: Snapshot,
    pub instances: Vec<Instance>,
    /// Token of the next page; empty on the last.
    pub next_page_token: String,
}

/// A page of the instances of a company's named (or latest) snapshot, of
/// one status or all.
pub async fn instances(
    state: &AppState,
    operator: &Operator,
    company_id: &str,
    snapshot_id: Option<&str>,
    status: Option<Status>,
    page: &Page,
) -> Result<InstancePage> {
    let store = &state.store;
    let snapshot = snapshot_of(store, &operator.scope, company_id, snapshot_id).await?;
    let (rows, next_page_token) = store
        .list_instance_compliance(
            &operator.scope,
            &snapshot,
            status.map(|status| status as i16),
            page,
        )
        .await?;
    Ok(InstancePage {
        snapshot: Snapshot::from(&snapshot),
        instances: rows.into_iter().map(Instance::from).collect(),
        next_page_token,
    })
}

/// `[start, end)` from optional bounds: the end defaults to now, the start
/// to 30 days before the end (INVALID_ARGUMENT naming `start_field` unless
/// the start is before the end).
fn range_or_last_30_days(
    (start_field, start): (&str, Option<i64>),
    (end_field, end): (&str, Option<i64>),
) -> Result<(i64, i64)> {
    let end = end.unwrap_or_else(|| now_ms() + 1);
    let start = start.unwrap_or(end - DEFAULT_RANGE_MS);
    if start >= end {
        return Err(Error::invalid(
            start_field,
            format!("must be before {end_field}"),
        ));
    }
    Ok((start, end))
}

/// One point of a trend.
#[derive(Debug, Clone)]
pub struct TrendPoint {
    /// The snapshot's time, or the start of its bucket.
    pub time: i64,
    /// The snapshot that stands for it.
    pub snapshot: Snapshot,
}

/// A company's snapshots taken in `[start, end)` (by default the last 30
/// days), oldest first; with a `bucket`, the last snapshot of each bucket
/// stands for it.
pub async fn trend(
    state: &AppState,
    operator: &Operator,
    company_id: &str,
    (start, end): (Option<i64>, Option<i64>),
    bucket: Option<std::time::Duration>,
) -> Result<Vec<TrendPoint>> {
    let (start_ms, end_ms) = range_or_last_30_days(("start_time", start), ("end_time", end))?;
    let bucket_ms = bucket
        .map(|b| i64::try_from(b.as_millis()).unwrap_or(i64::MAX))
        .filter(|ms| *ms > 0);
    let snapshots = state
        .store
        .compliance_snapshots_between(&operator.scope, company_id, start_ms, end_ms)
        .await?;
    // With a bucket, the last snapshot of each bucket stands for it.
    let mut points: Vec<(i64, &compliance_snapshot::Model)> = Vec::new();
    for snapshot in &snapshots {
        let time = bucket_ms.map_or(snapshot.taken_at, |bucket| {
            start_ms + (snapshot.taken_at - start_ms) / bucket * bucket
        });
        match points.last_mut() {
            Some((last_time, last)) if *last_time == time => *last = snapshot,
            _ => points.push((time, snapshot)),
        }
    }
    Ok(points
        .into_iter()
        .map(|(time, snapshot)| TrendPoint {
            time,
            snapshot: Snapshot::from(snapshot),
        })
        .collect())
}

/// Exports a company's latest snapshot and its scorecard to S3 and (unless
/// skipped) QuickSight, in the company's account through its role
/// (technicians and admins; one company per call).
pub async fn export_dataset(
    state: &AppState,
    operator: &Operator,
    company_id: &str,
    request: &export::ExportRequest,
) -> Result<export::Export> {
    operator.require(Role::Technician)?;
    let store = &state.store;
    let company = store.get_company(&operator.scope, company_id).await?;
    export::export_company(store, &state.aws, &operator.scope, &company, request).await
}

/// A snapshot's rows as a CSV file.
#[derive(Debug, Clone)]
pub struct SnapshotCsv {
    pub snapshot_id: String,
    /// The CSV, with a header row.
    pub body: Vec<u8>,
}

/// The CSV of a company's named (or latest) snapshot: the report download.
pub async fn snapshot_csv(
    state: &AppState,
    operator: &Operator,
    company_id: &str,
    snapshot_id: Option<&str>,
) -> Result<SnapshotCsv> {
    let store = &state.store;
    let snapshot = snapshot_of(store, &operator.scope, company_id, snapshot_id).await?;
    let (body, _) = compliance_snapshot_csv(store, &operator.scope, &snapshot).await?;
    Ok(SnapshotCsv {
        snapshot_id: snapshot.id,
        body,
    })
}

fn csv_error(error: impl std::fmt::Display) -> Error {
    Error::Internal(format!("csv: {error}"))
}

/// A snapshot's instance rows as CSV with a header row, read page by page
/// within `scope`; answers the bytes and the number of data rows.
async fn compliance_snapshot_csv(
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
