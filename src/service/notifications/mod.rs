//! Notifications: channels (checked, their secrets sealed), routes with
//! escalation levels, test messages, the delivery log and redelivery.
//! NotificationService calls it and only converts its messages; sending is
//! the notifier's (`crate::notify`).

mod channel;
mod route;

pub use channel::{ChannelDraft, ChannelSettings, EmailSettings};
pub use route::{RouteDraft, WindowDraft};

use crate::app::AppState;
use crate::auth::Operator;
use crate::domain::notification::{
    ChannelConfig, ChannelKind, DEFAULT_MAX_ATTEMPTS, DeliveryStatus, MAX_ATTEMPTS, MAX_PER_MINUTE,
    NotifyEvent, Route, check_route_matcher,
};
use crate::domain::tenant::{Role, validate_name};
use crate::error::{Error, Result};
use crate::store::entity::{notification_channel, notification_delivery, notification_route};
use crate::store::notification::{Attempt, DeliveryFilter, NewChannel, NewRoute, route_of};
use crate::store::tenant::Audit;
use crate::store::{Page, new_id};

/// A channel, without its secret.
#[derive(Debug, Clone)]
pub struct Channel {
    pub id: String,
    pub company_id: String,
    pub name: String,
    /// Its kind; `None` for a stored number this server does not know.
    pub kind: Option<ChannelKind>,
    /// Where it sends, without credentials.
    pub target: String,
    /// Whether it keeps a secret (signing secret, webhook URL, password or
    /// routing key).
    pub has_secret: bool,
    /// Attempts before a delivery is dead-lettered.
    pub max_attempts: i32,
    /// Most messages per minute; 0 for no limit.
    pub max_per_minute: i32,
    /// When it was made (ms).
    pub created_at: i64,
}

impl From<notification_channel::Model> for Channel {
    fn from(row: notification_channel::Model) -> Self {
        Self {
            kind: ChannelKind::from_i16(row.kind),
            has_secret: row.ciphertext.is_some() || row.secret_arn.is_some(),
            id: row.id,
            company_id: row.company_id,
            name: row.name,
            target: row.target,
            max_attempts: row.max_attempts,
            max_per_minute: row.max_per_minute,
            created_at: row.created_at,
        }
    }
}

/// A channel just made, with the signing secret a webhook receiver checks
/// (shown this once; empty for the other kinds).
#[derive(Debug, Clone)]
pub struct CreatedChannel {
    pub channel: Channel,
    /// A webhook channel's signing secret.
    pub signing_secret: String,
}

/// A stored route: the domain's route with what is shown beside it.
#[derive(Debug, Clone)]
pub struct StoredRoute {
    pub route: Route,
    pub company_id: String,
    pub name: String,
    /// The windows' time zone as it was given.
    pub time_zone: String,
    /// When it was made (ms).
    pub created_at: i64,
}

impl From<notification_route::Model> for StoredRoute {
    fn from(row: notification_route::Model) -> Self {
        Self {
            route: route_of(&row),
            company_id: row.company_id,
            name: row.name,
            time_zone: row.time_zone,
            created_at: row.created_at,
        }
    }
}

/// One notification to one channel, with the outcome of its latest attempt.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub id: String,
    pub company_id: String,
    pub channel_id: String,
    /// Route; empty for a test message.
    pub route_id: String,
    pub incident_id: String,
    /// The change it tells of; `None` for a number this server does not know.
    pub event: Option<NotifyEvent>,
    /// Where it stands; `None` for a number this server does not know.
    pub status: Option<DeliveryStatus>,
    /// Route level, 1 first.
    pub level: i16,
    /// 0 for the level's first sending, 1… for repeats of the last level.
    pub round: i16,
    /// Deliveries the latest attempt carried together; 0 before one.
    pub digest_size: i32,
    /// Incident event log sequence of the change.
    pub event_sequence: i64,
    pub attempts: i32,
    /// Latest attempt's HTTP status or SMTP reply code.
    pub last_status_code: i32,
    /// Latest attempt's error.
    pub last_error: String,
    /// Latest attempt's duration (ms).
    pub last_latency_ms: i64,
    /// When it was made (ms).
    pub created_at: i64,
    /// When the next attempt is due (ms), while it is pending.
    pub next_attempt_at: Option<i64>,
    /// When the receiver took it (ms).
    pub delivered_at: Option<i64>,
}

