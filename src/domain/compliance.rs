//! Patch compliance: each instance's status from what Systems Manager reports,
//! and a company's summary (`compliance % = compliant / total × 100`).

/// An instance's compliance status (numbers as in the proto enum).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// All required patches installed.
    Compliant = 1,
    /// Patches missing or failed.
    NonCompliant = 2,
    /// Never scanned: counts in the total, not as compliant.
    NoData = 3,
}

/// What SSM reported for one instance.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InstanceReport {
    /// The Patch compliance summary's status, when there is one.
    pub summary_compliant: Option<bool>,
    /// Whether a patch state was reported.
    pub has_patch_state: bool,
    pub missing: i64,
    pub failed: i64,
    /// Critical non-compliant patches.
    pub critical_non_compliant: i64,
    /// Security non-compliant patches.
    pub security_non_compliant: i64,
    /// When its last patch operation ended (ms).
    pub operation_end_ms: Option<i64>,
}

/// The instance's status: SSM's compliance summary wins; without one the patch
/// state decides (anything missing, failed or non-compliant is non-compliant);
/// without either, no data.
pub fn instance_status(report: &InstanceReport) -> Status {
    match report.summary_compliant {
        Some(true) => Status::Compliant,
        Some(false) => Status::NonCompliant,
        None if !report.has_patch_state => Status::NoData,
        None => {
            let open = report.missing
                + report.failed
                + report.critical_non_compliant
                + report.security_non_compliant;
            if open > 0 {
                Status::NonCompliant
            } else {
                Status::Compliant
            }
        }
    }
}

/// A company's (or everyone's) summary.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Summary {
    pub total: i64,
    pub compliant: i64,
    /// Non-compliant instances.
    pub non_compliant: i64,
    /// Critical patches missing.
    pub critical_missing: i64,
    /// Security patches missing.
    pub security_missing: i64,
    /// Oldest operation end (ms).
    pub oldest_result_ms: Option<i64>,
}

impl Summary {
    /// Summarises the instances of one snapshot.
    pub fn of(reports: &[InstanceReport]) -> Self {
        let mut summary = Summary::default();
        for report in reports {
            summary.total += 1;
            match instance_status(report) {
                Status::Compliant => summary.compliant += 1,
                Status::NonCompliant => summary.non_compliant += 1,
                Status::NoData => {}
            }
            summary.critical_missing += report.critical_non_compliant;
            summary.security_missing += report.security_non_compliant;
            summary.oldest_result_ms = match (summary.oldest_result_ms, report.operation_end_ms) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
        }
        summary
    }

    /// Adds another summary (for the all-companies figure).
    pub fn add(&mut self, other: &Summary) {
        self.total += other.total;
        self.compliant += other.compliant;
        self.non_compliant += other.non_compliant;
        self.critical_missing += other.critical_missing;
        self.security_missing += other.security_missing;
        self.oldest_result_ms = match (self.oldest_result_ms, other.oldest_result_ms) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
    }

    /// `compliant / total × 100`, 0 without instances.
    pub fn compliance_pct(&self) -> f64 {
        if self.total == 0 {
            0.0
        } else {
            // Counts are far below 2^52: exact as f64.
            #[allow(clippy::cast_precision_loss)]
            let pct = self.compliant as f64 / self.total as f64 * 100.0;
            pct
        }
    }
}

/// How a CSV column is typed when QuickSight reads it (documented in
/// docs/reports.md and docs/quicksight.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CsvType {
    String,
    /// A whole number.
    Integer,
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

/// A time as the CSVs write it: RFC 3339 in UTC, with milliseconds only
/// when there are some ("2026-12-05T22:59:08Z", "…08.120Z").
pub fn rfc3339(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_times_are_rfc3339_utc_with_milliseconds_only_when_present() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_700_000_000_120), "2023-11-14T22:13:20.120Z");
        // The same text the gRPC timestamps show, which the CSVs wrote before.
        for ms in [0, 1_700_000_000_000, 1_700_000_000_001, 1_764_979_148_999] {
            let timestamp = prost_types::Timestamp {
                seconds: ms / 1000,
                nanos: i32::try_from(ms % 1000).unwrap() * 1_000_000,
            };
            assert_eq!(rfc3339(ms), timestamp.to_string(), "{ms}");
        }
    }

    fn state(missing: i64, critical: i64) -> InstanceReport {
        InstanceReport {
            has_patch_state: true,
            missing,
            critical_non_compliant: critical,
            ..Default::default()
        }
    }

    #[test]
    fn status_prefers_the_summary_then_the_patch_state() {
        assert_eq!(instance_status(&state(0, 0)), Status::Compliant);
        assert_eq!(instance_status(&state(3, 1)), Status::NonCompliant);
        let overridden = InstanceReport {
            summary_compliant: Some(true),
            ..state(3, 0)
        };
        assert_eq!(instance_status(&overridden), Status::Compliant);
        assert_eq!(instance_status(&InstanceReport::default()), Status::NoData);
    }

    #[test]
    fn the_seed_example_gives_87_5_percent() {
        // 42 compliant of 48 (the prototype's example).
        let mut reports = vec![state(0, 0); 42];
        reports.extend(vec![state(2, 1); 6]);
        let summary = Summary::of(&reports);
        assert_eq!(summary.total, 48);
        assert_eq!(summary.compliant, 42);
        assert!((summary.compliance_pct() - 87.5).abs() < 1e-9);
        assert_eq!(summary.critical_missing, 6);
        assert_eq!(Summary::default().compliance_pct(), 0.0);
    }

    #[test]
    fn no_data_counts_in_the_total_only() {
        let summary = Summary::of(&[state(0, 0), InstanceReport::default()]);
        assert_eq!(
            (summary.total, summary.compliant, summary.non_compliant),
            (2, 1, 0)
        );
        assert!((summary.compliance_pct() - 50.0).abs() < 1e-9);
    }
}
