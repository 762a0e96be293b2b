from incidentbus.v1 import common_pb2 as _common_pb2
from incidentbus.v1 import options_pb2 as _options_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class DeclineReason(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DECLINE_REASON_UNSPECIFIED: _ClassVar[DeclineReason]
    DECLINE_REASON_NOT_OUR_JURISDICTION: _ClassVar[DeclineReason]
    DECLINE_REASON_NOT_OUR_RESPONSIBILITY: _ClassVar[DeclineReason]
    DECLINE_REASON_NO_CAPACITY: _ClassVar[DeclineReason]
    DECLINE_REASON_DUPLICATE: _ClassVar[DeclineReason]
    DECLINE_REASON_OTHER: _ClassVar[DeclineReason]

class Disposition(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DISPOSITION_UNSPECIFIED: _ClassVar[Disposition]
    DISPOSITION_RESOLVED: _ClassVar[Disposition]
    DISPOSITION_NO_ACTION_NEEDED: _ClassVar[Disposition]
    DISPOSITION_REFERRED: _ClassVar[Disposition]
    DISPOSITION_UNFOUNDED: _ClassVar[Disposition]
    DISPOSITION_DUPLICATE: _ClassVar[Disposition]
DECLINE_REASON_UNSPECIFIED: DeclineReason
DECLINE_REASON_NOT_OUR_JURISDICTION: DeclineReason
DECLINE_REASON_NOT_OUR_RESPONSIBILITY: DeclineReason
DECLINE_REASON_NO_CAPACITY: DeclineReason
DECLINE_REASON_DUPLICATE: DeclineReason
DECLINE_REASON_OTHER: DeclineReason
DISPOSITION_UNSPECIFIED: Disposition
DISPOSITION_RESOLVED: Disposition
DISPOSITION_NO_ACTION_NEEDED: Disposition
DISPOSITION_REFERRED: Disposition
DISPOSITION_UNFOUNDED: Disposition
DISPOSITION_DUPLICATE: Disposition

class Reporter(_message.Message):
    __slots__ = ("name", "phone", "id_number", "role", "email", "contactable")
    NAME_FIELD_NUMBER: _ClassVar[int]
    PHONE_FIELD_NUMBER: _ClassVar[int]
    ID_NUMBER_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    CONTACTABLE_FIELD_NUMBER: _ClassVar[int]
    name: str
    phone: str
    id_number: str
    role: str
    email: str
    contactable: bool
    def __init__(self, name: _Optional[str] = ..., phone: _Optional[str] = ..., id_number: _Optional[str] = ..., role: _Optional[str] = ..., email: _Optional[str] = ..., contactable: _Optional[bool] = ...) -> None: ...

class IncidentReported(_message.Message):
    __slots__ = ("category", "incident_type", "severity", "location", "description", "reporter", "casualties", "patient_count", "media_refs", "case_ref", "task_ref", "native_codes", "requested_level", "intake_notes")
    class NativeCodesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    INCIDENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    SEVERITY_FIELD_NUMBER: _ClassVar[int]
    LOCATION_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    REPORTER_FIELD_NUMBER: _ClassVar[int]
    CASUALTIES_FIELD_NUMBER: _ClassVar[int]
    PATIENT_COUNT_FIELD_NUMBER: _ClassVar[int]
    MEDIA_REFS_FIELD_NUMBER: _ClassVar[int]
    CASE_REF_FIELD_NUMBER: _ClassVar[int]
    TASK_REF_FIELD_NUMBER: _ClassVar[int]
    NATIVE_CODES_FIELD_NUMBER: _ClassVar[int]
    REQUESTED_LEVEL_FIELD_NUMBER: _ClassVar[int]
    INTAKE_NOTES_FIELD_NUMBER: _ClassVar[int]
    category: _common_pb2.Category
    incident_type: str
    severity: _common_pb2.Severity
    location: _common_pb2.Location
    description: str
    reporter: Reporter
    casualties: int
    patient_count: int
    media_refs: _containers.RepeatedScalarFieldContainer[str]
    case_ref: str
    task_ref: str
    native_codes: _containers.ScalarMap[str, str]
    requested_level: _common_pb2.ResponseLevel
    intake_notes: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, category: _Optional[_Union[_common_pb2.Category, str]] = ..., incident_type: _Optional[str] = ..., severity: _Optional[_Union[_common_pb2.Severity, str]] = ..., location: _Optional[_Union[_common_pb2.Location, _Mapping]] = ..., description: _Optional[str] = ..., reporter: _Optional[_Union[Reporter, _Mapping]] = ..., casualties: _Optional[int] = ..., patient_count: _Optional[int] = ..., media_refs: _Optional[_Iterable[str]] = ..., case_ref: _Optional[str] = ..., task_ref: _Optional[str] = ..., native_codes: _Optional[_Mapping[str, str]] = ..., requested_level: _Optional[_Union[_common_pb2.ResponseLevel, str]] = ..., intake_notes: _Optional[_Iterable[str]] = ...) -> None: ...

class TaskAcknowledged(_message.Message):
    __slots__ = ("task_id", "case_id", "acknowledged_by")
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    ACKNOWLEDGED_BY_FIELD_NUMBER: _ClassVar[int]
    task_id: str
    case_id: str
    acknowledged_by: str
    def __init__(self, task_id: _Optional[str] = ..., case_id: _Optional[str] = ..., acknowledged_by: _Optional[str] = ...) -> None: ...

class TaskDeclined(_message.Message):
    __slots__ = ("task_id", "case_id", "reason", "reason_text", "suggested_agency")
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    REASON_TEXT_FIELD_NUMBER: _ClassVar[int]
    SUGGESTED_AGENCY_FIELD_NUMBER: _ClassVar[int]
    task_id: str
    case_id: str
    reason: DeclineReason
    reason_text: str
    suggested_agency: str
    def __init__(self, task_id: _Optional[str] = ..., case_id: _Optional[str] = ..., reason: _Optional[_Union[DeclineReason, str]] = ..., reason_text: _Optional[str] = ..., suggested_agency: _Optional[str] = ...) -> None: ...

class UnitDispatched(_message.Message):
    __slots__ = ("task_id", "case_id", "unit_id", "eta_seconds")
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    UNIT_ID_FIELD_NUMBER: _ClassVar[int]
    ETA_SECONDS_FIELD_NUMBER: _ClassVar[int]
    task_id: str
    case_id: str
    unit_id: str
    eta_seconds: int
    def __init__(self, task_id: _Optional[str] = ..., case_id: _Optional[str] = ..., unit_id: _Optional[str] = ..., eta_seconds: _Optional[int] = ...) -> None: ...

class UnitArrived(_message.Message):
    __slots__ = ("task_id", "case_id", "unit_id")
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    UNIT_ID_FIELD_NUMBER: _ClassVar[int]
    task_id: str
    case_id: str
    unit_id: str
    def __init__(self, task_id: _Optional[str] = ..., case_id: _Optional[str] = ..., unit_id: _Optional[str] = ...) -> None: ...

class ProgressNoted(_message.Message):
    __slots__ = ("task_id", "case_id", "note")
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    task_id: str
    case_id: str
    note: str
    def __init__(self, task_id: _Optional[str] = ..., case_id: _Optional[str] = ..., note: _Optional[str] = ...) -> None: ...

class TaskCompleted(_message.Message):
    __slots__ = ("task_id", "case_id", "disposition", "summary")
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    DISPOSITION_FIELD_NUMBER: _ClassVar[int]
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    task_id: str
    case_id: str
    disposition: Disposition
    summary: str
    def __init__(self, task_id: _Optional[str] = ..., case_id: _Optional[str] = ..., disposition: _Optional[_Union[Disposition, str]] = ..., summary: _Optional[str] = ...) -> None: ...

class AssistanceRequested(_message.Message):
    __slots__ = ("task_id", "case_id", "requested_agency", "incident_type", "reason")
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    REQUESTED_AGENCY_FIELD_NUMBER: _ClassVar[int]
    INCIDENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    task_id: str
    case_id: str
    requested_agency: str
    incident_type: str
    reason: str
    def __init__(self, task_id: _Optional[str] = ..., case_id: _Optional[str] = ..., requested_agency: _Optional[str] = ..., incident_type: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class ResolutionVerified(_message.Message):
    __slots__ = ("case_id", "verification_id", "verified_by", "comment", "satisfaction")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    VERIFICATION_ID_FIELD_NUMBER: _ClassVar[int]
    VERIFIED_BY_FIELD_NUMBER: _ClassVar[int]
    COMMENT_FIELD_NUMBER: _ClassVar[int]
    SATISFACTION_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    verification_id: str
    verified_by: str
    comment: str
    satisfaction: int
    def __init__(self, case_id: _Optional[str] = ..., verification_id: _Optional[str] = ..., verified_by: _Optional[str] = ..., comment: _Optional[str] = ..., satisfaction: _Optional[int] = ...) -> None: ...

class ResolutionDisputed(_message.Message):
    __slots__ = ("case_id", "verification_id", "disputed_by", "reason")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    VERIFICATION_ID_FIELD_NUMBER: _ClassVar[int]
    DISPUTED_BY_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    verification_id: str
    disputed_by: str
    reason: str
    def __init__(self, case_id: _Optional[str] = ..., verification_id: _Optional[str] = ..., disputed_by: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class ClockTicked(_message.Message):
    __slots__ = ("partition",)
    PARTITION_FIELD_NUMBER: _ClassVar[int]
    partition: int
    def __init__(self, partition: _Optional[int] = ...) -> None: ...

class SplitCase(_message.Message):
    __slots__ = ("case_id", "report_event_ids", "reason", "requested_by")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    REPORT_EVENT_IDS_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    REQUESTED_BY_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    report_event_ids: _containers.RepeatedScalarFieldContainer[str]
    reason: str
    requested_by: str
    def __init__(self, case_id: _Optional[str] = ..., report_event_ids: _Optional[_Iterable[str]] = ..., reason: _Optional[str] = ..., requested_by: _Optional[str] = ...) -> None: ...

class AgencyEvent(_message.Message):
    __slots__ = ("envelope", "incident_reported", "task_acknowledged", "task_declined", "unit_dispatched", "unit_arrived", "progress_noted", "task_completed", "assistance_requested", "resolution_verified", "resolution_disputed", "clock_ticked", "split_case")
    ENVELOPE_FIELD_NUMBER: _ClassVar[int]
    INCIDENT_REPORTED_FIELD_NUMBER: _ClassVar[int]
    TASK_ACKNOWLEDGED_FIELD_NUMBER: _ClassVar[int]
    TASK_DECLINED_FIELD_NUMBER: _ClassVar[int]
    UNIT_DISPATCHED_FIELD_NUMBER: _ClassVar[int]
    UNIT_ARRIVED_FIELD_NUMBER: _ClassVar[int]
    PROGRESS_NOTED_FIELD_NUMBER: _ClassVar[int]
    TASK_COMPLETED_FIELD_NUMBER: _ClassVar[int]
    ASSISTANCE_REQUESTED_FIELD_NUMBER: _ClassVar[int]
    RESOLUTION_VERIFIED_FIELD_NUMBER: _ClassVar[int]
    RESOLUTION_DISPUTED_FIELD_NUMBER: _ClassVar[int]
    CLOCK_TICKED_FIELD_NUMBER: _ClassVar[int]
    SPLIT_CASE_FIELD_NUMBER: _ClassVar[int]
    envelope: _common_pb2.Envelope
    incident_reported: IncidentReported
    task_acknowledged: TaskAcknowledged
    task_declined: TaskDeclined
    unit_dispatched: UnitDispatched
    unit_arrived: UnitArrived
    progress_noted: ProgressNoted
    task_completed: TaskCompleted
    assistance_requested: AssistanceRequested
    resolution_verified: ResolutionVerified
    resolution_disputed: ResolutionDisputed
    clock_ticked: ClockTicked
    split_case: SplitCase
    def __init__(self, envelope: _Optional[_Union[_common_pb2.Envelope, _Mapping]] = ..., incident_reported: _Optional[_Union[IncidentReported, _Mapping]] = ..., task_acknowledged: _Optional[_Union[TaskAcknowledged, _Mapping]] = ..., task_declined: _Optional[_Union[TaskDeclined, _Mapping]] = ..., unit_dispatched: _Optional[_Union[UnitDispatched, _Mapping]] = ..., unit_arrived: _Optional[_Union[UnitArrived, _Mapping]] = ..., progress_noted: _Optional[_Union[ProgressNoted, _Mapping]] = ..., task_completed: _Optional[_Union[TaskCompleted, _Mapping]] = ..., assistance_requested: _Optional[_Union[AssistanceRequested, _Mapping]] = ..., resolution_verified: _Optional[_Union[ResolutionVerified, _Mapping]] = ..., resolution_disputed: _Optional[_Union[ResolutionDisputed, _Mapping]] = ..., clock_ticked: _Optional[_Union[ClockTicked, _Mapping]] = ..., split_case: _Optional[_Union[SplitCase, _Mapping]] = ...) -> None: ...
