import datetime

from alertwhisperer.v1 import instance_pb2 as _instance_pb2
from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ComplianceStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    COMPLIANCE_STATUS_UNSPECIFIED: _ClassVar[ComplianceStatus]
    COMPLIANCE_STATUS_COMPLIANT: _ClassVar[ComplianceStatus]
    COMPLIANCE_STATUS_NON_COMPLIANT: _ClassVar[ComplianceStatus]
    COMPLIANCE_STATUS_NO_DATA: _ClassVar[ComplianceStatus]

class PatchOperation(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PATCH_OPERATION_UNSPECIFIED: _ClassVar[PatchOperation]
    PATCH_OPERATION_SCAN: _ClassVar[PatchOperation]
    PATCH_OPERATION_INSTALL: _ClassVar[PatchOperation]
COMPLIANCE_STATUS_UNSPECIFIED: ComplianceStatus
COMPLIANCE_STATUS_COMPLIANT: ComplianceStatus
COMPLIANCE_STATUS_NON_COMPLIANT: ComplianceStatus
COMPLIANCE_STATUS_NO_DATA: ComplianceStatus
PATCH_OPERATION_UNSPECIFIED: PatchOperation
PATCH_OPERATION_SCAN: PatchOperation
PATCH_OPERATION_INSTALL: PatchOperation

class InstanceCompliance(_message.Message):
    __slots__ = ("company_id", "snapshot_id", "instance_id", "name", "platform_type", "platform_name", "status", "installed", "installed_other", "installed_pending_reboot", "installed_rejected", "missing", "failed", "not_applicable", "critical_non_compliant", "security_non_compliant", "other_non_compliant", "operation", "operation_start_time", "operation_end_time", "baseline_id", "patch_group")
    COMPANY_ID_FIELD_NUMBER: _ClassVar[int]
    SNAPSHOT_ID_FIELD_NUMBER: _ClassVar[int]
    INSTANCE_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    PLATFORM_TYPE_FIELD_NUMBER: _ClassVar[int]
    PLATFORM_NAME_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    INSTALLED_FIELD_NUMBER: _ClassVar[int]
    INSTALLED_OTHER_FIELD_NUMBER: _ClassVar[int]
    INSTALLED_PENDING_REBOOT_FIELD_NUMBER: _ClassVar[int]
    INSTALLED_REJECTED_FIELD_NUMBER: _ClassVar[int]
    MISSING_FIELD_NUMBER: _ClassVar[int]
    FAILED_FIELD_NUMBER: _ClassVar[int]
    NOT_APPLICABLE_FIELD_NUMBER: _ClassVar[int]
    CRITICAL_NON_COMPLIANT_FIELD_NUMBER: _ClassVar[int]
    SECURITY_NON_COMPLIANT_FIELD_NUMBER: _ClassVar[int]
    OTHER_NON_COMPLIANT_FIELD_NUMBER: _ClassVar[int]
    OPERATION_FIELD_NUMBER: _ClassVar[int]
    OPERATION_START_TIME_FIELD_NUMBER: _ClassVar[int]
    OPERATION_END_TIME_FIELD_NUMBER: _ClassVar[int]
    BASELINE_ID_FIELD_NUMBER: _ClassVar[int]
    PATCH_GROUP_FIELD_NUMBER: _ClassVar[int]
    company_id: str
    snapshot_id: str
    instance_id: str
    name: str
    platform_type: _instance_pb2.PlatformType
    platform_name: str
    status: ComplianceStatus
    installed: int
    installed_other: int
    installed_pending_reboot: int
    installed_rejected: int
    missing: int
    failed: int
    not_applicable: int
    critical_non_compliant: int
    security_non_compliant: int
    other_non_compliant: int
    operation: PatchOperation
    operation_start_time: _timestamp_pb2.Timestamp
    operation_end_time: _timestamp_pb2.Timestamp
    baseline_id: str
    patch_group: str
    def __init__(self, company_id: _Optional[str] = ..., snapshot_id: _Optional[str] = ..., instance_id: _Optional[str] = ..., name: _Optional[str] = ..., platform_type: _Optional[_Union[_instance_pb2.PlatformType, str]] = ..., platform_name: _Optional[str] = ..., status: _Optional[_Union[ComplianceStatus, str]] = ..., installed: _Optional[int] = ..., installed_other: _Optional[int] = ..., installed_pending_reboot: _Optional[int] = ..., installed_rejected: _Optional[int] = ..., missing: _Optional[int] = ..., failed: _Optional[int] = ..., not_applicable: _Optional[int] = ..., critical_non_compliant: _Optional[int] = ..., security_non_compliant: _Optional[int] = ..., other_non_compliant: _Optional[int] = ..., operation: _Optional[_Union[PatchOperation, str]] = ..., operation_start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., operation_end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., baseline_id: _Optional[str] = ..., patch_group: _Optional[str] = ...) -> None: ...

class ComplianceSummary(_message.Message):
    __slots__ = ("company_id", "snapshot_id", "snapshot_time", "compliance_pct", "compliant_instances", "non_compliant_instances", "total_instances", "critical_patches_missing", "security_patches_missing", "oldest_result_age")
    COMPANY_ID_FIELD_NUMBER: _ClassVar[int]
    SNAPSHOT_ID_FIELD_NUMBER: _ClassVar[int]
    SNAPSHOT_TIME_FIELD_NUMBER: _ClassVar[int]
    COMPLIANCE_PCT_FIELD_NUMBER: _ClassVar[int]
    COMPLIANT_INSTANCES_FIELD_NUMBER: _ClassVar[int]
    NON_COMPLIANT_INSTANCES_FIELD_NUMBER: _ClassVar[int]
    TOTAL_INSTANCES_FIELD_NUMBER: _ClassVar[int]
    CRITICAL_PATCHES_MISSING_FIELD_NUMBER: _ClassVar[int]
    SECURITY_PATCHES_MISSING_FIELD_NUMBER: _ClassVar[int]
    OLDEST_RESULT_AGE_FIELD_NUMBER: _ClassVar[int]
    company_id: str
    snapshot_id: str
    snapshot_time: _timestamp_pb2.Timestamp
    compliance_pct: float
    compliant_instances: int
    non_compliant_instances: int
    total_instances: int
    critical_patches_missing: int
    security_patches_missing: int
    oldest_result_age: _duration_pb2.Duration
    def __init__(self, company_id: _Optional[str] = ..., snapshot_id: _Optional[str] = ..., snapshot_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., compliance_pct: _Optional[float] = ..., compliant_instances: _Optional[int] = ..., non_compliant_instances: _Optional[int] = ..., total_instances: _Optional[int] = ..., critical_patches_missing: _Optional[int] = ..., security_patches_missing: _Optional[int] = ..., oldest_result_age: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class CompliancePoint(_message.Message):
    __slots__ = ("time", "compliance_pct", "compliant_instances", "total_instances", "critical_patches_missing")
    TIME_FIELD_NUMBER: _ClassVar[int]
    COMPLIANCE_PCT_FIELD_NUMBER: _ClassVar[int]
    COMPLIANT_INSTANCES_FIELD_NUMBER: _ClassVar[int]
    TOTAL_INSTANCES_FIELD_NUMBER: _ClassVar[int]
    CRITICAL_PATCHES_MISSING_FIELD_NUMBER: _ClassVar[int]
    time: _timestamp_pb2.Timestamp
    compliance_pct: float
    compliant_instances: int
    total_instances: int
    critical_patches_missing: int
    def __init__(self, time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., compliance_pct: _Optional[float] = ..., compliant_instances: _Optional[int] = ..., total_instances: _Optional[int] = ..., critical_patches_missing: _Optional[int] = ...) -> None: ...

class ComplianceSyncResult(_message.Message):
    __slots__ = ("company_id", "ok", "error", "snapshot_id", "instance_count", "snapshot_time")
    COMPANY_ID_FIELD_NUMBER: _ClassVar[int]
    OK_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    SNAPSHOT_ID_FIELD_NUMBER: _ClassVar[int]
    INSTANCE_COUNT_FIELD_NUMBER: _ClassVar[int]
    SNAPSHOT_TIME_FIELD_NUMBER: _ClassVar[int]
    company_id: str
    ok: bool
    error: str
    snapshot_id: str
    instance_count: int
    snapshot_time: _timestamp_pb2.Timestamp
    def __init__(self, company_id: _Optional[str] = ..., ok: _Optional[bool] = ..., error: _Optional[str] = ..., snapshot_id: _Optional[str] = ..., instance_count: _Optional[int] = ..., snapshot_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...
