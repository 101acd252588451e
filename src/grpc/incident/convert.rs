//! IncidentService's messages to and from [`crate::service::incidents`]:
//! the requests' filters and ranges checked (priorities, statuses, times),
//! the incidents, alerts, timeline entries and KPIs as messages.

use super::super::convert::{optional_timestamp, timestamp, timestamp_ms};
use crate::domain::incident::{AlertRecord, Incident, IncidentStatus, Kpis};
use crate::error::{Error, Result};
use crate::proto::v1;
use crate::service::incidents::{KpiRange, KpiReport, KpiTrend, TrendPoint};
use crate::store::event_log::StoredEvent;
use crate::store::incident::IncidentView;

/// A request's priorities, each P1–P4, naming `field` when one is not.
pub(super) fn priorities_of(field: &str, values: &[i32]) -> Result<Vec<i16>> {
    values
        .iter()
        .map(|value| match value {
            1..=4 => Ok(i16::try_from(*value).unwrap_or(4)),
            _ => Err(Error::invalid(field, format!("{value} is not P1–P4"))),
        })
        .collect()
}

/// A request's incident statuses, naming `field` when one is unknown.
pub(super) fn statuses_of(field: &str, values: &[i32]) -> Result<Vec<i16>> {
    values
        .iter()
        .map(|value| {
            i16::try_from(*value)
                .ok()
                .and_then(IncidentStatus::from_i16)
                .map(IncidentStatus::as_i16)
                .ok_or_else(|| {
                    Error::invalid(
                        field,
                        format!("{value} is not open, acknowledged or resolved"),
                    )
                })
        })
        .collect()
}

/// An optional request timestamp in ms, naming `field` when it is invalid.
pub(super) fn optional_ms(
    field: &str,
    value: Option<&prost_types::Timestamp>,
) -> Result<Option<i64>> {
    value.map(|time| timestamp_ms(field, time)).transpose()
}

/// The range of a GetKpis or GetKpiTrend request: its end is checked
/// before its start, then [`KpiRange::new`] defaults and orders them.
pub(super) fn kpi_range(
    start: Option<&prost_types::Timestamp>,
    end: Option<&prost_types::Timestamp>,
) -> Result<KpiRange> {
    let end = optional_ms("end_time", end)?;
    let start = optional_ms("start_time", start)?;
    KpiRange::new(start, end)
}

impl From<&Incident> for v1::Incident {
    fn from(incident: &Incident) -> Self {
        Self {
            id: incident.id.clone(),
            company_id: incident.company_id.clone(),
            aggregation_key: incident.aggregation_key.clone(),
            asset: incident.asset.clone(),
            signature: incident.signature.clone(),
            summary: incident.summary.clone(),
            status: i32::from(incident.status.as_i16()),
            priority: i32::from(incident.priority),
            priority_reasons: incident.priority_reasons.clone(),
            alert_count: incident.alert_count,
            tools: incident.tools.iter().cloned().collect(),
            severity: i32::from(incident.severity.as_i16()),
            assigned_technician_id: incident.assigned_technician_id.clone().unwrap_or_default(),
            parent_incident_id: incident.parent_incident_id.clone().unwrap_or_default(),
            merged_into_incident_id: incident.merged_into().unwrap_or_default().to_owned(),
            is_storm_parent: incident.is_storm_parent,
            child_incident_count: incident.child_incident_count,
            flapping: incident.flapping,
            self_healed: incident.self_healed,
            resolution: incident.resolution.clone(),
            first_alert_time: Some(timestamp(incident.first_alert_at)),
            last_alert_time: Some(timestamp(incident.last_alert_at)),
            create_time: Some(timestamp(incident.created_at)),
            acknowledge_time: optional_timestamp(incident.acknowledged_at),
            resolve_time: optional_timestamp(incident.resolved_at),
            update_time: Some(timestamp(incident.updated_at)),
        }
    }
}

impl From<&AlertRecord> for v1::Alert {
    fn from(alert: &AlertRecord) -> Self {
        Self {
            id: alert.id.clone(),
            company_id: alert.company_id.clone(),
            incident_id: alert.incident_id.clone().unwrap_or_default(),
            asset: alert.asset.clone(),
            signature: alert.signature.clone(),
            severity: i32::from(alert.severity.as_i16()),
            message: alert.message.clone(),
            tool_source: alert.tool_source.clone(),
            labels: alert
                .labels
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            occur_time: Some(timestamp(alert.occurred_at)),
            receive_time: Some(timestamp(alert.received_at)),
            last_occur_time: Some(timestamp(alert.last_occurred_at)),
            resolve_time: optional_timestamp(alert.resolved_at),
            status: i32::from(alert.status.as_i16()),
            count: alert.count,
            dedup_key: alert.dedup_key.clone(),
            external_id: alert.external_id.clone(),
            link: alert.link.clone(),
            outcome: i32::from(alert.outcome.as_i16()),
            aggregation_key: alert.aggregation_key.clone(),
            suppressed_by_id: alert.suppressed_by_id.clone().unwrap_or_default(),
        }
    }
}

