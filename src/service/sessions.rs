//! Session Manager access from an incident: StartSession, TerminateSession
//! and ListSessions in the company's AWS account through its role, and the
//! watcher that notices a session that ended by itself (the client closed it,
//! SSM's idle timeout) and puts its end on the incident's timeline and in the
//! audit log, as TerminateSession does for a session a person ends.
//!
//! SSM keeps the list of active sessions. The incident a session was started
//! from, who started it and why travel in SSM's session `Reason`
//! (`aw|<incident>|<actor>|<reason>`, at most 256 characters), which
//! DescribeSessions answers back; so TerminateSession finds the incident whose
//! timeline to write on, and ListSessions filters by incident. The
//! `ssm_sessions` table keeps the sessions started here until their end is
//! recorded.

use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

use aws_sdk_ssm::types::{Session, SessionFilter, SessionFilterKey, SessionState};
use tokio_util::sync::CancellationToken;

use crate::app::AppState;
use crate::auth::Operator;
use crate::aws::{CompanyRole, aws_error};
use crate::domain::lifecycle::IncidentCommand;
use crate::domain::tenant::Role;
use crate::error::{Error, Result};
use crate::store::session::OpenSession;
use crate::store::tenant::Audit;
use crate::store::{Scope, now_ms};

/// A session as SSM lists it, with what its reason says of its origin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionView {
    pub session_id: String,
    pub company_id: String,
    pub instance_id: String,
    /// SSM's status, e.g. "Connected".
    pub status: String,
    /// The incident it was started from; empty for a session started
    /// outside Alert Whisperer.
    pub incident_id: String,
    pub reason: String,
    pub started_by: String,
    pub started_at: Option<i64>,
    pub document_name: String,
}

impl SessionView {
    fn of(company_id: &str, session: &Session) -> Self {
        let origin = decode_reason(session.reason().unwrap_or_default());
        Self {
            session_id: session.session_id().unwrap_or_default().to_owned(),
            company_id: company_id.to_owned(),
            instance_id: session.target().unwrap_or_default().to_owned(),
            status: session
                .status()
                .map(|status| status.as_str().to_owned())
                .unwrap_or_default(),
            incident_id: origin.incident_id,
            reason: origin.reason,
            started_by: origin.actor,
            started_at: session.start_date().and_then(|date| date.to_millis().ok()),
            document_name: session.document_name().unwrap_or_default().to_owned(),
        }
    }
}

/// A session just started, with what `session-manager-plugin` needs.
#[derive(Debug, Clone)]
pub struct Started {
    pub session: SessionView,
    pub token_value: String,
    pub stream_url: String,
    pub region: String,
    /// `aws ssm start-session …` for a technician with the role's credentials.
    pub command_line: String,
}

/// Prefix of the SSM session reasons this service writes.
const REASON_PREFIX: &str = "aw|";
/// SSM's limit on a session reason.
const SSM_REASON_CHARS: usize = 256;
/// Our limit on the caller's reason.
const MAX_REASON_CHARS: usize = 200;
/// How many alerts of the incident are searched for the instance.
const MAX_ALERTS: u64 = 1000;

/// What this service put in a session's reason.
#[derive(Debug, Default, PartialEq, Eq)]
struct Origin {
    incident_id: String,
    actor: String,
    reason: String,
}

/// The SSM reason carrying the origin, cut to SSM's limit (the actor first,
/// then the free text; the incident id always fits).
fn encode_reason(incident_id: &str, actor: &str, reason: &str) -> String {
    let actor: String = actor.replace('|', "/").chars().take(80).collect();
    let head = format!("{REASON_PREFIX}{incident_id}|{actor}|");
    let room = SSM_REASON_CHARS.saturating_sub(head.chars().count());
    format!("{head}{}", reason.chars().take(room).collect::<String>())
}

