//! NotificationService: converts its messages to and from
//! [`crate::service::notifications`] (channels, routes with escalation
//! levels, the delivery log and redelivery). An RPC that changes something
//! checks the caller's role before it converts the request, so that a viewer
//! is refused for its role whatever it sent; the service checks it again,
//! for every transport.

use tonic::{Request, Response, Status};

use super::convert::{required_id, timestamp};
use super::correlation::matchers_of;
use super::operator;
use crate::app::AppState;
use crate::domain::notification::{
    ChannelKind, DeliveryStatus, Level, NotifyEvent, SmtpSecurity, Window,
};
use crate::domain::tenant::Role;
use crate::error::{Error, Result};
use crate::proto::v1::{self, notification_service_server::NotificationService};
use crate::service::notifications::{
    self, Channel, ChannelDraft, ChannelSettings, CreatedChannel, Delivery, EmailSettings,
    RouteDraft, StoredRoute, WindowDraft,
};
use crate::store::Page;
use crate::store::notification::{Attempt, DeliveryFilter};

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

impl From<ChannelKind> for v1::ChannelKind {
    fn from(kind: ChannelKind) -> Self {
        match kind {
            ChannelKind::Webhook => Self::Webhook,
            ChannelKind::Slack => Self::Slack,
            ChannelKind::Teams => Self::Teams,
            ChannelKind::Email => Self::Email,
            ChannelKind::PagerDuty => Self::Pagerduty,
        }
    }
}

impl From<NotifyEvent> for v1::NotifyEvent {
    fn from(event: NotifyEvent) -> Self {
        match event {
            NotifyEvent::Opened => Self::Opened,
            NotifyEvent::PriorityRaised => Self::PriorityRaised,
            NotifyEvent::Acknowledged => Self::Acknowledged,
            NotifyEvent::Resolved => Self::Resolved,
            NotifyEvent::Reopened => Self::Reopened,
            NotifyEvent::RunbookFailed => Self::RunbookFailed,
            NotifyEvent::StormOpened => Self::StormOpened,
        }
    }
}

impl From<DeliveryStatus> for v1::DeliveryStatus {
    fn from(status: DeliveryStatus) -> Self {
        match status {
            DeliveryStatus::Pending => Self::Pending,
            DeliveryStatus::Delivered => Self::Delivered,
            DeliveryStatus::Dead => Self::Dead,
            DeliveryStatus::Cancelled => Self::Cancelled,
        }
    }
}

impl From<Channel> for v1::Channel {
    fn from(channel: Channel) -> Self {
        Self {
            kind: channel
                .kind
                .map_or(v1::ChannelKind::Unspecified, Into::into)
                .into(),
            has_secret: channel.has_secret,
            id: channel.id,
            company_id: channel.company_id,
            name: channel.name,
            target: channel.target,
            max_attempts: channel.max_attempts,
            max_per_minute: channel.max_per_minute,
            create_time: Some(timestamp(channel.created_at)),
        }
    }
}

impl From<StoredRoute> for v1::Route {
    fn from(stored: StoredRoute) -> Self {
        let route = stored.route;
        Self {
            company_id: stored.company_id,
            name: stored.name,
            events: route
                .events
                .iter()
                .map(|event| v1::NotifyEvent::from(*event).into())
                .collect(),
            max_priority: i32::from(route.max_priority),
            matchers: route.matchers.iter().map(v1::Matcher::from).collect(),
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
            time_zone: stored.time_zone,
            repeat_interval_seconds: route.repeat_interval_seconds,
            repeat_count: route.repeat_count,
            create_time: Some(timestamp(stored.created_at)),
            id: route.id,
        }
    }
}

