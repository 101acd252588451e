//! Session Manager sessions started from incidents, after their start: the
//! watcher that notices a session that ended by itself (the client closed
//! it, SSM's idle timeout) and puts its end on the incident's timeline and in
//! the audit log, as TerminateSession does for a session a person ends.

use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

use aws_sdk_ssm::types::{Session, SessionFilter, SessionFilterKey, SessionState};
use tokio_util::sync::CancellationToken;

use crate::app::AppState;
use crate::aws::{CompanyRole, aws_error};
use crate::domain::lifecycle::IncidentCommand;
use crate::error::{Error, Result};
use crate::store::session::OpenSession;
use crate::store::tenant::Audit;
use crate::store::{Scope, now_ms};

/// The actor of what the watcher records.
const ACTOR: &str = "system";
/// Most open sessions one sweep looks at.
const SWEEP_LIMIT: u64 = 1_000;

/// The company's active sessions (all pages), optionally only one.
pub async fn active_sessions(
    ssm: &aws_sdk_ssm::Client,
    role: &CompanyRole,
    session_id: Option<&str>,
) -> Result<Vec<Session>> {
    let mut sessions = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let mut call = ssm
            .describe_sessions()
            .state(SessionState::Active)
            .max_results(200)
            .set_next_token(token.take());
        if let Some(session_id) = session_id {
            call = call.filters(
                SessionFilter::builder()
                    .key(SessionFilterKey::SessionId)
                    .value(session_id)
                    .build()
                    .map_err(|error| Error::Internal(error.to_string()))?,
            );
        }
        let answer = call
            .send()
            .await
            .map_err(|error| aws_error("ssm:DescribeSessions", role, error))?;
        sessions.extend(answer.sessions().iter().cloned());
        match answer.next_token() {
            Some(next) if !next.is_empty() && sessions.len() < 10_000 => {
                token = Some(next.to_owned());
            }
            _ => return Ok(sessions),
        }
    }
}

/// Sweeps every `every` until `closed`: see [`sweep`].
pub async fn watch(state: AppState, every: Duration, closed: CancellationToken) {
    loop {
        tokio::select! {
            () = closed.cancelled() => return,
            () = tokio::time::sleep(every) => {}
        }
        match sweep(&state, every).await {
            Ok(0) => {}
            Ok(ended) => tracing::info!(
                ended,
                "recorded Session Manager sessions that ended by themselves"
            ),
            Err(error) => tracing::warn!(%error, "the Session Manager session sweep failed"),
        }
    }
}

/// Looks up, per company, the sessions started from incidents at least
/// `settle` ago whose end is not recorded, among the company's active
/// sessions in SSM; each one no longer active ended by itself: its end goes
/// on the incident's timeline and in the audit log. Answers how many ended.
/// A company whose role cannot be used is skipped (logged) until the next
/// sweep; the end is recorded once across replicas.
pub async fn sweep(state: &AppState, settle: Duration) -> Result<usize> {
    let settle_ms = i64::try_from(settle.as_millis()).unwrap_or(i64::MAX);
    let open = state
        .store
        .open_sessions(now_ms().saturating_sub(settle_ms), SWEEP_LIMIT)
        .await?;
    let mut by_company: BTreeMap<String, Vec<OpenSession>> = BTreeMap::new();
    for session in open {
        by_company
            .entry(session.company.id().to_owned())
            .or_default()
            .push(session);
    }
    let mut ended = 0;
    for (company_id, sessions) in by_company {
        match ended_sessions(state, &company_id, sessions).await {
            Ok(gone) => {
                for session in gone {
                    if record_end(state, &session).await? {
                        ended += 1;
                    }
                }
            }
            Err(error) => {
                tracing::warn!(company = %company_id, %error, "cannot read the company's Session Manager sessions");
            }
        }
    }
    Ok(ended)
}

/// Those of `sessions` SSM no longer lists as active in the company's account.
async fn ended_sessions(
    state: &AppState,
    company_id: &str,
    sessions: Vec<OpenSession>,
) -> Result<Vec<OpenSession>> {
    let company = state.store.get_company(&Scope::All, company_id).await?;
    let role = CompanyRole::of(&company)?;
    let ssm = state.aws.ssm(&role).await?;
    let active: HashSet<String> = active_sessions(&ssm, &role, None)
        .await?
        .iter()
        .filter_map(|session| session.session_id().map(str::to_owned))
        .collect();
    Ok(sessions
        .into_iter()
        .filter(|session| !active.contains(&session.session_id))
        .collect())
}

/// Records the end of a session that ended by itself, once; answers whether
/// this call did.
async fn record_end(state: &AppState, session: &OpenSession) -> Result<bool> {
    if !state
        .store
        .record_session_end(&session.company, &session.session_id, now_ms())
        .await?
    {
        return Ok(false);
    }
    let text = format!(
        "Session Manager session {} to {} (started by {}) ended: it is no longer active in SSM (closed by the client or timed out)",
        session.session_id, session.instance_id, session.started_by
    );
    let noted = state
        .owners
        .change_incident(
            &session.company,
            &session.incident_id,
            ACTOR,
            IncidentCommand::Comment { text },
        )
        .await;
    if let Err(error) = noted {
        // The audit entry below still records the end.
        tracing::warn!(session = %session.session_id, incident = %session.incident_id, %error, "cannot put a session's end on its incident's timeline");
    }
    state
        .store
        .record_audit(
            &Audit::new(ACTOR.to_owned(), "RunbookService.SessionEnded"),
            Some(session.company.id()),
            "ssm_session",
            &session.session_id,
            serde_json::json!({
                "incident_id": session.incident_id,
                "instance_id": session.instance_id,
                "started_by": session.started_by,
            }),
        )
        .await?;
    Ok(true)
}
