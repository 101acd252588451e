//! IncidentService: converts its messages to and from
//! [`crate::service::incidents`] (list, get and work incidents, KPIs), and
//! WatchIncidents, which follows the company's log.

mod convert;

use tokio::sync::mpsc;
use tonic::{Request, Response, Status};

use self::convert::{kpi_range, optional_ms, priorities_of, statuses_of};
use super::convert::{required_id, text_of};
use super::operator;
use super::watch::{WATCH_BATCH, WATCH_BUFFER, WatchStream, follow, start_position};
use crate::app::AppState;
use crate::domain::incident::Incident;
use crate::domain::tenant::Role;
use crate::error::{Error, Result};
use crate::proto::v1::{self, incident_service_server::IncidentService};
use crate::service::incidents::{self, Assignment, IncidentSearch, TrendBucket};
use crate::store::Page;
use crate::store::event_log::LogEntry;

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

/// Longest `ListIncidentsRequest.query`.
const MAX_QUERY_CHARS: usize = 512;

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

// A change's handler checks the technician role before it reads the
// request: a caller without the role is refused whatever it sent.
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
        // Read once the named companies are found in the caller's scope.
        let search = || -> Result<(IncidentSearch, Page)> {
            let search = IncidentSearch {
                priorities: priorities_of("priorities", &body.priorities)?,
                statuses: statuses_of("statuses", &body.statuses)?,
                asset: body.asset.clone(),
                created_from: optional_ms("start_time", body.start_time.as_ref())?,
                created_before: optional_ms("end_time", body.end_time.as_ref())?,
                query: body.query.clone(),
                technician_id: body.assigned_technician_id.clone(),
                parent_incident_id: body.parent_incident_id.clone(),
            };
            Ok((search, Page::new(body.page_size, &body.page_token)?))
        };
        let (incidents, next_page_token) =
            incidents::list_incidents(&self.state, &operator, &body.company_ids, search).await?;
        Ok(Response::new(v1::ListIncidentsResponse {
            incidents: incidents.iter().map(v1::Incident::from).collect(),
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
        let max_alerts = u32::try_from(body.max_alerts)
            .map_err(|_| Error::invalid("max_alerts", "must not be negative"))?;
        let view = incidents::get_incident(&self.state, &operator, incident_id, max_alerts).await?;
        Ok(Response::new(view.into()))
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
        let incident = incidents::acknowledge(&self.state, &operator, incident_id, comment).await?;
        Ok(Response::new(v1::AcknowledgeIncidentResponse {
            incident: Some((&incident).into()),
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
        let to = match (body.technician_id.as_str(), body.auto_assign) {
            ("", true) => Assignment::Automatic,
            (technician_id, false) if !technician_id.is_empty() => {
                Assignment::Technician(technician_id)
            }
            _ => {
                return Err(Error::invalid(
                    "technician_id",
                    "set exactly one of technician_id and auto_assign",
                )
                .into());
            }
        };
        let incident = incidents::assign(&self.state, &operator, incident_id, to).await?;
        Ok(Response::new(v1::AssignIncidentResponse {
            incident: Some((&incident).into()),
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
        let incident = incidents::resolve(&self.state, &operator, incident_id, resolution).await?;
        Ok(Response::new(v1::ResolveIncidentResponse {
            incident: Some((&incident).into()),
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
        let incident = incidents::reopen(&self.state, &operator, incident_id, reason).await?;
        Ok(Response::new(v1::ReopenIncidentResponse {
            incident: Some((&incident).into()),
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
        let event = incidents::add_comment(&self.state, &operator, incident_id, text).await?;
        Ok(Response::new(v1::AddCommentResponse {
            event: Some((&event).into()),
        }))
    }

    async fn get_kpis(
        &self,
        request: Request<v1::GetKpisRequest>,
    ) -> Result<Response<v1::GetKpisResponse>, Status> {
        let operator = operator(&request)?;
        let body = request.into_inner();
        let range = kpi_range(body.start_time.as_ref(), body.end_time.as_ref())?;
        let report = incidents::kpis(&self.state, &operator, &body.company_id, range).await?;
        Ok(Response::new(report.into()))
    }

    async fn get_kpi_trend(
        &self,
        request: Request<v1::GetKpiTrendRequest>,
    ) -> Result<Response<v1::GetKpiTrendResponse>, Status> {
        let operator = operator(&request)?;
        let body = request.into_inner();
        let range = kpi_range(body.start_time.as_ref(), body.end_time.as_ref())?;
        let bucket = match v1::KpiBucket::try_from(body.bucket) {
            Ok(v1::KpiBucket::Hour) => TrendBucket::Hour,
            Ok(v1::KpiBucket::Day) => TrendBucket::Day,
            Ok(v1::KpiBucket::Unspecified) => {
                return Err(Error::invalid("bucket", "is required (HOUR or DAY)").into());
            }
            Err(_) => return Err(Error::invalid("bucket", "must be HOUR or DAY").into()),
        };
        let trend =
            incidents::kpi_trend(&self.state, &operator, &body.company_id, range, bucket).await?;
        Ok(Response::new(trend.into()))
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
            v1::WatchIncidentsResponse::from,
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
                                        (&event).into(),
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
            v1::WatchIncidentsResponse::from,
            tx,
        ));
        Ok(Response::new(Box::pin(
            tokio_stream::wrappers::ReceiverStream::new(rx),
        )))
    }
}
