//! The export for QuickSight: the latest snapshot's rows and a KPI scorecard
//! as CSV on S3 with QuickSight manifests, data sources, data sets and
//! ingestions, in the company's account through the company's role.

use aws_sdk_s3::error::ProvideErrorMetadata;

use super::{Snapshot, compliance_snapshot_csv, csv_error, range_or_last_30_days, snapshot_of};
use crate::aws::{Aws, CompanyRole, aws_error};
use crate::domain::compliance::{COMPLIANCE_COLUMNS, CsvType, rfc3339};
use crate::error::{Error, Result};
use crate::store::entity::company;
use crate::store::{Scope, Store, now_ms};

/// The scorecard CSV's columns and their types, documented in docs/quicksight.md.
pub const SCORECARD_COLUMNS: [(&str, CsvType); 23] = [
    ("company_id", CsvType::String),
    ("company_name", CsvType::String),
    ("kpi_start_time", CsvType::DateTime),
    ("kpi_end_time", CsvType::DateTime),
    ("raw_alert_count", CsvType::Integer),
    ("incident_count", CsvType::Integer),
    ("noise_reduction_pct", CsvType::Decimal),
    ("mtta_seconds", CsvType::Decimal),
    ("mttr_seconds", CsvType::Decimal),
    ("acknowledged_count", CsvType::Integer),
    ("resolved_count", CsvType::Integer),
    ("open_count", CsvType::Integer),
    ("self_healed_count", CsvType::Integer),
    ("self_healed_pct", CsvType::Decimal),
    ("compliance_pct", CsvType::Decimal),
    ("compliant_instances", CsvType::Integer),
    ("non_compliant_instances", CsvType::Integer),
    ("total_instances", CsvType::Integer),
    ("critical_patches_missing", CsvType::Integer),
    ("security_patches_missing", CsvType::Integer),
    ("snapshot_id", CsvType::String),
    ("snapshot_time", CsvType::DateTime),
    ("export_time", CsvType::DateTime),
];

/// The key prefix used when the request names none.
pub const DEFAULT_EXPORT_PREFIX: &str = "alert-whisperer/";

/// What to export, checked.
#[derive(Debug, Clone)]
pub struct ExportRequest {
    /// Bucket in the company's account.
    pub bucket: String,
    /// Key prefix (may be empty or end without `/`).
    pub prefix: String,
    /// Start of the scorecard's KPI range (inclusive, ms).
    pub kpi_start_ms: i64,
    /// End of that range (exclusive, ms).
    pub kpi_end_ms: i64,
    /// Write the S3 objects only.
    pub skip_quicksight: bool,
}

impl ExportRequest {
    /// Checks the fields: INVALID_ARGUMENT naming the field that is wrong.
    pub fn new(
        bucket: &str,
        prefix: &str,
        kpi_start_ms: Option<i64>,
        kpi_end_ms: Option<i64>,
        skip_quicksight: bool,
    ) -> Result<Self> {
        if bucket.is_empty() {
            return Err(Error::invalid(
                "s3_bucket",
                "is required (this server has no export bucket of its own)",
            ));
        }
        let bucket_ok = (3..=63).contains(&bucket.len())
            && bucket
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-')
            && bucket.as_bytes()[0].is_ascii_alphanumeric()
            && bucket.as_bytes()[bucket.len() - 1].is_ascii_alphanumeric();
        if !bucket_ok {
            return Err(Error::invalid(
                "s3_bucket",
                format!(
                    "{bucket:?} is not an S3 bucket name (3 to 63 lowercase letters, digits, dots and hyphens)"
                ),
            ));
        }
        let prefix = if prefix.is_empty() {
            DEFAULT_EXPORT_PREFIX
        } else {
            prefix
        };
        if prefix.starts_with('/')
            || prefix.len() > 512
            || prefix.chars().any(char::is_control)
            || prefix.split('/').any(|part| part == "..")
        {
            return Err(Error::invalid(
                "s3_prefix",
                "must not start with '/', hold '..' segments or control characters, or exceed 512 bytes",
            ));
        }
        let (kpi_start_ms, kpi_end_ms) = range_or_last_30_days(
            ("kpi_start_time", kpi_start_ms),
            ("kpi_end_time", kpi_end_ms),
        )?;
        Ok(Self {
            bucket: bucket.to_owned(),
            prefix: prefix.to_owned(),
            kpi_start_ms,
            kpi_end_ms,
            skip_quicksight,
        })
    }
}

