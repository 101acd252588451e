import datetime

from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import field_mask_pb2 as _field_mask_pb2
from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class OperatorRole(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    OPERATOR_ROLE_UNSPECIFIED: _ClassVar[OperatorRole]
    OPERATOR_ROLE_ADMIN: _ClassVar[OperatorRole]
    OPERATOR_ROLE_TECHNICIAN: _ClassVar[OperatorRole]
    OPERATOR_ROLE_VIEWER: _ClassVar[OperatorRole]
OPERATOR_ROLE_UNSPECIFIED: OperatorRole
OPERATOR_ROLE_ADMIN: OperatorRole
OPERATOR_ROLE_TECHNICIAN: OperatorRole
OPERATOR_ROLE_VIEWER: OperatorRole

class Company(_message.Message):
    __slots__ = ("id", "name", "website", "contact_email", "hmac_enabled", "aws_role", "create_time", "update_time")
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    WEBSITE_FIELD_NUMBER: _ClassVar[int]
    CONTACT_EMAIL_FIELD_NUMBER: _ClassVar[int]
    HMAC_ENABLED_FIELD_NUMBER: _ClassVar[int]
    AWS_ROLE_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    id: str
    name: str
    website: str
    contact_email: str
    hmac_enabled: bool
    aws_role: AwsRole
    create_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., name: _Optional[str] = ..., website: _Optional[str] = ..., contact_email: _Optional[str] = ..., hmac_enabled: _Optional[bool] = ..., aws_role: _Optional[_Union[AwsRole, _Mapping]] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class AwsRole(_message.Message):
    __slots__ = ("role_arn", "external_id")
    ROLE_ARN_FIELD_NUMBER: _ClassVar[int]
    EXTERNAL_ID_FIELD_NUMBER: _ClassVar[int]
    role_arn: str
    external_id: str
    def __init__(self, role_arn: _Optional[str] = ..., external_id: _Optional[str] = ...) -> None: ...

class CreateCompanyRequest(_message.Message):
    __slots__ = ("name", "website", "contact_email")
    NAME_FIELD_NUMBER: _ClassVar[int]
    WEBSITE_FIELD_NUMBER: _ClassVar[int]
    CONTACT_EMAIL_FIELD_NUMBER: _ClassVar[int]
    name: str
    website: str
    contact_email: str
    def __init__(self, name: _Optional[str] = ..., website: _Optional[str] = ..., contact_email: _Optional[str] = ...) -> None: ...

class CreateCompanyResponse(_message.Message):
    __slots__ = ("company", "api_key", "api_key_secret")
    COMPANY_FIELD_NUMBER: _ClassVar[int]
    API_KEY_FIELD_NUMBER: _ClassVar[int]
    API_KEY_SECRET_FIELD_NUMBER: _ClassVar[int]
    company: Company
    api_key: ApiKey
    api_key_secret: str
    def __init__(self, company: _Optional[_Union[Company, _Mapping]] = ..., api_key: _Optional[_Union[ApiKey, _Mapping]] = ..., api_key_secret: _Optional[str] = ...) -> None: ...

class GetCompanyRequest(_message.Message):
    __slots__ = ("company_id",)
    COMPANY_ID_FIELD_NUMBER: _ClassVar[int]
    company_id: str
    def __init__(self, company_id: _Optional[str] = ...) -> None: ...

class GetCompanyResponse(_message.Message):
    __slots__ = ("company",)
    COMPANY_FIELD_NUMBER: _ClassVar[int]
    company: Company
    def __init__(self, company: _Optional[_Union[Company, _Mapping]] = ...) -> None: ...

class ListCompaniesRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "name_contains")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    NAME_CONTAINS_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    name_contains: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., name_contains: _Optional[str] = ...) -> None: ...

