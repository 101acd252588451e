from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class MatchOperator(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    MATCH_OPERATOR_UNSPECIFIED: _ClassVar[MatchOperator]
    MATCH_OPERATOR_EQUAL: _ClassVar[MatchOperator]
    MATCH_OPERATOR_NOT_EQUAL: _ClassVar[MatchOperator]
    MATCH_OPERATOR_REGEX: _ClassVar[MatchOperator]
    MATCH_OPERATOR_NOT_REGEX: _ClassVar[MatchOperator]
MATCH_OPERATOR_UNSPECIFIED: MatchOperator
MATCH_OPERATOR_EQUAL: MatchOperator
MATCH_OPERATOR_NOT_EQUAL: MatchOperator
MATCH_OPERATOR_REGEX: MatchOperator
MATCH_OPERATOR_NOT_REGEX: MatchOperator

class Matcher(_message.Message):
    __slots__ = ("name", "operator", "value")
    NAME_FIELD_NUMBER: _ClassVar[int]
    OPERATOR_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    name: str
    operator: MatchOperator
    value: str
    def __init__(self, name: _Optional[str] = ..., operator: _Optional[_Union[MatchOperator, str]] = ..., value: _Optional[str] = ...) -> None: ...
