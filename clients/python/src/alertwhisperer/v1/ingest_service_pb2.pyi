from alertwhisperer.v1 import alert_pb2 as _alert_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class IngestResult(_message.Message):
    __slots__ = ("index", "alert_id", "outcome", "incident_id", "dedup_key", "reason", "asset", "asset_label")
    INDEX_FIELD_NUMBER: _ClassVar[int]
    ALERT_ID_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    INCIDENT_ID_FIELD_NUMBER: _ClassVar[int]
    DEDUP_KEY_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    ASSET_FIELD_NUMBER: _ClassVar[int]
    ASSET_LABEL_FIELD_NUMBER: _ClassVar[int]
    index: int
    alert_id: str
    outcome: _alert_pb2.AlertOutcome
    incident_id: str
    dedup_key: str
    reason: str
    asset: str
    asset_label: str
    def __init__(self, index: _Optional[int] = ..., alert_id: _Optional[str] = ..., outcome: _Optional[_Union[_alert_pb2.AlertOutcome, str]] = ..., incident_id: _Optional[str] = ..., dedup_key: _Optional[str] = ..., reason: _Optional[str] = ..., asset: _Optional[str] = ..., asset_label: _Optional[str] = ...) -> None: ...

class IngestAlertRequest(_message.Message):
    __slots__ = ("alert",)
    ALERT_FIELD_NUMBER: _ClassVar[int]
    alert: _alert_pb2.AlertInput
    def __init__(self, alert: _Optional[_Union[_alert_pb2.AlertInput, _Mapping]] = ...) -> None: ...

class IngestAlertResponse(_message.Message):
    __slots__ = ("result",)
    RESULT_FIELD_NUMBER: _ClassVar[int]
    result: IngestResult
    def __init__(self, result: _Optional[_Union[IngestResult, _Mapping]] = ...) -> None: ...

class IngestAlertsRequest(_message.Message):
    __slots__ = ("alerts",)
    ALERTS_FIELD_NUMBER: _ClassVar[int]
    alerts: _containers.RepeatedCompositeFieldContainer[_alert_pb2.AlertInput]
    def __init__(self, alerts: _Optional[_Iterable[_Union[_alert_pb2.AlertInput, _Mapping]]] = ...) -> None: ...

class IngestAlertsResponse(_message.Message):
    __slots__ = ("results",)
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[IngestResult]
    def __init__(self, results: _Optional[_Iterable[_Union[IngestResult, _Mapping]]] = ...) -> None: ...