/// One CSV written with its manifest and (unless skipped) its QuickSight objects.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExportedDataset {
    /// Key of the CSV.
    pub csv_key: String,
    /// Key of its QuickSight manifest.
    pub manifest_key: String,
    /// QuickSight data source id; empty when QuickSight was skipped.
    pub data_source_id: String,
    /// QuickSight data set id; empty when skipped.
    pub data_set_id: String,
    /// QuickSight ingestion id; empty when skipped.
    pub ingestion_id: String,
    /// Data rows written.
    pub rows_written: i64,
}

/// The outcome of one export.
#[derive(Debug, Clone)]
pub struct Export {
    /// Bucket written to.
    pub bucket: String,
    pub snapshot: ExportedDataset,
    pub scorecard: ExportedDataset,
    /// When the export was made (ms).
    pub export_ms: i64,
}

/// One dataset to write: what is fixed per company and kind.
struct DatasetSpec<'a> {
    /// `compliance-snapshot` or `scorecard`: the object names, the ids' suffix
    /// and the physical/logical table id.
    kind: &'static str,
    /// Human name of the QuickSight objects.
    title: &'static str,
    columns: &'a [(&'a str, CsvType)],
    csv: Vec<u8>,
    rows: i64,
}

fn decimal(value: f64) -> String {
    let text = format!("{value:.4}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text.is_empty() || text == "-" {
        "0".to_owned()
    } else {
        text.to_owned()
    }
}

fn seconds(ms: Option<i64>) -> String {
    // KPI means in ms are far below 2^52: exact as f64.
    #[allow(clippy::cast_precision_loss)]
    ms.map(|ms| decimal(ms as f64 / 1000.0)).unwrap_or_default()
}

/// The scorecard CSV of one company: a header and one row.
fn scorecard_csv(
    company: &company::Model,
    kpis: &crate::domain::incident::Kpis,
    snapshot: &Snapshot,
    request: &ExportRequest,
    export_ms: i64,
) -> Result<Vec<u8>> {
    let summary = &snapshot.summary;
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer
        .write_record(SCORECARD_COLUMNS.map(|(name, _)| name))
        .map_err(csv_error)?;
    writer
        .write_record([
            company.id.clone(),
            company.name.clone(),
            rfc3339(request.kpi_start_ms),
            rfc3339(request.kpi_end_ms),
            kpis.raw_alert_count.to_string(),
            kpis.incident_count.to_string(),
            decimal(kpis.noise_reduction_pct),
            seconds(kpis.mtta_ms),
            seconds(kpis.mttr_ms),
            kpis.acknowledged_count.to_string(),
            kpis.resolved_count.to_string(),
            kpis.open_count.to_string(),
            kpis.self_healed_count.to_string(),
            decimal(kpis.self_healed_pct),
            decimal(summary.compliance_pct()),
            summary.compliant.to_string(),
            summary.non_compliant.to_string(),
            summary.total.to_string(),
            summary.critical_missing.to_string(),
            summary.security_missing.to_string(),
            snapshot.id.clone(),
            rfc3339(snapshot.taken_at),
            rfc3339(export_ms),
        ])
        .map_err(csv_error)?;
    writer.into_inner().map_err(csv_error)
}

/// The QuickSight S3 manifest naming one CSV (QuickSight's own manifest format).
pub fn quicksight_manifest(bucket: &str, csv_key: &str) -> serde_json::Value {
    serde_json::json!({
        "fileLocations": [{ "URIs": [format!("s3://{bucket}/{csv_key}")] }],
        "globalUploadSettings": {
            "format": "CSV",
            "delimiter": ",",
            "textqualifier": "\"",
            "containsHeader": "true"
        }
    })
}

/// The deterministic id of a company's QuickSight data source and data set of
/// one kind, so that exporting again updates them.
pub fn quicksight_id(company_id: &str, kind: &str) -> String {
    format!("aw-compliance-{company_id}-{kind}")
}

