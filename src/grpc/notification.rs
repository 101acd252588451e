//! NotificationService: channels, routes with escalation levels, the delivery
//! log and redelivery. Sending is the notifier's (`crate::notify`).

use tonic::{Request, Response, Status};

use super::convert::{required_id, timestamp};
use super::correlation::{matcher_messages_of, matchers_of};
use super::operator;
use crate::app::AppState;
use crate::domain::correlation::Matcher;
use crate::domain::ingest::is_http_url;
use crate::domain::notification::{
    ChannelConfig, ChannelKind, DEFAULT_MAX_ATTEMPTS, DeliveryStatus, EmailConfig, Level,
    MAX_ATTEMPTS, MAX_DELAY_SECONDS, MAX_LEVELS, MAX_PAGED_TECHNICIANS, MAX_PER_MINUTE,
    MAX_RECIPIENTS, MAX_REPEATS, MAX_URL_CHARS, MAX_WINDOWS, MIN_REPEAT_SECONDS, NotifyEvent,
    PAGERDUTY_EVENTS_URL, SmtpSecurity, Window, check_route_matcher, new_signing_secret,
};
use crate::domain::tenant::{Role, validate_name};
use crate::error::{Error, Result};
use crate::proto::v1::{self, notification_service_server::NotificationService};
use crate::store::entity::{notification_channel, notification_delivery, notification_route};
use crate::store::notification::{DeliveryFilter, NewChannel, NewRoute, route_of};
use crate::store::tenant::Audit;
use crate::store::{Page, new_id};

/// The NotificationService handler.
#[derive(Debug, Clone)]
pub struct NotificationHandler {
    state: AppState,
}

impl NotificationHandler {
    /// A handler over the shared state.
    pub fn new(state: AppState) -> Self {
        Self { state }
    }
}

fn channel_kind_message(kind: i16) -> v1::ChannelKind {
    match ChannelKind::from_i16(kind) {
        Some(ChannelKind::Webhook) => v1::ChannelKind::Webhook,
        Some(ChannelKind::Slack) => v1::ChannelKind::Slack,
        Some(ChannelKind::Teams) => v1::ChannelKind::Teams,
        Some(ChannelKind::Email) => v1::ChannelKind::Email,
        Some(ChannelKind::PagerDuty) => v1::ChannelKind::Pagerduty,
        None => v1::ChannelKind::Unspecified,
    }
}

fn channel_message(row: notification_channel::Model) -> v1::Channel {
    v1::Channel {
        kind: channel_kind_message(row.kind).into(),
        has_secret: row.ciphertext.is_some() || row.secret_arn.is_some(),
        id: row.id,
        company_id: row.company_id,
        name: row.name,
        target: row.target,
        max_attempts: row.max_attempts,
        max_per_minute: row.max_per_minute,
        create_time: Some(timestamp(row.created_at)),
    }
}

fn notify_event_message(event: NotifyEvent) -> v1::NotifyEvent {
    match event {
        NotifyEvent::Opened => v1::NotifyEvent::Opened,
        NotifyEvent::PriorityRaised => v1::NotifyEvent::PriorityRaised,
        NotifyEvent::Acknowledged => v1::NotifyEvent::Acknowledged,
        NotifyEvent::Resolved => v1::NotifyEvent::Resolved,
        NotifyEvent::Reopened => v1::NotifyEvent::Reopened,
        NotifyEvent::RunbookFailed => v1::NotifyEvent::RunbookFailed,
        NotifyEvent::StormOpened => v1::NotifyEvent::StormOpened,
    }
}

fn route_message(row: notification_route::Model) -> v1::Route {
    let route = route_of(&row);
    v1::Route {
        id: row.id,
        company_id: row.company_id,
        name: row.name,
        events: route
            .events
            .iter()
            .map(|event| notify_event_message(*event).into())
            .collect(),
        max_priority: i32::from(route.max_priority),
        matchers: matcher_messages_of(&route.matchers),
        levels: route
            .levels
            .into_iter()
            .map(|level| v1::EscalationLevel {
                channel_ids: level.channel_ids,
                delay_seconds: level.delay_seconds,
                to_on_duty_technicians: level.to_on_duty_technicians,
                to_assigned_technician: level.to_assigned_technician,
                technician_ids: level.technician_ids,
            })
            .collect(),
        windows: route
            .windows
            .iter()
            .map(|window| v1::TimeWindow {
                weekdays: window.weekdays.iter().map(|d| i32::from(*d)).collect(),
                start_time: Window::text(window.start),
                end_time: Window::text(window.end),
            })
            .collect(),
        time_zone: row.time_zone,
        repeat_interval_seconds: row.repeat_interval_seconds,
        repeat_count: row.repeat_count,
        create_time: Some(timestamp(row.created_at)),
    }
}

