import datetime

from alertwhisperer.v1 import alert_pb2 as _alert_pb2
from alertwhisperer.v1 import incident_pb2 as _incident_pb2
from alertwhisperer.v1 import watch_pb2 as _watch_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ListIncidentsRequest(_message.Message):
    __slots__ = ("company_ids", "priorities", "statuses", "asset", "start_time", "end_time", "query", "assigned_technician_id", "parent_incident_id", "page_size", "page_token")
    COMPANY_IDS_FIELD_NUMBER: _ClassVar[int]
    PRIORITIES_FIELD_NUMBER: _ClassVar[int]
    STATUSES_FIELD_NUMBER: _ClassVar[int]
    ASSET_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    QUERY_FIELD_NUMBER: _ClassVar[int]
    ASSIGNED_TECHNICIAN_ID_FIELD_NUMBER: _ClassVar[int]
    PARENT_INCIDENT_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    company_ids: _containers.RepeatedScalarFieldContainer[str]
    priorities: _containers.RepeatedScalarFieldContainer[_incident_pb2.Priority]
    statuses: _containers.RepeatedScalarFieldContainer[_incident_pb2.IncidentStatus]
    asset: str
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    query: str
    assigned_technician_id: str
    parent_incident_id: str
    page_size: int
    page_token: str
    def __init__(self, company_ids: _Optional[_Iterable[str]] = ..., priorities: _Optional[_Iterable[_Union[_incident_pb2.Priority, str]]] = ..., statuses: _Optional[_Iterable[_Union[_incident_pb2.IncidentStatus, str]]] = ..., asset: _Optional[str] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., query: _Optional[str] = ..., assigned_technician_id: _Optional[str] = ..., parent_incident_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListIncidentsResponse(_message.Message):
    __slots__ = ("incidents", "next_page_token")
    INCIDENTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    incidents: _containers.RepeatedCompositeFieldContainer[_incident_pb2.Incident]
    next_page_token: str
    def __init__(self, incidents: _Optional[_Iterable[_Union[_incident_pb2.Incident, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class GetIncidentRequest(_message.Message):
    __slots__ = ("incident_id", "max_alerts")
    INCIDENT_ID_FIELD_NUMBER: _ClassVar[int]
    MAX_ALERTS_FIELD_NUMBER: _ClassVar[int]
    incident_id: str
    max_alerts: int
    def __init__(self, incident_id: _Optional[str] = ..., max_alerts: _Optional[int] = ...) -> None: ...

class GetIncidentResponse(_message.Message):
    __slots__ = ("incident", "alerts", "alerts_truncated", "timeline", "children")
    INCIDENT_FIELD_NUMBER: _ClassVar[int]
    ALERTS_FIELD_NUMBER: _ClassVar[int]
    ALERTS_TRUNCATED_FIELD_NUMBER: _ClassVar[int]
    TIMELINE_FIELD_NUMBER: _ClassVar[int]
    CHILDREN_FIELD_NUMBER: _ClassVar[int]
    incident: _incident_pb2.Incident
    alerts: _containers.RepeatedCompositeFieldContainer[_alert_pb2.Alert]
    alerts_truncated: bool
    timeline: _containers.RepeatedCompositeFieldContainer[_incident_pb2.IncidentEvent]
    children: _containers.RepeatedCompositeFieldContainer[_incident_pb2.Incident]
    def __init__(self, incident: _Optional[_Union[_incident_pb2.Incident, _Mapping]] = ..., alerts: _Optional[_Iterable[_Union[_alert_pb2.Alert, _Mapping]]] = ..., alerts_truncated: _Optional[bool] = ..., timeline: _Optional[_Iterable[_Union[_incident_pb2.IncidentEvent, _Mapping]]] = ..., children: _Optional[_Iterable[_Union[_incident_pb2.Incident, _Mapping]]] = ...) -> None: ...

class AcknowledgeIncidentRequest(_message.Message):
    __slots__ = ("incident_id", "comment")
    INCIDENT_ID_FIELD_NUMBER: _ClassVar[int]
    COMMENT_FIELD_NUMBER: _ClassVar[int]
    incident_id: str
    comment: str
    def __init__(self, incident_id: _Optional[str] = ..., comment: _Optional[str] = ...) -> None: ...

class AcknowledgeIncidentResponse(_message.Message):
    __slots__ = ("incident",)
    INCIDENT_FIELD_NUMBER: _ClassVar[int]
    incident: _incident_pb2.Incident
    def __init__(self, incident: _Optional[_Union[_incident_pb2.Incident, _Mapping]] = ...) -> None: ...

class AssignIncidentRequest(_message.Message):
    __slots__ = ("incident_id", "technician_id", "auto_assign")
    INCIDENT_ID_FIELD_NUMBER: _ClassVar[int]
    TECHNICIAN_ID_FIELD_NUMBER: _ClassVar[int]
    AUTO_ASSIGN_FIELD_NUMBER: _ClassVar[int]
    incident_id: str
    technician_id: str
    auto_assign: bool
    def __init__(self, incident_id: _Optional[str] = ..., technician_id: _Optional[str] = ..., auto_assign: _Optional[bool] = ...) -> None: ...

class AssignIncidentResponse(_message.Message):
    __slots__ = ("incident",)
    INCIDENT_FIELD_NUMBER: _ClassVar[int]
    incident: _incident_pb2.Incident
    def __init__(self, incident: _Optional[_Union[_incident_pb2.Incident, _Mapping]] = ...) -> None: ...

class ResolveIncidentRequest(_message.Message):
    __slots__ = ("incident_id", "resolution")
    INCIDENT_ID_FIELD_NUMBER: _ClassVar[int]
    RESOLUTION_FIELD_NUMBER: _ClassVar[int]
    incident_id: str
    resolution: str
    def __init__(self, incident_id: _Optional[str] = ..., resolution: _Optional[str] = ...) -> None: ...

class ResolveIncidentResponse(_message.Message):
    __slots__ = ("incident",)
    INCIDENT_FIELD_NUMBER: _ClassVar[int]
    incident: _incident_pb2.Incident
    def __init__(self, incident: _Optional[_Union[_incident_pb2.Incident, _Mapping]] = ...) -> None: ...

class ReopenIncidentRequest(_message.Message):
    __slots__ = ("incident_id", "reason")
    INCIDENT_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    incident_id: str
    reason: str
    def __init__(self, incident_id: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class ReopenIncidentResponse(_message.Message):
    __slots__ = ("incident",)
    INCIDENT_FIELD_NUMBER: _ClassVar[int]
    incident: _incident_pb2.Incident
    def __init__(self, incident: _Optional[_Union[_incident_pb2.Incident, _Mapping]] = ...) -> None: ...

class AddCommentRequest(_message.Message):
    __slots__ = ("incident_id", "text")
    INCIDENT_ID_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    incident_id: str
    text: str
    def __init__(self, incident_id: _Optional[str] = ..., text: _Optional[str] = ...) -> None: ...

class AddCommentResponse(_message.Message):
    __slots__ = ("event",)
    EVENT_FIELD_NUMBER: _ClassVar[int]
    event: _incident_pb2.IncidentEvent
    def __init__(self, event: _Optional[_Union[_incident_pb2.IncidentEvent, _Mapping]] = ...) -> None: ...

class GetKpisRequest(_message.Message):
    __slots__ = ("company_id", "start_time", "end_time")
    COMPANY_ID_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    company_id: str
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    def __init__(self, company_id: _Optional[str] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class GetKpisResponse(_message.Message):
    __slots__ = ("total", "companies")
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    COMPANIES_FIELD_NUMBER: _ClassVar[int]
    total: _incident_pb2.Kpis
    companies: _containers.RepeatedCompositeFieldContainer[_incident_pb2.Kpis]
    def __init__(self, total: _Optional[_Union[_incident_pb2.Kpis, _Mapping]] = ..., companies: _Optional[_Iterable[_Union[_incident_pb2.Kpis, _Mapping]]] = ...) -> None: ...

class GetKpiTrendRequest(_message.Message):
    __slots__ = ("company_id", "start_time", "end_time", "bucket")
    COMPANY_ID_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    BUCKET_FIELD_NUMBER: _ClassVar[int]
    company_id: str
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    bucket: _incident_pb2.KpiBucket
    def __init__(self, company_id: _Optional[str] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., bucket: _Optional[_Union[_incident_pb2.KpiBucket, str]] = ...) -> None: ...

class GetKpiTrendResponse(_message.Message):
    __slots__ = ("start_time", "end_time", "buckets")
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    BUCKETS_FIELD_NUMBER: _ClassVar[int]
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    buckets: _containers.RepeatedCompositeFieldContainer[_incident_pb2.KpiTrendBucket]
    def __init__(self, start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., buckets: _Optional[_Iterable[_Union[_incident_pb2.KpiTrendBucket, _Mapping]]] = ...) -> None: ...

class WatchIncidentsRequest(_message.Message):
    __slots__ = ("company_id", "after_sequence", "priorities", "statuses", "asset", "incident_id")
    COMPANY_ID_FIELD_NUMBER: _ClassVar[int]
    AFTER_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    PRIORITIES_FIELD_NUMBER: _ClassVar[int]
    STATUSES_FIELD_NUMBER: _ClassVar[int]
    ASSET_FIELD_NUMBER: _ClassVar[int]
    INCIDENT_ID_FIELD_NUMBER: _ClassVar[int]
    company_id: str
    after_sequence: int
    priorities: _containers.RepeatedScalarFieldContainer[_incident_pb2.Priority]
    statuses: _containers.RepeatedScalarFieldContainer[_incident_pb2.IncidentStatus]
    asset: str
    incident_id: str
    def __init__(self, company_id: _Optional[str] = ..., after_sequence: _Optional[int] = ..., priorities: _Optional[_Iterable[_Union[_incident_pb2.Priority, str]]] = ..., statuses: _Optional[_Iterable[_Union[_incident_pb2.IncidentStatus, str]]] = ..., asset: _Optional[str] = ..., incident_id: _Optional[str] = ...) -> None: ...

class WatchIncidentsResponse(_message.Message):
    __slots__ = ("event", "heartbeat")
    EVENT_FIELD_NUMBER: _ClassVar[int]
    HEARTBEAT_FIELD_NUMBER: _ClassVar[int]
    event: _incident_pb2.IncidentFeedEvent
    heartbeat: _watch_pb2.Heartbeat
    def __init__(self, event: _Optional[_Union[_incident_pb2.IncidentFeedEvent, _Mapping]] = ..., heartbeat: _Optional[_Union[_watch_pb2.Heartbeat, _Mapping]] = ...) -> None: ...