async fn put_object(
    s3: &aws_sdk_s3::Client,
    role: &CompanyRole,
    bucket: &str,
    key: &str,
    body: Vec<u8>,
    content_type: &str,
) -> Result<()> {
    let result = s3
        .put_object()
        .bucket(bucket)
        .key(key)
        .content_type(content_type)
        .body(aws_sdk_s3::primitives::ByteStream::from(body))
        .send()
        .await;
    match result {
        Ok(_) => Ok(()),
        Err(error) if error.code() == Some("NoSuchBucket") => {
            Err(Error::FailedPrecondition(format!(
                "the S3 bucket {bucket} does not exist in the account of company {}'s role {}: create it or name another in s3_bucket",
                role.company_id, role.role_arn
            )))
        }
        Err(error) => Err(aws_error("s3:PutObject", role, error)),
    }
}

fn build_error(error: impl std::fmt::Display) -> Error {
    Error::Internal(format!("QuickSight request: {error}"))
}

/// Creates or updates a data source and a data set over one manifest, then
/// starts an ingestion; answers (data source id, data set id, ingestion id).
///
/// The column casts use the data set's LogicalTableMap, which SDK 1.141 marks
/// deprecated ("only used in the legacy data preparation experience") in
/// favour of the new DataPrepConfiguration pipeline; the API still accepts it.
#[allow(deprecated)]
async fn publish_to_quicksight(
    quicksight: &aws_sdk_quicksight::Client,
    role: &CompanyRole,
    company: &company::Model,
    bucket: &str,
    dataset: &DatasetSpec<'_>,
    manifest_key: &str,
) -> Result<(String, String, String)> {
    use aws_sdk_quicksight::types::{
        CastColumnTypeOperation, ColumnDataType, DataSetImportMode, DataSourceParameters,
        DataSourceType, FileFormat, IngestionType, InputColumn, InputColumnDataType, LogicalTable,
        LogicalTableSource, ManifestFileLocation, PhysicalTable, S3Parameters, S3Source,
        TextQualifier, TransformOperation, UploadSettings,
    };

    let (partition, account) = role.partition_and_account()?;
    let id = quicksight_id(&company.id, dataset.kind);
    // QuickSight names are at most 128 characters.
    let name: String = format!("Alert Whisperer {} - {}", dataset.title, company.name)
        .chars()
        .take(128)
        .collect();
    let exists = |code: Option<&str>| code == Some("ResourceExistsException");

    let parameters = DataSourceParameters::S3Parameters(
        S3Parameters::builder()
            .manifest_file_location(
                ManifestFileLocation::builder()
                    .bucket(bucket)
                    .key(manifest_key)
                    .build()
                    .map_err(build_error)?,
            )
            .build(),
    );
    let created = quicksight
        .create_data_source()
        .aws_account_id(&account)
        .data_source_id(&id)
        .name(&name)
        .r#type(DataSourceType::S3)
        .data_source_parameters(parameters.clone())
        .send()
        .await;
    let data_source_arn = match created {
        Ok(output) => output.arn().map(str::to_owned),
        Err(error) if exists(error.code()) => quicksight
            .update_data_source()
            .aws_account_id(&account)
            .data_source_id(&id)
            .name(&name)
            .data_source_parameters(parameters)
            .send()
            .await
            .map_err(|error| aws_error("quicksight:UpdateDataSource", role, error))?
            .arn()
            .map(str::to_owned),
        Err(error) => return Err(aws_error("quicksight:CreateDataSource", role, error)),
    };
    let region = quicksight
        .config()
        .region()
        .map(ToString::to_string)
        .unwrap_or_default();
    let data_source_arn = data_source_arn.unwrap_or_else(|| {
        format!("arn:{partition}:quicksight:{region}:{account}:datasource/{id}")
    });

    // S3 sources take every input column as STRING; the logical table casts
    // them to their types.
    let mut inputs = Vec::with_capacity(dataset.columns.len());
    let mut casts = Vec::new();
    for (column, kind) in dataset.columns {
        inputs.push(
            InputColumn::builder()
                .name(*column)
                .r#type(InputColumnDataType::String)
                .build()
                .map_err(build_error)?,
        );
        let cast_to = match kind {
            CsvType::String => continue,
            CsvType::Integer => ColumnDataType::Integer,
            CsvType::Decimal => ColumnDataType::Decimal,
            CsvType::DateTime => ColumnDataType::Datetime,
        };
        casts.push(TransformOperation::CastColumnTypeOperation(
            CastColumnTypeOperation::builder()
                .column_name(*column)
                .new_column_type(cast_to)
                .build()
                .map_err(build_error)?,
        ));
    }
    let physical = PhysicalTable::S3Source(
        S3Source::builder()
            .data_source_arn(&data_source_arn)
            .upload_settings(
                UploadSettings::builder()
                    .format(FileFormat::Csv)
                    .start_from_row(1)
                    .contains_header(true)
                    .text_qualifier(TextQualifier::DoubleQuote)
                    .delimiter(",")
                    .build(),
            )
            .set_input_columns(Some(inputs))
            .build()
            .map_err(build_error)?,
    );
    let logical = LogicalTable::builder()
        .alias(dataset.kind)
        .source(
            LogicalTableSource::builder()
                .physical_table_id(dataset.kind)
                .build(),
        )
        .set_data_transforms((!casts.is_empty()).then_some(casts))
        .build()
        .map_err(build_error)?;
    let created = quicksight
        .create_data_set()
        .aws_account_id(&account)
        .data_set_id(&id)
        .name(&name)
        .import_mode(DataSetImportMode::Spice)
        .physical_table_map(dataset.kind, physical.clone())
        .logical_table_map(dataset.kind, logical.clone())
        .send()
        .await;
    let started_by_data_set = match created {
        Ok(output) => output.ingestion_id().map(str::to_owned),
        Err(error) if exists(error.code()) => quicksight
            .update_data_set()
            .aws_account_id(&account)
            .data_set_id(&id)
            .name(&name)
            .import_mode(DataSetImportMode::Spice)
            .physical_table_map(dataset.kind, physical)
            .logical_table_map(dataset.kind, logical)
            .send()
            .await
            .map_err(|error| aws_error("quicksight:UpdateDataSet", role, error))?
            .ingestion_id()
            .map(str::to_owned),
        Err(error) => return Err(aws_error("quicksight:CreateDataSet", role, error)),
    };

    let ingestion_id = format!("aw-{}", uuid::Uuid::now_v7());
    let started = quicksight
        .create_ingestion()
        .aws_account_id(&account)
        .data_set_id(&id)
        .ingestion_id(&ingestion_id)
        .ingestion_type(IngestionType::FullRefresh)
        .send()
        .await;
    let ingestion_id = match started {
        Ok(output) => output.ingestion_id().unwrap_or(&ingestion_id).to_owned(),
        // A SPICE data set that QuickSight refreshes on its own when created or
        // updated may refuse a second concurrent ingestion: that refresh reads
        // the same, freshly written, CSV.
        Err(error)
            if started_by_data_set.is_some()
                && matches!(
                    error.code(),
                    Some(
                        "LimitExceededException" | "ConflictException" | "ResourceExistsException"
                    )
                ) =>
        {
            started_by_data_set.unwrap_or_default()
        }
        Err(error) => return Err(aws_error("quicksight:CreateIngestion", role, error)),
    };
    Ok((id.clone(), id, ingestion_id))
}