/// A route's windows and time zone from a request.
fn windows_of(windows: &[v1::TimeWindow], time_zone: &str) -> Result<(Vec<Window>, String)> {
    let time_zone = if time_zone.trim().is_empty() {
        "UTC".to_owned()
    } else {
        time_zone.trim().to_owned()
    };
    if time_zone.len() > 64 {
        return Err(Error::invalid("time_zone", "must be at most 64 characters"));
    }
    crate::domain::notification::time_zone("time_zone", &time_zone)?;
    if windows.len() > MAX_WINDOWS {
        return Err(Error::invalid(
            "windows",
            format!("at most {MAX_WINDOWS} windows"),
        ));
    }
    let windows = windows
        .iter()
        .enumerate()
        .map(|(index, window)| {
            let field = format!("windows[{index}]");
            let mut weekdays = Vec::with_capacity(window.weekdays.len());
            for (position, day) in window.weekdays.iter().enumerate() {
                let day = u8::try_from(*day)
                    .ok()
                    .filter(|d| (1..=7).contains(d))
                    .ok_or_else(|| {
                        Error::invalid(
                            &format!("{field}.weekdays[{position}]"),
                            "must be 1 (Monday) to 7 (Sunday)",
                        )
                    })?;
                if weekdays.contains(&day) {
                    return Err(Error::invalid(
                        &format!("{field}.weekdays[{position}]"),
                        "is listed twice",
                    ));
                }
                weekdays.push(day);
            }
            Ok(Window {
                weekdays,
                start: Window::minutes(&format!("{field}.start_time"), &window.start_time, false)?,
                end: Window::minutes(&format!("{field}.end_time"), &window.end_time, true)?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok((windows, time_zone))
}

fn delivery_message(row: notification_delivery::Model) -> v1::Delivery {
    let status = DeliveryStatus::from_i16(row.status);
    v1::Delivery {
        event: NotifyEvent::from_i16(row.event)
            .map_or(v1::NotifyEvent::Unspecified, notify_event_message)
            .into(),
        status: match status {
            Some(DeliveryStatus::Pending) => v1::DeliveryStatus::Pending,
            Some(DeliveryStatus::Delivered) => v1::DeliveryStatus::Delivered,
            Some(DeliveryStatus::Dead) => v1::DeliveryStatus::Dead,
            Some(DeliveryStatus::Cancelled) => v1::DeliveryStatus::Cancelled,
            None => v1::DeliveryStatus::Unspecified,
        }
        .into(),
        next_attempt_time: (status == Some(DeliveryStatus::Pending))
            .then(|| timestamp(row.next_attempt_at)),
        deliver_time: row.delivered_at.map(timestamp),
        id: row.id,
        company_id: row.company_id,
        channel_id: row.channel_id,
        route_id: row.route_id,
        incident_id: row.incident_id,
        level: i32::from(row.level),
        round: i32::from(row.round),
        digest_size: row.digest_size,
        event_sequence: row.event_sequence,
        attempts: row.attempts,
        last_status_code: row.last_status_code,
        last_error: row.last_error,
        last_latency_ms: row.last_latency_ms,
        create_time: Some(timestamp(row.created_at)),
    }
}

/// A route's repeats of its last level: (interval, count).
fn repeats_of(body: &v1::CreateRouteRequest, events: &[NotifyEvent]) -> Result<(i32, i32)> {
    let (interval, count) = (body.repeat_interval_seconds, body.repeat_count);
    if !(0..=i32::from(MAX_REPEATS)).contains(&count) {
        return Err(Error::invalid(
            "repeat_count",
            format!("must be between 0 and {MAX_REPEATS}"),
        ));
    }
    if interval != 0 && !(MIN_REPEAT_SECONDS..=MAX_DELAY_SECONDS).contains(&interval) {
        return Err(Error::invalid(
            "repeat_interval_seconds",
            format!("must be 0 or between {MIN_REPEAT_SECONDS} and {MAX_DELAY_SECONDS}"),
        ));
    }
    if (interval == 0) != (count == 0) {
        return Err(Error::invalid(
            "repeat_count",
            "repeat_count and repeat_interval_seconds are set together (both 0: no repeats)",
        ));
    }
    if count > 0 && !events.iter().any(|event| event.escalates()) {
        return Err(Error::invalid(
            "repeat_count",
            "repeats page again while nobody acknowledges, so the route needs OPENED, REOPENED or STORM_OPENED among its events",
        ));
    }
    Ok((interval, count))
}

/// A URL a channel posts to.
fn url_of(field: &str, url: &str) -> Result<String> {
    let url = url.trim();
    if url.is_empty() {
        return Err(Error::invalid(field, "is required"));
    }
    if url.chars().count() > MAX_URL_CHARS {
        return Err(Error::invalid(
            field,
            format!("must be at most {MAX_URL_CHARS} characters"),
        ));
    }
    if !is_http_url(url) || url.parse::<http::Uri>().is_err() {
        return Err(Error::invalid(
            field,
            "must be an http:// or https:// URL with a host",
        ));
    }
    Ok(url.to_owned())
}

/// The hosts a channel's request sends to, by field.
fn destination_hosts(
    config: Option<&v1::create_channel_request::Config>,
) -> Vec<(&'static str, String)> {
    use v1::create_channel_request::Config as C;
    match config {
        Some(C::Webhook(webhook)) => vec![("webhook.url", host_of(&webhook.url))],
        Some(C::Slack(slack)) => vec![("slack.webhook_url", host_of(&slack.webhook_url))],
        Some(C::Teams(teams)) => vec![("teams.webhook_url", host_of(&teams.webhook_url))],
        Some(C::Pagerduty(pagerduty)) if !pagerduty.events_url.trim().is_empty() => {
            vec![("pagerduty.events_url", host_of(&pagerduty.events_url))]
        }
        Some(C::Email(email)) => vec![("email.smtp_host", email.smtp_host.trim().to_owned())],
        _ => Vec::new(),
    }
}

/// The host of a URL that is a credential, to show instead of it.
fn host_of(url: &str) -> String {
    url.trim()
        .parse::<http::Uri>()
        .ok()
        .and_then(|uri| uri.host().map(str::to_owned))
        .unwrap_or_default()
}

fn mailbox_of(field: &str, text: &str) -> Result<String> {
    let text = text.trim();
    if text.is_empty() {
        return Err(Error::invalid(field, "is required"));
    }
    text.parse::<lettre::message::Mailbox>()
        .map_err(|error| Error::invalid(field, format!("is not an e-mail address: {error}")))?;
    Ok(text.to_owned())
}

/// The channel's settings, what it shows as its target, and its secret.
fn channel_config_of(
    config: Option<&v1::create_channel_request::Config>,
) -> Result<(ChannelConfig, String, Option<String>)> {
    use v1::create_channel_request::Config as C;
    match config {
        None => Err(Error::invalid(
            "config",
            "set one of webhook, slack, teams, email and pagerduty",
        )),
        Some(C::Webhook(webhook)) => {
            let url = url_of("webhook.url", &webhook.url)?;
            Ok((
                ChannelConfig::Webhook { url: url.clone() },
                url,
                Some(new_signing_secret()),
            ))
        }
        Some(C::Slack(slack)) => {
            let url = url_of("slack.webhook_url", &slack.webhook_url)?;
            Ok((ChannelConfig::Slack, host_of(&url), Some(url)))
        }
        Some(C::Teams(teams)) => {
            let url = url_of("teams.webhook_url", &teams.webhook_url)?;
            Ok((ChannelConfig::Teams, host_of(&url), Some(url)))
        }
        Some(C::Pagerduty(pagerduty)) => {
            let key = pagerduty.routing_key.trim();
            if key.is_empty()
                || key.len() > 64
                || !key
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            {
                return Err(Error::invalid(
                    "pagerduty.routing_key",
                    "must be 1–64 letters and digits (the integration key)",
                ));
            }
            let events_url = if pagerduty.events_url.trim().is_empty() {
                PAGERDUTY_EVENTS_URL.to_owned()
            } else {
                url_of("pagerduty.events_url", &pagerduty.events_url)?
            };
            Ok((
                ChannelConfig::PagerDuty {
                    events_url: events_url.clone(),
                },
                events_url,
                Some(key.to_owned()),
            ))
        }
        Some(C::Email(email)) => {
            let host = email.smtp_host.trim();
            if host.is_empty()
                || host.len() > 253
                || host.chars().any(|c| c.is_whitespace() || c == '/')
            {
                return Err(Error::invalid(
                    "email.smtp_host",
                    "must be a host name or address (at most 253 characters)",
                ));
            }
            let security = match v1::SmtpSecurity::try_from(email.security) {
                Ok(v1::SmtpSecurity::Unspecified | v1::SmtpSecurity::Starttls) => {
                    SmtpSecurity::StartTls
                }
                Ok(v1::SmtpSecurity::Tls) => SmtpSecurity::Tls,
                Ok(v1::SmtpSecurity::None) => SmtpSecurity::None,
                Err(_) => {
                    return Err(Error::invalid(
                        "email.security",
                        "must be starttls, tls or none",
                    ));
                }
            };
            let port = match email.smtp_port {
                0 => match security {
                    SmtpSecurity::StartTls => 587,
                    SmtpSecurity::Tls => 465,
                    SmtpSecurity::None => 25,
                },
                port => u16::try_from(port).map_err(|_| {
                    Error::invalid("email.smtp_port", "must be between 1 and 65535")
                })?,
            };
            if email.username.chars().count() > 256 || email.password.chars().count() > 1024 {
                return Err(Error::invalid(
                    "email.username",
                    "user name at most 256 and password at most 1024 characters",
                ));
            }
            if email.username.trim().is_empty() && !email.password.is_empty() {
                return Err(Error::invalid(
                    "email.username",
                    "is required when a password is given",
                ));
            }
            let from = mailbox_of("email.from", &email.from)?;
            if email.to.len() > MAX_RECIPIENTS {
                return Err(Error::invalid(
                    "email.to",
                    format!("at most {MAX_RECIPIENTS} recipients"),
                ));
            }
            let to = email
                .to
                .iter()
                .enumerate()
                .map(|(index, to)| mailbox_of(&format!("email.to[{index}]"), to))
                .collect::<Result<Vec<_>>>()?;
            if email.ca_certificate_pem.len() > 64 * 1024 {
                return Err(Error::invalid(
                    "email.ca_certificate_pem",
                    "must be at most 64 KiB",
                ));
            }
            if !email.ca_certificate_pem.trim().is_empty() {
                lettre::transport::smtp::client::Certificate::from_pem(
                    email.ca_certificate_pem.as_bytes(),
                )
                .map_err(|error| {
                    Error::invalid(
                        "email.ca_certificate_pem",
                        format!("is not a PEM certificate: {error}"),
                    )
                })?;
            }
            let target = format!(
                "smtp {host}:{port} → {}",
                if to.is_empty() {
                    "technicians".to_owned()
                } else {
                    to.join(", ")
                }
            );
            let secret = (!email.password.is_empty()).then(|| email.password.clone());
            Ok((
                ChannelConfig::Email(EmailConfig {
                    host: host.to_owned(),
                    port,
                    security,
                    username: email.username.trim().to_owned(),
                    from,
                    to,
                    ca_certificate_pem: email.ca_certificate_pem.trim().to_owned(),
                }),
                target,
                secret,
            ))
        }
    }
}

fn notify_events_of(events: &[i32]) -> Result<Vec<NotifyEvent>> {
    if events.is_empty() {
        return Err(Error::invalid("events", "at least one event is required"));
    }
    let mut out = Vec::new();
    for (index, event) in events.iter().enumerate() {
        let field = format!("events[{index}]");
        let event = match v1::NotifyEvent::try_from(*event) {
            Ok(v1::NotifyEvent::Opened) => NotifyEvent::Opened,
            Ok(v1::NotifyEvent::PriorityRaised) => NotifyEvent::PriorityRaised,
            Ok(v1::NotifyEvent::Acknowledged) => NotifyEvent::Acknowledged,
            Ok(v1::NotifyEvent::Resolved) => NotifyEvent::Resolved,
            Ok(v1::NotifyEvent::Reopened) => NotifyEvent::Reopened,
            Ok(v1::NotifyEvent::RunbookFailed) => NotifyEvent::RunbookFailed,
            Ok(v1::NotifyEvent::StormOpened) => NotifyEvent::StormOpened,
            Ok(v1::NotifyEvent::Unspecified) | Err(_) => {
                return Err(Error::invalid(&field, "is not a notify event"));
            }
        };
        if out.contains(&event) {
            return Err(Error::invalid(&field, "is listed twice"));
        }
        out.push(event);
    }
    Ok(out)
}

#[tonic::async_trait]
impl NotificationService for NotificationHandler {
    async fn create_channel(
        &self,
        request: Request<v1::CreateChannelRequest>,
    ) -> Result<Response<v1::CreateChannelResponse>, Status> {
        let operator = operator(&request)?;
        operator.require(Role::Technician)?;
        let body = request.into_inner();
        let company_id = required_id("company_id", &body.company_id)?;
        let name = validate_name("name", &body.name)?;
        let max_attempts = match body.max_attempts {
            0 => DEFAULT_MAX_ATTEMPTS,
            n if (1..=MAX_ATTEMPTS).contains(&n) => n,
            _ => {
                return Err(Error::invalid(
                    "max_attempts",
                    format!("must be between 1 and {MAX_ATTEMPTS}"),
                )
                .into());
            }
        };
        if !(0..=MAX_PER_MINUTE).contains(&body.max_per_minute) {
            return Err(Error::invalid(
                "max_per_minute",
                format!("must be between 0 (no limit) and {MAX_PER_MINUTE}"),
            )
            .into());
        }
        let (config, target, secret) = channel_config_of(body.config.as_ref())?;
        for (field, host) in destination_hosts(body.config.as_ref()) {
            self.state.notifier.check_destination(field, &host)?;
        }
        let signing_secret = match config {
            ChannelConfig::Webhook { .. } => secret.clone().unwrap_or_default(),
            _ => String::new(),
        };
        // The scope is checked before a secret is kept anywhere (the store
        // checks it again).
        self.state
            .store
            .scoped_company(&operator.scope, company_id)
            .await?;
        let id = new_id();
        let secret = match secret {
            Some(secret) => Some(
                self.state
                    .ingest
                    .seal_channel_secret(company_id, &id, &secret)
                    .await?,
            ),
            None => None,
        };
        let created = self
            .state
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
                    max_per_minute: body.max_per_minute,
                },
            )
            .await?;
        Ok(Response::new(v1::CreateChannelResponse {
            channel: Some(channel_message(created)),
            signing_secret,
        }))
    }

    async fn list_channels(
        &self,
        request: Request<v1::ListChannelsRequest>,
    ) -> Result<Response<v1::ListChannelsResponse>, Status> {
        let operator = operator(&request)?;
        let body = request.into_inner();
        let company_id = required_id("company_id", &body.company_id)?;
        let page = Page::new(body.page_size, &body.page_token)?;
        let (rows, next_page_token) = self
            .state
            .store
            .list_channels(&operator.scope, company_id, &page)
            .await?;
        Ok(Response::new(v1::ListChannelsResponse {
            channels: rows.into_iter().map(channel_message).collect(),
            next_page_token,
        }))
    }

    async fn delete_channel(
        &self,
        request: Request<v1::DeleteChannelRequest>,
    ) -> Result<Response<v1::DeleteChannelResponse>, Status> {
        let operator = operator(&request)?;
        operator.require(Role::Technician)?;
        let body = request.into_inner();
        let id = required_id("channel_id", &body.channel_id)?;
        let channel = self.state.store.channel(&operator.scope, id).await?;
        self.state
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
            if let Err(error) = self
                .state
                .ingest
                .forget_channel_secret(&channel.company_id, id)
                .await
            {
                tracing::warn!(company_id = %channel.company_id, channel_id = id, %error, "cannot remove a deleted channel's credential from secrets manager");
            }
        }
        Ok(Response::new(v1::DeleteChannelResponse {}))
    }

    async fn test_channel(
        &self,
        request: Request<v1::TestChannelRequest>,
    ) -> Result<Response<v1::TestChannelResponse>, Status> {
        let operator = operator(&request)?;
        operator.require(Role::Technician)?;
        let body = request.into_inner();
        let id = required_id("channel_id", &body.channel_id)?;
        let channel = self.state.store.channel(&operator.scope, id).await?;
        let attempt = self.state.notifier.test(&channel).await;
        self.state
            .store
            .record_audit(
                &Audit::new(operator.actor(), "NotificationService.TestChannel"),
                Some(&channel.company_id),
                "notification_channel",
                id,
                serde_json::json!({ "ok": attempt.ok, "status_code": attempt.status_code }),
            )
            .await?;
        Ok(Response::new(v1::TestChannelResponse {
            ok: attempt.ok,
            status_code: attempt.status_code,
            response: attempt.response,
            error: attempt.error,
            latency_ms: attempt.latency_ms,
        }))
    }

    async fn create_route(
        &self,
        request: Request<v1::CreateRouteRequest>,
    ) -> Result<Response<v1::CreateRouteResponse>, Status> {
        let operator = operator(&request)?;
        operator.require(Role::Technician)?;
        let body = request.into_inner();
        let company_id = required_id("company_id", &body.company_id)?;
        let name = validate_name("name", &body.name)?;
        let events = notify_events_of(&body.events)?;
        let max_priority = match body.max_priority {
            0 => 4,
            n @ 1..=4 => u8::try_from(n).unwrap_or(4),
            _ => return Err(Error::invalid("max_priority", "must be between 1 and 4").into()),
        };
        let matchers: Vec<Matcher> = matchers_of("matchers", &body.matchers, false)?;
        let (windows, time_zone) = windows_of(&body.windows, &body.time_zone)?;
        for (index, matcher) in matchers.iter().enumerate() {
            check_route_matcher(&format!("matchers[{index}]"), matcher)?;
        }
        if body.levels.is_empty() || body.levels.len() > MAX_LEVELS {
            return Err(
                Error::invalid("levels", format!("must hold 1 to {MAX_LEVELS} levels")).into(),
            );
        }
        let mut levels = Vec::with_capacity(body.levels.len());
        let mut previous_delay = 0;
        for (index, level) in body.levels.iter().enumerate() {
            let field = format!("levels[{index}]");
            if level.channel_ids.is_empty() || level.channel_ids.len() > 10 {
                return Err(Error::invalid(
                    &format!("{field}.channel_ids"),
                    "must hold 1 to 10 channel ids",
                )
                .into());
            }
            let mut channel_ids: Vec<String> = Vec::with_capacity(level.channel_ids.len());
            for (position, channel_id) in level.channel_ids.iter().enumerate() {
                let id = required_id(&format!("{field}.channel_ids[{position}]"), channel_id)?;
                if channel_ids.iter().any(|seen| seen == id) {
                    return Err(Error::invalid(
                        &format!("{field}.channel_ids[{position}]"),
                        "is listed twice",
                    )
                    .into());
                }
                channel_ids.push(id.to_owned());
            }
            if !(0..=MAX_DELAY_SECONDS).contains(&level.delay_seconds) {
                return Err(Error::invalid(
                    &format!("{field}.delay_seconds"),
                    format!("must be between 0 and {MAX_DELAY_SECONDS}"),
                )
                .into());
            }
            if level.delay_seconds < previous_delay {
                return Err(Error::invalid(
                    &format!("{field}.delay_seconds"),
                    "must not be shorter than the level before",
                )
                .into());
            }
            previous_delay = level.delay_seconds;
            if level.technician_ids.len() > MAX_PAGED_TECHNICIANS {
                return Err(Error::invalid(
                    &format!("{field}.technician_ids"),
                    format!("at most {MAX_PAGED_TECHNICIANS} technicians"),
                )
                .into());
            }
            let mut technician_ids: Vec<String> = Vec::with_capacity(level.technician_ids.len());
            for (position, technician_id) in level.technician_ids.iter().enumerate() {
                let id = required_id(
                    &format!("{field}.technician_ids[{position}]"),
                    technician_id,
                )?;
                if technician_ids.iter().any(|seen| seen == id) {
                    return Err(Error::invalid(
                        &format!("{field}.technician_ids[{position}]"),
                        "is listed twice",
                    )
                    .into());
                }
                technician_ids.push(id.to_owned());
            }
            let wanted = Level {
                channel_ids,
                delay_seconds: level.delay_seconds,
                to_on_duty_technicians: level.to_on_duty_technicians,
                to_assigned_technician: level.to_assigned_technician,
                technician_ids,
            };
            if wanted.pages_technicians() {
                let mut reaches = false;
                for (position, channel_id) in wanted.channel_ids.iter().enumerate() {
                    let channel = self
                        .state
                        .store
                        .channel(&operator.scope, channel_id)
                        .await
                        .map_err(|_| {
                            Error::invalid(
                                &format!("{field}.channel_ids[{position}]"),
                                format!("no channel {channel_id} in this company"),
                            )
                        })?;
                    reaches |= ChannelKind::from_i16(channel.kind)
                        .is_some_and(ChannelKind::pages_technicians);
                }
                if !reaches {
                    return Err(Error::invalid(
                        &field,
                        "technicians are paged through an email channel (their addresses) or a Slack channel (their member ids); the level has neither",
                    )
                    .into());
                }
            }
            levels.push(wanted);
        }
        let (repeat_interval_seconds, repeat_count) = repeats_of(&body, &events)?;
        let created = self
            .state
            .store
            .create_route(
                &Audit::new(operator.actor(), "NotificationService.CreateRoute"),
                &operator.scope,
                NewRoute {
                    company_id: company_id.to_owned(),
                    name,
                    events,
                    max_priority,
                    matchers,
                    levels,
                    windows,
                    time_zone,
                    repeat_interval_seconds,
                    repeat_count,
                },
            )
            .await?;
        Ok(Response::new(v1::CreateRouteResponse {
            route: Some(route_message(created)),
        }))
    }

    async fn list_routes(
        &self,
        request: Request<v1::ListRoutesRequest>,
    ) -> Result<Response<v1::ListRoutesResponse>, Status> {
        let operator = operator(&request)?;
        let body = request.into_inner();
        let company_id = required_id("company_id", &body.company_id)?;
        let page = Page::new(body.page_size, &body.page_token)?;
        let (rows, next_page_token) = self
            .state
            .store
            .list_routes(&operator.scope, company_id, &page)
            .await?;
        Ok(Response::new(v1::ListRoutesResponse {
            routes: rows.into_iter().map(route_message).collect(),
            next_page_token,
        }))
    }

    async fn delete_route(
        &self,
        request: Request<v1::DeleteRouteRequest>,
    ) -> Result<Response<v1::DeleteRouteResponse>, Status> {
        let operator = operator(&request)?;
        operator.require(Role::Technician)?;
        let body = request.into_inner();
        let id = required_id("route_id", &body.route_id)?;
        self.state
            .store
            .delete_route(
                &Audit::new(operator.actor(), "NotificationService.DeleteRoute"),
                &operator.scope,
                id,
            )
            .await?;
        Ok(Response::new(v1::DeleteRouteResponse {}))
    }

    async fn list_deliveries(
        &self,
        request: Request<v1::ListDeliveriesRequest>,
    ) -> Result<Response<v1::ListDeliveriesResponse>, Status> {
        let operator = operator(&request)?;
        let body = request.into_inner();
        let company_id = required_id("company_id", &body.company_id)?;
        let page = Page::new(body.page_size, &body.page_token)?;
        let status = match v1::DeliveryStatus::try_from(body.status) {
            Ok(v1::DeliveryStatus::Unspecified) => None,
            Ok(v1::DeliveryStatus::Pending) => Some(DeliveryStatus::Pending),
            Ok(v1::DeliveryStatus::Delivered) => Some(DeliveryStatus::Delivered),
            Ok(v1::DeliveryStatus::Dead) => Some(DeliveryStatus::Dead),
            Ok(v1::DeliveryStatus::Cancelled) => Some(DeliveryStatus::Cancelled),
            Err(_) => return Err(Error::invalid("status", "is not a delivery status").into()),
        };
        let filter = DeliveryFilter {
            incident_id: (!body.incident_id.is_empty()).then(|| body.incident_id.clone()),
            channel_id: (!body.channel_id.is_empty()).then(|| body.channel_id.clone()),
            status,
        };
        self.state.owners.read_barrier().await;
        let (rows, next_page_token) = self
            .state
            .store
            .list_deliveries(&operator.scope, company_id, &filter, &page)
            .await?;
        Ok(Response::new(v1::ListDeliveriesResponse {
            deliveries: rows.into_iter().map(delivery_message).collect(),
            next_page_token,
        }))
    }

    async fn redeliver_notification(
        &self,
        request: Request<v1::RedeliverNotificationRequest>,
    ) -> Result<Response<v1::RedeliverNotificationResponse>, Status> {
        let operator = operator(&request)?;
        operator.require(Role::Technician)?;
        let body = request.into_inner();
        let id = required_id("delivery_id", &body.delivery_id)?;
        let delivery = self
            .state
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
        self.state.notifier.wake();
        Ok(Response::new(v1::RedeliverNotificationResponse {
            delivery: Some(delivery_message(delivery)),
        }))
    }
}
