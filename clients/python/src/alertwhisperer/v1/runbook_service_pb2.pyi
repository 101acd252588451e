import datetime

from alertwhisperer.v1 import instance_pb2 as _instance_pb2
from alertwhisperer.v1 import matcher_pb2 as _matcher_pb2
from alertwhisperer.v1 import runbook_pb2 as _runbook_pb2
from alertwhisperer.v1 import watch_pb2 as _watch_pb2
from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import field_mask_pb2 as _field_mask_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class CreateRunbookRequest(_message.Message):
    __slots__ = ("company_id", "name", "description", "document_name", "document_version", "parameters", "targets", "timeout", "max_concurrency", "max_errors", "platform_types", "kind", "target_parameter_name")
    COMPANY_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    DOCUMENT_NAME_FIELD_NUMBER: _ClassVar[int]
    DOCUMENT_VERSION_FIELD_NUMBER: _ClassVar[int]
    PARAMETERS_FIELD_NUMBER: _ClassVar[int]
    TARGETS_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    MAX_CONCURRENCY_FIELD_NUMBER: _ClassVar[int]
    MAX_ERRORS_FIELD_NUMBER: _ClassVar[int]
    PLATFORM_TYPES_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    TARGET_PARAMETER_NAME_FIELD_NUMBER: _ClassVar[int]
    company_id: str
    name: str
    description: str
    document_name: str
    document_version: str
    parameters: _containers.RepeatedCompositeFieldContainer[_runbook_pb2.RunbookParameter]
    targets: _runbook_pb2.RunbookTargets
    timeout: _duration_pb2.Duration
    max_concurrency: str
    max_errors: str
    platform_types: _containers.RepeatedScalarFieldContainer[_instance_pb2.PlatformType]
    kind: _runbook_pb2.RunbookKind
    target_parameter_name: str
    def __init__(self, company_id: _Optional[str] = ..., name: _Optional[str] = ..., description: _Optional[str] = ..., document_name: _Optional[str] = ..., document_version: _Optional[str] = ..., parameters: _Optional[_Iterable[_Union[_runbook_pb2.RunbookParameter, _Mapping]]] = ..., targets: _Optional[_Union[_runbook_pb2.RunbookTargets, _Mapping]] = ..., timeout: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., max_concurrency: _Optional[str] = ..., max_errors: _Optional[str] = ..., platform_types: _Optional[_Iterable[_Union[_instance_pb2.PlatformType, str]]] = ..., kind: _Optional[_Union[_runbook_pb2.RunbookKind, str]] = ..., target_parameter_name: _Optional[str] = ...) -> None: ...

class CreateRunbookResponse(_message.Message):
    __slots__ = ("runbook",)
    RUNBOOK_FIELD_NUMBER: _ClassVar[int]
    runbook: _runbook_pb2.Runbook
    def __init__(self, runbook: _Optional[_Union[_runbook_pb2.Runbook, _Mapping]] = ...) -> None: ...

class ListRunbooksRequest(_message.Message):
    __slots__ = ("company_id", "page_size", "page_token", "custom_only")
    COMPANY_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    CUSTOM_ONLY_FIELD_NUMBER: _ClassVar[int]
    company_id: str
    page_size: int
    page_token: str
    custom_only: bool
    def __init__(self, company_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., custom_only: _Optional[bool] = ...) -> None: ...