class ListCompaniesResponse(_message.Message):
    __slots__ = ("companies", "next_page_token")
    COMPANIES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    companies: _containers.RepeatedCompositeFieldContainer[Company]
    next_page_token: str
    def __init__(self, companies: _Optional[_Iterable[_Union[Company, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class UpdateCompanyRequest(_message.Message):
    __slots__ = ("company_id", "name", "website", "contact_email", "update_mask")
    COMPANY_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    WEBSITE_FIELD_NUMBER: _ClassVar[int]
    CONTACT_EMAIL_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    company_id: str
    name: str
    website: str
    contact_email: str
    update_mask: _field_mask_pb2.FieldMask
    def __init__(self, company_id: _Optional[str] = ..., name: _Optional[str] = ..., website: _Optional[str] = ..., contact_email: _Optional[str] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ...) -> None: ...

class UpdateCompanyResponse(_message.Message):
    __slots__ = ("company",)
    COMPANY_FIELD_NUMBER: _ClassVar[int]
    company: Company
    def __init__(self, company: _Optional[_Union[Company, _Mapping]] = ...) -> None: ...

class DeleteCompanyRequest(_message.Message):
    __slots__ = ("company_id",)
    COMPANY_ID_FIELD_NUMBER: _ClassVar[int]
    company_id: str
    def __init__(self, company_id: _Optional[str] = ...) -> None: ...

class DeleteCompanyResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ApiKey(_message.Message):
    __slots__ = ("id", "company_id", "prefix", "label", "create_time", "expire_time", "revoke_time", "last_used_time", "active")
    ID_FIELD_NUMBER: _ClassVar[int]
    COMPANY_ID_FIELD_NUMBER: _ClassVar[int]
    PREFIX_FIELD_NUMBER: _ClassVar[int]
    LABEL_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    EXPIRE_TIME_FIELD_NUMBER: _ClassVar[int]
    REVOKE_TIME_FIELD_NUMBER: _ClassVar[int]
    LAST_USED_TIME_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_FIELD_NUMBER: _ClassVar[int]
    id: str
    company_id: str
    prefix: str
    label: str
    create_time: _timestamp_pb2.Timestamp
    expire_time: _timestamp_pb2.Timestamp
    revoke_time: _timestamp_pb2.Timestamp
    last_used_time: _timestamp_pb2.Timestamp
    active: bool
    def __init__(self, id: _Optional[str] = ..., company_id: _Optional[str] = ..., prefix: _Optional[str] = ..., label: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., expire_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., revoke_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., last_used_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., active: _Optional[bool] = ...) -> None: ...

class CreateApiKeyRequest(_message.Message):
    __slots__ = ("company_id", "label")
    COMPANY_ID_FIELD_NUMBER: _ClassVar[int]
    LABEL_FIELD_NUMBER: _ClassVar[int]
    company_id: str
    label: str
    def __init__(self, company_id: _Optional[str] = ..., label: _Optional[str] = ...) -> None: ...

class CreateApiKeyResponse(_message.Message):
    __slots__ = ("api_key", "api_key_secret")
    API_KEY_FIELD_NUMBER: _ClassVar[int]
    API_KEY_SECRET_FIELD_NUMBER: _ClassVar[int]
    api_key: ApiKey
    api_key_secret: str
    def __init__(self, api_key: _Optional[_Union[ApiKey, _Mapping]] = ..., api_key_secret: _Optional[str] = ...) -> None: ...

class ListApiKeysRequest(_message.Message):
    __slots__ = ("company_id", "page_size", "page_token", "include_inactive")
    COMPANY_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_INACTIVE_FIELD_NUMBER: _ClassVar[int]
    company_id: str
    page_size: int
    page_token: str
    include_inactive: bool
    def __init__(self, company_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., include_inactive: _Optional[bool] = ...) -> None: ...

class ListApiKeysResponse(_message.Message):
    __slots__ = ("api_keys", "next_page_token")
    API_KEYS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    api_keys: _containers.RepeatedCompositeFieldContainer[ApiKey]
    next_page_token: str
    def __init__(self, api_keys: _Optional[_Iterable[_Union[ApiKey, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class RevokeApiKeyRequest(_message.Message):
    __slots__ = ("company_id", "api_key_id")
    COMPANY_ID_FIELD_NUMBER: _ClassVar[int]
    API_KEY_ID_FIELD_NUMBER: _ClassVar[int]
    company_id: str
    api_key_id: str
    def __init__(self, company_id: _Optional[str] = ..., api_key_id: _Optional[str] = ...) -> None: ...

class RevokeApiKeyResponse(_message.Message):
    __slots__ = ("api_key",)
    API_KEY_FIELD_NUMBER: _ClassVar[int]
    api_key: ApiKey
    def __init__(self, api_key: _Optional[_Union[ApiKey, _Mapping]] = ...) -> None: ...

class RotateApiKeyRequest(_message.Message):
    __slots__ = ("company_id", "api_key_id", "overlap")
    COMPANY_ID_FIELD_NUMBER: _ClassVar[int]
    API_KEY_ID_FIELD_NUMBER: _ClassVar[int]
    OVERLAP_FIELD_NUMBER: _ClassVar[int]
    company_id: str
    api_key_id: str
    overlap: _duration_pb2.Duration
    def __init__(self, company_id: _Optional[str] = ..., api_key_id: _Optional[str] = ..., overlap: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class RotateApiKeyResponse(_message.Message):
    __slots__ = ("api_key", "api_key_secret", "previous_api_key")
    API_KEY_FIELD_NUMBER: _ClassVar[int]
    API_KEY_SECRET_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_API_KEY_FIELD_NUMBER: _ClassVar[int]
    api_key: ApiKey
    api_key_secret: str
    previous_api_key: ApiKey
    def __init__(self, api_key: _Optional[_Union[ApiKey, _Mapping]] = ..., api_key_secret: _Optional[str] = ..., previous_api_key: _Optional[_Union[ApiKey, _Mapping]] = ...) -> None: ...

class HmacSecret(_message.Message):
    __slots__ = ("id", "create_time", "expire_time")
    ID_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    EXPIRE_TIME_FIELD_NUMBER: _ClassVar[int]
    id: str
    create_time: _timestamp_pb2.Timestamp
    expire_time: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., expire_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class EnableHmacRequest(_message.Message):
    __slots__ = ("company_id",)
    COMPANY_ID_FIELD_NUMBER: _ClassVar[int]
    company_id: str
    def __init__(self, company_id: _Optional[str] = ...) -> None: ...

class EnableHmacResponse(_message.Message):
    __slots__ = ("company", "hmac_secret", "secret")
    COMPANY_FIELD_NUMBER: _ClassVar[int]
    HMAC_SECRET_FIELD_NUMBER: _ClassVar[int]
    SECRET_FIELD_NUMBER: _ClassVar[int]
    company: Company
    hmac_secret: HmacSecret
    secret: str
    def __init__(self, company: _Optional[_Union[Company, _Mapping]] = ..., hmac_secret: _Optional[_Union[HmacSecret, _Mapping]] = ..., secret: _Optional[str] = ...) -> None: ...

class RotateHmacSecretRequest(_message.Message):
    __slots__ = ("company_id", "overlap")
    COMPANY_ID_FIELD_NUMBER: _ClassVar[int]
    OVERLAP_FIELD_NUMBER: _ClassVar[int]
    company_id: str
    overlap: _duration_pb2.Duration
    def __init__(self, company_id: _Optional[str] = ..., overlap: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class RotateHmacSecretResponse(_message.Message):
    __slots__ = ("hmac_secret", "secret", "active_secrets")
    HMAC_SECRET_FIELD_NUMBER: _ClassVar[int]
    SECRET_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_SECRETS_FIELD_NUMBER: _ClassVar[int]
    hmac_secret: HmacSecret
    secret: str
    active_secrets: _containers.RepeatedCompositeFieldContainer[HmacSecret]
    def __init__(self, hmac_secret: _Optional[_Union[HmacSecret, _Mapping]] = ..., secret: _Optional[str] = ..., active_secrets: _Optional[_Iterable[_Union[HmacSecret, _Mapping]]] = ...) -> None: ...

class DisableHmacRequest(_message.Message):
    __slots__ = ("company_id",)
    COMPANY_ID_FIELD_NUMBER: _ClassVar[int]
    company_id: str
    def __init__(self, company_id: _Optional[str] = ...) -> None: ...

class DisableHmacResponse(_message.Message):
    __slots__ = ("company",)
    COMPANY_FIELD_NUMBER: _ClassVar[int]
    company: Company
    def __init__(self, company: _Optional[_Union[Company, _Mapping]] = ...) -> None: ...

class SetAwsRoleRequest(_message.Message):
    __slots__ = ("company_id", "role_arn", "external_id")
    COMPANY_ID_FIELD_NUMBER: _ClassVar[int]
    ROLE_ARN_FIELD_NUMBER: _ClassVar[int]
    EXTERNAL_ID_FIELD_NUMBER: _ClassVar[int]
    company_id: str
    role_arn: str
    external_id: str
    def __init__(self, company_id: _Optional[str] = ..., role_arn: _Optional[str] = ..., external_id: _Optional[str] = ...) -> None: ...

class SetAwsRoleResponse(_message.Message):
    __slots__ = ("company",)
    COMPANY_FIELD_NUMBER: _ClassVar[int]
    company: Company
    def __init__(self, company: _Optional[_Union[Company, _Mapping]] = ...) -> None: ...

class Technician(_message.Message):
    __slots__ = ("id", "company_id", "name", "email", "skills", "on_duty", "create_time", "update_time", "open_incident_count", "slack_member_id")
    ID_FIELD_NUMBER: _ClassVar[int]
    COMPANY_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    SKILLS_FIELD_NUMBER: _ClassVar[int]
    ON_DUTY_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    OPEN_INCIDENT_COUNT_FIELD_NUMBER: _ClassVar[int]
    SLACK_MEMBER_ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    company_id: str
    name: str
    email: str
    skills: _containers.RepeatedScalarFieldContainer[str]
    on_duty: bool
    create_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    open_incident_count: int
    slack_member_id: str
    def __init__(self, id: _Optional[str] = ..., company_id: _Optional[str] = ..., name: _Optional[str] = ..., email: _Optional[str] = ..., skills: _Optional[_Iterable[str]] = ..., on_duty: _Optional[bool] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., open_incident_count: _Optional[int] = ..., slack_member_id: _Optional[str] = ...) -> None: ...

class CreateTechnicianRequest(_message.Message):
    __slots__ = ("company_id", "name", "email", "skills", "on_duty", "slack_member_id")
    COMPANY_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    SKILLS_FIELD_NUMBER: _ClassVar[int]
    ON_DUTY_FIELD_NUMBER: _ClassVar[int]
    SLACK_MEMBER_ID_FIELD_NUMBER: _ClassVar[int]
    company_id: str
    name: str
    email: str
    skills: _containers.RepeatedScalarFieldContainer[str]
    on_duty: bool
    slack_member_id: str
    def __init__(self, company_id: _Optional[str] = ..., name: _Optional[str] = ..., email: _Optional[str] = ..., skills: _Optional[_Iterable[str]] = ..., on_duty: _Optional[bool] = ..., slack_member_id: _Optional[str] = ...) -> None: ...

class CreateTechnicianResponse(_message.Message):
    __slots__ = ("technician",)
    TECHNICIAN_FIELD_NUMBER: _ClassVar[int]
    technician: Technician
    def __init__(self, technician: _Optional[_Union[Technician, _Mapping]] = ...) -> None: ...

class ListTechniciansRequest(_message.Message):
    __slots__ = ("company_id", "page_size", "page_token", "on_duty_only")
    COMPANY_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    ON_DUTY_ONLY_FIELD_NUMBER: _ClassVar[int]
    company_id: str
    page_size: int
    page_token: str
    on_duty_only: bool
    def __init__(self, company_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., on_duty_only: _Optional[bool] = ...) -> None: ...

class ListTechniciansResponse(_message.Message):
    __slots__ = ("technicians", "next_page_token")
    TECHNICIANS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    technicians: _containers.RepeatedCompositeFieldContainer[Technician]
    next_page_token: str
    def __init__(self, technicians: _Optional[_Iterable[_Union[Technician, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class UpdateTechnicianRequest(_message.Message):
    __slots__ = ("technician_id", "name", "email", "skills", "on_duty", "update_mask", "slack_member_id")
    TECHNICIAN_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    SKILLS_FIELD_NUMBER: _ClassVar[int]
    ON_DUTY_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    SLACK_MEMBER_ID_FIELD_NUMBER: _ClassVar[int]
    technician_id: str
    name: str
    email: str
    skills: _containers.RepeatedScalarFieldContainer[str]
    on_duty: bool
    update_mask: _field_mask_pb2.FieldMask
    slack_member_id: str
    def __init__(self, technician_id: _Optional[str] = ..., name: _Optional[str] = ..., email: _Optional[str] = ..., skills: _Optional[_Iterable[str]] = ..., on_duty: _Optional[bool] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ..., slack_member_id: _Optional[str] = ...) -> None: ...

class UpdateTechnicianResponse(_message.Message):
    __slots__ = ("technician",)
    TECHNICIAN_FIELD_NUMBER: _ClassVar[int]
    technician: Technician
    def __init__(self, technician: _Optional[_Union[Technician, _Mapping]] = ...) -> None: ...

class DeleteTechnicianRequest(_message.Message):
    __slots__ = ("technician_id",)
    TECHNICIAN_ID_FIELD_NUMBER: _ClassVar[int]
    technician_id: str
    def __init__(self, technician_id: _Optional[str] = ...) -> None: ...

class DeleteTechnicianResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class OperatorToken(_message.Message):
    __slots__ = ("id", "name", "role", "company_ids", "prefix", "create_time", "expire_time", "revoke_time", "active", "technician_id")
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    COMPANY_IDS_FIELD_NUMBER: _ClassVar[int]
    PREFIX_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    EXPIRE_TIME_FIELD_NUMBER: _ClassVar[int]
    REVOKE_TIME_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_FIELD_NUMBER: _ClassVar[int]
    TECHNICIAN_ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    name: str
    role: OperatorRole
    company_ids: _containers.RepeatedScalarFieldContainer[str]
    prefix: str
    create_time: _timestamp_pb2.Timestamp
    expire_time: _timestamp_pb2.Timestamp
    revoke_time: _timestamp_pb2.Timestamp
    active: bool
    technician_id: str
    def __init__(self, id: _Optional[str] = ..., name: _Optional[str] = ..., role: _Optional[_Union[OperatorRole, str]] = ..., company_ids: _Optional[_Iterable[str]] = ..., prefix: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., expire_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., revoke_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., active: _Optional[bool] = ..., technician_id: _Optional[str] = ...) -> None: ...

class CreateOperatorTokenRequest(_message.Message):
    __slots__ = ("name", "role", "company_ids", "ttl", "technician_id")
    NAME_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    COMPANY_IDS_FIELD_NUMBER: _ClassVar[int]
    TTL_FIELD_NUMBER: _ClassVar[int]
    TECHNICIAN_ID_FIELD_NUMBER: _ClassVar[int]
    name: str
    role: OperatorRole
    company_ids: _containers.RepeatedScalarFieldContainer[str]
    ttl: _duration_pb2.Duration
    technician_id: str
    def __init__(self, name: _Optional[str] = ..., role: _Optional[_Union[OperatorRole, str]] = ..., company_ids: _Optional[_Iterable[str]] = ..., ttl: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., technician_id: _Optional[str] = ...) -> None: ...

class CreateOperatorTokenResponse(_message.Message):
    __slots__ = ("operator_token", "token")
    OPERATOR_TOKEN_FIELD_NUMBER: _ClassVar[int]
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    operator_token: OperatorToken
    token: str
    def __init__(self, operator_token: _Optional[_Union[OperatorToken, _Mapping]] = ..., token: _Optional[str] = ...) -> None: ...

class ListOperatorTokensRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "include_inactive")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_INACTIVE_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    include_inactive: bool
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., include_inactive: _Optional[bool] = ...) -> None: ...

class ListOperatorTokensResponse(_message.Message):
    __slots__ = ("operator_tokens", "next_page_token")
    OPERATOR_TOKENS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    operator_tokens: _containers.RepeatedCompositeFieldContainer[OperatorToken]
    next_page_token: str
    def __init__(self, operator_tokens: _Optional[_Iterable[_Union[OperatorToken, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class RevokeOperatorTokenRequest(_message.Message):
    __slots__ = ("operator_token_id",)
    OPERATOR_TOKEN_ID_FIELD_NUMBER: _ClassVar[int]
    operator_token_id: str
    def __init__(self, operator_token_id: _Optional[str] = ...) -> None: ...

class RevokeOperatorTokenResponse(_message.Message):
    __slots__ = ("operator_token",)
    OPERATOR_TOKEN_FIELD_NUMBER: _ClassVar[int]
    operator_token: OperatorToken
    def __init__(self, operator_token: _Optional[_Union[OperatorToken, _Mapping]] = ...) -> None: ...

class GetCallerRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetCallerResponse(_message.Message):
    __slots__ = ("operator_token", "technician")
    OPERATOR_TOKEN_FIELD_NUMBER: _ClassVar[int]
    TECHNICIAN_FIELD_NUMBER: _ClassVar[int]
    operator_token: OperatorToken
    technician: Technician
    def __init__(self, operator_token: _Optional[_Union[OperatorToken, _Mapping]] = ..., technician: _Optional[_Union[Technician, _Mapping]] = ...) -> None: ...

class AuditEvent(_message.Message):
    __slots__ = ("id", "company_id", "actor", "action", "target_type", "target_id", "details", "create_time")
    ID_FIELD_NUMBER: _ClassVar[int]
    COMPANY_ID_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    TARGET_TYPE_FIELD_NUMBER: _ClassVar[int]
    TARGET_ID_FIELD_NUMBER: _ClassVar[int]
    DETAILS_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    id: str
    company_id: str
    actor: str
    action: str
    target_type: str
    target_id: str
    details: _struct_pb2.Struct
    create_time: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., company_id: _Optional[str] = ..., actor: _Optional[str] = ..., action: _Optional[str] = ..., target_type: _Optional[str] = ..., target_id: _Optional[str] = ..., details: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ListAuditEventsRequest(_message.Message):
    __slots__ = ("company_id", "action", "actor", "start_time", "end_time", "page_size", "page_token")
    COMPANY_ID_FIELD_NUMBER: _ClassVar[int]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    company_id: str
    action: str
    actor: str
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    page_size: int
    page_token: str
    def __init__(self, company_id: _Optional[str] = ..., action: _Optional[str] = ..., actor: _Optional[str] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListAuditEventsResponse(_message.Message):
    __slots__ = ("audit_events", "next_page_token")
    AUDIT_EVENTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    audit_events: _containers.RepeatedCompositeFieldContainer[AuditEvent]
    next_page_token: str
    def __init__(self, audit_events: _Optional[_Iterable[_Union[AuditEvent, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class SnsConfirmation(_message.Message):
    __slots__ = ("id", "company_id", "topic_arn", "message_type", "message_id", "subscribe_url", "receive_time")
    ID_FIELD_NUMBER: _ClassVar[int]
    COMPANY_ID_FIELD_NUMBER: _ClassVar[int]
    TOPIC_ARN_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_TYPE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_ID_FIELD_NUMBER: _ClassVar[int]
    SUBSCRIBE_URL_FIELD_NUMBER: _ClassVar[int]
    RECEIVE_TIME_FIELD_NUMBER: _ClassVar[int]
    id: str
    company_id: str
    topic_arn: str
    message_type: str
    message_id: str
    subscribe_url: str
    receive_time: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., company_id: _Optional[str] = ..., topic_arn: _Optional[str] = ..., message_type: _Optional[str] = ..., message_id: _Optional[str] = ..., subscribe_url: _Optional[str] = ..., receive_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ListSnsConfirmationsRequest(_message.Message):
    __slots__ = ("company_id", "page_size", "page_token")
    COMPANY_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    company_id: str
    page_size: int
    page_token: str
    def __init__(self, company_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListSnsConfirmationsResponse(_message.Message):
    __slots__ = ("sns_confirmations", "next_page_token")
    SNS_CONFIRMATIONS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    sns_confirmations: _containers.RepeatedCompositeFieldContainer[SnsConfirmation]
    next_page_token: str
    def __init__(self, sns_confirmations: _Optional[_Iterable[_Union[SnsConfirmation, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...