impl From<Delivery> for v1::Delivery {
    fn from(delivery: Delivery) -> Self {
        Self {
            event: delivery
                .event
                .map_or(v1::NotifyEvent::Unspecified, Into::into)
                .into(),
            status: delivery
                .status
                .map_or(v1::DeliveryStatus::Unspecified, Into::into)
                .into(),
            next_attempt_time: delivery.next_attempt_at.map(timestamp),
            deliver_time: delivery.delivered_at.map(timestamp),
            id: delivery.id,
            company_id: delivery.company_id,
            channel_id: delivery.channel_id,
            route_id: delivery.route_id,
            incident_id: delivery.incident_id,
            level: i32::from(delivery.level),
            round: i32::from(delivery.round),
            digest_size: delivery.digest_size,
            event_sequence: delivery.event_sequence,
            attempts: delivery.attempts,
            last_status_code: delivery.last_status_code,
            last_error: delivery.last_error,
            last_latency_ms: delivery.last_latency_ms,
            create_time: Some(timestamp(delivery.created_at)),
        }
    }
}

impl From<Attempt> for v1::TestChannelResponse {
    fn from(attempt: Attempt) -> Self {
        Self {
            ok: attempt.ok,
            status_code: attempt.status_code,
            response: attempt.response,
            error: attempt.error,
            latency_ms: attempt.latency_ms,
        }
    }
}

impl TryFrom<v1::create_channel_request::Config> for ChannelSettings {
    type Error = Error;

    fn try_from(config: v1::create_channel_request::Config) -> Result<Self> {
        use v1::create_channel_request::Config as C;
        Ok(match config {
            C::Webhook(webhook) => Self::Webhook { url: webhook.url },
            C::Slack(slack) => Self::Slack {
                webhook_url: slack.webhook_url,
            },
            C::Teams(teams) => Self::Teams {
                webhook_url: teams.webhook_url,
            },
            C::Pagerduty(pagerduty) => Self::PagerDuty {
                routing_key: pagerduty.routing_key,
                events_url: pagerduty.events_url,
            },
            C::Email(email) => Self::Email(EmailSettings {
                security: match v1::SmtpSecurity::try_from(email.security) {
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
                },
                smtp_host: email.smtp_host,
                smtp_port: email.smtp_port,
                username: email.username,
                password: email.password,
                from: email.from,
                to: email.to,
                ca_certificate_pem: email.ca_certificate_pem,
            }),
        })
    }
}

impl TryFrom<v1::CreateChannelRequest> for ChannelDraft {
    type Error = Error;

    fn try_from(body: v1::CreateChannelRequest) -> Result<Self> {
        required_id("company_id", &body.company_id)?;
        Ok(Self {
            settings: body.config.map(ChannelSettings::try_from).transpose()?,
            company_id: body.company_id,
            name: body.name,
            max_attempts: body.max_attempts,
            max_per_minute: body.max_per_minute,
        })
    }
}

/// A route's events: each a notify event.
fn notify_events_of(events: &[i32]) -> Result<Vec<NotifyEvent>> {
    events
        .iter()
        .enumerate()
        .map(|(index, event)| match v1::NotifyEvent::try_from(*event) {
            Ok(v1::NotifyEvent::Opened) => Ok(NotifyEvent::Opened),
            Ok(v1::NotifyEvent::PriorityRaised) => Ok(NotifyEvent::PriorityRaised),
            Ok(v1::NotifyEvent::Acknowledged) => Ok(NotifyEvent::Acknowledged),
            Ok(v1::NotifyEvent::Resolved) => Ok(NotifyEvent::Resolved),
            Ok(v1::NotifyEvent::Reopened) => Ok(NotifyEvent::Reopened),
            Ok(v1::NotifyEvent::RunbookFailed) => Ok(NotifyEvent::RunbookFailed),
            Ok(v1::NotifyEvent::StormOpened) => Ok(NotifyEvent::StormOpened),
            Ok(v1::NotifyEvent::Unspecified) | Err(_) => Err(Error::invalid(
                &format!("events[{index}]"),
                "is not a notify event",
            )),
        })
        .collect()
}