impl From<&StoredEvent> for v1::IncidentEvent {
    fn from(event: &StoredEvent) -> Self {
        Self {
            id: event.id.clone(),
            incident_id: event.incident_id.clone(),
            kind: i32::from(event.kind.as_i16()),
            actor: event.actor.clone(),
            message: event.message.clone(),
            time: Some(timestamp(event.at)),
        }
    }
}

impl From<&StoredEvent> for v1::IncidentFeedEvent {
    fn from(event: &StoredEvent) -> Self {
        Self {
            sequence: u64::try_from(event.sequence).unwrap_or(0),
            company_id: event.company_id.clone(),
            kind: i32::from(event.kind.as_i16()),
            incident: Some((&event.incident).into()),
            actor: event.actor.clone(),
            message: event.message.clone(),
            time: Some(timestamp(event.at)),
        }
    }
}

impl From<v1::Heartbeat> for v1::WatchIncidentsResponse {
    fn from(beat: v1::Heartbeat) -> Self {
        Self {
            payload: Some(v1::watch_incidents_response::Payload::Heartbeat(beat)),
        }
    }
}

impl From<IncidentView> for v1::GetIncidentResponse {
    fn from(view: IncidentView) -> Self {
        Self {
            incident: Some((&view.incident).into()),
            alerts: view.alerts.iter().map(v1::Alert::from).collect(),
            alerts_truncated: view.alerts_truncated,
            timeline: view.timeline.iter().map(v1::IncidentEvent::from).collect(),
            children: view.children.iter().map(v1::Incident::from).collect(),
        }
    }
}

/// Milliseconds as a protobuf duration.
fn duration(ms: i64) -> prost_types::Duration {
    prost_types::Duration {
        seconds: ms.div_euclid(1000),
        nanos: i32::try_from(ms.rem_euclid(1000) * 1_000_000).unwrap_or(0),
    }
}

impl From<&Kpis> for v1::Kpis {
    fn from(kpis: &Kpis) -> Self {
        Self {
            company_id: kpis.company_id.clone(),
            raw_alert_count: kpis.raw_alert_count,
            incident_count: kpis.incident_count,
            noise_reduction_pct: kpis.noise_reduction_pct,
            mtta: kpis.mtta_ms.map(duration),
            mttr: kpis.mttr_ms.map(duration),
            self_healed_count: kpis.self_healed_count,
            self_healed_pct: kpis.self_healed_pct,
            acknowledged_count: kpis.acknowledged_count,
            resolved_count: kpis.resolved_count,
            open_count: kpis.open_count,
        }
    }
}

impl From<KpiReport> for v1::GetKpisResponse {
    fn from(report: KpiReport) -> Self {
        Self {
            total: Some((&report.total).into()),
            companies: report.companies.iter().map(v1::Kpis::from).collect(),
        }
    }
}

/// A trend bucket: the KPIs' figures, with the noise reduction unset when
/// there were no alerts (and the means when nothing was acknowledged or
/// resolved), so that no data differs from 0.
impl From<&TrendPoint> for v1::KpiTrendBucket {
    fn from(point: &TrendPoint) -> Self {
        let kpis = &point.kpis;
        Self {
            start_time: Some(timestamp(point.start)),
            raw_alert_count: kpis.raw_alert_count,
            incident_count: kpis.incident_count,
            noise_reduction_pct: (kpis.raw_alert_count > 0).then_some(kpis.noise_reduction_pct),
            acknowledged_count: kpis.acknowledged_count,
            mtta: kpis.mtta_ms.map(duration),
            resolved_count: kpis.resolved_count,
            mttr: kpis.mttr_ms.map(duration),
        }
    }
}

impl From<KpiTrend> for v1::GetKpiTrendResponse {
    fn from(trend: KpiTrend) -> Self {
        Self {
            start_time: Some(timestamp(trend.range.start())),
            end_time: Some(timestamp(trend.range.end())),
            buckets: trend.buckets.iter().map(v1::KpiTrendBucket::from).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::super::convert::text_of;
    use super::*;

    #[test]
    fn filters_and_texts_are_validated() {
        assert!(priorities_of("p", &[1, 4]).is_ok());
        assert!(priorities_of("p", &[0]).is_err());
        assert!(statuses_of("s", &[3]).is_ok());
        assert!(statuses_of("s", &[7]).is_err());
        assert!(text_of("t", "  ", true).is_err());
        assert_eq!(text_of("t", " ok ", true).expect("ok"), "ok");
        assert!(text_of("t", &"x".repeat(4097), false).is_err());
    }

    #[test]
    fn durations_split_milliseconds() {
        assert_eq!(
            duration(1_500),
            prost_types::Duration {
                seconds: 1,
                nanos: 500_000_000
            }
        );
        assert_eq!(
            duration(-1),
            prost_types::Duration {
                seconds: -1,
                nanos: 999_000_000
            }
        );
    }
}
