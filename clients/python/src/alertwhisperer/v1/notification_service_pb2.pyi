import datetime

from alertwhisperer.v1 import matcher_pb2 as _matcher_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ChannelKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CHANNEL_KIND_UNSPECIFIED: _ClassVar[ChannelKind]
    CHANNEL_KIND_WEBHOOK: _ClassVar[ChannelKind]
    CHANNEL_KIND_SLACK: _ClassVar[ChannelKind]
    CHANNEL_KIND_TEAMS: _ClassVar[ChannelKind]
    CHANNEL_KIND_EMAIL: _ClassVar[ChannelKind]
    CHANNEL_KIND_PAGERDUTY: _ClassVar[ChannelKind]

class SmtpSecurity(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SMTP_SECURITY_UNSPECIFIED: _ClassVar[SmtpSecurity]
    SMTP_SECURITY_STARTTLS: _ClassVar[SmtpSecurity]
    SMTP_SECURITY_TLS: _ClassVar[SmtpSecurity]
    SMTP_SECURITY_NONE: _ClassVar[SmtpSecurity]

class NotifyEvent(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    NOTIFY_EVENT_UNSPECIFIED: _ClassVar[NotifyEvent]
    NOTIFY_EVENT_OPENED: _ClassVar[NotifyEvent]
    NOTIFY_EVENT_PRIORITY_RAISED: _ClassVar[NotifyEvent]
    NOTIFY_EVENT_ACKNOWLEDGED: _ClassVar[NotifyEvent]
    NOTIFY_EVENT_RESOLVED: _ClassVar[NotifyEvent]
    NOTIFY_EVENT_REOPENED: _ClassVar[NotifyEvent]
    NOTIFY_EVENT_RUNBOOK_FAILED: _ClassVar[NotifyEvent]
    NOTIFY_EVENT_STORM_OPENED: _ClassVar[NotifyEvent]

class DeliveryStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DELIVERY_STATUS_UNSPECIFIED: _ClassVar[DeliveryStatus]
    DELIVERY_STATUS_PENDING: _ClassVar[DeliveryStatus]
    DELIVERY_STATUS_DELIVERED: _ClassVar[DeliveryStatus]
    DELIVERY_STATUS_DEAD: _ClassVar[DeliveryStatus]
    DELIVERY_STATUS_CANCELLED: _ClassVar[DeliveryStatus]
CHANNEL_KIND_UNSPECIFIED: ChannelKind
CHANNEL_KIND_WEBHOOK: ChannelKind
CHANNEL_KIND_SLACK: ChannelKind
CHANNEL_KIND_TEAMS: ChannelKind
CHANNEL_KIND_EMAIL: ChannelKind
CHANNEL_KIND_PAGERDUTY: ChannelKind
SMTP_SECURITY_UNSPECIFIED: SmtpSecurity
SMTP_SECURITY_STARTTLS: SmtpSecurity
SMTP_SECURITY_TLS: SmtpSecurity
SMTP_SECURITY_NONE: SmtpSecurity
NOTIFY_EVENT_UNSPECIFIED: NotifyEvent
NOTIFY_EVENT_OPENED: NotifyEvent
NOTIFY_EVENT_PRIORITY_RAISED: NotifyEvent
NOTIFY_EVENT_ACKNOWLEDGED: NotifyEvent
NOTIFY_EVENT_RESOLVED: NotifyEvent
NOTIFY_EVENT_REOPENED: NotifyEvent
NOTIFY_EVENT_RUNBOOK_FAILED: NotifyEvent
NOTIFY_EVENT_STORM_OPENED: NotifyEvent
DELIVERY_STATUS_UNSPECIFIED: DeliveryStatus
DELIVERY_STATUS_PENDING: DeliveryStatus
DELIVERY_STATUS_DELIVERED: DeliveryStatus
DELIVERY_STATUS_DEAD: DeliveryStatus
DELIVERY_STATUS_CANCELLED: DeliveryStatus

class WebhookChannelConfig(_message.Message):
    __slots__ = ("url",)
    URL_FIELD_NUMBER: _ClassVar[int]
    url: str
    def __init__(self, url: _Optional[str] = ...) -> None: ...

class SlackChannelConfig(_message.Message):
    __slots__ = ("webhook_url",)
    WEBHOOK_URL_FIELD_NUMBER: _ClassVar[int]
    webhook_url: str
    def __init__(self, webhook_url: _Optional[str] = ...) -> None: ...

class TeamsChannelConfig(_message.Message):
    __slots__ = ("webhook_url",)
    WEBHOOK_URL_FIELD_NUMBER: _ClassVar[int]
    webhook_url: str
    def __init__(self, webhook_url: _Optional[str] = ...) -> None: ...

class EmailChannelConfig(_message.Message):
    __slots__ = ("smtp_host", "smtp_port", "security", "username", "password", "to", "ca_certificate_pem")
    SMTP_HOST_FIELD_NUMBER: _ClassVar[int]
    SMTP_PORT_FIELD_NUMBER: _ClassVar[int]
    SECURITY_FIELD_NUMBER: _ClassVar[int]
    USERNAME_FIELD_NUMBER: _ClassVar[int]
    PASSWORD_FIELD_NUMBER: _ClassVar[int]
    FROM_FIELD_NUMBER: _ClassVar[int]
    TO_FIELD_NUMBER: _ClassVar[int]
    CA_CERTIFICATE_PEM_FIELD_NUMBER: _ClassVar[int]
    smtp_host: str
    smtp_port: int
    security: SmtpSecurity
    username: str
    password: str
    to: _containers.RepeatedScalarFieldContainer[str]
    ca_certificate_pem: str
    def __init__(self, smtp_host: _Optional[str] = ..., smtp_port: _Optional[int] = ..., security: _Optional[_Union[SmtpSecurity, str]] = ..., username: _Optional[str] = ..., password: _Optional[str] = ..., to: _Optional[_Iterable[str]] = ..., ca_certificate_pem: _Optional[str] = ..., **kwargs) -> None: ...

class PagerDutyChannelConfig(_message.Message):
    __slots__ = ("routing_key", "events_url")
    ROUTING_KEY_FIELD_NUMBER: _ClassVar[int]
    EVENTS_URL_FIELD_NUMBER: _ClassVar[int]
    routing_key: str
    events_url: str
    def __init__(self, routing_key: _Optional[str] = ..., events_url: _Optional[str] = ...) -> None: ...

class Channel(_message.Message):
    __slots__ = ("id", "company_id", "name", "kind", "target", "has_secret", "max_attempts", "create_time", "max_per_minute")
    ID_FIELD_NUMBER: _ClassVar[int]
    COMPANY_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    TARGET_FIELD_NUMBER: _ClassVar[int]
    HAS_SECRET_FIELD_NUMBER: _ClassVar[int]
    MAX_ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    MAX_PER_MINUTE_FIELD_NUMBER: _ClassVar[int]
    id: str
    company_id: str
    name: str
    kind: ChannelKind
    target: str
    has_secret: bool
    max_attempts: int
    create_time: _timestamp_pb2.Timestamp
    max_per_minute: int
    def __init__(self, id: _Optional[str] = ..., company_id: _Optional[str] = ..., name: _Optional[str] = ..., kind: _Optional[_Union[ChannelKind, str]] = ..., target: _Optional[str] = ..., has_secret: _Optional[bool] = ..., max_attempts: _Optional[int] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., max_per_minute: _Optional[int] = ...) -> None: ...

class CreateChannelRequest(_message.Message):
    __slots__ = ("company_id", "name", "webhook", "slack", "teams", "email", "pagerduty", "max_attempts", "max_per_minute")
    COMPANY_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    WEBHOOK_FIELD_NUMBER: _ClassVar[int]
    SLACK_FIELD_NUMBER: _ClassVar[int]
    TEAMS_FIELD_NUMBER: _ClassVar[int]
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    PAGERDUTY_FIELD_NUMBER: _ClassVar[int]
    MAX_ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    MAX_PER_MINUTE_FIELD_NUMBER: _ClassVar[int]
    company_id: str
    name: str
    webhook: WebhookChannelConfig
    slack: SlackChannelConfig
    teams: TeamsChannelConfig
    email: EmailChannelConfig
    pagerduty: PagerDutyChannelConfig
    max_attempts: int
    max_per_minute: int
    def __init__(self, company_id: _Optional[str] = ..., name: _Optional[str] = ..., webhook: _Optional[_Union[WebhookChannelConfig, _Mapping]] = ..., slack: _Optional[_Union[SlackChannelConfig, _Mapping]] = ..., teams: _Optional[_Union[TeamsChannelConfig, _Mapping]] = ..., email: _Optional[_Union[EmailChannelConfig, _Mapping]] = ..., pagerduty: _Optional[_Union[PagerDutyChannelConfig, _Mapping]] = ..., max_attempts: _Optional[int] = ..., max_per_minute: _Optional[int] = ...) -> None: ...

class CreateChannelResponse(_message.Message):
    __slots__ = ("channel", "signing_secret")
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    SIGNING_SECRET_FIELD_NUMBER: _ClassVar[int]
    channel: Channel
    signing_secret: str
    def __init__(self, channel: _Optional[_Union[Channel, _Mapping]] = ..., signing_secret: _Optional[str] = ...) -> None: ...

class ListChannelsRequest(_message.Message):
    __slots__ = ("company_id", "page_size", "page_token")
    COMPANY_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    company_id: str
    page_size: int
    page_token: str
    def __init__(self, company_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListChannelsResponse(_message.Message):
    __slots__ = ("channels", "next_page_token")
    CHANNELS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    channels: _containers.RepeatedCompositeFieldContainer[Channel]
    next_page_token: str
    def __init__(self, channels: _Optional[_Iterable[_Union[Channel, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class DeleteChannelRequest(_message.Message):
    __slots__ = ("channel_id",)
    CHANNEL_ID_FIELD_NUMBER: _ClassVar[int]
    channel_id: str
    def __init__(self, channel_id: _Optional[str] = ...) -> None: ...

class DeleteChannelResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class TestChannelRequest(_message.Message):
    __slots__ = ("channel_id",)
    CHANNEL_ID_FIELD_NUMBER: _ClassVar[int]
    channel_id: str
    def __init__(self, channel_id: _Optional[str] = ...) -> None: ...

class TestChannelResponse(_message.Message):
    __slots__ = ("ok", "status_code", "response", "error", "latency_ms")
    OK_FIELD_NUMBER: _ClassVar[int]
    STATUS_CODE_FIELD_NUMBER: _ClassVar[int]
    RESPONSE_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    LATENCY_MS_FIELD_NUMBER: _ClassVar[int]
    ok: bool
    status_code: int
    response: str
    error: str
    latency_ms: int
    def __init__(self, ok: _Optional[bool] = ..., status_code: _Optional[int] = ..., response: _Optional[str] = ..., error: _Optional[str] = ..., latency_ms: _Optional[int] = ...) -> None: ...

class EscalationLevel(_message.Message):
    __slots__ = ("channel_ids", "delay_seconds", "to_on_duty_technicians", "to_assigned_technician", "technician_ids")
    CHANNEL_IDS_FIELD_NUMBER: _ClassVar[int]
    DELAY_SECONDS_FIELD_NUMBER: _ClassVar[int]
    TO_ON_DUTY_TECHNICIANS_FIELD_NUMBER: _ClassVar[int]
    TO_ASSIGNED_TECHNICIAN_FIELD_NUMBER: _ClassVar[int]
    TECHNICIAN_IDS_FIELD_NUMBER: _ClassVar[int]
    channel_ids: _containers.RepeatedScalarFieldContainer[str]
    delay_seconds: int
    to_on_duty_technicians: bool
    to_assigned_technician: bool
    technician_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, channel_ids: _Optional[_Iterable[str]] = ..., delay_seconds: _Optional[int] = ..., to_on_duty_technicians: _Optional[bool] = ..., to_assigned_technician: _Optional[bool] = ..., technician_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class TimeWindow(_message.Message):
    __slots__ = ("weekdays", "start_time", "end_time")
    WEEKDAYS_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    weekdays: _containers.RepeatedScalarFieldContainer[int]
    start_time: str
    end_time: str
    def __init__(self, weekdays: _Optional[_Iterable[int]] = ..., start_time: _Optional[str] = ..., end_time: _Optional[str] = ...) -> None: ...

class Route(_message.Message):
    __slots__ = ("id", "company_id", "name", "events", "max_priority", "matchers", "levels", "create_time", "windows", "time_zone", "repeat_interval_seconds", "repeat_count")
    ID_FIELD_NUMBER: _ClassVar[int]
    COMPANY_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    MAX_PRIORITY_FIELD_NUMBER: _ClassVar[int]
    MATCHERS_FIELD_NUMBER: _ClassVar[int]
    LEVELS_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    WINDOWS_FIELD_NUMBER: _ClassVar[int]
    TIME_ZONE_FIELD_NUMBER: _ClassVar[int]
    REPEAT_INTERVAL_SECONDS_FIELD_NUMBER: _ClassVar[int]
    REPEAT_COUNT_FIELD_NUMBER: _ClassVar[int]
    id: str
    company_id: str
    name: str
    events: _containers.RepeatedScalarFieldContainer[NotifyEvent]
    max_priority: int
    matchers: _containers.RepeatedCompositeFieldContainer[_matcher_pb2.Matcher]
    levels: _containers.RepeatedCompositeFieldContainer[EscalationLevel]
    create_time: _timestamp_pb2.Timestamp
    windows: _containers.RepeatedCompositeFieldContainer[TimeWindow]
    time_zone: str
    repeat_interval_seconds: int
    repeat_count: int
    def __init__(self, id: _Optional[str] = ..., company_id: _Optional[str] = ..., name: _Optional[str] = ..., events: _Optional[_Iterable[_Union[NotifyEvent, str]]] = ..., max_priority: _Optional[int] = ..., matchers: _Optional[_Iterable[_Union[_matcher_pb2.Matcher, _Mapping]]] = ..., levels: _Optional[_Iterable[_Union[EscalationLevel, _Mapping]]] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., windows: _Optional[_Iterable[_Union[TimeWindow, _Mapping]]] = ..., time_zone: _Optional[str] = ..., repeat_interval_seconds: _Optional[int] = ..., repeat_count: _Optional[int] = ...) -> None: ...

class CreateRouteRequest(_message.Message):
    __slots__ = ("company_id", "name", "events", "max_priority", "matchers", "levels", "windows", "time_zone", "repeat_interval_seconds", "repeat_count")
    COMPANY_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    MAX_PRIORITY_FIELD_NUMBER: _ClassVar[int]
    MATCHERS_FIELD_NUMBER: _ClassVar[int]
    LEVELS_FIELD_NUMBER: _ClassVar[int]
    WINDOWS_FIELD_NUMBER: _ClassVar[int]
    TIME_ZONE_FIELD_NUMBER: _ClassVar[int]
    REPEAT_INTERVAL_SECONDS_FIELD_NUMBER: _ClassVar[int]
    REPEAT_COUNT_FIELD_NUMBER: _ClassVar[int]
    company_id: str
    name: str
    events: _containers.RepeatedScalarFieldContainer[NotifyEvent]
    max_priority: int
    matchers: _containers.RepeatedCompositeFieldContainer[_matcher_pb2.Matcher]
    levels: _containers.RepeatedCompositeFieldContainer[EscalationLevel]
    windows: _containers.RepeatedCompositeFieldContainer[TimeWindow]
    time_zone: str
    repeat_interval_seconds: int
    repeat_count: int
    def __init__(self, company_id: _Optional[str] = ..., name: _Optional[str] = ..., events: _Optional[_Iterable[_Union[NotifyEvent, str]]] = ..., max_priority: _Optional[int] = ..., matchers: _Optional[_Iterable[_Union[_matcher_pb2.Matcher, _Mapping]]] = ..., levels: _Optional[_Iterable[_Union[EscalationLevel, _Mapping]]] = ..., windows: _Optional[_Iterable[_Union[TimeWindow, _Mapping]]] = ..., time_zone: _Optional[str] = ..., repeat_interval_seconds: _Optional[int] = ..., repeat_count: _Optional[int] = ...) -> None: ...

class CreateRouteResponse(_message.Message):
    __slots__ = ("route",)
    ROUTE_FIELD_NUMBER: _ClassVar[int]
    route: Route
    def __init__(self, route: _Optional[_Union[Route, _Mapping]] = ...) -> None: ...

class ListRoutesRequest(_message.Message):
    __slots__ = ("company_id", "page_size", "page_token")
    COMPANY_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    company_id: str
    page_size: int
    page_token: str
    def __init__(self, company_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListRoutesResponse(_message.Message):
    __slots__ = ("routes", "next_page_token")
    ROUTES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    routes: _containers.RepeatedCompositeFieldContainer[Route]
    next_page_token: str
    def __init__(self, routes: _Optional[_Iterable[_Union[Route, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class DeleteRouteRequest(_message.Message):
    __slots__ = ("route_id",)
    ROUTE_ID_FIELD_NUMBER: _ClassVar[int]
    route_id: str
    def __init__(self, route_id: _Optional[str] = ...) -> None: ...

class DeleteRouteResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class Delivery(_message.Message):
    __slots__ = ("id", "company_id", "channel_id", "route_id", "incident_id", "event", "level", "event_sequence", "status", "attempts", "last_status_code", "last_error", "last_latency_ms", "create_time", "next_attempt_time", "deliver_time", "round", "digest_size")
    ID_FIELD_NUMBER: _ClassVar[int]
    COMPANY_ID_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_ID_FIELD_NUMBER: _ClassVar[int]
    ROUTE_ID_FIELD_NUMBER: _ClassVar[int]
    INCIDENT_ID_FIELD_NUMBER: _ClassVar[int]
    EVENT_FIELD_NUMBER: _ClassVar[int]
    LEVEL_FIELD_NUMBER: _ClassVar[int]
    EVENT_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    LAST_STATUS_CODE_FIELD_NUMBER: _ClassVar[int]
    LAST_ERROR_FIELD_NUMBER: _ClassVar[int]
    LAST_LATENCY_MS_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    NEXT_ATTEMPT_TIME_FIELD_NUMBER: _ClassVar[int]
    DELIVER_TIME_FIELD_NUMBER: _ClassVar[int]
    ROUND_FIELD_NUMBER: _ClassVar[int]
    DIGEST_SIZE_FIELD_NUMBER: _ClassVar[int]
    id: str
    company_id: str
    channel_id: str
    route_id: str
    incident_id: str
    event: NotifyEvent
    level: int
    event_sequence: int
    status: DeliveryStatus
    attempts: int
    last_status_code: int
    last_error: str
    last_latency_ms: int
    create_time: _timestamp_pb2.Timestamp
    next_attempt_time: _timestamp_pb2.Timestamp
    deliver_time: _timestamp_pb2.Timestamp
    round: int
    digest_size: int
    def __init__(self, id: _Optional[str] = ..., company_id: _Optional[str] = ..., channel_id: _Optional[str] = ..., route_id: _Optional[str] = ..., incident_id: _Optional[str] = ..., event: _Optional[_Union[NotifyEvent, str]] = ..., level: _Optional[int] = ..., event_sequence: _Optional[int] = ..., status: _Optional[_Union[DeliveryStatus, str]] = ..., attempts: _Optional[int] = ..., last_status_code: _Optional[int] = ..., last_error: _Optional[str] = ..., last_latency_ms: _Optional[int] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., next_attempt_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., deliver_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., round: _Optional[int] = ..., digest_size: _Optional[int] = ...) -> None: ...

class ListDeliveriesRequest(_message.Message):
    __slots__ = ("company_id", "incident_id", "channel_id", "status", "page_size", "page_token")
    COMPANY_ID_FIELD_NUMBER: _ClassVar[int]
    INCIDENT_ID_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    company_id: str
    incident_id: str
    channel_id: str
    status: DeliveryStatus
    page_size: int
    page_token: str
    def __init__(self, company_id: _Optional[str] = ..., incident_id: _Optional[str] = ..., channel_id: _Optional[str] = ..., status: _Optional[_Union[DeliveryStatus, str]] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListDeliveriesResponse(_message.Message):
    __slots__ = ("deliveries", "next_page_token")
    DELIVERIES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    deliveries: _containers.RepeatedCompositeFieldContainer[Delivery]
    next_page_token: str
    def __init__(self, deliveries: _Optional[_Iterable[_Union[Delivery, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class RedeliverNotificationRequest(_message.Message):
    __slots__ = ("delivery_id",)
    DELIVERY_ID_FIELD_NUMBER: _ClassVar[int]
    delivery_id: str
    def __init__(self, delivery_id: _Optional[str] = ...) -> None: ...

class RedeliverNotificationResponse(_message.Message):
    __slots__ = ("delivery",)
    DELIVERY_FIELD_NUMBER: _ClassVar[int]
    delivery: Delivery
    def __init__(self, delivery: _Optional[_Union[Delivery, _Mapping]] = ...) -> None: ...
