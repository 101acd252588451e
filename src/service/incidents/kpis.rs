//! KPIs (GetKpis, GetKpiTrend): noise reduction, MTTA, MTTR and self-healing
//! over a range of time, per company and in total, or as a trend in hourly
//! or daily buckets.

use crate::app::AppState;
use crate::auth::Operator;
use crate::domain::incident::{KpiSums, Kpis};
use crate::error::{Error, Result};
use crate::store::now_ms;

/// How far back a range goes when it names no start: 30 days.
const DEFAULT_SPAN_MS: i64 = 30 * 24 * 3600 * 1000;
/// Most buckets a trend answers (31 days of hours).
const MAX_TREND_BUCKETS: i64 = 744;

/// The `[start, end)` (ms) that KPIs are computed over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KpiRange {
    start: i64,
    end: i64,
}

impl KpiRange {
    /// `[start, end)`: `end` defaults to now and `start` to 30 days before
    /// `end`; INVALID_ARGUMENT unless `start` comes first.
    pub fn new(start: Option<i64>, end: Option<i64>) -> Result<Self> {
        let end = end.unwrap_or_else(now_ms);
        let start = start.unwrap_or(end.saturating_sub(DEFAULT_SPAN_MS));
        if start >= end {
            return Err(Error::invalid("start_time", "must be before end_time"));
        }
        Ok(Self { start, end })
    }

    pub fn start(&self) -> i64 {
        self.start
    }

    pub fn end(&self) -> i64 {
        self.end
    }
}

/// GetKpis' answer.
#[derive(Debug, Clone)]
pub struct KpiReport {
    /// Over every company asked for (its `company_id` is empty).
    pub total: Kpis,
    /// One per company with data, by company id.
    pub companies: Vec<Kpis>,
}

/// GetKpis: the KPIs of `company_id` (NOT_FOUND outside the caller's scope),
/// or of each company in the scope when it is empty, and their total.
pub async fn kpis(
    state: &AppState,
    operator: &Operator,
    company_id: &str,
    range: KpiRange,
) -> Result<KpiReport> {
    let companies = state
        .store
        .requested_companies(&operator.scope, company_id)
        .await?;
    let sums = state
        .store
        .kpi_sums(&operator.scope, &companies, range.start, range.end)
        .await?;
    let mut total = KpiSums::default();
    let mut per_company = Vec::new();
    for (company_id, sum) in &sums {
        total.add(sum);
        per_company.push(sum.kpis(company_id));
    }
    Ok(KpiReport {
        total: total.kpis(""),
        companies: per_company,
    })
}

/// The width of a trend's buckets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrendBucket {
    Hour,
    Day,
}

impl TrendBucket {
    fn width_ms(self) -> i64 {
        match self {
            Self::Hour => 3_600_000,
            Self::Day => 86_400_000,
        }
    }
}

/// One bucket of a trend: the KPIs of what happened in it.
#[derive(Debug, Clone)]
pub struct TrendPoint {
    /// When the bucket starts (ms).
    pub start: i64,
    pub kpis: Kpis,
}

/// GetKpiTrend's answer: every bucket of the range, empty ones included.
#[derive(Debug, Clone)]
pub struct KpiTrend {
    pub range: KpiRange,
    pub buckets: Vec<TrendPoint>,
}

/// GetKpiTrend: the KPIs of `company_id` (or of every company in the scope
/// when it is empty) in each `bucket` of the range; INVALID_ARGUMENT when
/// the range holds more than 744 buckets.
pub async fn kpi_trend(
    state: &AppState,
    operator: &Operator,
    company_id: &str,
    range: KpiRange,
    bucket: TrendBucket,
) -> Result<KpiTrend> {
    let width = bucket.width_ms();
    // In i128: the range of two extreme timestamps does not fit an i64.
    let buckets = (i128::from(range.end) - i128::from(range.start) + i128::from(width) - 1)
        / i128::from(width);
    if buckets > i128::from(MAX_TREND_BUCKETS) {
        return Err(Error::invalid(
            "bucket",
            format!(
                "the range holds {buckets} buckets, more than {MAX_TREND_BUCKETS}: \
                 use a shorter range or a wider bucket"
            ),
        ));
    }
    let count = i64::try_from(buckets).unwrap_or(MAX_TREND_BUCKETS);
    let companies = state
        .store
        .requested_companies(&operator.scope, company_id)
        .await?;
    let sums = state
        .store
        .kpi_trend_sums(&operator.scope, &companies, range.start, range.end, width)
        .await?;
    let buckets = (0..count)
        .map(|index| TrendPoint {
            start: range.start + index * width,
            kpis: sums.get(&index).cloned().unwrap_or_default().kpis(""),
        })
        .collect();
    Ok(KpiTrend { range, buckets })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_range_defaults_to_the_last_30_days_and_must_be_ordered() {
        let range = KpiRange::new(None, Some(DEFAULT_SPAN_MS + 5)).expect("range");
        assert_eq!((range.start(), range.end()), (5, DEFAULT_SPAN_MS + 5));
        assert!(KpiRange::new(Some(10), Some(10)).is_err());
        assert!(KpiRange::new(Some(i64::MIN), Some(i64::MAX)).is_ok());
    }
}