class ListRunbooksResponse(_message.Message):
    __slots__ = ("runbooks", "next_page_token")
    RUNBOOKS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    runbooks: _containers.RepeatedCompositeFieldContainer[_runbook_pb2.Runbook]
    next_page_token: str
    def __init__(self, runbooks: _Optional[_Iterable[_Union[_runbook_pb2.Runbook, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class GetRunbookRequest(_message.Message):
    __slots__ = ("runbook_id",)
    RUNBOOK_ID_FIELD_NUMBER: _ClassVar[int]
    runbook_id: str
    def __init__(self, runbook_id: _Optional[str] = ...) -> None: ...

class GetRunbookResponse(_message.Message):
    __slots__ = ("runbook",)
    RUNBOOK_FIELD_NUMBER: _ClassVar[int]
    runbook: _runbook_pb2.Runbook
    def __init__(self, runbook: _Optional[_Union[_runbook_pb2.Runbook, _Mapping]] = ...) -> None: ...

class UpdateRunbookRequest(_message.Message):
    __slots__ = ("runbook_id", "name", "description", "document_name", "document_version", "parameters", "targets", "timeout", "max_concurrency", "max_errors", "platform_types", "update_mask")
    RUNBOOK_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    DOCUMENT_NAME_FIELD_NUMBER: _ClassVar[int]
    DOCUMENT_VERSION_FIELD_NUMBER: _ClassVar[int]
    PARAMETERS_FIELD_NUMBER: _ClassVar[int]
    TARGETS_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    MAX_CONCURRENCY_FIELD_NUMBER: _ClassVar[int]
    MAX_ERRORS_FIELD_NUMBER: _ClassVar[int]
    PLATFORM_TYPES_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    runbook_id: str
    name: str
    description: str
    document_name: str
    document_version: str
    parameters: _containers.RepeatedCompositeFieldContainer[_runbook_pb2.RunbookParameter]
    targets: _runbook_pb2.RunbookTargets
    timeout: _duration_pb2.Duration
    max_concurrency: str
    max_errors: str
    platform_types: _containers.RepeatedScalarFieldContainer[_instance_pb2.PlatformType]
    update_mask: _field_mask_pb2.FieldMask
    def __init__(self, runbook_id: _Optional[str] = ..., name: _Optional[str] = ..., description: _Optional[str] = ..., document_name: _Optional[str] = ..., document_version: _Optional[str] = ..., parameters: _Optional[_Iterable[_Union[_runbook_pb2.RunbookParameter, _Mapping]]] = ..., targets: _Optional[_Union[_runbook_pb2.RunbookTargets, _Mapping]] = ..., timeout: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., max_concurrency: _Optional[str] = ..., max_errors: _Optional[str] = ..., platform_types: _Optional[_Iterable[_Union[_instance_pb2.PlatformType, str]]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ...) -> None: ...

class UpdateRunbookResponse(_message.Message):
    __slots__ = ("runbook",)
    RUNBOOK_FIELD_NUMBER: _ClassVar[int]
    runbook: _runbook_pb2.Runbook
    def __init__(self, runbook: _Optional[_Union[_runbook_pb2.Runbook, _Mapping]] = ...) -> None: ...

class DeleteRunbookRequest(_message.Message):
    __slots__ = ("runbook_id",)
    RUNBOOK_ID_FIELD_NUMBER: _ClassVar[int]
    runbook_id: str
    def __init__(self, runbook_id: _Optional[str] = ...) -> None: ...

class DeleteRunbookResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class CreateRemediationRuleRequest(_message.Message):
    __slots__ = ("company_id", "name", "matchers", "runbook_id", "parameter_templates", "targets", "mode", "cooldown", "approval_timeout")
    class ParameterTemplatesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    COMPANY_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    MATCHERS_FIELD_NUMBER: _ClassVar[int]
    RUNBOOK_ID_FIELD_NUMBER: _ClassVar[int]
    PARAMETER_TEMPLATES_FIELD_NUMBER: _ClassVar[int]
    TARGETS_FIELD_NUMBER: _ClassVar[int]
    MODE_FIELD_NUMBER: _ClassVar[int]
    COOLDOWN_FIELD_NUMBER: _ClassVar[int]
    APPROVAL_TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    company_id: str
    name: str
    matchers: _containers.RepeatedCompositeFieldContainer[_matcher_pb2.Matcher]
    runbook_id: str
    parameter_templates: _containers.ScalarMap[str, str]
    targets: _runbook_pb2.RunbookTargets
    mode: _runbook_pb2.RemediationMode
    cooldown: _duration_pb2.Duration
    approval_timeout: _duration_pb2.Duration
    def __init__(self, company_id: _Optional[str] = ..., name: _Optional[str] = ..., matchers: _Optional[_Iterable[_Union[_matcher_pb2.Matcher, _Mapping]]] = ..., runbook_id: _Optional[str] = ..., parameter_templates: _Optional[_Mapping[str, str]] = ..., targets: _Optional[_Union[_runbook_pb2.RunbookTargets, _Mapping]] = ..., mode: _Optional[_Union[_runbook_pb2.RemediationMode, str]] = ..., cooldown: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., approval_timeout: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class CreateRemediationRuleResponse(_message.Message):
    __slots__ = ("remediation_rule",)
    REMEDIATION_RULE_FIELD_NUMBER: _ClassVar[int]
    remediation_rule: _runbook_pb2.RemediationRule
    def __init__(self, remediation_rule: _Optional[_Union[_runbook_pb2.RemediationRule, _Mapping]] = ...) -> None: ...

class ListRemediationRulesRequest(_message.Message):
    __slots__ = ("company_id", "page_size", "page_token", "runbook_id")
    COMPANY_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    RUNBOOK_ID_FIELD_NUMBER: _ClassVar[int]
    company_id: str
    page_size: int
    page_token: str
    runbook_id: str
    def __init__(self, company_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., runbook_id: _Optional[str] = ...) -> None: ...

class ListRemediationRulesResponse(_message.Message):
    __slots__ = ("remediation_rules", "next_page_token")
    REMEDIATION_RULES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    remediation_rules: _containers.RepeatedCompositeFieldContainer[_runbook_pb2.RemediationRule]
    next_page_token: str
    def __init__(self, remediation_rules: _Optional[_Iterable[_Union[_runbook_pb2.RemediationRule, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class DeleteRemediationRuleRequest(_message.Message):
    __slots__ = ("remediation_rule_id",)
    REMEDIATION_RULE_ID_FIELD_NUMBER: _ClassVar[int]
    remediation_rule_id: str
    def __init__(self, remediation_rule_id: _Optional[str] = ...) -> None: ...

class DeleteRemediationRuleResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ExecuteRunbookRequest(_message.Message):
    __slots__ = ("company_id", "runbook_id", "parameters", "targets", "incident_id", "comment")
    class ParametersEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    COMPANY_ID_FIELD_NUMBER: _ClassVar[int]
    RUNBOOK_ID_FIELD_NUMBER: _ClassVar[int]
    PARAMETERS_FIELD_NUMBER: _ClassVar[int]
    TARGETS_FIELD_NUMBER: _ClassVar[int]
    INCIDENT_ID_FIELD_NUMBER: _ClassVar[int]
    COMMENT_FIELD_NUMBER: _ClassVar[int]
    company_id: str
    runbook_id: str
    parameters: _containers.ScalarMap[str, str]
    targets: _runbook_pb2.RunbookTargets
    incident_id: str
    comment: str
    def __init__(self, company_id: _Optional[str] = ..., runbook_id: _Optional[str] = ..., parameters: _Optional[_Mapping[str, str]] = ..., targets: _Optional[_Union[_runbook_pb2.RunbookTargets, _Mapping]] = ..., incident_id: _Optional[str] = ..., comment: _Optional[str] = ...) -> None: ...

class ExecuteRunbookResponse(_message.Message):
    __slots__ = ("execution",)
    EXECUTION_FIELD_NUMBER: _ClassVar[int]
    execution: _runbook_pb2.Execution
    def __init__(self, execution: _Optional[_Union[_runbook_pb2.Execution, _Mapping]] = ...) -> None: ...

class ApproveExecutionRequest(_message.Message):
    __slots__ = ("execution_id", "comment")
    EXECUTION_ID_FIELD_NUMBER: _ClassVar[int]
    COMMENT_FIELD_NUMBER: _ClassVar[int]
    execution_id: str
    comment: str
    def __init__(self, execution_id: _Optional[str] = ..., comment: _Optional[str] = ...) -> None: ...

class ApproveExecutionResponse(_message.Message):
    __slots__ = ("execution",)
    EXECUTION_FIELD_NUMBER: _ClassVar[int]
    execution: _runbook_pb2.Execution
    def __init__(self, execution: _Optional[_Union[_runbook_pb2.Execution, _Mapping]] = ...) -> None: ...

class RejectExecutionRequest(_message.Message):
    __slots__ = ("execution_id", "reason")
    EXECUTION_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    execution_id: str
    reason: str
    def __init__(self, execution_id: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class RejectExecutionResponse(_message.Message):
    __slots__ = ("execution",)
    EXECUTION_FIELD_NUMBER: _ClassVar[int]
    execution: _runbook_pb2.Execution
    def __init__(self, execution: _Optional[_Union[_runbook_pb2.Execution, _Mapping]] = ...) -> None: ...

class CancelExecutionRequest(_message.Message):
    __slots__ = ("execution_id", "reason")
    EXECUTION_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    execution_id: str
    reason: str
    def __init__(self, execution_id: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class CancelExecutionResponse(_message.Message):
    __slots__ = ("execution",)
    EXECUTION_FIELD_NUMBER: _ClassVar[int]
    execution: _runbook_pb2.Execution
    def __init__(self, execution: _Optional[_Union[_runbook_pb2.Execution, _Mapping]] = ...) -> None: ...

class GetExecutionRequest(_message.Message):
    __slots__ = ("execution_id",)
    EXECUTION_ID_FIELD_NUMBER: _ClassVar[int]
    execution_id: str
    def __init__(self, execution_id: _Optional[str] = ...) -> None: ...

class GetExecutionResponse(_message.Message):
    __slots__ = ("execution",)
    EXECUTION_FIELD_NUMBER: _ClassVar[int]
    execution: _runbook_pb2.Execution
    def __init__(self, execution: _Optional[_Union[_runbook_pb2.Execution, _Mapping]] = ...) -> None: ...

class ListExecutionsRequest(_message.Message):
    __slots__ = ("company_id", "page_size", "page_token", "statuses", "runbook_id", "rule_id", "incident_id", "start_time", "end_time")
    COMPANY_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    STATUSES_FIELD_NUMBER: _ClassVar[int]
    RUNBOOK_ID_FIELD_NUMBER: _ClassVar[int]
    RULE_ID_FIELD_NUMBER: _ClassVar[int]
    INCIDENT_ID_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    company_id: str
    page_size: int
    page_token: str
    statuses: _containers.RepeatedScalarFieldContainer[_runbook_pb2.ExecutionStatus]
    runbook_id: str
    rule_id: str
    incident_id: str
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    def __init__(self, company_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., statuses: _Optional[_Iterable[_Union[_runbook_pb2.ExecutionStatus, str]]] = ..., runbook_id: _Optional[str] = ..., rule_id: _Optional[str] = ..., incident_id: _Optional[str] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ListExecutionsResponse(_message.Message):
    __slots__ = ("executions", "next_page_token")
    EXECUTIONS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    executions: _containers.RepeatedCompositeFieldContainer[_runbook_pb2.Execution]
    next_page_token: str
    def __init__(self, executions: _Optional[_Iterable[_Union[_runbook_pb2.Execution, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class WatchExecutionsRequest(_message.Message):
    __slots__ = ("company_id", "after_sequence", "statuses", "incident_id", "execution_id")
    COMPANY_ID_FIELD_NUMBER: _ClassVar[int]
    AFTER_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    STATUSES_FIELD_NUMBER: _ClassVar[int]
    INCIDENT_ID_FIELD_NUMBER: _ClassVar[int]
    EXECUTION_ID_FIELD_NUMBER: _ClassVar[int]
    company_id: str
    after_sequence: int
    statuses: _containers.RepeatedScalarFieldContainer[_runbook_pb2.ExecutionStatus]
    incident_id: str
    execution_id: str
    def __init__(self, company_id: _Optional[str] = ..., after_sequence: _Optional[int] = ..., statuses: _Optional[_Iterable[_Union[_runbook_pb2.ExecutionStatus, str]]] = ..., incident_id: _Optional[str] = ..., execution_id: _Optional[str] = ...) -> None: ...

class WatchExecutionsResponse(_message.Message):
    __slots__ = ("event", "heartbeat")
    EVENT_FIELD_NUMBER: _ClassVar[int]
    HEARTBEAT_FIELD_NUMBER: _ClassVar[int]
    event: _runbook_pb2.ExecutionFeedEvent
    heartbeat: _watch_pb2.Heartbeat
    def __init__(self, event: _Optional[_Union[_runbook_pb2.ExecutionFeedEvent, _Mapping]] = ..., heartbeat: _Optional[_Union[_watch_pb2.Heartbeat, _Mapping]] = ...) -> None: ...

class CreateHybridActivationRequest(_message.Message):
    __slots__ = ("company_id", "description", "iam_role", "registration_limit", "expire_time", "default_instance_name", "tags")
    class TagsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    COMPANY_ID_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    IAM_ROLE_FIELD_NUMBER: _ClassVar[int]
    REGISTRATION_LIMIT_FIELD_NUMBER: _ClassVar[int]
    EXPIRE_TIME_FIELD_NUMBER: _ClassVar[int]
    DEFAULT_INSTANCE_NAME_FIELD_NUMBER: _ClassVar[int]
    TAGS_FIELD_NUMBER: _ClassVar[int]
    company_id: str
    description: str
    iam_role: str
    registration_limit: int
    expire_time: _timestamp_pb2.Timestamp
    default_instance_name: str
    tags: _containers.ScalarMap[str, str]
    def __init__(self, company_id: _Optional[str] = ..., description: _Optional[str] = ..., iam_role: _Optional[str] = ..., registration_limit: _Optional[int] = ..., expire_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., default_instance_name: _Optional[str] = ..., tags: _Optional[_Mapping[str, str]] = ...) -> None: ...

class CreateHybridActivationResponse(_message.Message):
    __slots__ = ("activation_id", "activation_code", "region", "expire_time")
    ACTIVATION_ID_FIELD_NUMBER: _ClassVar[int]
    ACTIVATION_CODE_FIELD_NUMBER: _ClassVar[int]
    REGION_FIELD_NUMBER: _ClassVar[int]
    EXPIRE_TIME_FIELD_NUMBER: _ClassVar[int]
    activation_id: str
    activation_code: str
    region: str
    expire_time: _timestamp_pb2.Timestamp
    def __init__(self, activation_id: _Optional[str] = ..., activation_code: _Optional[str] = ..., region: _Optional[str] = ..., expire_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ListManagedInstancesRequest(_message.Message):
    __slots__ = ("company_id", "page_size", "page_token", "ping_status", "resource_type")
    COMPANY_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    PING_STATUS_FIELD_NUMBER: _ClassVar[int]
    RESOURCE_TYPE_FIELD_NUMBER: _ClassVar[int]
    company_id: str
    page_size: int
    page_token: str
    ping_status: _instance_pb2.PingStatus
    resource_type: _instance_pb2.InstanceResourceType
    def __init__(self, company_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., ping_status: _Optional[_Union[_instance_pb2.PingStatus, str]] = ..., resource_type: _Optional[_Union[_instance_pb2.InstanceResourceType, str]] = ...) -> None: ...

class ListManagedInstancesResponse(_message.Message):
    __slots__ = ("instances", "next_page_token")
    INSTANCES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    instances: _containers.RepeatedCompositeFieldContainer[_instance_pb2.ManagedInstance]
    next_page_token: str
    def __init__(self, instances: _Optional[_Iterable[_Union[_instance_pb2.ManagedInstance, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class SsmSession(_message.Message):
    __slots__ = ("session_id", "company_id", "instance_id", "status", "incident_id", "reason", "started_by", "start_time", "document_name")
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    COMPANY_ID_FIELD_NUMBER: _ClassVar[int]
    INSTANCE_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    INCIDENT_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    STARTED_BY_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    DOCUMENT_NAME_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    company_id: str
    instance_id: str
    status: str
    incident_id: str
    reason: str
    started_by: str
    start_time: _timestamp_pb2.Timestamp
    document_name: str
    def __init__(self, session_id: _Optional[str] = ..., company_id: _Optional[str] = ..., instance_id: _Optional[str] = ..., status: _Optional[str] = ..., incident_id: _Optional[str] = ..., reason: _Optional[str] = ..., started_by: _Optional[str] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., document_name: _Optional[str] = ...) -> None: ...

class StartSessionRequest(_message.Message):
    __slots__ = ("incident_id", "instance_id", "reason")
    INCIDENT_ID_FIELD_NUMBER: _ClassVar[int]
    INSTANCE_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    incident_id: str
    instance_id: str
    reason: str
    def __init__(self, incident_id: _Optional[str] = ..., instance_id: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class StartSessionResponse(_message.Message):
    __slots__ = ("session", "token_value", "stream_url", "region", "command_line")
    SESSION_FIELD_NUMBER: _ClassVar[int]
    TOKEN_VALUE_FIELD_NUMBER: _ClassVar[int]
    STREAM_URL_FIELD_NUMBER: _ClassVar[int]
    REGION_FIELD_NUMBER: _ClassVar[int]
    COMMAND_LINE_FIELD_NUMBER: _ClassVar[int]
    session: SsmSession
    token_value: str
    stream_url: str
    region: str
    command_line: str
    def __init__(self, session: _Optional[_Union[SsmSession, _Mapping]] = ..., token_value: _Optional[str] = ..., stream_url: _Optional[str] = ..., region: _Optional[str] = ..., command_line: _Optional[str] = ...) -> None: ...

class TerminateSessionRequest(_message.Message):
    __slots__ = ("company_id", "session_id", "reason")
    COMPANY_ID_FIELD_NUMBER: _ClassVar[int]
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    company_id: str
    session_id: str
    reason: str
    def __init__(self, company_id: _Optional[str] = ..., session_id: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class TerminateSessionResponse(_message.Message):
    __slots__ = ("session",)
    SESSION_FIELD_NUMBER: _ClassVar[int]
    session: SsmSession
    def __init__(self, session: _Optional[_Union[SsmSession, _Mapping]] = ...) -> None: ...

class ListSessionsRequest(_message.Message):
    __slots__ = ("company_id", "incident_id")
    COMPANY_ID_FIELD_NUMBER: _ClassVar[int]
    INCIDENT_ID_FIELD_NUMBER: _ClassVar[int]
    company_id: str
    incident_id: str
    def __init__(self, company_id: _Optional[str] = ..., incident_id: _Optional[str] = ...) -> None: ...

class ListSessionsResponse(_message.Message):
    __slots__ = ("sessions",)
    SESSIONS_FIELD_NUMBER: _ClassVar[int]
    sessions: _containers.RepeatedCompositeFieldContainer[SsmSession]
    def __init__(self, sessions: _Optional[_Iterable[_Union[SsmSession, _Mapping]]] = ...) -> None: ...
