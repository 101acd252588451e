import datetime

from alertwhisperer.v1 import alert_pb2 as _alert_pb2
from alertwhisperer.v1 import correlation_pb2 as _correlation_pb2
from alertwhisperer.v1 import matcher_pb2 as _matcher_pb2
from google.protobuf import field_mask_pb2 as _field_mask_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class GetCorrelationConfigRequest(_message.Message):
    __slots__ = ("company_id",)
    COMPANY_ID_FIELD_NUMBER: _ClassVar[int]
    company_id: str
    def __init__(self, company_id: _Optional[str] = ...) -> None: ...

class GetCorrelationConfigResponse(_message.Message):
    __slots__ = ("config",)
    CONFIG_FIELD_NUMBER: _ClassVar[int]
    config: _correlation_pb2.CorrelationConfig
    def __init__(self, config: _Optional[_Union[_correlation_pb2.CorrelationConfig, _Mapping]] = ...) -> None: ...

class UpdateCorrelationConfigRequest(_message.Message):
    __slots__ = ("config", "update_mask")
    CONFIG_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    config: _correlation_pb2.CorrelationConfig
    update_mask: _field_mask_pb2.FieldMask
    def __init__(self, config: _Optional[_Union[_correlation_pb2.CorrelationConfig, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ...) -> None: ...

class UpdateCorrelationConfigResponse(_message.Message):
    __slots__ = ("config",)
    CONFIG_FIELD_NUMBER: _ClassVar[int]
    config: _correlation_pb2.CorrelationConfig
    def __init__(self, config: _Optional[_Union[_correlation_pb2.CorrelationConfig, _Mapping]] = ...) -> None: ...

class CorrelateNowRequest(_message.Message):
    __slots__ = ("company_id",)
    COMPANY_ID_FIELD_NUMBER: _ClassVar[int]
    company_id: str
    def __init__(self, company_id: _Optional[str] = ...) -> None: ...

class CorrelateNowResponse(_message.Message):
    __slots__ = ("alerts_processed", "incidents_created", "alerts_correlated", "alerts_suppressed")
    ALERTS_PROCESSED_FIELD_NUMBER: _ClassVar[int]
    INCIDENTS_CREATED_FIELD_NUMBER: _ClassVar[int]
    ALERTS_CORRELATED_FIELD_NUMBER: _ClassVar[int]
    ALERTS_SUPPRESSED_FIELD_NUMBER: _ClassVar[int]
    alerts_processed: int
    incidents_created: int
    alerts_correlated: int
    alerts_suppressed: int
    def __init__(self, alerts_processed: _Optional[int] = ..., incidents_created: _Optional[int] = ..., alerts_correlated: _Optional[int] = ..., alerts_suppressed: _Optional[int] = ...) -> None: ...

class PreviewCorrelationRequest(_message.Message):
    __slots__ = ("company_id", "config", "start_time", "end_time", "max_incidents")
    COMPANY_ID_FIELD_NUMBER: _ClassVar[int]
    CONFIG_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    MAX_INCIDENTS_FIELD_NUMBER: _ClassVar[int]
    company_id: str
    config: _correlation_pb2.CorrelationConfig
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    max_incidents: int
    def __init__(self, company_id: _Optional[str] = ..., config: _Optional[_Union[_correlation_pb2.CorrelationConfig, _Mapping]] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., max_incidents: _Optional[int] = ...) -> None: ...

class PreviewIncident(_message.Message):
    __slots__ = ("aggregation_key", "asset", "signature", "severity", "alert_count", "first_alert_time", "last_alert_time", "flapping", "parent_aggregation_key")
    AGGREGATION_KEY_FIELD_NUMBER: _ClassVar[int]
    ASSET_FIELD_NUMBER: _ClassVar[int]
    SIGNATURE_FIELD_NUMBER: _ClassVar[int]
    SEVERITY_FIELD_NUMBER: _ClassVar[int]
    ALERT_COUNT_FIELD_NUMBER: _ClassVar[int]
    FIRST_ALERT_TIME_FIELD_NUMBER: _ClassVar[int]
    LAST_ALERT_TIME_FIELD_NUMBER: _ClassVar[int]
    FLAPPING_FIELD_NUMBER: _ClassVar[int]
    PARENT_AGGREGATION_KEY_FIELD_NUMBER: _ClassVar[int]
    aggregation_key: str
    asset: str
    signature: str
    severity: _alert_pb2.Severity
    alert_count: int
    first_alert_time: _timestamp_pb2.Timestamp
    last_alert_time: _timestamp_pb2.Timestamp
    flapping: bool
    parent_aggregation_key: str
    def __init__(self, aggregation_key: _Optional[str] = ..., asset: _Optional[str] = ..., signature: _Optional[str] = ..., severity: _Optional[_Union[_alert_pb2.Severity, str]] = ..., alert_count: _Optional[int] = ..., first_alert_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., last_alert_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., flapping: _Optional[bool] = ..., parent_aggregation_key: _Optional[str] = ...) -> None: ...

class PreviewCorrelationResponse(_message.Message):
    __slots__ = ("incidents", "incidents_truncated", "alert_count", "incident_count", "suppressed_alert_count", "noise_reduction_pct")
    INCIDENTS_FIELD_NUMBER: _ClassVar[int]
    INCIDENTS_TRUNCATED_FIELD_NUMBER: _ClassVar[int]
    ALERT_COUNT_FIELD_NUMBER: _ClassVar[int]
    INCIDENT_COUNT_FIELD_NUMBER: _ClassVar[int]
    SUPPRESSED_ALERT_COUNT_FIELD_NUMBER: _ClassVar[int]
    NOISE_REDUCTION_PCT_FIELD_NUMBER: _ClassVar[int]
    incidents: _containers.RepeatedCompositeFieldContainer[PreviewIncident]
    incidents_truncated: bool
    alert_count: int
    incident_count: int
    suppressed_alert_count: int
    noise_reduction_pct: float
    def __init__(self, incidents: _Optional[_Iterable[_Union[PreviewIncident, _Mapping]]] = ..., incidents_truncated: _Optional[bool] = ..., alert_count: _Optional[int] = ..., incident_count: _Optional[int] = ..., suppressed_alert_count: _Optional[int] = ..., noise_reduction_pct: _Optional[float] = ...) -> None: ...

class ExplainAlertRequest(_message.Message):
    __slots__ = ("alert_id", "company_id", "dedup_key")
    ALERT_ID_FIELD_NUMBER: _ClassVar[int]
    COMPANY_ID_FIELD_NUMBER: _ClassVar[int]
    DEDUP_KEY_FIELD_NUMBER: _ClassVar[int]
    alert_id: str
    company_id: str
    dedup_key: str
    def __init__(self, alert_id: _Optional[str] = ..., company_id: _Optional[str] = ..., dedup_key: _Optional[str] = ...) -> None: ...

class ExplainAlertResponse(_message.Message):
    __slots__ = ("alert", "outcome", "incident_id", "aggregation_key", "window_start_time", "window_end_time", "decisions", "asset_label")
    ALERT_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    INCIDENT_ID_FIELD_NUMBER: _ClassVar[int]
    AGGREGATION_KEY_FIELD_NUMBER: _ClassVar[int]
    WINDOW_START_TIME_FIELD_NUMBER: _ClassVar[int]
    WINDOW_END_TIME_FIELD_NUMBER: _ClassVar[int]
    DECISIONS_FIELD_NUMBER: _ClassVar[int]
    ASSET_LABEL_FIELD_NUMBER: _ClassVar[int]
    alert: _alert_pb2.Alert
    outcome: _alert_pb2.AlertOutcome
    incident_id: str
    aggregation_key: str
    window_start_time: _timestamp_pb2.Timestamp
    window_end_time: _timestamp_pb2.Timestamp
    decisions: _containers.RepeatedCompositeFieldContainer[_correlation_pb2.CorrelationDecision]
    asset_label: str
    def __init__(self, alert: _Optional[_Union[_alert_pb2.Alert, _Mapping]] = ..., outcome: _Optional[_Union[_alert_pb2.AlertOutcome, str]] = ..., incident_id: _Optional[str] = ..., aggregation_key: _Optional[str] = ..., window_start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., window_end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., decisions: _Optional[_Iterable[_Union[_correlation_pb2.CorrelationDecision, _Mapping]]] = ..., asset_label: _Optional[str] = ...) -> None: ...

class GetNoiseStatsRequest(_message.Message):
    __slots__ = ("company_id", "start_time", "end_time")
    COMPANY_ID_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    company_id: str
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    def __init__(self, company_id: _Optional[str] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class GetNoiseStatsResponse(_message.Message):
    __slots__ = ("alert_count", "incident_count", "noise_reduction_pct", "deduplicated_alert_count", "correlated_alert_count", "silenced_alert_count", "inhibited_alert_count", "uncorrelated_alert_count", "flapping_incident_count", "storm_incident_count")
    ALERT_COUNT_FIELD_NUMBER: _ClassVar[int]
    INCIDENT_COUNT_FIELD_NUMBER: _ClassVar[int]
    NOISE_REDUCTION_PCT_FIELD_NUMBER: _ClassVar[int]
    DEDUPLICATED_ALERT_COUNT_FIELD_NUMBER: _ClassVar[int]
    CORRELATED_ALERT_COUNT_FIELD_NUMBER: _ClassVar[int]
    SILENCED_ALERT_COUNT_FIELD_NUMBER: _ClassVar[int]
    INHIBITED_ALERT_COUNT_FIELD_NUMBER: _ClassVar[int]
    UNCORRELATED_ALERT_COUNT_FIELD_NUMBER: _ClassVar[int]
    FLAPPING_INCIDENT_COUNT_FIELD_NUMBER: _ClassVar[int]
    STORM_INCIDENT_COUNT_FIELD_NUMBER: _ClassVar[int]
    alert_count: int
    incident_count: int
    noise_reduction_pct: float
    deduplicated_alert_count: int
    correlated_alert_count: int
    silenced_alert_count: int
    inhibited_alert_count: int
    uncorrelated_alert_count: int
    flapping_incident_count: int
    storm_incident_count: int
    def __init__(self, alert_count: _Optional[int] = ..., incident_count: _Optional[int] = ..., noise_reduction_pct: _Optional[float] = ..., deduplicated_alert_count: _Optional[int] = ..., correlated_alert_count: _Optional[int] = ..., silenced_alert_count: _Optional[int] = ..., inhibited_alert_count: _Optional[int] = ..., uncorrelated_alert_count: _Optional[int] = ..., flapping_incident_count: _Optional[int] = ..., storm_incident_count: _Optional[int] = ...) -> None: ...

class CreateSilenceRequest(_message.Message):
    __slots__ = ("company_id", "matchers", "start_time", "end_time", "comment")
    COMPANY_ID_FIELD_NUMBER: _ClassVar[int]
    MATCHERS_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    COMMENT_FIELD_NUMBER: _ClassVar[int]
    company_id: str
    matchers: _containers.RepeatedCompositeFieldContainer[_matcher_pb2.Matcher]
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    comment: str
    def __init__(self, company_id: _Optional[str] = ..., matchers: _Optional[_Iterable[_Union[_matcher_pb2.Matcher, _Mapping]]] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., comment: _Optional[str] = ...) -> None: ...

class CreateSilenceResponse(_message.Message):
    __slots__ = ("silence",)
    SILENCE_FIELD_NUMBER: _ClassVar[int]
    silence: _correlation_pb2.Silence
    def __init__(self, silence: _Optional[_Union[_correlation_pb2.Silence, _Mapping]] = ...) -> None: ...

class ListSilencesRequest(_message.Message):
    __slots__ = ("company_id", "page_size", "page_token", "include_expired")
    COMPANY_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_EXPIRED_FIELD_NUMBER: _ClassVar[int]
    company_id: str
    page_size: int
    page_token: str
    include_expired: bool
    def __init__(self, company_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., include_expired: _Optional[bool] = ...) -> None: ...

class ListSilencesResponse(_message.Message):
    __slots__ = ("silences", "next_page_token")
    SILENCES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    silences: _containers.RepeatedCompositeFieldContainer[_correlation_pb2.Silence]
    next_page_token: str
    def __init__(self, silences: _Optional[_Iterable[_Union[_correlation_pb2.Silence, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class DeleteSilenceRequest(_message.Message):
    __slots__ = ("silence_id",)
    SILENCE_ID_FIELD_NUMBER: _ClassVar[int]
    silence_id: str
    def __init__(self, silence_id: _Optional[str] = ...) -> None: ...

class DeleteSilenceResponse(_message.Message):
    __slots__ = ("silence",)
    SILENCE_FIELD_NUMBER: _ClassVar[int]
    silence: _correlation_pb2.Silence
    def __init__(self, silence: _Optional[_Union[_correlation_pb2.Silence, _Mapping]] = ...) -> None: ...

class CreateInhibitionRuleRequest(_message.Message):
    __slots__ = ("company_id", "source_matchers", "target_matchers", "equal", "comment")
    COMPANY_ID_FIELD_NUMBER: _ClassVar[int]
    SOURCE_MATCHERS_FIELD_NUMBER: _ClassVar[int]
    TARGET_MATCHERS_FIELD_NUMBER: _ClassVar[int]
    EQUAL_FIELD_NUMBER: _ClassVar[int]
    COMMENT_FIELD_NUMBER: _ClassVar[int]
    company_id: str
    source_matchers: _containers.RepeatedCompositeFieldContainer[_matcher_pb2.Matcher]
    target_matchers: _containers.RepeatedCompositeFieldContainer[_matcher_pb2.Matcher]
    equal: _containers.RepeatedScalarFieldContainer[str]
    comment: str
    def __init__(self, company_id: _Optional[str] = ..., source_matchers: _Optional[_Iterable[_Union[_matcher_pb2.Matcher, _Mapping]]] = ..., target_matchers: _Optional[_Iterable[_Union[_matcher_pb2.Matcher, _Mapping]]] = ..., equal: _Optional[_Iterable[str]] = ..., comment: _Optional[str] = ...) -> None: ...

class CreateInhibitionRuleResponse(_message.Message):
    __slots__ = ("inhibition_rule",)
    INHIBITION_RULE_FIELD_NUMBER: _ClassVar[int]
    inhibition_rule: _correlation_pb2.InhibitionRule
    def __init__(self, inhibition_rule: _Optional[_Union[_correlation_pb2.InhibitionRule, _Mapping]] = ...) -> None: ...

class ListInhibitionRulesRequest(_message.Message):
    __slots__ = ("company_id", "page_size", "page_token")
    COMPANY_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    company_id: str
    page_size: int
    page_token: str
    def __init__(self, company_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListInhibitionRulesResponse(_message.Message):
    __slots__ = ("inhibition_rules", "next_page_token")
    INHIBITION_RULES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    inhibition_rules: _containers.RepeatedCompositeFieldContainer[_correlation_pb2.InhibitionRule]
    next_page_token: str
    def __init__(self, inhibition_rules: _Optional[_Iterable[_Union[_correlation_pb2.InhibitionRule, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class DeleteInhibitionRuleRequest(_message.Message):
    __slots__ = ("inhibition_rule_id",)
    INHIBITION_RULE_ID_FIELD_NUMBER: _ClassVar[int]
    inhibition_rule_id: str
    def __init__(self, inhibition_rule_id: _Optional[str] = ...) -> None: ...

class DeleteInhibitionRuleResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...
