import datetime

from alertwhisperer.v1 import instance_pb2 as _instance_pb2
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

class RunbookParameterType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    RUNBOOK_PARAMETER_TYPE_UNSPECIFIED: _ClassVar[RunbookParameterType]
    RUNBOOK_PARAMETER_TYPE_STRING: _ClassVar[RunbookParameterType]
    RUNBOOK_PARAMETER_TYPE_INTEGER: _ClassVar[RunbookParameterType]
    RUNBOOK_PARAMETER_TYPE_BOOLEAN: _ClassVar[RunbookParameterType]
    RUNBOOK_PARAMETER_TYPE_STRING_LIST: _ClassVar[RunbookParameterType]

class RunbookKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    RUNBOOK_KIND_UNSPECIFIED: _ClassVar[RunbookKind]
    RUNBOOK_KIND_RUN_COMMAND: _ClassVar[RunbookKind]
    RUNBOOK_KIND_AUTOMATION: _ClassVar[RunbookKind]

class RemediationMode(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    REMEDIATION_MODE_UNSPECIFIED: _ClassVar[RemediationMode]
    REMEDIATION_MODE_AUTO: _ClassVar[RemediationMode]
    REMEDIATION_MODE_APPROVAL: _ClassVar[RemediationMode]

class ExecutionStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    EXECUTION_STATUS_UNSPECIFIED: _ClassVar[ExecutionStatus]
    EXECUTION_STATUS_PENDING_APPROVAL: _ClassVar[ExecutionStatus]
    EXECUTION_STATUS_QUEUED: _ClassVar[ExecutionStatus]
    EXECUTION_STATUS_RUNNING: _ClassVar[ExecutionStatus]
    EXECUTION_STATUS_CANCELLING: _ClassVar[ExecutionStatus]
    EXECUTION_STATUS_SUCCEEDED: _ClassVar[ExecutionStatus]
    EXECUTION_STATUS_FAILED: _ClassVar[ExecutionStatus]
    EXECUTION_STATUS_TIMED_OUT: _ClassVar[ExecutionStatus]
    EXECUTION_STATUS_CANCELLED: _ClassVar[ExecutionStatus]
    EXECUTION_STATUS_REJECTED: _ClassVar[ExecutionStatus]
    EXECUTION_STATUS_EXPIRED: _ClassVar[ExecutionStatus]

class ExecutionTrigger(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    EXECUTION_TRIGGER_UNSPECIFIED: _ClassVar[ExecutionTrigger]
    EXECUTION_TRIGGER_MANUAL: _ClassVar[ExecutionTrigger]
    EXECUTION_TRIGGER_RULE: _ClassVar[ExecutionTrigger]

class InvocationStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    INVOCATION_STATUS_UNSPECIFIED: _ClassVar[InvocationStatus]
    INVOCATION_STATUS_PENDING: _ClassVar[InvocationStatus]
    INVOCATION_STATUS_IN_PROGRESS: _ClassVar[InvocationStatus]
    INVOCATION_STATUS_DELAYED: _ClassVar[InvocationStatus]
    INVOCATION_STATUS_SUCCEEDED: _ClassVar[InvocationStatus]
    INVOCATION_STATUS_FAILED: _ClassVar[InvocationStatus]
    INVOCATION_STATUS_TIMED_OUT: _ClassVar[InvocationStatus]
    INVOCATION_STATUS_CANCELLING: _ClassVar[InvocationStatus]
    INVOCATION_STATUS_CANCELLED: _ClassVar[InvocationStatus]

class AutomationStepStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    AUTOMATION_STEP_STATUS_UNSPECIFIED: _ClassVar[AutomationStepStatus]
    AUTOMATION_STEP_STATUS_PENDING: _ClassVar[AutomationStepStatus]
    AUTOMATION_STEP_STATUS_IN_PROGRESS: _ClassVar[AutomationStepStatus]
    AUTOMATION_STEP_STATUS_WAITING: _ClassVar[AutomationStepStatus]
    AUTOMATION_STEP_STATUS_SUCCEEDED: _ClassVar[AutomationStepStatus]
    AUTOMATION_STEP_STATUS_FAILED: _ClassVar[AutomationStepStatus]
    AUTOMATION_STEP_STATUS_TIMED_OUT: _ClassVar[AutomationStepStatus]
    AUTOMATION_STEP_STATUS_CANCELLING: _ClassVar[AutomationStepStatus]
    AUTOMATION_STEP_STATUS_CANCELLED: _ClassVar[AutomationStepStatus]

class ExecutionEventKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    EXECUTION_EVENT_KIND_UNSPECIFIED: _ClassVar[ExecutionEventKind]
    EXECUTION_EVENT_KIND_CREATED: _ClassVar[ExecutionEventKind]
    EXECUTION_EVENT_KIND_APPROVED: _ClassVar[ExecutionEventKind]
    EXECUTION_EVENT_KIND_REJECTED: _ClassVar[ExecutionEventKind]
    EXECUTION_EVENT_KIND_EXPIRED: _ClassVar[ExecutionEventKind]
    EXECUTION_EVENT_KIND_STARTED: _ClassVar[ExecutionEventKind]
    EXECUTION_EVENT_KIND_INVOCATION_UPDATED: _ClassVar[ExecutionEventKind]
    EXECUTION_EVENT_KIND_CANCEL_REQUESTED: _ClassVar[ExecutionEventKind]
    EXECUTION_EVENT_KIND_SUCCEEDED: _ClassVar[ExecutionEventKind]
    EXECUTION_EVENT_KIND_FAILED: _ClassVar[ExecutionEventKind]
    EXECUTION_EVENT_KIND_TIMED_OUT: _ClassVar[ExecutionEventKind]
    EXECUTION_EVENT_KIND_CANCELLED: _ClassVar[ExecutionEventKind]
    EXECUTION_EVENT_KIND_STEP_UPDATED: _ClassVar[ExecutionEventKind]
    EXECUTION_EVENT_KIND_STEP_APPROVED: _ClassVar[ExecutionEventKind]
    EXECUTION_EVENT_KIND_STEP_REJECTED: _ClassVar[ExecutionEventKind]
RUNBOOK_PARAMETER_TYPE_UNSPECIFIED: RunbookParameterType
RUNBOOK_PARAMETER_TYPE_STRING: RunbookParameterType
RUNBOOK_PARAMETER_TYPE_INTEGER: RunbookParameterType
RUNBOOK_PARAMETER_TYPE_BOOLEAN: RunbookParameterType
RUNBOOK_PARAMETER_TYPE_STRING_LIST: RunbookParameterType
RUNBOOK_KIND_UNSPECIFIED: RunbookKind
RUNBOOK_KIND_RUN_COMMAND: RunbookKind
RUNBOOK_KIND_AUTOMATION: RunbookKind
REMEDIATION_MODE_UNSPECIFIED: RemediationMode
REMEDIATION_MODE_AUTO: RemediationMode
REMEDIATION_MODE_APPROVAL: RemediationMode
EXECUTION_STATUS_UNSPECIFIED: ExecutionStatus
EXECUTION_STATUS_PENDING_APPROVAL: ExecutionStatus
EXECUTION_STATUS_QUEUED: ExecutionStatus
EXECUTION_STATUS_RUNNING: ExecutionStatus
EXECUTION_STATUS_CANCELLING: ExecutionStatus
EXECUTION_STATUS_SUCCEEDED: ExecutionStatus
EXECUTION_STATUS_FAILED: ExecutionStatus
EXECUTION_STATUS_TIMED_OUT: ExecutionStatus
EXECUTION_STATUS_CANCELLED: ExecutionStatus
EXECUTION_STATUS_REJECTED: ExecutionStatus
EXECUTION_STATUS_EXPIRED: ExecutionStatus
EXECUTION_TRIGGER_UNSPECIFIED: ExecutionTrigger
EXECUTION_TRIGGER_MANUAL: ExecutionTrigger
EXECUTION_TRIGGER_RULE: ExecutionTrigger
INVOCATION_STATUS_UNSPECIFIED: InvocationStatus
INVOCATION_STATUS_PENDING: InvocationStatus
INVOCATION_STATUS_IN_PROGRESS: InvocationStatus
INVOCATION_STATUS_DELAYED: InvocationStatus
INVOCATION_STATUS_SUCCEEDED: InvocationStatus
INVOCATION_STATUS_FAILED: InvocationStatus
INVOCATION_STATUS_TIMED_OUT: InvocationStatus
INVOCATION_STATUS_CANCELLING: InvocationStatus
INVOCATION_STATUS_CANCELLED: InvocationStatus
AUTOMATION_STEP_STATUS_UNSPECIFIED: AutomationStepStatus
AUTOMATION_STEP_STATUS_PENDING: AutomationStepStatus
AUTOMATION_STEP_STATUS_IN_PROGRESS: AutomationStepStatus
AUTOMATION_STEP_STATUS_WAITING: AutomationStepStatus
AUTOMATION_STEP_STATUS_SUCCEEDED: AutomationStepStatus
AUTOMATION_STEP_STATUS_FAILED: AutomationStepStatus
AUTOMATION_STEP_STATUS_TIMED_OUT: AutomationStepStatus
AUTOMATION_STEP_STATUS_CANCELLING: AutomationStepStatus
AUTOMATION_STEP_STATUS_CANCELLED: AutomationStepStatus
EXECUTION_EVENT_KIND_UNSPECIFIED: ExecutionEventKind
EXECUTION_EVENT_KIND_CREATED: ExecutionEventKind
EXECUTION_EVENT_KIND_APPROVED: ExecutionEventKind
EXECUTION_EVENT_KIND_REJECTED: ExecutionEventKind
EXECUTION_EVENT_KIND_EXPIRED: ExecutionEventKind
EXECUTION_EVENT_KIND_STARTED: ExecutionEventKind
EXECUTION_EVENT_KIND_INVOCATION_UPDATED: ExecutionEventKind
EXECUTION_EVENT_KIND_CANCEL_REQUESTED: ExecutionEventKind
EXECUTION_EVENT_KIND_SUCCEEDED: ExecutionEventKind
EXECUTION_EVENT_KIND_FAILED: ExecutionEventKind
EXECUTION_EVENT_KIND_TIMED_OUT: ExecutionEventKind
EXECUTION_EVENT_KIND_CANCELLED: ExecutionEventKind
EXECUTION_EVENT_KIND_STEP_UPDATED: ExecutionEventKind
EXECUTION_EVENT_KIND_STEP_APPROVED: ExecutionEventKind
EXECUTION_EVENT_KIND_STEP_REJECTED: ExecutionEventKind

class RunbookParameter(_message.Message):
    __slots__ = ("name", "type", "required", "default_value", "allowed_pattern", "allowed_values", "description")
    NAME_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    REQUIRED_FIELD_NUMBER: _ClassVar[int]
    DEFAULT_VALUE_FIELD_NUMBER: _ClassVar[int]
    ALLOWED_PATTERN_FIELD_NUMBER: _ClassVar[int]
    ALLOWED_VALUES_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    name: str
    type: RunbookParameterType
    required: bool
    default_value: str
    allowed_pattern: str
    allowed_values: _containers.RepeatedScalarFieldContainer[str]
    description: str
    def __init__(self, name: _Optional[str] = ..., type: _Optional[_Union[RunbookParameterType, str]] = ..., required: _Optional[bool] = ..., default_value: _Optional[str] = ..., allowed_pattern: _Optional[str] = ..., allowed_values: _Optional[_Iterable[str]] = ..., description: _Optional[str] = ...) -> None: ...

class TagSelector(_message.Message):
    __slots__ = ("key", "values")
    KEY_FIELD_NUMBER: _ClassVar[int]
    VALUES_FIELD_NUMBER: _ClassVar[int]
    key: str
    values: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, key: _Optional[str] = ..., values: _Optional[_Iterable[str]] = ...) -> None: ...

class RunbookTargets(_message.Message):
    __slots__ = ("instance_ids", "tags")
    INSTANCE_IDS_FIELD_NUMBER: _ClassVar[int]
    TAGS_FIELD_NUMBER: _ClassVar[int]
    instance_ids: _containers.RepeatedScalarFieldContainer[str]
    tags: _containers.RepeatedCompositeFieldContainer[TagSelector]
    def __init__(self, instance_ids: _Optional[_Iterable[str]] = ..., tags: _Optional[_Iterable[_Union[TagSelector, _Mapping]]] = ...) -> None: ...

class Runbook(_message.Message):
    __slots__ = ("id", "company_id", "name", "description", "document_name", "document_version", "parameters", "targets", "timeout", "max_concurrency", "max_errors", "platform_types", "built_in", "create_time", "update_time", "kind", "target_parameter_name")
    ID_FIELD_NUMBER: _ClassVar[int]
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
    BUILT_IN_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    TARGET_PARAMETER_NAME_FIELD_NUMBER: _ClassVar[int]
    id: str
    company_id: str
    name: str
    description: str
    document_name: str
    document_version: str
    parameters: _containers.RepeatedCompositeFieldContainer[RunbookParameter]
    targets: RunbookTargets
    timeout: _duration_pb2.Duration
    max_concurrency: str
    max_errors: str
    platform_types: _containers.RepeatedScalarFieldContainer[_instance_pb2.PlatformType]
    built_in: bool
    create_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    kind: RunbookKind
    target_parameter_name: str
    def __init__(self, id: _Optional[str] = ..., company_id: _Optional[str] = ..., name: _Optional[str] = ..., description: _Optional[str] = ..., document_name: _Optional[str] = ..., document_version: _Optional[str] = ..., parameters: _Optional[_Iterable[_Union[RunbookParameter, _Mapping]]] = ..., targets: _Optional[_Union[RunbookTargets, _Mapping]] = ..., timeout: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., max_concurrency: _Optional[str] = ..., max_errors: _Optional[str] = ..., platform_types: _Optional[_Iterable[_Union[_instance_pb2.PlatformType, str]]] = ..., built_in: _Optional[bool] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., kind: _Optional[_Union[RunbookKind, str]] = ..., target_parameter_name: _Optional[str] = ...) -> None: ...

class RemediationRule(_message.Message):
    __slots__ = ("id", "company_id", "name", "matchers", "runbook_id", "parameter_templates", "targets", "mode", "cooldown", "approval_timeout", "created_by", "create_time")
    class ParameterTemplatesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    ID_FIELD_NUMBER: _ClassVar[int]
    COMPANY_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    MATCHERS_FIELD_NUMBER: _ClassVar[int]
    RUNBOOK_ID_FIELD_NUMBER: _ClassVar[int]
    PARAMETER_TEMPLATES_FIELD_NUMBER: _ClassVar[int]
    TARGETS_FIELD_NUMBER: _ClassVar[int]
    MODE_FIELD_NUMBER: _ClassVar[int]
    COOLDOWN_FIELD_NUMBER: _ClassVar[int]
    APPROVAL_TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    CREATED_BY_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    id: str
    company_id: str
    name: str
    matchers: _containers.RepeatedCompositeFieldContainer[_matcher_pb2.Matcher]
    runbook_id: str
    parameter_templates: _containers.ScalarMap[str, str]
    targets: RunbookTargets
    mode: RemediationMode
    cooldown: _duration_pb2.Duration
    approval_timeout: _duration_pb2.Duration
    created_by: str
    create_time: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., company_id: _Optional[str] = ..., name: _Optional[str] = ..., matchers: _Optional[_Iterable[_Union[_matcher_pb2.Matcher, _Mapping]]] = ..., runbook_id: _Optional[str] = ..., parameter_templates: _Optional[_Mapping[str, str]] = ..., targets: _Optional[_Union[RunbookTargets, _Mapping]] = ..., mode: _Optional[_Union[RemediationMode, str]] = ..., cooldown: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., approval_timeout: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., created_by: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class CommandInvocation(_message.Message):
    __slots__ = ("instance_id", "status", "status_details", "response_code", "stdout", "stdout_truncated", "stderr", "stderr_truncated", "start_time", "end_time")
    INSTANCE_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    STATUS_DETAILS_FIELD_NUMBER: _ClassVar[int]
    RESPONSE_CODE_FIELD_NUMBER: _ClassVar[int]
    STDOUT_FIELD_NUMBER: _ClassVar[int]
    STDOUT_TRUNCATED_FIELD_NUMBER: _ClassVar[int]
    STDERR_FIELD_NUMBER: _ClassVar[int]
    STDERR_TRUNCATED_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    instance_id: str
    status: InvocationStatus
    status_details: str
    response_code: int
    stdout: str
    stdout_truncated: bool
    stderr: str
    stderr_truncated: bool
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    def __init__(self, instance_id: _Optional[str] = ..., status: _Optional[_Union[InvocationStatus, str]] = ..., status_details: _Optional[str] = ..., response_code: _Optional[int] = ..., stdout: _Optional[str] = ..., stdout_truncated: _Optional[bool] = ..., stderr: _Optional[str] = ..., stderr_truncated: _Optional[bool] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class AutomationStep(_message.Message):
    __slots__ = ("step_execution_id", "name", "action", "status", "status_details", "failure_message", "start_time", "end_time")
    STEP_EXECUTION_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    STATUS_DETAILS_FIELD_NUMBER: _ClassVar[int]
    FAILURE_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    step_execution_id: str
    name: str
    action: str
    status: AutomationStepStatus
    status_details: str
    failure_message: str
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    def __init__(self, step_execution_id: _Optional[str] = ..., name: _Optional[str] = ..., action: _Optional[str] = ..., status: _Optional[_Union[AutomationStepStatus, str]] = ..., status_details: _Optional[str] = ..., failure_message: _Optional[str] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class Execution(_message.Message):
    __slots__ = ("id", "company_id", "runbook_id", "runbook_name", "document_name", "document_version", "rule_id", "incident_id", "asset", "trigger", "status", "status_reason", "parameters", "targets", "command_id", "assumed_role_arn", "invocations", "requested_by", "approved_by", "rejected_by", "cancelled_by", "approval_expire_time", "create_time", "start_time", "end_time", "update_time", "kind", "automation_execution_id", "steps")
    class ParametersEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    ID_FIELD_NUMBER: _ClassVar[int]
    COMPANY_ID_FIELD_NUMBER: _ClassVar[int]
    RUNBOOK_ID_FIELD_NUMBER: _ClassVar[int]
    RUNBOOK_NAME_FIELD_NUMBER: _ClassVar[int]
    DOCUMENT_NAME_FIELD_NUMBER: _ClassVar[int]
    DOCUMENT_VERSION_FIELD_NUMBER: _ClassVar[int]
    RULE_ID_FIELD_NUMBER: _ClassVar[int]
    INCIDENT_ID_FIELD_NUMBER: _ClassVar[int]
    ASSET_FIELD_NUMBER: _ClassVar[int]
    TRIGGER_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    STATUS_REASON_FIELD_NUMBER: _ClassVar[int]
    PARAMETERS_FIELD_NUMBER: _ClassVar[int]
    TARGETS_FIELD_NUMBER: _ClassVar[int]
    COMMAND_ID_FIELD_NUMBER: _ClassVar[int]
    ASSUMED_ROLE_ARN_FIELD_NUMBER: _ClassVar[int]
    INVOCATIONS_FIELD_NUMBER: _ClassVar[int]
    REQUESTED_BY_FIELD_NUMBER: _ClassVar[int]
    APPROVED_BY_FIELD_NUMBER: _ClassVar[int]
    REJECTED_BY_FIELD_NUMBER: _ClassVar[int]
    CANCELLED_BY_FIELD_NUMBER: _ClassVar[int]
    APPROVAL_EXPIRE_TIME_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    AUTOMATION_EXECUTION_ID_FIELD_NUMBER: _ClassVar[int]
    STEPS_FIELD_NUMBER: _ClassVar[int]
    id: str
    company_id: str
    runbook_id: str
    runbook_name: str
    document_name: str
    document_version: str
    rule_id: str
    incident_id: str
    asset: str
    trigger: ExecutionTrigger
    status: ExecutionStatus
    status_reason: str
    parameters: _containers.ScalarMap[str, str]
    targets: RunbookTargets
    command_id: str
    assumed_role_arn: str
    invocations: _containers.RepeatedCompositeFieldContainer[CommandInvocation]
    requested_by: str
    approved_by: str
    rejected_by: str
    cancelled_by: str
    approval_expire_time: _timestamp_pb2.Timestamp
    create_time: _timestamp_pb2.Timestamp
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    kind: RunbookKind
    automation_execution_id: str
    steps: _containers.RepeatedCompositeFieldContainer[AutomationStep]
    def __init__(self, id: _Optional[str] = ..., company_id: _Optional[str] = ..., runbook_id: _Optional[str] = ..., runbook_name: _Optional[str] = ..., document_name: _Optional[str] = ..., document_version: _Optional[str] = ..., rule_id: _Optional[str] = ..., incident_id: _Optional[str] = ..., asset: _Optional[str] = ..., trigger: _Optional[_Union[ExecutionTrigger, str]] = ..., status: _Optional[_Union[ExecutionStatus, str]] = ..., status_reason: _Optional[str] = ..., parameters: _Optional[_Mapping[str, str]] = ..., targets: _Optional[_Union[RunbookTargets, _Mapping]] = ..., command_id: _Optional[str] = ..., assumed_role_arn: _Optional[str] = ..., invocations: _Optional[_Iterable[_Union[CommandInvocation, _Mapping]]] = ..., requested_by: _Optional[str] = ..., approved_by: _Optional[str] = ..., rejected_by: _Optional[str] = ..., cancelled_by: _Optional[str] = ..., approval_expire_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., kind: _Optional[_Union[RunbookKind, str]] = ..., automation_execution_id: _Optional[str] = ..., steps: _Optional[_Iterable[_Union[AutomationStep, _Mapping]]] = ...) -> None: ...

class ExecutionFeedEvent(_message.Message):
    __slots__ = ("sequence", "company_id", "kind", "execution", "actor", "message", "time")
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    COMPANY_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    EXECUTION_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    TIME_FIELD_NUMBER: _ClassVar[int]
    sequence: int
    company_id: str
    kind: ExecutionEventKind
    execution: Execution
    actor: str
    message: str
    time: _timestamp_pb2.Timestamp
    def __init__(self, sequence: _Optional[int] = ..., company_id: _Optional[str] = ..., kind: _Optional[_Union[ExecutionEventKind, str]] = ..., execution: _Optional[_Union[Execution, _Mapping]] = ..., actor: _Optional[str] = ..., message: _Optional[str] = ..., time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...
