import datetime

from alertwhisperer.v1 import alert_pb2 as _alert_pb2
from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class IncidentStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    INCIDENT_STATUS_UNSPECIFIED: _ClassVar[IncidentStatus]
    INCIDENT_STATUS_OPEN: _ClassVar[IncidentStatus]
    INCIDENT_STATUS_ACKNOWLEDGED: _ClassVar[IncidentStatus]
    INCIDENT_STATUS_RESOLVED: _ClassVar[IncidentStatus]

class Priority(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PRIORITY_UNSPECIFIED: _ClassVar[Priority]
    PRIORITY_P1: _ClassVar[Priority]
    PRIORITY_P2: _ClassVar[Priority]
    PRIORITY_P3: _ClassVar[Priority]
    PRIORITY_P4: _ClassVar[Priority]

class IncidentEventKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    INCIDENT_EVENT_KIND_UNSPECIFIED: _ClassVar[IncidentEventKind]
    INCIDENT_EVENT_KIND_CREATED: _ClassVar[IncidentEventKind]
    INCIDENT_EVENT_KIND_ALERT_ADDED: _ClassVar[IncidentEventKind]
    INCIDENT_EVENT_KIND_ALERT_REPEATED: _ClassVar[IncidentEventKind]
    INCIDENT_EVENT_KIND_ALERT_RESOLVED: _ClassVar[IncidentEventKind]
    INCIDENT_EVENT_KIND_ACKNOWLEDGED: _ClassVar[IncidentEventKind]
    INCIDENT_EVENT_KIND_ASSIGNED: _ClassVar[IncidentEventKind]
    INCIDENT_EVENT_KIND_PRIORITY_CHANGED: _ClassVar[IncidentEventKind]
    INCIDENT_EVENT_KIND_COMMENTED: _ClassVar[IncidentEventKind]
    INCIDENT_EVENT_KIND_RESOLVED: _ClassVar[IncidentEventKind]
    INCIDENT_EVENT_KIND_REOPENED: _ClassVar[IncidentEventKind]
    INCIDENT_EVENT_KIND_FLAPPING_STARTED: _ClassVar[IncidentEventKind]
    INCIDENT_EVENT_KIND_FLAPPING_ENDED: _ClassVar[IncidentEventKind]
    INCIDENT_EVENT_KIND_GROUPED: _ClassVar[IncidentEventKind]
    INCIDENT_EVENT_KIND_REMEDIATION_REQUESTED: _ClassVar[IncidentEventKind]
    INCIDENT_EVENT_KIND_REMEDIATION_STARTED: _ClassVar[IncidentEventKind]
    INCIDENT_EVENT_KIND_REMEDIATION_SUCCEEDED: _ClassVar[IncidentEventKind]
    INCIDENT_EVENT_KIND_REMEDIATION_FAILED: _ClassVar[IncidentEventKind]
    INCIDENT_EVENT_KIND_MERGED: _ClassVar[IncidentEventKind]

class KpiBucket(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    KPI_BUCKET_UNSPECIFIED: _ClassVar[KpiBucket]
    KPI_BUCKET_HOUR: _ClassVar[KpiBucket]
    KPI_BUCKET_DAY: _ClassVar[KpiBucket]
INCIDENT_STATUS_UNSPECIFIED: IncidentStatus
INCIDENT_STATUS_OPEN: IncidentStatus
INCIDENT_STATUS_ACKNOWLEDGED: IncidentStatus
INCIDENT_STATUS_RESOLVED: IncidentStatus
PRIORITY_UNSPECIFIED: Priority
PRIORITY_P1: Priority
PRIORITY_P2: Priority
PRIORITY_P3: Priority
PRIORITY_P4: Priority
INCIDENT_EVENT_KIND_UNSPECIFIED: IncidentEventKind
INCIDENT_EVENT_KIND_CREATED: IncidentEventKind
INCIDENT_EVENT_KIND_ALERT_ADDED: IncidentEventKind
INCIDENT_EVENT_KIND_ALERT_REPEATED: IncidentEventKind
INCIDENT_EVENT_KIND_ALERT_RESOLVED: IncidentEventKind
INCIDENT_EVENT_KIND_ACKNOWLEDGED: IncidentEventKind
INCIDENT_EVENT_KIND_ASSIGNED: IncidentEventKind
INCIDENT_EVENT_KIND_PRIORITY_CHANGED: IncidentEventKind
INCIDENT_EVENT_KIND_COMMENTED: IncidentEventKind
INCIDENT_EVENT_KIND_RESOLVED: IncidentEventKind
INCIDENT_EVENT_KIND_REOPENED: IncidentEventKind
INCIDENT_EVENT_KIND_FLAPPING_STARTED: IncidentEventKind
INCIDENT_EVENT_KIND_FLAPPING_ENDED: IncidentEventKind
INCIDENT_EVENT_KIND_GROUPED: IncidentEventKind
INCIDENT_EVENT_KIND_REMEDIATION_REQUESTED: IncidentEventKind
INCIDENT_EVENT_KIND_REMEDIATION_STARTED: IncidentEventKind
INCIDENT_EVENT_KIND_REMEDIATION_SUCCEEDED: IncidentEventKind
INCIDENT_EVENT_KIND_REMEDIATION_FAILED: IncidentEventKind
INCIDENT_EVENT_KIND_MERGED: IncidentEventKind
KPI_BUCKET_UNSPECIFIED: KpiBucket
KPI_BUCKET_HOUR: KpiBucket
KPI_BUCKET_DAY: KpiBucket

class Incident(_message.Message):
    __slots__ = ("id", "company_id", "aggregation_key", "asset", "signature", "summary", "status", "priority", "priority_reasons", "alert_count", "tools", "severity", "assigned_technician_id", "parent_incident_id", "child_incident_count", "flapping", "self_healed", "resolution", "first_alert_time", "last_alert_time", "create_time", "acknowledge_time", "resolve_time", "update_time", "merged_into_incident_id", "is_storm_parent")
    ID_FIELD_NUMBER: _ClassVar[int]
    COMPANY_ID_FIELD_NUMBER: _ClassVar[int]
    AGGREGATION_KEY_FIELD_NUMBER: _ClassVar[int]
    ASSET_FIELD_NUMBER: _ClassVar[int]
    SIGNATURE_FIELD_NUMBER: _ClassVar[int]
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    PRIORITY_FIELD_NUMBER: _ClassVar[int]
    PRIORITY_REASONS_FIELD_NUMBER: _ClassVar[int]
    ALERT_COUNT_FIELD_NUMBER: _ClassVar[int]
    TOOLS_FIELD_NUMBER: _ClassVar[int]
    SEVERITY_FIELD_NUMBER: _ClassVar[int]
    ASSIGNED_TECHNICIAN_ID_FIELD_NUMBER: _ClassVar[int]
    PARENT_INCIDENT_ID_FIELD_NUMBER: _ClassVar[int]
    CHILD_INCIDENT_COUNT_FIELD_NUMBER: _ClassVar[int]
    FLAPPING_FIELD_NUMBER: _ClassVar[int]
    SELF_HEALED_FIELD_NUMBER: _ClassVar[int]
    RESOLUTION_FIELD_NUMBER: _ClassVar[int]
    FIRST_ALERT_TIME_FIELD_NUMBER: _ClassVar[int]
    LAST_ALERT_TIME_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    ACKNOWLEDGE_TIME_FIELD_NUMBER: _ClassVar[int]
    RESOLVE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    MERGED_INTO_INCIDENT_ID_FIELD_NUMBER: _ClassVar[int]
    IS_STORM_PARENT_FIELD_NUMBER: _ClassVar[int]
    id: str
    company_id: str
    aggregation_key: str
    asset: str
    signature: str
    summary: str
    status: IncidentStatus
    priority: Priority
    priority_reasons: _containers.RepeatedScalarFieldContainer[str]
    alert_count: int
    tools: _containers.RepeatedScalarFieldContainer[str]
    severity: _alert_pb2.Severity
    assigned_technician_id: str
    parent_incident_id: str
    child_incident_count: int
    flapping: bool
    self_healed: bool
    resolution: str
    first_alert_time: _timestamp_pb2.Timestamp
    last_alert_time: _timestamp_pb2.Timestamp
    create_time: _timestamp_pb2.Timestamp
    acknowledge_time: _timestamp_pb2.Timestamp
    resolve_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    merged_into_incident_id: str
    is_storm_parent: bool
    def __init__(self, id: _Optional[str] = ..., company_id: _Optional[str] = ..., aggregation_key: _Optional[str] = ..., asset: _Optional[str] = ..., signature: _Optional[str] = ..., summary: _Optional[str] = ..., status: _Optional[_Union[IncidentStatus, str]] = ..., priority: _Optional[_Union[Priority, str]] = ..., priority_reasons: _Optional[_Iterable[str]] = ..., alert_count: _Optional[int] = ..., tools: _Optional[_Iterable[str]] = ..., severity: _Optional[_Union[_alert_pb2.Severity, str]] = ..., assigned_technician_id: _Optional[str] = ..., parent_incident_id: _Optional[str] = ..., child_incident_count: _Optional[int] = ..., flapping: _Optional[bool] = ..., self_healed: _Optional[bool] = ..., resolution: _Optional[str] = ..., first_alert_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., last_alert_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., acknowledge_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., resolve_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., merged_into_incident_id: _Optional[str] = ..., is_storm_parent: _Optional[bool] = ...) -> None: ...

class IncidentEvent(_message.Message):
    __slots__ = ("id", "incident_id", "kind", "actor", "message", "time")
    ID_FIELD_NUMBER: _ClassVar[int]
    INCIDENT_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    TIME_FIELD_NUMBER: _ClassVar[int]
    id: str
    incident_id: str
    kind: IncidentEventKind
    actor: str
    message: str
    time: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., incident_id: _Optional[str] = ..., kind: _Optional[_Union[IncidentEventKind, str]] = ..., actor: _Optional[str] = ..., message: _Optional[str] = ..., time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class IncidentFeedEvent(_message.Message):
    __slots__ = ("sequence", "company_id", "kind", "incident", "actor", "message", "time")
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    COMPANY_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    INCIDENT_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    TIME_FIELD_NUMBER: _ClassVar[int]
    sequence: int
    company_id: str
    kind: IncidentEventKind
    incident: Incident
    actor: str
    message: str
    time: _timestamp_pb2.Timestamp
    def __init__(self, sequence: _Optional[int] = ..., company_id: _Optional[str] = ..., kind: _Optional[_Union[IncidentEventKind, str]] = ..., incident: _Optional[_Union[Incident, _Mapping]] = ..., actor: _Optional[str] = ..., message: _Optional[str] = ..., time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class Kpis(_message.Message):
    __slots__ = ("company_id", "raw_alert_count", "incident_count", "noise_reduction_pct", "mtta", "mttr", "self_healed_count", "self_healed_pct", "acknowledged_count", "resolved_count", "open_count")
    COMPANY_ID_FIELD_NUMBER: _ClassVar[int]
    RAW_ALERT_COUNT_FIELD_NUMBER: _ClassVar[int]
    INCIDENT_COUNT_FIELD_NUMBER: _ClassVar[int]
    NOISE_REDUCTION_PCT_FIELD_NUMBER: _ClassVar[int]
    MTTA_FIELD_NUMBER: _ClassVar[int]
    MTTR_FIELD_NUMBER: _ClassVar[int]
    SELF_HEALED_COUNT_FIELD_NUMBER: _ClassVar[int]
    SELF_HEALED_PCT_FIELD_NUMBER: _ClassVar[int]
    ACKNOWLEDGED_COUNT_FIELD_NUMBER: _ClassVar[int]
    RESOLVED_COUNT_FIELD_NUMBER: _ClassVar[int]
    OPEN_COUNT_FIELD_NUMBER: _ClassVar[int]
    company_id: str
    raw_alert_count: int
    incident_count: int
    noise_reduction_pct: float
    mtta: _duration_pb2.Duration
    mttr: _duration_pb2.Duration
    self_healed_count: int
    self_healed_pct: float
    acknowledged_count: int
    resolved_count: int
    open_count: int
    def __init__(self, company_id: _Optional[str] = ..., raw_alert_count: _Optional[int] = ..., incident_count: _Optional[int] = ..., noise_reduction_pct: _Optional[float] = ..., mtta: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., mttr: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., self_healed_count: _Optional[int] = ..., self_healed_pct: _Optional[float] = ..., acknowledged_count: _Optional[int] = ..., resolved_count: _Optional[int] = ..., open_count: _Optional[int] = ...) -> None: ...

class KpiTrendBucket(_message.Message):
    __slots__ = ("start_time", "raw_alert_count", "incident_count", "noise_reduction_pct", "acknowledged_count", "mtta", "resolved_count", "mttr")
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    RAW_ALERT_COUNT_FIELD_NUMBER: _ClassVar[int]
    INCIDENT_COUNT_FIELD_NUMBER: _ClassVar[int]
    NOISE_REDUCTION_PCT_FIELD_NUMBER: _ClassVar[int]
    ACKNOWLEDGED_COUNT_FIELD_NUMBER: _ClassVar[int]
    MTTA_FIELD_NUMBER: _ClassVar[int]
    RESOLVED_COUNT_FIELD_NUMBER: _ClassVar[int]
    MTTR_FIELD_NUMBER: _ClassVar[int]
    start_time: _timestamp_pb2.Timestamp
    raw_alert_count: int
    incident_count: int
    noise_reduction_pct: float
    acknowledged_count: int
    mtta: _duration_pb2.Duration
    resolved_count: int
    mttr: _duration_pb2.Duration
    def __init__(self, start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., raw_alert_count: _Optional[int] = ..., incident_count: _Optional[int] = ..., noise_reduction_pct: _Optional[float] = ..., acknowledged_count: _Optional[int] = ..., mtta: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., resolved_count: _Optional[int] = ..., mttr: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ...) -> None: ...
