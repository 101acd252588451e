//! IncidentService: list, get and work incidents, KPIs, and WatchIncidents.

use tokio::sync::mpsc;
use tonic::{Request, Response, Status};

use super::convert::{
    duration_ms, optional_timestamp, required_id, text_of, timestamp, timestamp_ms,
};
use super::operator;
use super::watch::{WATCH_BATCH, WATCH_BUFFER, WatchStream, follow, start_position};
use crate::app::AppState;
use crate::domain::incident::{AlertRecord, Incident, IncidentStatus, KpiSums, Kpis};
use crate::domain::lifecycle::{Assignee, IncidentCommand};
use crate::domain::tenant::Role;
use crate::error::{Error, Result};
use crate::proto::v1::{self, incident_service_server::IncidentService};
use crate::store::event_log::{LogEntry, StoredEvent};
use crate::store::incident::IncidentFilter;
use crate::store::{Page, now_ms};

/// The IncidentService handler.
#[derive(Debug, Clone)]
pub struct IncidentHandler {
    state: AppState,
}

impl IncidentHandler {
    /// A handler over the shared state.
    pub fn new(state: AppState) -> Self {
        Self { state }
    }
}

/// An incident as a message.
pub(crate) fn incident_message(incident: &Incident) -> v1::Incident {
    v1::Incident {
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

/// An alert as a message.
pub(crate) fn alert_message(alert: &AlertRecord) -> v1::Alert {
    v1::Alert {
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

fn timeline_message(event: &StoredEvent) -> v1::IncidentEvent {
    v1::IncidentEvent {
        id: event.id.clone(),
        incident_id: event.incident_id.clone(),
        kind: i32::from(event.kind.as_i16()),
        actor: event.actor.clone(),
        message: event.message.clone(),
        time: Some(timestamp(event.at)),
    }
}

fn feed_message(event: &StoredEvent) -> v1::IncidentFeedEvent {
    v1::IncidentFeedEvent {
        sequence: u64::try_from(event.sequence).unwrap_or(0),
        company_id: event.company_id.clone(),
        kind: i32::from(event.kind.as_i16()),
        incident: Some(incident_message(&event.incident)),
        actor: event.actor.clone(),
        message: event.message.clone(),
        time: Some(timestamp(event.at)),
    }
}

fn kpis_message(kpis: &Kpis) -> v1::Kpis {
    let duration = duration_message;
    v1::Kpis {
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

/// Most buckets GetKpiTrend answers (31 days of hours).
const MAX_TREND_BUCKETS: i64 = 744;

/// The `[start, end)` of GetKpis and GetKpiTrend: end defaults to now, start
/// to 30 days before end, and start must come first.
fn kpi_range(
    start: Option<&prost_types::Timestamp>,
    end: Option<&prost_types::Timestamp>,
) -> Result<(i64, i64)> {
    let end = end
        .map(|t| timestamp_ms("end_time", t))
        .transpose()?
        .unwrap_or_else(now_ms);
    let start = start
        .map(|t| timestamp_ms("start_time", t))
        .transpose()?
        .unwrap_or(end.saturating_sub(duration_ms(std::time::Duration::from_secs(30 * 24 * 3600))));
    if start >= end {
        return Err(Error::invalid("start_time", "must be before end_time"));
    }
    Ok((start, end))
}

fn duration_message(ms: i64) -> prost_types::Duration {
    prost_types::Duration {
        seconds: ms.div_euclid(1000),
        nanos: i32::try_from(ms.rem_euclid(1000) * 1_000_000).unwrap_or(0),
    }
}

/// A trend bucket starting at `start`: the KPIs' figures, with the noise
/// reduction unset when there were no alerts (and the means when nothing was
/// acknowledged or resolved), so that no data differs from 0.
fn trend_bucket_message(start: i64, kpis: &Kpis) -> v1::KpiTrendBucket {
    v1::KpiTrendBucket {
        start_time: Some(timestamp(start)),
        raw_alert_count: kpis.raw_alert_count,
        incident_count: kpis.incident_count,
        noise_reduction_pct: (kpis.raw_alert_count > 0).then_some(kpis.noise_reduction_pct),
        acknowledged_count: kpis.acknowledged_count,
        mtta: kpis.mtta_ms.map(duration_message),
        resolved_count: kpis.resolved_count,
        mttr: kpis.mttr_ms.map(duration_message),
    }
}

fn priorities_of(field: &str, values: &[i32]) -> Result<Vec<i16>> {
    values
        .iter()
        .map(|value| match value {
            1..=4 => Ok(i16::try_from(*value).unwrap_or(4)),
            _ => Err(Error::invalid(field, format!("{value} is not P1–P4"))),
        })
        .collect()
}

fn statuses_of(field: &str, values: &[i32]) -> Result<Vec<i16>> {
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

fn incident_heartbeat(beat: v1::Heartbeat) -> v1::WatchIncidentsResponse {
    v1::WatchIncidentsResponse {
        payload: Some(v1::watch_incidents_response::Payload::Heartbeat(beat)),
    }
}

/// What a WatchIncidents stream sends.
#[derive(Debug, Clone)]
struct WatchFilter {
    priorities: Vec<i16>,
    statuses: Vec<i16>,
    asset: String,
    incident_id: String,
}

impl WatchFilter {
    fn matches(&self, incident: &Incident) -> bool {
        (self.priorities.is_empty() || self.priorities.contains(&i16::from(incident.priority)))
            && (self.statuses.is_empty() || self.statuses.contains(&incident.status.as_i16()))
            && (self.asset.is_empty() || self.asset == incident.asset)
            && (self.incident_id.is_empty() || self.incident_id == incident.id)
    }
}

impl IncidentHandler {
    /// Has the incident's owner apply `command` (the incident's company is
    /// checked against the caller's scope first).
    async fn change(
        &self,
        operator: &crate::auth::Operator,
        incident_id: &str,
        command: IncidentCommand,
    ) -> Result<(Incident, Vec<StoredEvent>)> {
        let company = self
            .state
            .store
            .incident_company(&operator.scope, incident_id)
            .await?;
        self.state
            .owners
            .change_incident(&company, incident_id, &operator.actor(), command)
            .await
    }
}

/// Longest `ListIncidentsRequest.query` (its first 16 words are searched).
const MAX_QUERY_CHARS: usize = 512;

#[tonic::async_trait]
impl IncidentService for IncidentHandler {
    async fn list_incidents(
        &self,
        request: Request<v1::ListIncidentsRequest>,
    ) -> Result<Response<v1::ListIncidentsResponse>, Status> {
        let operator = operator(&request)?;
        let body = request.into_inner();
        if body.query.chars().count() > MAX_QUERY_CHARS {
            return Err(Error::InvalidArgument(format!(
                "query: at most {MAX_QUERY_CHARS} characters"
            ))
            .into());
        }
        for company_id in &body.company_ids {
            self.state
                .store
                .get_company(&operator.scope, company_id)
                .await?;
        }
        let filter = IncidentFilter {
            company_ids: body.company_ids.clone(),
            priorities: priorities_of("priorities", &body.priorities)?,
            statuses: statuses_of("statuses", &body.statuses)?,
            asset: Some(body.asset.clone()).filter(|a| !a.is_empty()),
            created_from: body
                .start_time
                .as_ref()
                .map(|t| timestamp_ms("start_time", t))
                .transpose()?,
            created_before: body
                .end_time
                .as_ref()
                .map(|t| timestamp_ms("end_time", t))
                .transpose()?,
            words: body
                .query
                .split_whitespace()
                .map(str::to_lowercase)
                .take(16)
                .collect(),
            technician_id: Some(body.assigned_technician_id.clone()).filter(|a| !a.is_empty()),
            parent_incident_id: Some(body.parent_incident_id.clone()).filter(|a| !a.is_empty()),
        };
        let page = Page::new(body.page_size, &body.page_token)?;
        let (incidents, next_page_token) = self
            .state
            .store
            .list_incidents(&operator.scope, &filter, &page)
            .await?;
        Ok(Response::new(v1::ListIncidentsResponse {
            incidents: incidents.iter().map(incident_message).collect(),
            next_page_token,
        }))
    }

    async fn get_incident(
        &self,
        request: Request<v1::GetIncidentRequest>,
    ) -> Result<Response<v1::GetIncidentResponse>, Status> {
        let operator = operator(&request)?;
        let body = request.into_inner();
        let incident_id = required_id("incident_id", &body.incident_id)?;
        let max_alerts = match body.max_alerts {
            0 => 200,
            n if n < 0 => return Err(Error::invalid("max_alerts", "must not be negative").into()),
            n => u64::try_from(n).unwrap_or(1000).min(1000),
        };
        let view = self
            .state
            .store
            .incident_view(&operator.scope, incident_id, max_alerts)
            .await?;
        Ok(Response::new(v1::GetIncidentResponse {
            incident: Some(incident_message(&view.incident)),
            alerts: view.alerts.iter().map(alert_message).collect(),
            alerts_truncated: view.alerts_truncated,
            timeline: view.timeline.iter().map(timeline_message).collect(),
            children: view.children.iter().map(incident_message).collect(),
        }))
    }

    async fn acknowledge_incident(
        &self,
        request: Request<v1::AcknowledgeIncidentRequest>,
    ) -> Result<Response<v1::AcknowledgeIncidentResponse>, Status> {
        let operator = operator(&request)?;
        operator.require(Role::Technician)?;
        let body = request.into_inner();
        let incident_id = required_id("incident_id", &body.incident_id)?;
        let comment = text_of("comment", &body.comment, false)?;
        let (incident, _) = self
            .change(
                &operator,
                incident_id,
                IncidentCommand::Acknowledge { comment },
            )
            .await?;
        Ok(Response::new(v1::AcknowledgeIncidentResponse {
            incident: Some(incident_message(&incident)),
        }))
    }

    async fn assign_incident(
        &self,
        request: Request<v1::AssignIncidentRequest>,
    ) -> Result<Response<v1::AssignIncidentResponse>, Status> {
        let operator = operator(&request)?;
        operator.require(Role::Technician)?;
        let body = request.into_inner();
        let incident_id = required_id("incident_id", &body.incident_id)?;
        if body.technician_id.is_empty() != body.auto_assign {
            return Err(Error::invalid(
                "technician_id",
                "set exactly one of technician_id and auto_assign",
            )
            .into());
        }
        let technician = if body.auto_assign {
            None
        } else {
            let company = self
                .state
                .store
                .incident_company(&operator.scope, incident_id)
                .await?;
            let tech = self
                .state
                .store
                .company_technician(&company, &body.technician_id)
                .await?;
            Some(Assignee {
                id: tech.id,
                name: tech.name,
            })
        };
        let (incident, _) = self
            .change(
                &operator,
                incident_id,
                IncidentCommand::Assign { technician },
            )
            .await?;
        Ok(Response::new(v1::AssignIncidentResponse {
            incident: Some(incident_message(&incident)),
        }))
    }

    async fn resolve_incident(
        &self,
        request: Request<v1::ResolveIncidentRequest>,
    ) -> Result<Response<v1::ResolveIncidentResponse>, Status> {
        let operator = operator(&request)?;
        operator.require(Role::Technician)?;
        let body = request.into_inner();
        let incident_id = required_id("incident_id", &body.incident_id)?;
        let resolution = text_of("resolution", &body.resolution, true)?;
        let (incident, _) = self
            .change(
                &operator,
                incident_id,
                IncidentCommand::Resolve { resolution },
            )
            .await?;
        Ok(Response::new(v1::ResolveIncidentResponse {
            incident: Some(incident_message(&incident)),
        }))
    }

    async fn reopen_incident(
        &self,
        request: Request<v1::ReopenIncidentRequest>,
    ) -> Result<Response<v1::ReopenIncidentResponse>, Status> {
        let operator = operator(&request)?;
        operator.require(Role::Technician)?;
        let body = request.into_inner();
        let incident_id = required_id("incident_id", &body.incident_id)?;
        let reason = text_of("reason", &body.reason, false)?;
        let (incident, _) = self
            .change(&operator, incident_id, IncidentCommand::Reopen { reason })
            .await?;
        Ok(Response::new(v1::ReopenIncidentResponse {
            incident: Some(incident_message(&incident)),
        }))
    }

    async fn add_comment(
        &self,
        request: Request<v1::AddCommentRequest>,
    ) -> Result<Response<v1::AddCommentResponse>, Status> {
        let operator = operator(&request)?;
        operator.require(Role::Technician)?;
        let body = request.into_inner();
        let incident_id = required_id("incident_id", &body.incident_id)?;
        let text = text_of("text", &body.text, true)?;
        let (_, events) = self
            .change(&operator, incident_id, IncidentCommand::Comment { text })
            .await?;
        let event = events
            .first()
            .ok_or_else(|| Error::Internal("the comment was not recorded".to_owned()))?;
        Ok(Response::new(v1::AddCommentResponse {
            event: Some(timeline_message(event)),
        }))
    }

    async fn get_kpis(
        &self,
        request: Request<v1::GetKpisRequest>,
    ) -> Result<Response<v1::GetKpisResponse>, Status> {
        let operator = operator(&request)?;
        let body = request.into_inner();
        let (start, end) = kpi_range(body.start_time.as_ref(), body.end_time.as_ref())?;
        let companies = self
            .state
            .store
            .requested_companies(&operator.scope, &body.company_id)
            .await?;
        let sums = self
            .state
            .store
            .kpi_sums(&operator.scope, &companies, start, end)
            .await?;
        let mut total = KpiSums::default();
        let mut per_company = Vec::new();
        for (company_id, sum) in &sums {
            total.add(sum);
            per_company.push(kpis_message(&sum.kpis(company_id)));
        }
        Ok(Response::new(v1::GetKpisResponse {
            total: Some(kpis_message(&total.kpis(""))),
            companies: per_company,
        }))
    }

    async fn get_kpi_trend(
        &self,
        request: Request<v1::GetKpiTrendRequest>,
    ) -> Result<Response<v1::GetKpiTrendResponse>, Status> {
        let operator = operator(&request)?;
        let body = request.into_inner();
        let (start, end) = kpi_range(body.start_time.as_ref(), body.end_time.as_ref())?;
        let width = match v1::KpiBucket::try_from(body.bucket) {
            Ok(v1::KpiBucket::Hour) => 3_600_000,
            Ok(v1::KpiBucket::Day) => 86_400_000,
            Ok(v1::KpiBucket::Unspecified) => {
                return Err(Error::invalid("bucket", "is required (HOUR or DAY)").into());
            }
            Err(_) => return Err(Error::invalid("bucket", "must be HOUR or DAY").into()),
        };
        // In i128: the range of two extreme timestamps does not fit an i64.
        let buckets =
            (i128::from(end) - i128::from(start) + i128::from(width) - 1) / i128::from(width);
        if buckets > i128::from(MAX_TREND_BUCKETS) {
            return Err(Error::invalid(
                "bucket",
                format!(
                    "the range holds {buckets} buckets, more than {MAX_TREND_BUCKETS}: \
                     use a shorter range or a wider bucket"
                ),
            )
            .into());
        }
        let count = i64::try_from(buckets).unwrap_or(MAX_TREND_BUCKETS);
        let companies = self
            .state
            .store
            .requested_companies(&operator.scope, &body.company_id)
            .await?;
        let sums = self
            .state
            .store
            .kpi_trend_sums(&operator.scope, &companies, start, end, width)
            .await?;
        let buckets = (0..count)
            .map(|index| {
                let kpis = sums.get(&index).cloned().unwrap_or_default().kpis("");
                trend_bucket_message(start + index * width, &kpis)
            })
            .collect();
        Ok(Response::new(v1::GetKpiTrendResponse {
            start_time: Some(timestamp(start)),
            end_time: Some(timestamp(end)),
            buckets,
        }))
    }

    async fn watch_incidents(
        &self,
        request: Request<v1::WatchIncidentsRequest>,
    ) -> Result<Response<WatchStream<v1::WatchIncidentsResponse>>, Status> {
        let operator = operator(&request)?;
        let body = request.into_inner();
        let company_id = required_id("company_id", &body.company_id)?.to_owned();
        let company = self
            .state
            .store
            .scoped_company(&operator.scope, &company_id)
            .await?;
        let filter = WatchFilter {
            priorities: priorities_of("priorities", &body.priorities)?,
            statuses: statuses_of("statuses", &body.statuses)?,
            asset: body.asset.clone(),
            incident_id: body.incident_id.clone(),
        };
        let (tx, rx) = mpsc::channel(WATCH_BUFFER);
        let start = start_position(
            &self.state,
            &company,
            body.after_sequence,
            &tx,
            incident_heartbeat,
            "list incidents",
        )
        .await?;
        let state = self.state.clone();
        let read_company = company.clone();
        let read = move |after: i64| {
            let state = state.clone();
            let company = read_company.clone();
            let filter = filter.clone();
            async move {
                Ok(state
                    .owners
                    .entries_after(&company, after, WATCH_BATCH, true)
                    .await?
                    .into_iter()
                    .map(|entry| {
                        let sequence = entry.sequence();
                        let message = match entry {
                            LogEntry::Incident(event) if filter.matches(&event.incident) => {
                                Some(v1::WatchIncidentsResponse {
                                    payload: Some(v1::watch_incidents_response::Payload::Event(
                                        feed_message(&event),
                                    )),
                                })
                            }
                            _ => None,
                        };
                        (sequence, message)
                    })
                    .collect())
            }
        };
        tokio::spawn(follow(
            self.state.clone(),
            company,
            start,
            read,
            incident_heartbeat,
            tx,
        ));
        Ok(Response::new(Box::pin(
            tokio_stream::wrappers::ReceiverStream::new(rx),
        )))
    }
}

#[cfg(test)]
mod tests {
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
}
