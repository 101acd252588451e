import datetime

from alertwhisperer.v1 import compliance_pb2 as _compliance_pb2
from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class SyncComplianceRequest(_message.Message):
    __slots__ = ("company_id",)
    COMPANY_ID_FIELD_NUMBER: _ClassVar[int]
    company_id: str
    def __init__(self, company_id: _Optional[str] = ...) -> None: ...

class SyncComplianceResponse(_message.Message):
    __slots__ = ("results",)
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[_compliance_pb2.ComplianceSyncResult]
    def __init__(self, results: _Optional[_Iterable[_Union[_compliance_pb2.ComplianceSyncResult, _Mapping]]] = ...) -> None: ...

class GetComplianceSummaryRequest(_message.Message):
    __slots__ = ("company_id",)
    COMPANY_ID_FIELD_NUMBER: _ClassVar[int]
    company_id: str
    def __init__(self, company_id: _Optional[str] = ...) -> None: ...

class GetComplianceSummaryResponse(_message.Message):
    __slots__ = ("overall", "companies")
    OVERALL_FIELD_NUMBER: _ClassVar[int]
    COMPANIES_FIELD_NUMBER: _ClassVar[int]
    overall: _compliance_pb2.ComplianceSummary
    companies: _containers.RepeatedCompositeFieldContainer[_compliance_pb2.ComplianceSummary]
    def __init__(self, overall: _Optional[_Union[_compliance_pb2.ComplianceSummary, _Mapping]] = ..., companies: _Optional[_Iterable[_Union[_compliance_pb2.ComplianceSummary, _Mapping]]] = ...) -> None: ...

class ListInstanceComplianceRequest(_message.Message):
    __slots__ = ("company_id", "page_size", "page_token", "status", "snapshot_id")
    COMPANY_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    SNAPSHOT_ID_FIELD_NUMBER: _ClassVar[int]
    company_id: str
    page_size: int
    page_token: str
    status: _compliance_pb2.ComplianceStatus
    snapshot_id: str
    def __init__(self, company_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., status: _Optional[_Union[_compliance_pb2.ComplianceStatus, str]] = ..., snapshot_id: _Optional[str] = ...) -> None: ...

class ListInstanceComplianceResponse(_message.Message):
    __slots__ = ("instances", "next_page_token", "snapshot_id", "snapshot_time")
    INSTANCES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    SNAPSHOT_ID_FIELD_NUMBER: _ClassVar[int]
    SNAPSHOT_TIME_FIELD_NUMBER: _ClassVar[int]
    instances: _containers.RepeatedCompositeFieldContainer[_compliance_pb2.InstanceCompliance]
    next_page_token: str
    snapshot_id: str
    snapshot_time: _timestamp_pb2.Timestamp
    def __init__(self, instances: _Optional[_Iterable[_Union[_compliance_pb2.InstanceCompliance, _Mapping]]] = ..., next_page_token: _Optional[str] = ..., snapshot_id: _Optional[str] = ..., snapshot_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class GetComplianceTrendRequest(_message.Message):
    __slots__ = ("company_id", "start_time", "end_time", "bucket")
    COMPANY_ID_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    BUCKET_FIELD_NUMBER: _ClassVar[int]
    company_id: str
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    bucket: _duration_pb2.Duration
    def __init__(self, company_id: _Optional[str] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., bucket: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class GetComplianceTrendResponse(_message.Message):
    __slots__ = ("points",)
    POINTS_FIELD_NUMBER: _ClassVar[int]
    points: _containers.RepeatedCompositeFieldContainer[_compliance_pb2.CompliancePoint]
    def __init__(self, points: _Optional[_Iterable[_Union[_compliance_pb2.CompliancePoint, _Mapping]]] = ...) -> None: ...

class ExportComplianceDatasetRequest(_message.Message):
    __slots__ = ("company_id", "s3_bucket", "s3_prefix", "kpi_start_time", "kpi_end_time", "skip_quicksight")
    COMPANY_ID_FIELD_NUMBER: _ClassVar[int]
    S3_BUCKET_FIELD_NUMBER: _ClassVar[int]
    S3_PREFIX_FIELD_NUMBER: _ClassVar[int]
    KPI_START_TIME_FIELD_NUMBER: _ClassVar[int]
    KPI_END_TIME_FIELD_NUMBER: _ClassVar[int]
    SKIP_QUICKSIGHT_FIELD_NUMBER: _ClassVar[int]
    company_id: str
    s3_bucket: str
    s3_prefix: str
    kpi_start_time: _timestamp_pb2.Timestamp
    kpi_end_time: _timestamp_pb2.Timestamp
    skip_quicksight: bool
    def __init__(self, company_id: _Optional[str] = ..., s3_bucket: _Optional[str] = ..., s3_prefix: _Optional[str] = ..., kpi_start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., kpi_end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., skip_quicksight: _Optional[bool] = ...) -> None: ...

class ExportedDataset(_message.Message):
    __slots__ = ("csv_key", "manifest_key", "data_source_id", "data_set_id", "ingestion_id", "rows_written")
    CSV_KEY_FIELD_NUMBER: _ClassVar[int]
    MANIFEST_KEY_FIELD_NUMBER: _ClassVar[int]
    DATA_SOURCE_ID_FIELD_NUMBER: _ClassVar[int]
    DATA_SET_ID_FIELD_NUMBER: _ClassVar[int]
    INGESTION_ID_FIELD_NUMBER: _ClassVar[int]
    ROWS_WRITTEN_FIELD_NUMBER: _ClassVar[int]
    csv_key: str
    manifest_key: str
    data_source_id: str
    data_set_id: str
    ingestion_id: str
    rows_written: int
    def __init__(self, csv_key: _Optional[str] = ..., manifest_key: _Optional[str] = ..., data_source_id: _Optional[str] = ..., data_set_id: _Optional[str] = ..., ingestion_id: _Optional[str] = ..., rows_written: _Optional[int] = ...) -> None: ...

class ExportComplianceDatasetResponse(_message.Message):
    __slots__ = ("s3_bucket", "snapshot", "scorecard", "export_time")
    S3_BUCKET_FIELD_NUMBER: _ClassVar[int]
    SNAPSHOT_FIELD_NUMBER: _ClassVar[int]
    SCORECARD_FIELD_NUMBER: _ClassVar[int]
    EXPORT_TIME_FIELD_NUMBER: _ClassVar[int]
    s3_bucket: str
    snapshot: ExportedDataset
    scorecard: ExportedDataset
    export_time: _timestamp_pb2.Timestamp
    def __init__(self, s3_bucket: _Optional[str] = ..., snapshot: _Optional[_Union[ExportedDataset, _Mapping]] = ..., scorecard: _Optional[_Union[ExportedDataset, _Mapping]] = ..., export_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...
