import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class EventStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    EVENT_STATUS_UNSPECIFIED: _ClassVar[EventStatus]
    EVENT_STATUS_ACTUAL: _ClassVar[EventStatus]
    EVENT_STATUS_EXERCISE: _ClassVar[EventStatus]
    EVENT_STATUS_TEST: _ClassVar[EventStatus]

class JurisdictionLevel(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    JURISDICTION_LEVEL_UNSPECIFIED: _ClassVar[JurisdictionLevel]
    JURISDICTION_LEVEL_GRID: _ClassVar[JurisdictionLevel]
    JURISDICTION_LEVEL_COMMUNITY: _ClassVar[JurisdictionLevel]
    JURISDICTION_LEVEL_STREET: _ClassVar[JurisdictionLevel]
    JURISDICTION_LEVEL_DISTRICT: _ClassVar[JurisdictionLevel]
    JURISDICTION_LEVEL_CITY: _ClassVar[JurisdictionLevel]

class Category(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CATEGORY_UNSPECIFIED: _ClassVar[Category]
    CATEGORY_PUBLIC_SAFETY: _ClassVar[Category]
    CATEGORY_TRAFFIC: _ClassVar[Category]
    CATEGORY_MEDICAL: _ClassVar[Category]
    CATEGORY_PUBLIC_HEALTH: _ClassVar[Category]
    CATEGORY_HAZARD: _ClassVar[Category]
    CATEGORY_URBAN_MANAGEMENT: _ClassVar[Category]
    CATEGORY_COMMUNITY_AFFAIRS: _ClassVar[Category]
    CATEGORY_UNKNOWN_OBJECT: _ClassVar[Category]
    CATEGORY_UNKNOWN_SPECIES: _ClassVar[Category]
    CATEGORY_UNKNOWN_GAS: _ClassVar[Category]
    CATEGORY_UNKNOWN_LIQUID: _ClassVar[Category]
    CATEGORY_UNKNOWN_DISEASE: _ClassVar[Category]
    CATEGORY_UNKNOWN_SIGN: _ClassVar[Category]

class Severity(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SEVERITY_UNSPECIFIED: _ClassVar[Severity]
    SEVERITY_MINOR: _ClassVar[Severity]
    SEVERITY_MODERATE: _ClassVar[Severity]
    SEVERITY_MAJOR: _ClassVar[Severity]
    SEVERITY_CRITICAL: _ClassVar[Severity]

class ResponseLevel(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    RESPONSE_LEVEL_UNSPECIFIED: _ClassVar[ResponseLevel]
    RESPONSE_LEVEL_IV: _ClassVar[ResponseLevel]
    RESPONSE_LEVEL_III: _ClassVar[ResponseLevel]
    RESPONSE_LEVEL_II: _ClassVar[ResponseLevel]
    RESPONSE_LEVEL_I: _ClassVar[ResponseLevel]

class DeadlineKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DEADLINE_KIND_UNSPECIFIED: _ClassVar[DeadlineKind]
    DEADLINE_KIND_ACKNOWLEDGE: _ClassVar[DeadlineKind]
    DEADLINE_KIND_ARRIVE: _ClassVar[DeadlineKind]
    DEADLINE_KIND_RESOLVE: _ClassVar[DeadlineKind]
    DEADLINE_KIND_VERIFY: _ClassVar[DeadlineKind]
EVENT_STATUS_UNSPECIFIED: EventStatus
EVENT_STATUS_ACTUAL: EventStatus
EVENT_STATUS_EXERCISE: EventStatus
EVENT_STATUS_TEST: EventStatus
JURISDICTION_LEVEL_UNSPECIFIED: JurisdictionLevel
JURISDICTION_LEVEL_GRID: JurisdictionLevel
JURISDICTION_LEVEL_COMMUNITY: JurisdictionLevel
JURISDICTION_LEVEL_STREET: JurisdictionLevel
JURISDICTION_LEVEL_DISTRICT: JurisdictionLevel
JURISDICTION_LEVEL_CITY: JurisdictionLevel
CATEGORY_UNSPECIFIED: Category
CATEGORY_PUBLIC_SAFETY: Category
CATEGORY_TRAFFIC: Category
CATEGORY_MEDICAL: Category
CATEGORY_PUBLIC_HEALTH: Category
CATEGORY_HAZARD: Category
CATEGORY_URBAN_MANAGEMENT: Category
CATEGORY_COMMUNITY_AFFAIRS: Category
CATEGORY_UNKNOWN_OBJECT: Category
CATEGORY_UNKNOWN_SPECIES: Category
CATEGORY_UNKNOWN_GAS: Category
CATEGORY_UNKNOWN_LIQUID: Category
CATEGORY_UNKNOWN_DISEASE: Category
CATEGORY_UNKNOWN_SIGN: Category
SEVERITY_UNSPECIFIED: Severity
SEVERITY_MINOR: Severity
SEVERITY_MODERATE: Severity
SEVERITY_MAJOR: Severity
SEVERITY_CRITICAL: Severity
RESPONSE_LEVEL_UNSPECIFIED: ResponseLevel
RESPONSE_LEVEL_IV: ResponseLevel
RESPONSE_LEVEL_III: ResponseLevel
RESPONSE_LEVEL_II: ResponseLevel
RESPONSE_LEVEL_I: ResponseLevel
DEADLINE_KIND_UNSPECIFIED: DeadlineKind
DEADLINE_KIND_ACKNOWLEDGE: DeadlineKind
DEADLINE_KIND_ARRIVE: DeadlineKind
DEADLINE_KIND_RESOLVE: DeadlineKind
DEADLINE_KIND_VERIFY: DeadlineKind

class TraceContext(_message.Message):
    __slots__ = ("traceparent", "tracestate")
    TRACEPARENT_FIELD_NUMBER: _ClassVar[int]
    TRACESTATE_FIELD_NUMBER: _ClassVar[int]
    traceparent: str
    tracestate: str
    def __init__(self, traceparent: _Optional[str] = ..., tracestate: _Optional[str] = ...) -> None: ...

class Envelope(_message.Message):
    __slots__ = ("event_id", "event_type", "source_agency", "source_ref", "source_revision", "occurred_at", "recorded_at", "correlation_id", "causation_id", "schema_version", "trace", "status", "subject")
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    EVENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    SOURCE_AGENCY_FIELD_NUMBER: _ClassVar[int]
    SOURCE_REF_FIELD_NUMBER: _ClassVar[int]
    SOURCE_REVISION_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_AT_FIELD_NUMBER: _ClassVar[int]
    RECORDED_AT_FIELD_NUMBER: _ClassVar[int]
    CORRELATION_ID_FIELD_NUMBER: _ClassVar[int]
    CAUSATION_ID_FIELD_NUMBER: _ClassVar[int]
    SCHEMA_VERSION_FIELD_NUMBER: _ClassVar[int]
    TRACE_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    event_id: str
    event_type: str
    source_agency: str
    source_ref: str
    source_revision: int
    occurred_at: _timestamp_pb2.Timestamp
    recorded_at: _timestamp_pb2.Timestamp
    correlation_id: str
    causation_id: str
    schema_version: int
    trace: TraceContext
    status: EventStatus
    subject: str
    def __init__(self, event_id: _Optional[str] = ..., event_type: _Optional[str] = ..., source_agency: _Optional[str] = ..., source_ref: _Optional[str] = ..., source_revision: _Optional[int] = ..., occurred_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., recorded_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., correlation_id: _Optional[str] = ..., causation_id: _Optional[str] = ..., schema_version: _Optional[int] = ..., trace: _Optional[_Union[TraceContext, _Mapping]] = ..., status: _Optional[_Union[EventStatus, str]] = ..., subject: _Optional[str] = ...) -> None: ...

class JurisdictionPath(_message.Message):
    __slots__ = ("city", "district", "street", "community", "grid")
    CITY_FIELD_NUMBER: _ClassVar[int]
    DISTRICT_FIELD_NUMBER: _ClassVar[int]
    STREET_FIELD_NUMBER: _ClassVar[int]
    COMMUNITY_FIELD_NUMBER: _ClassVar[int]
    GRID_FIELD_NUMBER: _ClassVar[int]
    city: str
    district: str
    street: str
    community: str
    grid: str
    def __init__(self, city: _Optional[str] = ..., district: _Optional[str] = ..., street: _Optional[str] = ..., community: _Optional[str] = ..., grid: _Optional[str] = ...) -> None: ...

class GeoPoint(_message.Message):
    __slots__ = ("latitude", "longitude")
    LATITUDE_FIELD_NUMBER: _ClassVar[int]
    LONGITUDE_FIELD_NUMBER: _ClassVar[int]
    latitude: float
    longitude: float
    def __init__(self, latitude: _Optional[float] = ..., longitude: _Optional[float] = ...) -> None: ...

class Location(_message.Message):
    __slots__ = ("grid_code", "jurisdiction", "point", "address")
    GRID_CODE_FIELD_NUMBER: _ClassVar[int]
    JURISDICTION_FIELD_NUMBER: _ClassVar[int]
    POINT_FIELD_NUMBER: _ClassVar[int]
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    grid_code: str
    jurisdiction: JurisdictionPath
    point: GeoPoint
    address: str
    def __init__(self, grid_code: _Optional[str] = ..., jurisdiction: _Optional[_Union[JurisdictionPath, _Mapping]] = ..., point: _Optional[_Union[GeoPoint, _Mapping]] = ..., address: _Optional[str] = ...) -> None: ...

class Deadline(_message.Message):
    __slots__ = ("kind", "due_at", "task_id", "set_at")
    KIND_FIELD_NUMBER: _ClassVar[int]
    DUE_AT_FIELD_NUMBER: _ClassVar[int]
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    SET_AT_FIELD_NUMBER: _ClassVar[int]
    kind: DeadlineKind
    due_at: _timestamp_pb2.Timestamp
    task_id: str
    set_at: _timestamp_pb2.Timestamp
    def __init__(self, kind: _Optional[_Union[DeadlineKind, str]] = ..., due_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., task_id: _Optional[str] = ..., set_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...