impl From<notification_delivery::Model> for Delivery {
    fn from(row: notification_delivery::Model) -> Self {
        let status = DeliveryStatus::from_i16(row.status);
        Self {
            event: NotifyEvent::from_i16(row.event),
            next_attempt_at: (status == Some(DeliveryStatus::Pending))
                .then_some(row.next_attempt_at),
            status,
            id: row.id,
            company_id: row.company_id,
            channel_id: row.channel_id,
            route_id: row.route_id,
            incident_id: row.incident_id,
            level: row.level,
            round: row.round,
            digest_size: row.digest_size,
            event_sequence: row.event_sequence,
            attempts: row.attempts,
            last_status_code: row.last_status_code,
            last_error: row.last_error,
            last_latency_ms: row.last_latency_ms,
            created_at: row.created_at,
            delivered_at: row.delivered_at,
        }
    }
}

/// A page of stored rows as the service's type, with the next page's token.
fn page_of<Row, T: From<Row>>((rows, next_page_token): (Vec<Row>, String)) -> (Vec<T>, String) {
    (rows.into_iter().map(T::from).collect(), next_page_token)
}

/// Creates a channel (technicians and admins): checks it and that it sends
/// to an allowed destination, seals its secret (before it is stored, within
/// the operator's scope) and stores it.
pub async fn create_channel(
    state: &AppState,
    operator: &Operator,
    draft: ChannelDraft,
) -> Result<CreatedChannel> {
    operator.require(Role::Technician)?;
    let company_id = draft.company_id.as_str();
    let name = validate_name("name", &draft.name)?;
    let max_attempts = match draft.max_attempts {
        0 => DEFAULT_MAX_ATTEMPTS,
        n if (1..=MAX_ATTEMPTS).contains(&n) => n,
        _ => {
            return Err(Error::invalid(
                "max_attempts",
                format!("must be between 1 and {MAX_ATTEMPTS}"),
            ));
        }
    };
    if !(0..=MAX_PER_MINUTE).contains(&draft.max_per_minute) {
        return Err(Error::invalid(
            "max_per_minute",
            format!("must be between 0 (no limit) and {MAX_PER_MINUTE}"),
        ));
    }
    let (config, target, secret) = channel::channel_config_of(draft.settings.as_ref())?;
    for (field, host) in channel::destination_hosts(draft.settings.as_ref()) {
        state.notifier.check_destination(field, &host)?;
    }
    let signing_secret = match config {
        ChannelConfig::Webhook { .. } => secret.clone().unwrap_or_default(),
        _ => String::new(),
    };
    // The scope is checked before a secret is kept anywhere (the store
    // checks it again).
    state
        .store
        .scoped_company(&operator.scope, company_id)
        .await?;
    let id = new_id();
    let secret = match secret {
        Some(secret) => Some(
            state
                .ingest
                .seal_channel_secret(company_id, &id, &secret)
                .await?,
        ),
        None => None,
    };
    let created = state
        .store
        .create_channel(
            &Audit::new(operator.actor(), "NotificationService.CreateChannel"),
            &operator.scope,
            NewChannel {
                id,
                company_id: company_id.to_owned(),
                name,
                config,
                target,
                secret,
                max_attempts,
                max_per_minute: draft.max_per_minute,
            },
        )
        .await?;
    Ok(CreatedChannel {
        channel: created.into(),
        signing_secret,
    })
}

/// A page of a company's channels and the next page's token.
pub async fn list_channels(
    state: &AppState,
    operator: &Operator,
    company_id: &str,
    page: &Page,
) -> Result<(Vec<Channel>, String)> {
    let rows = state
        .store
        .list_channels(&operator.scope, company_id, page)
        .await?;
    Ok(page_of(rows))
}

/// Deletes a channel (technicians and admins) and forgets its credential
/// in Secrets Manager.
pub async fn delete_channel(state: &AppState, operator: &Operator, id: &str) -> Result<()> {
    operator.require(Role::Technician)?;
    let channel = state.store.channel(&operator.scope, id).await?;
    state
        .store
        .delete_channel(
            &Audit::new(operator.actor(), "NotificationService.DeleteChannel"),
            &operator.scope,
            id,
        )
        .await?;
    if channel.secret_arn.is_some() {
        // The channel is gone either way; a credential left behind is
        // never used again, so a failure is logged, not answered.
        if let Err(error) = state
            .ingest
            .forget_channel_secret(&channel.company_id, id)
            .await
        {
            tracing::warn!(company_id = %channel.company_id, channel_id = id, %error, "cannot remove a deleted channel's credential from secrets manager");
        }
    }
    Ok(())
}

