import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class PlatformType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PLATFORM_TYPE_UNSPECIFIED: _ClassVar[PlatformType]
    PLATFORM_TYPE_LINUX: _ClassVar[PlatformType]
    PLATFORM_TYPE_WINDOWS: _ClassVar[PlatformType]
    PLATFORM_TYPE_MACOS: _ClassVar[PlatformType]

class PingStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PING_STATUS_UNSPECIFIED: _ClassVar[PingStatus]
    PING_STATUS_ONLINE: _ClassVar[PingStatus]
    PING_STATUS_CONNECTION_LOST: _ClassVar[PingStatus]
    PING_STATUS_INACTIVE: _ClassVar[PingStatus]

class InstanceResourceType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    INSTANCE_RESOURCE_TYPE_UNSPECIFIED: _ClassVar[InstanceResourceType]
    INSTANCE_RESOURCE_TYPE_EC2_INSTANCE: _ClassVar[InstanceResourceType]
    INSTANCE_RESOURCE_TYPE_MANAGED_INSTANCE: _ClassVar[InstanceResourceType]
PLATFORM_TYPE_UNSPECIFIED: PlatformType
PLATFORM_TYPE_LINUX: PlatformType
PLATFORM_TYPE_WINDOWS: PlatformType
PLATFORM_TYPE_MACOS: PlatformType
PING_STATUS_UNSPECIFIED: PingStatus
PING_STATUS_ONLINE: PingStatus
PING_STATUS_CONNECTION_LOST: PingStatus
PING_STATUS_INACTIVE: PingStatus
INSTANCE_RESOURCE_TYPE_UNSPECIFIED: InstanceResourceType
INSTANCE_RESOURCE_TYPE_EC2_INSTANCE: InstanceResourceType
INSTANCE_RESOURCE_TYPE_MANAGED_INSTANCE: InstanceResourceType

class ManagedInstance(_message.Message):
    __slots__ = ("company_id", "instance_id", "name", "platform_type", "platform_name", "platform_version", "ping_status", "agent_version", "ip_address", "last_ping_time", "resource_type", "activation_id", "registration_time")
    COMPANY_ID_FIELD_NUMBER: _ClassVar[int]
    INSTANCE_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    PLATFORM_TYPE_FIELD_NUMBER: _ClassVar[int]
    PLATFORM_NAME_FIELD_NUMBER: _ClassVar[int]
    PLATFORM_VERSION_FIELD_NUMBER: _ClassVar[int]
    PING_STATUS_FIELD_NUMBER: _ClassVar[int]
    AGENT_VERSION_FIELD_NUMBER: _ClassVar[int]
    IP_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    LAST_PING_TIME_FIELD_NUMBER: _ClassVar[int]
    RESOURCE_TYPE_FIELD_NUMBER: _ClassVar[int]
    ACTIVATION_ID_FIELD_NUMBER: _ClassVar[int]
    REGISTRATION_TIME_FIELD_NUMBER: _ClassVar[int]
    company_id: str
    instance_id: str
    name: str
    platform_type: PlatformType
    platform_name: str
    platform_version: str
    ping_status: PingStatus
    agent_version: str
    ip_address: str
    last_ping_time: _timestamp_pb2.Timestamp
    resource_type: InstanceResourceType
    activation_id: str
    registration_time: _timestamp_pb2.Timestamp
    def __init__(self, company_id: _Optional[str] = ..., instance_id: _Optional[str] = ..., name: _Optional[str] = ..., platform_type: _Optional[_Union[PlatformType, str]] = ..., platform_name: _Optional[str] = ..., platform_version: _Optional[str] = ..., ping_status: _Optional[_Union[PingStatus, str]] = ..., agent_version: _Optional[str] = ..., ip_address: _Optional[str] = ..., last_ping_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., resource_type: _Optional[_Union[InstanceResourceType, str]] = ..., activation_id: _Optional[str] = ..., registration_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...
