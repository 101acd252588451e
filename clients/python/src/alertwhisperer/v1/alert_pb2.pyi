import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Severity(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SEVERITY_UNSPECIFIED: _ClassVar[Severity]
    SEVERITY_INFO: _ClassVar[Severity]
    SEVERITY_LOW: _ClassVar[Severity]
    SEVERITY_MEDIUM: _ClassVar[Severity]
    SEVERITY_HIGH: _ClassVar[Severity]
    SEVERITY_CRITICAL: _ClassVar[Severity]

class AlertAction(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ALERT_ACTION_UNSPECIFIED: _ClassVar[AlertAction]
    ALERT_ACTION_TRIGGER: _ClassVar[AlertAction]
    ALERT_ACTION_ACKNOWLEDGE: _ClassVar[AlertAction]
    ALERT_ACTION_RESOLVE: _ClassVar[AlertAction]

class AlertStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ALERT_STATUS_UNSPECIFIED: _ClassVar[AlertStatus]
    ALERT_STATUS_FIRING: _ClassVar[AlertStatus]
    ALERT_STATUS_ACKNOWLEDGED: _ClassVar[AlertStatus]
    ALERT_STATUS_RESOLVED: _ClassVar[AlertStatus]

class AlertOutcome(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ALERT_OUTCOME_UNSPECIFIED: _ClassVar[AlertOutcome]
    ALERT_OUTCOME_STORED: _ClassVar[AlertOutcome]
    ALERT_OUTCOME_NEW_INCIDENT: _ClassVar[AlertOutcome]
    ALERT_OUTCOME_CORRELATED: _ClassVar[AlertOutcome]
    ALERT_OUTCOME_DEDUPLICATED: _ClassVar[AlertOutcome]
    ALERT_OUTCOME_DUPLICATE: _ClassVar[AlertOutcome]
    ALERT_OUTCOME_SUPPRESSED_BY_SILENCE: _ClassVar[AlertOutcome]
    ALERT_OUTCOME_SUPPRESSED_BY_INHIBITION: _ClassVar[AlertOutcome]
    ALERT_OUTCOME_RESOLVED: _ClassVar[AlertOutcome]
    ALERT_OUTCOME_ACKNOWLEDGED: _ClassVar[AlertOutcome]
    ALERT_OUTCOME_UNMATCHED: _ClassVar[AlertOutcome]
SEVERITY_UNSPECIFIED: Severity
SEVERITY_INFO: Severity
SEVERITY_LOW: Severity
SEVERITY_MEDIUM: Severity
SEVERITY_HIGH: Severity
SEVERITY_CRITICAL: Severity
ALERT_ACTION_UNSPECIFIED: AlertAction
ALERT_ACTION_TRIGGER: AlertAction
ALERT_ACTION_ACKNOWLEDGE: AlertAction
ALERT_ACTION_RESOLVE: AlertAction
ALERT_STATUS_UNSPECIFIED: AlertStatus
ALERT_STATUS_FIRING: AlertStatus
ALERT_STATUS_ACKNOWLEDGED: AlertStatus
ALERT_STATUS_RESOLVED: AlertStatus
ALERT_OUTCOME_UNSPECIFIED: AlertOutcome
ALERT_OUTCOME_STORED: AlertOutcome
ALERT_OUTCOME_NEW_INCIDENT: AlertOutcome
ALERT_OUTCOME_CORRELATED: AlertOutcome
ALERT_OUTCOME_DEDUPLICATED: AlertOutcome
ALERT_OUTCOME_DUPLICATE: AlertOutcome
ALERT_OUTCOME_SUPPRESSED_BY_SILENCE: AlertOutcome
ALERT_OUTCOME_SUPPRESSED_BY_INHIBITION: AlertOutcome
ALERT_OUTCOME_RESOLVED: AlertOutcome
ALERT_OUTCOME_ACKNOWLEDGED: AlertOutcome
ALERT_OUTCOME_UNMATCHED: AlertOutcome

class AlertInput(_message.Message):
    __slots__ = ("asset", "signature", "severity", "message", "tool_source", "labels", "occur_time", "action", "dedup_key", "external_id", "link", "delivery_id")
    class LabelsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    ASSET_FIELD_NUMBER: _ClassVar[int]
    SIGNATURE_FIELD_NUMBER: _ClassVar[int]
    SEVERITY_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    TOOL_SOURCE_FIELD_NUMBER: _ClassVar[int]
    LABELS_FIELD_NUMBER: _ClassVar[int]
    OCCUR_TIME_FIELD_NUMBER: _ClassVar[int]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    DEDUP_KEY_FIELD_NUMBER: _ClassVar[int]
    EXTERNAL_ID_FIELD_NUMBER: _ClassVar[int]
    LINK_FIELD_NUMBER: _ClassVar[int]
    DELIVERY_ID_FIELD_NUMBER: _ClassVar[int]
    asset: str
    signature: str
    severity: Severity
    message: str
    tool_source: str
    labels: _containers.ScalarMap[str, str]
    occur_time: _timestamp_pb2.Timestamp
    action: AlertAction
    dedup_key: str
    external_id: str
    link: str
    delivery_id: str
    def __init__(self, asset: _Optional[str] = ..., signature: _Optional[str] = ..., severity: _Optional[_Union[Severity, str]] = ..., message: _Optional[str] = ..., tool_source: _Optional[str] = ..., labels: _Optional[_Mapping[str, str]] = ..., occur_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., action: _Optional[_Union[AlertAction, str]] = ..., dedup_key: _Optional[str] = ..., external_id: _Optional[str] = ..., link: _Optional[str] = ..., delivery_id: _Optional[str] = ...) -> None: ...

class Alert(_message.Message):
    __slots__ = ("id", "company_id", "incident_id", "asset", "signature", "severity", "message", "tool_source", "labels", "occur_time", "receive_time", "last_occur_time", "resolve_time", "status", "count", "dedup_key", "external_id", "link", "outcome", "aggregation_key", "suppressed_by_id")
    class LabelsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    ID_FIELD_NUMBER: _ClassVar[int]
    COMPANY_ID_FIELD_NUMBER: _ClassVar[int]
    INCIDENT_ID_FIELD_NUMBER: _ClassVar[int]
    ASSET_FIELD_NUMBER: _ClassVar[int]
    SIGNATURE_FIELD_NUMBER: _ClassVar[int]
    SEVERITY_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    TOOL_SOURCE_FIELD_NUMBER: _ClassVar[int]
    LABELS_FIELD_NUMBER: _ClassVar[int]
    OCCUR_TIME_FIELD_NUMBER: _ClassVar[int]
    RECEIVE_TIME_FIELD_NUMBER: _ClassVar[int]
    LAST_OCCUR_TIME_FIELD_NUMBER: _ClassVar[int]
    RESOLVE_TIME_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    DEDUP_KEY_FIELD_NUMBER: _ClassVar[int]
    EXTERNAL_ID_FIELD_NUMBER: _ClassVar[int]
    LINK_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    AGGREGATION_KEY_FIELD_NUMBER: _ClassVar[int]
    SUPPRESSED_BY_ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    company_id: str
    incident_id: str
    asset: str
    signature: str
    severity: Severity
    message: str
    tool_source: str
    labels: _containers.ScalarMap[str, str]
    occur_time: _timestamp_pb2.Timestamp
    receive_time: _timestamp_pb2.Timestamp
    last_occur_time: _timestamp_pb2.Timestamp
    resolve_time: _timestamp_pb2.Timestamp
    status: AlertStatus
    count: int
    dedup_key: str
    external_id: str
    link: str
    outcome: AlertOutcome
    aggregation_key: str
    suppressed_by_id: str
    def __init__(self, id: _Optional[str] = ..., company_id: _Optional[str] = ..., incident_id: _Optional[str] = ..., asset: _Optional[str] = ..., signature: _Optional[str] = ..., severity: _Optional[_Union[Severity, str]] = ..., message: _Optional[str] = ..., tool_source: _Optional[str] = ..., labels: _Optional[_Mapping[str, str]] = ..., occur_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., receive_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., last_occur_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., resolve_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., status: _Optional[_Union[AlertStatus, str]] = ..., count: _Optional[int] = ..., dedup_key: _Optional[str] = ..., external_id: _Optional[str] = ..., link: _Optional[str] = ..., outcome: _Optional[_Union[AlertOutcome, str]] = ..., aggregation_key: _Optional[str] = ..., suppressed_by_id: _Optional[str] = ...) -> None: ...