/// Sends a test message through a channel (technicians and admins) and
/// answers the attempt; the outcome is audited.
pub async fn test_channel(state: &AppState, operator: &Operator, id: &str) -> Result<Attempt> {
    operator.require(Role::Technician)?;
    let channel = state.store.channel(&operator.scope, id).await?;
    let attempt = state.notifier.test(&channel).await;
    state
        .store
        .record_audit(
            &Audit::new(operator.actor(), "NotificationService.TestChannel"),
            Some(&channel.company_id),
            "notification_channel",
            id,
            serde_json::json!({ "ok": attempt.ok, "status_code": attempt.status_code }),
        )
        .await?;
    Ok(attempt)
}

/// Creates a route (technicians and admins). A level that pages
/// technicians needs a channel in the company that reaches them (email or
/// Slack).
pub async fn create_route(
    state: &AppState,
    operator: &Operator,
    draft: RouteDraft,
) -> Result<StoredRoute> {
    operator.require(Role::Technician)?;
    let name = validate_name("name", &draft.name)?;
    route::check_events(&draft.events)?;
    let max_priority = route::max_priority_of(draft.max_priority)?;
    let (windows, time_zone) = route::windows_of(&draft.windows, &draft.time_zone)?;
    for (index, matcher) in draft.matchers.iter().enumerate() {
        check_route_matcher(&format!("matchers[{index}]"), matcher)?;
    }
    route::check_level_count(&draft.levels)?;
    let mut previous_delay = 0;
    for (index, level) in draft.levels.iter().enumerate() {
        let field = format!("levels[{index}]");
        route::check_level(&field, level, previous_delay)?;
        previous_delay = level.delay_seconds;
        if level.pages_technicians() {
            let mut reaches = false;
            for (position, channel_id) in level.channel_ids.iter().enumerate() {
                let channel = state
                    .store
                    .channel(&operator.scope, channel_id)
                    .await
                    .map_err(|_| {
                        Error::invalid(
                            &format!("{field}.channel_ids[{position}]"),
                            format!("no channel {channel_id} in this company"),
                        )
                    })?;
                reaches |=
                    ChannelKind::from_i16(channel.kind).is_some_and(ChannelKind::pages_technicians);
            }
            if !reaches {
                return Err(Error::invalid(
                    &field,
                    "technicians are paged through an email channel (their addresses) or a Slack channel (their member ids); the level has neither",
                ));
            }
        }
    }
    let (repeat_interval_seconds, repeat_count) = route::repeats_of(
        (draft.repeat_interval_seconds, draft.repeat_count),
        &draft.events,
    )?;
    let created = state
        .store
        .create_route(
            &Audit::new(operator.actor(), "NotificationService.CreateRoute"),
            &operator.scope,
            NewRoute {
                company_id: draft.company_id,
                name,
                events: draft.events,
                max_priority,
                matchers: draft.matchers,
                levels: draft.levels,
                windows,
                time_zone,
                repeat_interval_seconds,
                repeat_count,
            },
        )
        .await?;
    Ok(created.into())
}

/// A page of a company's routes and the next page's token.
pub async fn list_routes(
    state: &AppState,
    operator: &Operator,
    company_id: &str,
    page: &Page,
) -> Result<(Vec<StoredRoute>, String)> {
    let rows = state
        .store
        .list_routes(&operator.scope, company_id, page)
        .await?;
    Ok(page_of(rows))
}

/// Deletes a route (technicians and admins).
pub async fn delete_route(state: &AppState, operator: &Operator, id: &str) -> Result<()> {
    operator.require(Role::Technician)?;
    state
        .store
        .delete_route(
            &Audit::new(operator.actor(), "NotificationService.DeleteRoute"),
            &operator.scope,
            id,
        )
        .await?;
    Ok(())
}

/// A page of a company's deliveries that pass `filter`, and the next page's
/// token; it reads every decision made before the call.
pub async fn list_deliveries(
    state: &AppState,
    operator: &Operator,
    company_id: &str,
    filter: &DeliveryFilter,
    page: &Page,
) -> Result<(Vec<Delivery>, String)> {
    state.owners.read_barrier().await;
    let rows = state
        .store
        .list_deliveries(&operator.scope, company_id, filter, page)
        .await?;
    Ok(page_of(rows))
}

/// Sends a delivery again (technicians and admins): it is pending and due
/// now, and the notifier is woken.
pub async fn redeliver(state: &AppState, operator: &Operator, id: &str) -> Result<Delivery> {
    operator.require(Role::Technician)?;
    let delivery = state
        .store
        .redeliver(
            &Audit::new(
                operator.actor(),
                "NotificationService.RedeliverNotification",
            ),
            &operator.scope,
            id,
        )
        .await?;
    state.notifier.wake();
    Ok(delivery.into())
}