/// The origin of a session reason; a reason not written by us is all free text.
fn decode_reason(reason: &str) -> Origin {
    if let Some(rest) = reason.strip_prefix(REASON_PREFIX) {
        let mut parts = rest.splitn(3, '|');
        if let (Some(incident_id), Some(actor), Some(text)) =
            (parts.next(), parts.next(), parts.next())
        {
            return Origin {
                incident_id: incident_id.to_owned(),
                actor: actor.to_owned(),
                reason: text.to_owned(),
            };
        }
    }
    Origin {
        reason: reason.to_owned(),
        ..Origin::default()
    }
}

/// The caller's reason: trimmed, one line, at most 200 characters.
fn reason_of(value: &str, required: bool) -> Result<String> {
    let value = value.trim();
    if required && value.is_empty() {
        return Err(Error::invalid(
            "reason",
            "is required: say why the instance needs a shell",
        ));
    }
    if value.chars().count() > MAX_REASON_CHARS {
        return Err(Error::invalid("reason", "must be at most 200 characters"));
    }
    if value.chars().any(char::is_control) {
        return Err(Error::invalid("reason", "must be one line of text"));
    }
    Ok(value.to_owned())
}

/// An SSM instance id: `i-` (EC2) or `mi-` (hybrid) and hex digits.
fn instance_id_of(value: &str) -> Result<&str> {
    let value = value.trim();
    if value.is_empty() {
        return Err(Error::invalid("instance_id", "is required"));
    }
    let digits = value
        .strip_prefix("i-")
        .or_else(|| value.strip_prefix("mi-"))
        .unwrap_or_default();
    if digits.is_empty() || digits.len() > 17 || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(Error::invalid(
            "instance_id",
            "must be an EC2 (i-…) or hybrid (mi-…) instance id",
        ));
    }
    Ok(value)
}

