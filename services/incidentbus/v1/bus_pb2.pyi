import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from incidentbus.v1 import case_events_pb2 as _case_events_pb2
from incidentbus.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class AlertKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ALERT_KIND_UNSPECIFIED: _ClassVar[AlertKind]
    ALERT_KIND_FAST_PATH: _ClassVar[AlertKind]
    ALERT_KIND_DEADLINE_MISSED: _ClassVar[AlertKind]
    ALERT_KIND_ESCALATED: _ClassVar[AlertKind]
    ALERT_KIND_RESPONSE_LEVEL_CHANGED: _ClassVar[AlertKind]
    ALERT_KIND_REMINDER: _ClassVar[AlertKind]
    ALERT_KIND_LATE_DISPUTE: _ClassVar[AlertKind]
ALERT_KIND_UNSPECIFIED: AlertKind
ALERT_KIND_FAST_PATH: AlertKind
ALERT_KIND_DEADLINE_MISSED: AlertKind
ALERT_KIND_ESCALATED: AlertKind
ALERT_KIND_RESPONSE_LEVEL_CHANGED: AlertKind
ALERT_KIND_REMINDER: AlertKind
ALERT_KIND_LATE_DISPUTE: AlertKind

class DispatchTask(_message.Message):
    __slots__ = ("task_id", "case_id", "agency", "role", "category", "incident_type", "severity", "response_level", "location", "description", "priority", "deadlines", "reports")
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    AGENCY_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    INCIDENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    SEVERITY_FIELD_NUMBER: _ClassVar[int]
    RESPONSE_LEVEL_FIELD_NUMBER: _ClassVar[int]
    LOCATION_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    PRIORITY_FIELD_NUMBER: _ClassVar[int]
    DEADLINES_FIELD_NUMBER: _ClassVar[int]
    REPORTS_FIELD_NUMBER: _ClassVar[int]
    task_id: str
    case_id: str
    agency: str
    role: _case_events_pb2.TaskRole
    category: _common_pb2.Category
    incident_type: str
    severity: _common_pb2.Severity
    response_level: _common_pb2.ResponseLevel
    location: _common_pb2.Location
    description: str
    priority: int
    deadlines: _containers.RepeatedCompositeFieldContainer[_common_pb2.Deadline]
    reports: _containers.RepeatedCompositeFieldContainer[_case_events_pb2.ReportRef]
    def __init__(self, task_id: _Optional[str] = ..., case_id: _Optional[str] = ..., agency: _Optional[str] = ..., role: _Optional[_Union[_case_events_pb2.TaskRole, str]] = ..., category: _Optional[_Union[_common_pb2.Category, str]] = ..., incident_type: _Optional[str] = ..., severity: _Optional[_Union[_common_pb2.Severity, str]] = ..., response_level: _Optional[_Union[_common_pb2.ResponseLevel, str]] = ..., location: _Optional[_Union[_common_pb2.Location, _Mapping]] = ..., description: _Optional[str] = ..., priority: _Optional[int] = ..., deadlines: _Optional[_Iterable[_Union[_common_pb2.Deadline, _Mapping]]] = ..., reports: _Optional[_Iterable[_Union[_case_events_pb2.ReportRef, _Mapping]]] = ...) -> None: ...

class CancelTask(_message.Message):
    __slots__ = ("task_id", "case_id", "reason")
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    task_id: str
    case_id: str
    reason: str
    def __init__(self, task_id: _Optional[str] = ..., case_id: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class RequestVerification(_message.Message):
    __slots__ = ("verification_id", "case_id", "location", "summary", "due_at", "report_refs")
    VERIFICATION_ID_FIELD_NUMBER: _ClassVar[int]
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    LOCATION_FIELD_NUMBER: _ClassVar[int]
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    DUE_AT_FIELD_NUMBER: _ClassVar[int]
    REPORT_REFS_FIELD_NUMBER: _ClassVar[int]
    verification_id: str
    case_id: str
    location: _common_pb2.Location
    summary: str
    due_at: _timestamp_pb2.Timestamp
    report_refs: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, verification_id: _Optional[str] = ..., case_id: _Optional[str] = ..., location: _Optional[_Union[_common_pb2.Location, _Mapping]] = ..., summary: _Optional[str] = ..., due_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., report_refs: _Optional[_Iterable[str]] = ...) -> None: ...

class TaskCommand(_message.Message):
    __slots__ = ("envelope", "dispatch_task", "cancel_task", "request_verification")
    ENVELOPE_FIELD_NUMBER: _ClassVar[int]
    DISPATCH_TASK_FIELD_NUMBER: _ClassVar[int]
    CANCEL_TASK_FIELD_NUMBER: _ClassVar[int]
    REQUEST_VERIFICATION_FIELD_NUMBER: _ClassVar[int]
    envelope: _common_pb2.Envelope
    dispatch_task: DispatchTask
    cancel_task: CancelTask
    request_verification: RequestVerification
    def __init__(self, envelope: _Optional[_Union[_common_pb2.Envelope, _Mapping]] = ..., dispatch_task: _Optional[_Union[DispatchTask, _Mapping]] = ..., cancel_task: _Optional[_Union[CancelTask, _Mapping]] = ..., request_verification: _Optional[_Union[RequestVerification, _Mapping]] = ...) -> None: ...

