//! RunbookService's Session Manager calls: StartSession, TerminateSession and
//! ListSessions, converted to and from `service::sessions`.

use crate::app::AppState;
use crate::auth::Operator;
use crate::error::Result;
use crate::grpc::convert::{required_id, timestamp};
use crate::proto::v1;
use crate::service::sessions::{self, SessionView, Started};

impl From<SessionView> for v1::SsmSession {
    fn from(session: SessionView) -> Self {
        Self {
            session_id: session.session_id,
            company_id: session.company_id,
            instance_id: session.instance_id,
            status: session.status,
            incident_id: session.incident_id,
            reason: session.reason,
            started_by: session.started_by,
            start_time: session.started_at.map(timestamp),
            document_name: session.document_name,
        }
    }
}

impl From<Started> for v1::StartSessionResponse {
    fn from(started: Started) -> Self {
        Self {
            session: Some(started.session.into()),
            token_value: started.token_value,
            stream_url: started.stream_url,
            region: started.region,
            command_line: started.command_line,
        }
    }
}

/// StartSession.
pub(super) async fn start(
    state: &AppState,
    operator: &Operator,
    body: v1::StartSessionRequest,
) -> Result<v1::StartSessionResponse> {
    let incident_id = required_id("incident_id", &body.incident_id)?;
    // The instance and the reason are checked after the caller's role.
    Ok(sessions::start(
        state,
        operator,
        incident_id,
        &body.instance_id,
        &body.reason,
    )
    .await?
    .into())
}

/// TerminateSession.
pub(super) async fn terminate(
    state: &AppState,
    operator: &Operator,
    body: v1::TerminateSessionRequest,
) -> Result<v1::TerminateSessionResponse> {
    let company_id = required_id("company_id", &body.company_id)?;
    // The session id and the reason are checked after the caller's role.
    let session =
        sessions::terminate(state, operator, company_id, &body.session_id, &body.reason).await?;
    Ok(v1::TerminateSessionResponse {
        session: Some(session.into()),
    })
}

/// ListSessions.
pub(super) async fn list(
    state: &AppState,
    operator: &Operator,
    body: v1::ListSessionsRequest,
) -> Result<v1::ListSessionsResponse> {
    let company_id = required_id("company_id", &body.company_id)?;
    let found = sessions::list(state, operator, company_id, &body.incident_id).await?;
    Ok(v1::ListSessionsResponse {
        sessions: found.into_iter().map(v1::SsmSession::from).collect(),
    })
}