/// Quotes a word for a POSIX shell.
fn shell_quote(word: &str) -> String {
    if !word.is_empty()
        && word
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./:=@,".contains(&b))
    {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// Whether a session started from `incident_id` is the company's: two
/// companies may share an AWS account, so a session found in the account is
/// another company's when its incident is (or is not visible to the caller).
async fn of_company(
    state: &AppState,
    operator: &Operator,
    company_id: &str,
    incident_id: &str,
) -> bool {
    incident_id.is_empty()
        || state
            .store
            .incident_company(&operator.scope, incident_id)
            .await
            .is_ok_and(|scoped| scoped.id() == company_id)
}

/// StartSession: a technician or admin opens a session to one of the
/// incident's instances (its asset or one of its alerts'), for `reason`.
pub async fn start(
    state: &AppState,
    operator: &Operator,
    incident_id: &str,
    instance_id: &str,
    reason: &str,
) -> Result<Started> {
    // Scope first: another tenant's incident is NOT_FOUND whatever else is sent.
    let view = state
        .store
        .incident_view(&operator.scope, incident_id, MAX_ALERTS)
        .await?;
    operator.require(Role::Technician)?;
    let instance_id = instance_id_of(instance_id)?;
    let reason = reason_of(reason, true)?;
    let incident = &view.incident;
    let of_incident =
        incident.asset == instance_id || view.alerts.iter().any(|alert| alert.asset == instance_id);
    if !of_incident {
        return Err(Error::FailedPrecondition(format!(
            "instance {instance_id} is not an asset of incident {incident_id} (neither the incident's asset nor one of its alerts'): a session can only be opened to the incident's own instances"
        )));
    }
    let company = state
        .store
        .get_company(&operator.scope, &incident.company_id)
        .await?;
    let role = CompanyRole::of(&company)?;
    let ssm = state.aws.ssm(&role).await?;
    let actor = operator.actor();
    let answer = ssm
        .start_session()
        .target(instance_id)
        .reason(encode_reason(incident_id, &actor, &reason))
        .send()
        .await
        .map_err(|error| aws_error("ssm:StartSession", &role, error))?;
    let session_id = answer.session_id().unwrap_or_default().to_owned();
    let region = state.aws.region().to_owned();
    let scoped = state
        .store
        .incident_company(&operator.scope, incident_id)
        .await?;
    // Kept so that its end reaches the timeline also when nobody ends it here.
    state
        .store
        .record_session_start(&OpenSession {
            session_id: session_id.clone(),
            company: scoped.clone(),
            incident_id: incident_id.to_owned(),
            instance_id: instance_id.to_owned(),
            started_by: actor.clone(),
            started_at: now_ms(),
        })
        .await?;
    state
        .owners
        .change_incident(
            &scoped,
            incident_id,
            &actor,
            IncidentCommand::Comment {
                text: format!(
                    "Session Manager session {session_id} started to {instance_id} by {actor}: {reason}"
                ),
            },
        )
        .await?;
    state
        .store
        .record_audit(
            &Audit::new(actor.clone(), "RunbookService.StartSession"),
            Some(&company.id),
            "ssm_session",
            &session_id,
            serde_json::json!({
                "incident_id": incident_id,
                "instance_id": instance_id,
                "reason": reason,
            }),
        )
        .await?;
    let command_line = format!(
        "aws ssm start-session --target {} --region {} --reason {}",
        shell_quote(instance_id),
        shell_quote(&region),
        shell_quote(&format!("incident {incident_id}: {reason}")),
    );
    Ok(Started {
        session: SessionView {
            session_id,
            company_id: company.id.clone(),
            instance_id: instance_id.to_owned(),
            status: "Connecting".to_owned(),
            incident_id: incident_id.to_owned(),
            reason,
            started_by: actor,
            started_at: Some(now_ms()),
            document_name: String::new(),
        },
        token_value: answer.token_value().unwrap_or_default().to_owned(),
        stream_url: answer.stream_url().unwrap_or_default().to_owned(),
        region,
        command_line,
    })
}

/// TerminateSession: a technician or admin ends one of the company's active
/// sessions, for `reason` (may be empty).
pub async fn terminate(
    state: &AppState,
    operator: &Operator,
    company_id: &str,
    session_id: &str,
    reason: &str,
) -> Result<SessionView> {
    let (scoped, company) = state
        .store
        .scoped_company_row(&operator.scope, company_id)
        .await?;
    operator.require(Role::Technician)?;
    let session_id = session_id.trim();
    if session_id.is_empty() {
        return Err(Error::invalid("session_id", "is required"));
    }
    let reason = reason_of(reason, false)?;
    let role = CompanyRole::of(&company)?;
    let ssm = state.aws.ssm(&role).await?;
    let session = active_sessions(&ssm, &role, Some(session_id))
        .await?
        .into_iter()
        .find(|session| session.session_id() == Some(session_id))
        .ok_or_else(|| Error::NotFound(format!("active session {session_id}")))?;
    let origin = decode_reason(session.reason().unwrap_or_default());
    if !of_company(state, operator, company_id, &origin.incident_id).await {
        return Err(Error::NotFound(format!("active session {session_id}")));
    }
    ssm.terminate_session()
        .session_id(session_id)
        .send()
        .await
        .map_err(|error| aws_error("ssm:TerminateSession", &role, error))?;
    let message = SessionView::of(company_id, &session);
    let actor = operator.actor();
    // Its end is recorded here, so the session watcher does not record it again.
    state
        .store
        .record_session_end(&scoped, session_id, now_ms())
        .await?;
    if !message.incident_id.is_empty() {
        // The incident may since have been deleted or moved; the audit entry
        // still records the end.
        if let Ok(scoped) = state
            .store
            .incident_company(&operator.scope, &message.incident_id)
            .await
            && scoped.id() == company_id
        {
            let why = if reason.is_empty() {
                String::new()
            } else {
                format!(": {reason}")
            };
            state
                .owners
                .change_incident(
                    &scoped,
                    &message.incident_id,
                    &actor,
                    IncidentCommand::Comment {
                        text: format!(
                            "Session Manager session {session_id} to {} terminated by {actor}{why}",
                            message.instance_id
                        ),
                    },
                )
                .await?;
        }
    }
    state
        .store
        .record_audit(
            &Audit::new(actor, "RunbookService.TerminateSession"),
            Some(company_id),
            "ssm_session",
            session_id,
            serde_json::json!({
                "incident_id": message.incident_id,
                "instance_id": message.instance_id,
                "reason": reason,
            }),
        )
        .await?;
    Ok(message)
}

/// ListSessions: the company's active sessions, newest first, optionally
/// only those started from `incident_id` (may be empty).
pub async fn list(
    state: &AppState,
    operator: &Operator,
    company_id: &str,
    incident_id: &str,
) -> Result<Vec<SessionView>> {
    let company = state.store.get_company(&operator.scope, company_id).await?;
    let incident_id = incident_id.trim();
    if !incident_id.is_empty() {
        let incident = state
            .store
            .get_incident(&operator.scope, incident_id)
            .await?;
        if incident.company_id != company_id {
            return Err(Error::NotFound(format!("incident {incident_id}")));
        }
    }
    let role = CompanyRole::of(&company)?;
    let ssm = state.aws.ssm(&role).await?;
    let mut sessions = Vec::new();
    let mut theirs = std::collections::HashMap::new();
    for session in active_sessions(&ssm, &role, None).await? {
        let message = SessionView::of(company_id, &session);
        if !incident_id.is_empty() && message.incident_id != incident_id {
            continue;
        }
        let ours = match theirs.get(&message.incident_id) {
            Some(ours) => *ours,
            None => {
                let ours = of_company(state, operator, company_id, &message.incident_id).await;
                theirs.insert(message.incident_id.clone(), ours);
                ours
            }
        };
        if ours {
            sessions.push(message);
        }
    }
    sessions.sort_by(|a, b| {
        let key = |s: &SessionView| s.started_at;
        key(b).cmp(&key(a))
    });
    Ok(sessions)
}

/// The actor of what the watcher records.
const ACTOR: &str = "system";
/// Most open sessions one sweep looks at.
const SWEEP_LIMIT: u64 = 1_000;
/// How long a session's row is kept after its end was recorded, for
/// inspection only (the watcher reads open rows): as long as SSM keeps a
/// session's history.
const ENDED_SESSION_RETENTION_MS: i64 = 30 * 24 * 3600 * 1000;

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
/// sweep; the end is recorded once across replicas. The rows of sessions that
/// ended more than 30 days ago are forgotten.
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
    state
        .store
        .forget_ended_sessions(now_ms().saturating_sub(ENDED_SESSION_RETENTION_MS))
        .await?;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_round_trip_and_fit_ssm() {
        let encoded = encode_reason("inc1", "token:t1 (alice|bob)", "disk full");
        assert_eq!(
            decode_reason(&encoded),
            Origin {
                incident_id: "inc1".into(),
                actor: "token:t1 (alice/bob)".into(),
                reason: "disk full".into(),
            }
        );
        let long = encode_reason("inc1", &"a".repeat(300), &"b|".repeat(300));
        assert!(long.chars().count() <= SSM_REASON_CHARS);
        assert_eq!(decode_reason(&long).incident_id, "inc1");
        assert_eq!(decode_reason("by hand").reason, "by hand");
        assert_eq!(decode_reason("by hand").incident_id, "");
    }

    #[test]
    fn instance_ids_and_quoting() {
        assert!(instance_id_of("i-0123456789abcdef0").is_ok());
        assert!(instance_id_of("mi-0123456789abcdef0").is_ok());
        assert!(instance_id_of("web-1").is_err());
        assert!(instance_id_of("i-").is_err());
        assert_eq!(shell_quote("i-0abc"), "i-0abc");
        assert_eq!(shell_quote("it's down"), r"'it'\''s down'");
    }
}