class AlertRaised(_message.Message):
    __slots__ = ("envelope", "alert_id", "case_id", "kind", "severity", "response_level", "notify_agencies", "target_level", "target_jurisdiction", "message", "priority")
    ENVELOPE_FIELD_NUMBER: _ClassVar[int]
    ALERT_ID_FIELD_NUMBER: _ClassVar[int]
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    SEVERITY_FIELD_NUMBER: _ClassVar[int]
    RESPONSE_LEVEL_FIELD_NUMBER: _ClassVar[int]
    NOTIFY_AGENCIES_FIELD_NUMBER: _ClassVar[int]
    TARGET_LEVEL_FIELD_NUMBER: _ClassVar[int]
    TARGET_JURISDICTION_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    PRIORITY_FIELD_NUMBER: _ClassVar[int]
    envelope: _common_pb2.Envelope
    alert_id: str
    case_id: str
    kind: AlertKind
    severity: _common_pb2.Severity
    response_level: _common_pb2.ResponseLevel
    notify_agencies: _containers.RepeatedScalarFieldContainer[str]
    target_level: _common_pb2.JurisdictionLevel
    target_jurisdiction: str
    message: str
    priority: int
    def __init__(self, envelope: _Optional[_Union[_common_pb2.Envelope, _Mapping]] = ..., alert_id: _Optional[str] = ..., case_id: _Optional[str] = ..., kind: _Optional[_Union[AlertKind, str]] = ..., severity: _Optional[_Union[_common_pb2.Severity, str]] = ..., response_level: _Optional[_Union[_common_pb2.ResponseLevel, str]] = ..., notify_agencies: _Optional[_Iterable[str]] = ..., target_level: _Optional[_Union[_common_pb2.JurisdictionLevel, str]] = ..., target_jurisdiction: _Optional[str] = ..., message: _Optional[str] = ..., priority: _Optional[int] = ...) -> None: ...

class Header(_message.Message):
    __slots__ = ("key", "value")
    KEY_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    key: str
    value: bytes
    def __init__(self, key: _Optional[str] = ..., value: _Optional[bytes] = ...) -> None: ...

class DeadLetter(_message.Message):
    __slots__ = ("envelope", "reason", "detail", "source_topic", "source_partition", "source_offset", "original_key", "original_value", "original_headers", "rejected_by", "phase", "sealed_key_id", "sealed_original")
    ENVELOPE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    DETAIL_FIELD_NUMBER: _ClassVar[int]
    SOURCE_TOPIC_FIELD_NUMBER: _ClassVar[int]
    SOURCE_PARTITION_FIELD_NUMBER: _ClassVar[int]
    SOURCE_OFFSET_FIELD_NUMBER: _ClassVar[int]
    ORIGINAL_KEY_FIELD_NUMBER: _ClassVar[int]
    ORIGINAL_VALUE_FIELD_NUMBER: _ClassVar[int]
    ORIGINAL_HEADERS_FIELD_NUMBER: _ClassVar[int]
    REJECTED_BY_FIELD_NUMBER: _ClassVar[int]
    PHASE_FIELD_NUMBER: _ClassVar[int]
    SEALED_KEY_ID_FIELD_NUMBER: _ClassVar[int]
    SEALED_ORIGINAL_FIELD_NUMBER: _ClassVar[int]
    envelope: _common_pb2.Envelope
    reason: str
    detail: str
    source_topic: str
    source_partition: int
    source_offset: int
    original_key: bytes
    original_value: bytes
    original_headers: _containers.RepeatedCompositeFieldContainer[Header]
    rejected_by: str
    phase: str
    sealed_key_id: str
    sealed_original: bytes
    def __init__(self, envelope: _Optional[_Union[_common_pb2.Envelope, _Mapping]] = ..., reason: _Optional[str] = ..., detail: _Optional[str] = ..., source_topic: _Optional[str] = ..., source_partition: _Optional[int] = ..., source_offset: _Optional[int] = ..., original_key: _Optional[bytes] = ..., original_value: _Optional[bytes] = ..., original_headers: _Optional[_Iterable[_Union[Header, _Mapping]]] = ..., rejected_by: _Optional[str] = ..., phase: _Optional[str] = ..., sealed_key_id: _Optional[str] = ..., sealed_original: _Optional[bytes] = ...) -> None: ...

class SealedOriginal(_message.Message):
    __slots__ = ("value", "headers")
    VALUE_FIELD_NUMBER: _ClassVar[int]
    HEADERS_FIELD_NUMBER: _ClassVar[int]
    value: bytes
    headers: _containers.RepeatedCompositeFieldContainer[Header]
    def __init__(self, value: _Optional[bytes] = ..., headers: _Optional[_Iterable[_Union[Header, _Mapping]]] = ...) -> None: ...