/// Exports one company: writes the latest snapshot's rows and the scorecard
/// as CSV with their QuickSight manifests to S3 and, unless skipped, creates or
/// updates their QuickSight data sources and data sets and starts ingestions;
/// all in the company's account, through its role.
pub async fn export_company(
    store: &Store,
    aws: &Aws,
    scope: &Scope,
    company: &company::Model,
    request: &ExportRequest,
) -> Result<Export> {
    let role = CompanyRole::of(company)?;
    role.partition_and_account()?;
    // Without AWS on the server this says so, before anything is read.
    let s3 = aws.s3(&role).await?;
    let snapshot = snapshot_of(store, scope, &company.id, None).await?;
    let export_ms = now_ms();
    let (snapshot_csv, snapshot_rows) = compliance_snapshot_csv(store, scope, &snapshot).await?;
    let sums = store
        .kpi_sums(
            scope,
            std::slice::from_ref(&company.id),
            request.kpi_start_ms,
            request.kpi_end_ms,
        )
        .await?;
    let kpis = sums
        .get(&company.id)
        .cloned()
        .unwrap_or_default()
        .kpis(&company.id);
    let scorecard = scorecard_csv(
        company,
        &kpis,
        &Snapshot::from(&snapshot),
        request,
        export_ms,
    )?;

    let datasets = [
        DatasetSpec {
            kind: "compliance-snapshot",
            title: "compliance snapshot",
            columns: &COMPLIANCE_COLUMNS,
            csv: snapshot_csv,
            rows: snapshot_rows,
        },
        DatasetSpec {
            kind: "scorecard",
            title: "scorecard",
            columns: &SCORECARD_COLUMNS,
            csv: scorecard,
            rows: 1,
        },
    ];
    let quicksight = if request.skip_quicksight {
        None
    } else {
        Some(aws.quicksight(&role).await?)
    };
    let mut exported = Vec::with_capacity(datasets.len());
    for dataset in &datasets {
        let base = format!("{}{}/{}", request.prefix, company.id, dataset.kind);
        let csv_key = format!("{base}.csv");
        let manifest_key = format!("{base}.manifest.json");
        put_object(
            &s3,
            &role,
            &request.bucket,
            &csv_key,
            dataset.csv.clone(),
            "text/csv; charset=utf-8",
        )
        .await?;
        let manifest = quicksight_manifest(&request.bucket, &csv_key);
        put_object(
            &s3,
            &role,
            &request.bucket,
            &manifest_key,
            serde_json::to_vec_pretty(&manifest)
                .map_err(|error| Error::Internal(format!("manifest: {error}")))?,
            "application/json",
        )
        .await?;
        let mut result = ExportedDataset {
            csv_key,
            manifest_key,
            rows_written: dataset.rows,
            ..Default::default()
        };
        if let Some(quicksight) = &quicksight {
            let (data_source_id, data_set_id, ingestion_id) = publish_to_quicksight(
                quicksight,
                &role,
                company,
                &request.bucket,
                dataset,
                &result.manifest_key,
            )
            .await?;
            result.data_source_id = data_source_id;
            result.data_set_id = data_set_id;
            result.ingestion_id = ingestion_id;
        }
        exported.push(result);
    }
    let scorecard = exported.pop().unwrap_or_default();
    let snapshot = exported.pop().unwrap_or_default();
    tracing::info!(
        company_id = %company.id,
        bucket = %request.bucket,
        rows = snapshot.rows_written,
        quicksight = !request.skip_quicksight,
        "compliance dataset exported"
    );
    Ok(Export {
        bucket: request.bucket.clone(),
        snapshot,
        scorecard,
        export_ms,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_are_short_and_exact_enough() {
        assert_eq!(decimal(75.0), "75");
        assert_eq!(decimal(100.0 / 3.0), "33.3333");
        assert_eq!(decimal(0.0), "0");
        assert_eq!(decimal(12.5), "12.5");
        assert_eq!(seconds(Some(1_500)), "1.5");
        assert_eq!(seconds(None), "");
    }

    #[test]
    fn export_request_names_the_bad_field() {
        let field = |result: Result<ExportRequest>| match result {
            Err(Error::InvalidArgument(why)) => {
                why.split(':').next().unwrap_or_default().to_owned()
            }
            other => panic!("{other:?}"),
        };
        assert_eq!(
            field(ExportRequest::new("", "", None, None, false)),
            "s3_bucket"
        );
        assert_eq!(
            field(ExportRequest::new("Bad_Bucket", "", None, None, false)),
            "s3_bucket"
        );
        assert_eq!(
            field(ExportRequest::new("-ab", "", None, None, false)),
            "s3_bucket"
        );
        assert_eq!(
            field(ExportRequest::new("ok-bucket", "/x", None, None, false)),
            "s3_prefix"
        );
        assert_eq!(
            field(ExportRequest::new("ok-bucket", "a/../b", None, None, false)),
            "s3_prefix"
        );
        assert_eq!(
            field(ExportRequest::new(
                "ok-bucket",
                "",
                Some(10),
                Some(10),
                false
            )),
            "kpi_start_time"
        );
        let request = ExportRequest::new("ok.bucket-1", "", None, Some(100_000_000_000), true)
            .unwrap_or_else(|error| panic!("{error}"));
        assert_eq!(request.prefix, DEFAULT_EXPORT_PREFIX);
        assert_eq!(
            request.kpi_start_ms,
            100_000_000_000 - 30 * 24 * 3600 * 1000
        );
    }

    #[test]
    fn the_manifest_names_the_csv_in_quicksight_format() {
        let manifest = quicksight_manifest("b", "p/c/scorecard.csv");
        assert_eq!(
            manifest["fileLocations"][0]["URIs"][0],
            "s3://b/p/c/scorecard.csv"
        );
        assert_eq!(manifest["globalUploadSettings"]["format"], "CSV");
        assert_eq!(manifest["globalUploadSettings"]["containsHeader"], "true");
        assert_eq!(
            quicksight_id("c1", "scorecard"),
            "aw-compliance-c1-scorecard"
        );
    }
}
