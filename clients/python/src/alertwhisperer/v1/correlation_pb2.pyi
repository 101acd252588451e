import datetime

from alertwhisperer.v1 import matcher_pb2 as _matcher_pb2
from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class AssetCriticality(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ASSET_CRITICALITY_UNSPECIFIED: _ClassVar[AssetCriticality]
    ASSET_CRITICALITY_LOW: _ClassVar[AssetCriticality]
    ASSET_CRITICALITY_MEDIUM: _ClassVar[AssetCriticality]
    ASSET_CRITICALITY_HIGH: _ClassVar[AssetCriticality]
    ASSET_CRITICALITY_CRITICAL: _ClassVar[AssetCriticality]

class SilenceState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SILENCE_STATE_UNSPECIFIED: _ClassVar[SilenceState]
    SILENCE_STATE_PENDING: _ClassVar[SilenceState]
    SILENCE_STATE_ACTIVE: _ClassVar[SilenceState]
    SILENCE_STATE_EXPIRED: _ClassVar[SilenceState]

class DecisionKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DECISION_KIND_UNSPECIFIED: _ClassVar[DecisionKind]
    DECISION_KIND_AGGREGATION_KEY: _ClassVar[DecisionKind]
    DECISION_KIND_WINDOW: _ClassVar[DecisionKind]
    DECISION_KIND_NEW_INCIDENT: _ClassVar[DecisionKind]
    DECISION_KIND_DEDUPLICATION: _ClassVar[DecisionKind]
    DECISION_KIND_DUPLICATE_DELIVERY: _ClassVar[DecisionKind]
    DECISION_KIND_SILENCE: _ClassVar[DecisionKind]
    DECISION_KIND_INHIBITION: _ClassVar[DecisionKind]
    DECISION_KIND_FLAPPING: _ClassVar[DecisionKind]
    DECISION_KIND_STORM_GROUPING: _ClassVar[DecisionKind]
    DECISION_KIND_ACTION: _ClassVar[DecisionKind]
    DECISION_KIND_AUTO_CORRELATE_OFF: _ClassVar[DecisionKind]
    DECISION_KIND_AUTO_RESOLVE: _ClassVar[DecisionKind]
ASSET_CRITICALITY_UNSPECIFIED: AssetCriticality
ASSET_CRITICALITY_LOW: AssetCriticality
ASSET_CRITICALITY_MEDIUM: AssetCriticality
ASSET_CRITICALITY_HIGH: AssetCriticality
ASSET_CRITICALITY_CRITICAL: AssetCriticality
SILENCE_STATE_UNSPECIFIED: SilenceState
SILENCE_STATE_PENDING: SilenceState
SILENCE_STATE_ACTIVE: SilenceState
SILENCE_STATE_EXPIRED: SilenceState
DECISION_KIND_UNSPECIFIED: DecisionKind
DECISION_KIND_AGGREGATION_KEY: DecisionKind
DECISION_KIND_WINDOW: DecisionKind
DECISION_KIND_NEW_INCIDENT: DecisionKind
DECISION_KIND_DEDUPLICATION: DecisionKind
DECISION_KIND_DUPLICATE_DELIVERY: DecisionKind
DECISION_KIND_SILENCE: DecisionKind
DECISION_KIND_INHIBITION: DecisionKind
DECISION_KIND_FLAPPING: DecisionKind
DECISION_KIND_STORM_GROUPING: DecisionKind
DECISION_KIND_ACTION: DecisionKind
DECISION_KIND_AUTO_CORRELATE_OFF: DecisionKind
DECISION_KIND_AUTO_RESOLVE: DecisionKind

class FlappingSettings(_message.Message):
    __slots__ = ("enabled", "threshold")
    ENABLED_FIELD_NUMBER: _ClassVar[int]
    THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    enabled: bool
    threshold: int
    def __init__(self, enabled: _Optional[bool] = ..., threshold: _Optional[int] = ...) -> None: ...

class StormGroupingSettings(_message.Message):
    __slots__ = ("enabled", "min_assets", "gap", "baseline_factor")
    ENABLED_FIELD_NUMBER: _ClassVar[int]
    MIN_ASSETS_FIELD_NUMBER: _ClassVar[int]
    GAP_FIELD_NUMBER: _ClassVar[int]
    BASELINE_FACTOR_FIELD_NUMBER: _ClassVar[int]
    enabled: bool
    min_assets: int
    gap: _duration_pb2.Duration
    baseline_factor: int
    def __init__(self, enabled: _Optional[bool] = ..., min_assets: _Optional[int] = ..., gap: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., baseline_factor: _Optional[int] = ...) -> None: ...

class CorrelationConfig(_message.Message):
    __slots__ = ("company_id", "window", "aggregation_key", "auto_correlate", "auto_resolve_incidents", "auto_assign", "flapping", "storm_grouping", "asset_criticality", "update_time", "updated_by", "asset_labels", "lateness")
    class AssetCriticalityEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: AssetCriticality
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[AssetCriticality, str]] = ...) -> None: ...
    COMPANY_ID_FIELD_NUMBER: _ClassVar[int]
    WINDOW_FIELD_NUMBER: _ClassVar[int]
    AGGREGATION_KEY_FIELD_NUMBER: _ClassVar[int]
    AUTO_CORRELATE_FIELD_NUMBER: _ClassVar[int]
    AUTO_RESOLVE_INCIDENTS_FIELD_NUMBER: _ClassVar[int]
    AUTO_ASSIGN_FIELD_NUMBER: _ClassVar[int]
    FLAPPING_FIELD_NUMBER: _ClassVar[int]
    STORM_GROUPING_FIELD_NUMBER: _ClassVar[int]
    ASSET_CRITICALITY_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATED_BY_FIELD_NUMBER: _ClassVar[int]
    ASSET_LABELS_FIELD_NUMBER: _ClassVar[int]
    LATENESS_FIELD_NUMBER: _ClassVar[int]
    company_id: str
    window: _duration_pb2.Duration
    aggregation_key: str
    auto_correlate: bool
    auto_resolve_incidents: bool
    auto_assign: bool
    flapping: FlappingSettings
    storm_grouping: StormGroupingSettings
    asset_criticality: _containers.ScalarMap[str, AssetCriticality]
    update_time: _timestamp_pb2.Timestamp
    updated_by: str
    asset_labels: _containers.RepeatedScalarFieldContainer[str]
    lateness: _duration_pb2.Duration
    def __init__(self, company_id: _Optional[str] = ..., window: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., aggregation_key: _Optional[str] = ..., auto_correlate: _Optional[bool] = ..., auto_resolve_incidents: _Optional[bool] = ..., auto_assign: _Optional[bool] = ..., flapping: _Optional[_Union[FlappingSettings, _Mapping]] = ..., storm_grouping: _Optional[_Union[StormGroupingSettings, _Mapping]] = ..., asset_criticality: _Optional[_Mapping[str, AssetCriticality]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_by: _Optional[str] = ..., asset_labels: _Optional[_Iterable[str]] = ..., lateness: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class Silence(_message.Message):
    __slots__ = ("id", "company_id", "matchers", "start_time", "end_time", "comment", "created_by", "create_time", "state", "suppressed_alert_count")
    ID_FIELD_NUMBER: _ClassVar[int]
    COMPANY_ID_FIELD_NUMBER: _ClassVar[int]
    MATCHERS_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    COMMENT_FIELD_NUMBER: _ClassVar[int]
    CREATED_BY_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    SUPPRESSED_ALERT_COUNT_FIELD_NUMBER: _ClassVar[int]
    id: str
    company_id: str
    matchers: _containers.RepeatedCompositeFieldContainer[_matcher_pb2.Matcher]
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    comment: str
    created_by: str
    create_time: _timestamp_pb2.Timestamp
    state: SilenceState
    suppressed_alert_count: int
    def __init__(self, id: _Optional[str] = ..., company_id: _Optional[str] = ..., matchers: _Optional[_Iterable[_Union[_matcher_pb2.Matcher, _Mapping]]] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., comment: _Optional[str] = ..., created_by: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., state: _Optional[_Union[SilenceState, str]] = ..., suppressed_alert_count: _Optional[int] = ...) -> None: ...

class InhibitionRule(_message.Message):
    __slots__ = ("id", "company_id", "source_matchers", "target_matchers", "equal", "comment", "created_by", "create_time", "suppressed_alert_count")
    ID_FIELD_NUMBER: _ClassVar[int]
    COMPANY_ID_FIELD_NUMBER: _ClassVar[int]
    SOURCE_MATCHERS_FIELD_NUMBER: _ClassVar[int]
    TARGET_MATCHERS_FIELD_NUMBER: _ClassVar[int]
    EQUAL_FIELD_NUMBER: _ClassVar[int]
    COMMENT_FIELD_NUMBER: _ClassVar[int]
    CREATED_BY_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    SUPPRESSED_ALERT_COUNT_FIELD_NUMBER: _ClassVar[int]
    id: str
    company_id: str
    source_matchers: _containers.RepeatedCompositeFieldContainer[_matcher_pb2.Matcher]
    target_matchers: _containers.RepeatedCompositeFieldContainer[_matcher_pb2.Matcher]
    equal: _containers.RepeatedScalarFieldContainer[str]
    comment: str
    created_by: str
    create_time: _timestamp_pb2.Timestamp
    suppressed_alert_count: int
    def __init__(self, id: _Optional[str] = ..., company_id: _Optional[str] = ..., source_matchers: _Optional[_Iterable[_Union[_matcher_pb2.Matcher, _Mapping]]] = ..., target_matchers: _Optional[_Iterable[_Union[_matcher_pb2.Matcher, _Mapping]]] = ..., equal: _Optional[_Iterable[str]] = ..., comment: _Optional[str] = ..., created_by: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., suppressed_alert_count: _Optional[int] = ...) -> None: ...

class CorrelationDecision(_message.Message):
    __slots__ = ("kind", "reason", "reference_id")
    KIND_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    REFERENCE_ID_FIELD_NUMBER: _ClassVar[int]
    kind: DecisionKind
    reason: str
    reference_id: str
    def __init__(self, kind: _Optional[_Union[DecisionKind, str]] = ..., reason: _Optional[str] = ..., reference_id: _Optional[str] = ...) -> None: ...