/// The ids of the list `field`, each required.
fn ids_of(field: &str, ids: Vec<String>) -> Result<Vec<String>> {
    for (position, id) in ids.iter().enumerate() {
        required_id(&format!("{field}[{position}]"), id)?;
    }
    Ok(ids)
}

impl TryFrom<v1::CreateRouteRequest> for RouteDraft {
    type Error = Error;

    fn try_from(body: v1::CreateRouteRequest) -> Result<Self> {
        required_id("company_id", &body.company_id)?;
        let events = notify_events_of(&body.events)?;
        let matchers = matchers_of("matchers", &body.matchers, false)?;
        let levels = body
            .levels
            .into_iter()
            .enumerate()
            .map(|(index, level)| {
                let field = format!("levels[{index}]");
                Ok(Level {
                    channel_ids: ids_of(&format!("{field}.channel_ids"), level.channel_ids)?,
                    delay_seconds: level.delay_seconds,
                    to_on_duty_technicians: level.to_on_duty_technicians,
                    to_assigned_technician: level.to_assigned_technician,
                    technician_ids: ids_of(
                        &format!("{field}.technician_ids"),
                        level.technician_ids,
                    )?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Self {
            company_id: body.company_id,
            name: body.name,
            events,
            max_priority: body.max_priority,
            matchers,
            windows: body
                .windows
                .into_iter()
                .map(|window| WindowDraft {
                    weekdays: window.weekdays,
                    start_time: window.start_time,
                    end_time: window.end_time,
                })
                .collect(),
            time_zone: body.time_zone,
            levels,
            repeat_interval_seconds: body.repeat_interval_seconds,
            repeat_count: body.repeat_count,
        })
    }
}

#[tonic::async_trait]
impl NotificationService for NotificationHandler {
    async fn create_channel(
        &self,
        request: Request<v1::CreateChannelRequest>,
    ) -> Result<Response<v1::CreateChannelResponse>, Status> {
        let operator = operator(&request)?;
        operator.require(Role::Technician)?;
        let draft = ChannelDraft::try_from(request.into_inner())?;
        let CreatedChannel {
            channel,
            signing_secret,
        } = notifications::create_channel(&self.state, &operator, draft).await?;
        Ok(Response::new(v1::CreateChannelResponse {
            channel: Some(channel.into()),
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
        let (channels, next_page_token) =
            notifications::list_channels(&self.state, &operator, company_id, &page).await?;
        Ok(Response::new(v1::ListChannelsResponse {
            channels: channels.into_iter().map(Into::into).collect(),
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
        notifications::delete_channel(&self.state, &operator, id).await?;
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
        let attempt = notifications::test_channel(&self.state, &operator, id).await?;
        Ok(Response::new(attempt.into()))
    }

    async fn create_route(
        &self,
        request: Request<v1::CreateRouteRequest>,
    ) -> Result<Response<v1::CreateRouteResponse>, Status> {
        let operator = operator(&request)?;
        operator.require(Role::Technician)?;
        let draft = RouteDraft::try_from(request.into_inner())?;
        let route = notifications::create_route(&self.state, &operator, draft).await?;
        Ok(Response::new(v1::CreateRouteResponse {
            route: Some(route.into()),
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
        let (routes, next_page_token) =
            notifications::list_routes(&self.state, &operator, company_id, &page).await?;
        Ok(Response::new(v1::ListRoutesResponse {
            routes: routes.into_iter().map(Into::into).collect(),
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
        notifications::delete_route(&self.state, &operator, id).await?;
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
        let (deliveries, next_page_token) =
            notifications::list_deliveries(&self.state, &operator, company_id, &filter, &page)
                .await?;
        Ok(Response::new(v1::ListDeliveriesResponse {
            deliveries: deliveries.into_iter().map(Into::into).collect(),
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
        let delivery = notifications::redeliver(&self.state, &operator, id).await?;
        Ok(Response::new(v1::RedeliverNotificationResponse {
            delivery: Some(delivery.into()),
        }))
    }
}
