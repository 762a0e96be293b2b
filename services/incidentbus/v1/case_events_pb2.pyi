import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from incidentbus.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class CaseStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CASE_STATUS_UNSPECIFIED: _ClassVar[CaseStatus]
    CASE_STATUS_REPORTED: _ClassVar[CaseStatus]
    CASE_STATUS_DISPATCHED: _ClassVar[CaseStatus]
    CASE_STATUS_ACKNOWLEDGED: _ClassVar[CaseStatus]
    CASE_STATUS_ON_SCENE: _ClassVar[CaseStatus]
    CASE_STATUS_RESOLVED: _ClassVar[CaseStatus]
    CASE_STATUS_VERIFIED: _ClassVar[CaseStatus]
    CASE_STATUS_CLOSED: _ClassVar[CaseStatus]
    CASE_STATUS_MERGED: _ClassVar[CaseStatus]

class TaskRole(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TASK_ROLE_UNSPECIFIED: _ClassVar[TaskRole]
    TASK_ROLE_LEAD: _ClassVar[TaskRole]
    TASK_ROLE_SUPPORT: _ClassVar[TaskRole]
    TASK_ROLE_ASSIST: _ClassVar[TaskRole]
    TASK_ROLE_VERIFY: _ClassVar[TaskRole]

class TaskStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TASK_STATUS_UNSPECIFIED: _ClassVar[TaskStatus]
    TASK_STATUS_ASSIGNED: _ClassVar[TaskStatus]
    TASK_STATUS_ACKNOWLEDGED: _ClassVar[TaskStatus]
    TASK_STATUS_DECLINED: _ClassVar[TaskStatus]
    TASK_STATUS_UNIT_DISPATCHED: _ClassVar[TaskStatus]
    TASK_STATUS_ON_SCENE: _ClassVar[TaskStatus]
    TASK_STATUS_COMPLETED: _ClassVar[TaskStatus]
    TASK_STATUS_CANCELLED: _ClassVar[TaskStatus]

class ClosureReason(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CLOSURE_REASON_UNSPECIFIED: _ClassVar[ClosureReason]
    CLOSURE_REASON_VERIFIED: _ClassVar[ClosureReason]
    CLOSURE_REASON_POLICY: _ClassVar[ClosureReason]
    CLOSURE_REASON_MERGED: _ClassVar[ClosureReason]
    CLOSURE_REASON_SUPERSEDED: _ClassVar[ClosureReason]
CASE_STATUS_UNSPECIFIED: CaseStatus
CASE_STATUS_REPORTED: CaseStatus
CASE_STATUS_DISPATCHED: CaseStatus
CASE_STATUS_ACKNOWLEDGED: CaseStatus
CASE_STATUS_ON_SCENE: CaseStatus
CASE_STATUS_RESOLVED: CaseStatus
CASE_STATUS_VERIFIED: CaseStatus
CASE_STATUS_CLOSED: CaseStatus
CASE_STATUS_MERGED: CaseStatus
TASK_ROLE_UNSPECIFIED: TaskRole
TASK_ROLE_LEAD: TaskRole
TASK_ROLE_SUPPORT: TaskRole
TASK_ROLE_ASSIST: TaskRole
TASK_ROLE_VERIFY: TaskRole
TASK_STATUS_UNSPECIFIED: TaskStatus
TASK_STATUS_ASSIGNED: TaskStatus
TASK_STATUS_ACKNOWLEDGED: TaskStatus
TASK_STATUS_DECLINED: TaskStatus
TASK_STATUS_UNIT_DISPATCHED: TaskStatus
TASK_STATUS_ON_SCENE: TaskStatus
TASK_STATUS_COMPLETED: TaskStatus
TASK_STATUS_CANCELLED: TaskStatus
CLOSURE_REASON_UNSPECIFIED: ClosureReason
CLOSURE_REASON_VERIFIED: ClosureReason
CLOSURE_REASON_POLICY: ClosureReason
CLOSURE_REASON_MERGED: ClosureReason
CLOSURE_REASON_SUPERSEDED: ClosureReason

class MatchScore(_message.Message):
    __slots__ = ("total", "place", "category", "time", "rule", "distance_m", "radius_m")
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    PLACE_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    TIME_FIELD_NUMBER: _ClassVar[int]
    RULE_FIELD_NUMBER: _ClassVar[int]
    DISTANCE_M_FIELD_NUMBER: _ClassVar[int]
    RADIUS_M_FIELD_NUMBER: _ClassVar[int]
    total: float
    place: float
    category: float
    time: float
    rule: str
    distance_m: float
    radius_m: float
    def __init__(self, total: _Optional[float] = ..., place: _Optional[float] = ..., category: _Optional[float] = ..., time: _Optional[float] = ..., rule: _Optional[str] = ..., distance_m: _Optional[float] = ..., radius_m: _Optional[float] = ...) -> None: ...

class ReportRef(_message.Message):
    __slots__ = ("event_id", "source_agency", "source_ref", "topic", "partition", "offset", "revision")
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    SOURCE_AGENCY_FIELD_NUMBER: _ClassVar[int]
    SOURCE_REF_FIELD_NUMBER: _ClassVar[int]
    TOPIC_FIELD_NUMBER: _ClassVar[int]
    PARTITION_FIELD_NUMBER: _ClassVar[int]
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    REVISION_FIELD_NUMBER: _ClassVar[int]
    event_id: str
    source_agency: str
    source_ref: str
    topic: str
    partition: int
    offset: int
    revision: int
    def __init__(self, event_id: _Optional[str] = ..., source_agency: _Optional[str] = ..., source_ref: _Optional[str] = ..., topic: _Optional[str] = ..., partition: _Optional[int] = ..., offset: _Optional[int] = ..., revision: _Optional[int] = ...) -> None: ...

class CaseOpened(_message.Message):
    __slots__ = ("category", "incident_type", "severity", "response_level", "location", "priority", "fast_path", "first_report")
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    INCIDENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    SEVERITY_FIELD_NUMBER: _ClassVar[int]
    RESPONSE_LEVEL_FIELD_NUMBER: _ClassVar[int]
    LOCATION_FIELD_NUMBER: _ClassVar[int]
    PRIORITY_FIELD_NUMBER: _ClassVar[int]
    FAST_PATH_FIELD_NUMBER: _ClassVar[int]
    FIRST_REPORT_FIELD_NUMBER: _ClassVar[int]
    category: _common_pb2.Category
    incident_type: str
    severity: _common_pb2.Severity
    response_level: _common_pb2.ResponseLevel
    location: _common_pb2.Location
    priority: int
    fast_path: bool
    first_report: ReportRef
    def __init__(self, category: _Optional[_Union[_common_pb2.Category, str]] = ..., incident_type: _Optional[str] = ..., severity: _Optional[_Union[_common_pb2.Severity, str]] = ..., response_level: _Optional[_Union[_common_pb2.ResponseLevel, str]] = ..., location: _Optional[_Union[_common_pb2.Location, _Mapping]] = ..., priority: _Optional[int] = ..., fast_path: _Optional[bool] = ..., first_report: _Optional[_Union[ReportRef, _Mapping]] = ...) -> None: ...

class ReportLinked(_message.Message):
    __slots__ = ("report", "score", "category", "incident_type", "severity", "location", "casualties", "reported_at", "contactable")
    REPORT_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    INCIDENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    SEVERITY_FIELD_NUMBER: _ClassVar[int]
    LOCATION_FIELD_NUMBER: _ClassVar[int]
    CASUALTIES_FIELD_NUMBER: _ClassVar[int]
    REPORTED_AT_FIELD_NUMBER: _ClassVar[int]
    CONTACTABLE_FIELD_NUMBER: _ClassVar[int]
    report: ReportRef
    score: MatchScore
    category: _common_pb2.Category
    incident_type: str
    severity: _common_pb2.Severity
    location: _common_pb2.Location
    casualties: int
    reported_at: _timestamp_pb2.Timestamp
    contactable: bool
    def __init__(self, report: _Optional[_Union[ReportRef, _Mapping]] = ..., score: _Optional[_Union[MatchScore, _Mapping]] = ..., category: _Optional[_Union[_common_pb2.Category, str]] = ..., incident_type: _Optional[str] = ..., severity: _Optional[_Union[_common_pb2.Severity, str]] = ..., location: _Optional[_Union[_common_pb2.Location, _Mapping]] = ..., casualties: _Optional[int] = ..., reported_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., contactable: _Optional[bool] = ...) -> None: ...

class TaskAssigned(_message.Message):
    __slots__ = ("task_id", "agency", "role", "deadlines", "rule", "replaces_task_id")
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    AGENCY_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    DEADLINES_FIELD_NUMBER: _ClassVar[int]
    RULE_FIELD_NUMBER: _ClassVar[int]
    REPLACES_TASK_ID_FIELD_NUMBER: _ClassVar[int]
    task_id: str
    agency: str
    role: TaskRole
    deadlines: _containers.RepeatedCompositeFieldContainer[_common_pb2.Deadline]
    rule: str
    replaces_task_id: str
    def __init__(self, task_id: _Optional[str] = ..., agency: _Optional[str] = ..., role: _Optional[_Union[TaskRole, str]] = ..., deadlines: _Optional[_Iterable[_Union[_common_pb2.Deadline, _Mapping]]] = ..., rule: _Optional[str] = ..., replaces_task_id: _Optional[str] = ...) -> None: ...

class TaskStatusChanged(_message.Message):
    __slots__ = ("task_id", "agency", "status", "detail", "reported_at")
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    AGENCY_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    DETAIL_FIELD_NUMBER: _ClassVar[int]
    REPORTED_AT_FIELD_NUMBER: _ClassVar[int]
    task_id: str
    agency: str
    status: TaskStatus
    detail: str
    reported_at: _timestamp_pb2.Timestamp
    def __init__(self, task_id: _Optional[str] = ..., agency: _Optional[str] = ..., status: _Optional[_Union[TaskStatus, str]] = ..., detail: _Optional[str] = ..., reported_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class CaseEscalated(_message.Message):
    __slots__ = ("from_level", "to_level", "jurisdiction_code", "missed", "task_id", "priority", "rescheduled", "reason")
    FROM_LEVEL_FIELD_NUMBER: _ClassVar[int]
    TO_LEVEL_FIELD_NUMBER: _ClassVar[int]
    JURISDICTION_CODE_FIELD_NUMBER: _ClassVar[int]
    MISSED_FIELD_NUMBER: _ClassVar[int]
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    PRIORITY_FIELD_NUMBER: _ClassVar[int]
    RESCHEDULED_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    from_level: _common_pb2.JurisdictionLevel
    to_level: _common_pb2.JurisdictionLevel
    jurisdiction_code: str
    missed: _common_pb2.DeadlineKind
    task_id: str
    priority: int
    rescheduled: _containers.RepeatedCompositeFieldContainer[_common_pb2.Deadline]
    reason: str
    def __init__(self, from_level: _Optional[_Union[_common_pb2.JurisdictionLevel, str]] = ..., to_level: _Optional[_Union[_common_pb2.JurisdictionLevel, str]] = ..., jurisdiction_code: _Optional[str] = ..., missed: _Optional[_Union[_common_pb2.DeadlineKind, str]] = ..., task_id: _Optional[str] = ..., priority: _Optional[int] = ..., rescheduled: _Optional[_Iterable[_Union[_common_pb2.Deadline, _Mapping]]] = ..., reason: _Optional[str] = ...) -> None: ...

class ReminderIssued(_message.Message):
    __slots__ = ("missed", "task_id", "reminder", "jurisdiction_code", "rescheduled")
    MISSED_FIELD_NUMBER: _ClassVar[int]
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    REMINDER_FIELD_NUMBER: _ClassVar[int]
    JURISDICTION_CODE_FIELD_NUMBER: _ClassVar[int]
    RESCHEDULED_FIELD_NUMBER: _ClassVar[int]
    missed: _common_pb2.DeadlineKind
    task_id: str
    reminder: int
    jurisdiction_code: str
    rescheduled: _containers.RepeatedCompositeFieldContainer[_common_pb2.Deadline]
    def __init__(self, missed: _Optional[_Union[_common_pb2.DeadlineKind, str]] = ..., task_id: _Optional[str] = ..., reminder: _Optional[int] = ..., jurisdiction_code: _Optional[str] = ..., rescheduled: _Optional[_Iterable[_Union[_common_pb2.Deadline, _Mapping]]] = ...) -> None: ...

class ReportCorrected(_message.Message):
    __slots__ = ("report", "previous_revision", "category", "incident_type", "severity", "location", "casualties", "note", "contactable")
    REPORT_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_REVISION_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    INCIDENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    SEVERITY_FIELD_NUMBER: _ClassVar[int]
    LOCATION_FIELD_NUMBER: _ClassVar[int]
    CASUALTIES_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    CONTACTABLE_FIELD_NUMBER: _ClassVar[int]
    report: ReportRef
    previous_revision: int
    category: _common_pb2.Category
    incident_type: str
    severity: _common_pb2.Severity
    location: _common_pb2.Location
    casualties: int
    note: str
    contactable: bool
    def __init__(self, report: _Optional[_Union[ReportRef, _Mapping]] = ..., previous_revision: _Optional[int] = ..., category: _Optional[_Union[_common_pb2.Category, str]] = ..., incident_type: _Optional[str] = ..., severity: _Optional[_Union[_common_pb2.Severity, str]] = ..., location: _Optional[_Union[_common_pb2.Location, _Mapping]] = ..., casualties: _Optional[int] = ..., note: _Optional[str] = ..., contactable: _Optional[bool] = ...) -> None: ...

class ResponseLevelChanged(_message.Message):
    __slots__ = ("from_level", "to_level", "reason", "retuned", "notify_agencies")
    FROM_LEVEL_FIELD_NUMBER: _ClassVar[int]
    TO_LEVEL_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    RETUNED_FIELD_NUMBER: _ClassVar[int]
    NOTIFY_AGENCIES_FIELD_NUMBER: _ClassVar[int]
    from_level: _common_pb2.ResponseLevel
    to_level: _common_pb2.ResponseLevel
    reason: str
    retuned: _containers.RepeatedCompositeFieldContainer[_common_pb2.Deadline]
    notify_agencies: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, from_level: _Optional[_Union[_common_pb2.ResponseLevel, str]] = ..., to_level: _Optional[_Union[_common_pb2.ResponseLevel, str]] = ..., reason: _Optional[str] = ..., retuned: _Optional[_Iterable[_Union[_common_pb2.Deadline, _Mapping]]] = ..., notify_agencies: _Optional[_Iterable[str]] = ...) -> None: ...

class CaseResolved(_message.Message):
    __slots__ = ("completed_task_ids",)
    COMPLETED_TASK_IDS_FIELD_NUMBER: _ClassVar[int]
    completed_task_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, completed_task_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class CaseClosed(_message.Message):
    __slots__ = ("reason", "policy", "merged_into")
    REASON_FIELD_NUMBER: _ClassVar[int]
    POLICY_FIELD_NUMBER: _ClassVar[int]
    MERGED_INTO_FIELD_NUMBER: _ClassVar[int]
    reason: ClosureReason
    policy: str
    merged_into: str
    def __init__(self, reason: _Optional[_Union[ClosureReason, str]] = ..., policy: _Optional[str] = ..., merged_into: _Optional[str] = ...) -> None: ...

class CaseReopened(_message.Message):
    __slots__ = ("reason", "verification_id")
    REASON_FIELD_NUMBER: _ClassVar[int]
    VERIFICATION_ID_FIELD_NUMBER: _ClassVar[int]
    reason: str
    verification_id: str
    def __init__(self, reason: _Optional[str] = ..., verification_id: _Optional[str] = ...) -> None: ...

class CasesMerged(_message.Message):
    __slots__ = ("merged_case_id", "moved_reports", "evidence")
    MERGED_CASE_ID_FIELD_NUMBER: _ClassVar[int]
    MOVED_REPORTS_FIELD_NUMBER: _ClassVar[int]
    EVIDENCE_FIELD_NUMBER: _ClassVar[int]
    merged_case_id: str
    moved_reports: _containers.RepeatedCompositeFieldContainer[ReportRef]
    evidence: MatchScore
    def __init__(self, merged_case_id: _Optional[str] = ..., moved_reports: _Optional[_Iterable[_Union[ReportRef, _Mapping]]] = ..., evidence: _Optional[_Union[MatchScore, _Mapping]] = ...) -> None: ...

class CaseSplit(_message.Message):
    __slots__ = ("new_case_id", "moved_reports", "reason", "requested_by")
    NEW_CASE_ID_FIELD_NUMBER: _ClassVar[int]
    MOVED_REPORTS_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    REQUESTED_BY_FIELD_NUMBER: _ClassVar[int]
    new_case_id: str
    moved_reports: _containers.RepeatedCompositeFieldContainer[ReportRef]
    reason: str
    requested_by: str
    def __init__(self, new_case_id: _Optional[str] = ..., moved_reports: _Optional[_Iterable[_Union[ReportRef, _Mapping]]] = ..., reason: _Optional[str] = ..., requested_by: _Optional[str] = ...) -> None: ...

class VerificationRequested(_message.Message):
    __slots__ = ("verification_id", "agency", "deadline", "report_refs", "reason")
    VERIFICATION_ID_FIELD_NUMBER: _ClassVar[int]
    AGENCY_FIELD_NUMBER: _ClassVar[int]
    DEADLINE_FIELD_NUMBER: _ClassVar[int]
    REPORT_REFS_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    verification_id: str
    agency: str
    deadline: _common_pb2.Deadline
    report_refs: _containers.RepeatedScalarFieldContainer[str]
    reason: str
    def __init__(self, verification_id: _Optional[str] = ..., agency: _Optional[str] = ..., deadline: _Optional[_Union[_common_pb2.Deadline, _Mapping]] = ..., report_refs: _Optional[_Iterable[str]] = ..., reason: _Optional[str] = ...) -> None: ...

class CaseVerified(_message.Message):
    __slots__ = ("verification_id", "verified_by", "satisfaction", "comment")
    VERIFICATION_ID_FIELD_NUMBER: _ClassVar[int]
    VERIFIED_BY_FIELD_NUMBER: _ClassVar[int]
    SATISFACTION_FIELD_NUMBER: _ClassVar[int]
    COMMENT_FIELD_NUMBER: _ClassVar[int]
    verification_id: str
    verified_by: str
    satisfaction: int
    comment: str
    def __init__(self, verification_id: _Optional[str] = ..., verified_by: _Optional[str] = ..., satisfaction: _Optional[int] = ..., comment: _Optional[str] = ...) -> None: ...

class CaseEvent(_message.Message):
    __slots__ = ("envelope", "case_id", "sequence", "previous_hash", "hash", "cause_event_ids", "actor", "source_topic", "case_opened", "report_linked", "task_assigned", "task_status_changed", "case_escalated", "response_level_changed", "case_resolved", "case_closed", "case_reopened", "cases_merged", "case_split", "verification_requested", "case_verified", "report_corrected", "reminder_issued")
    ENVELOPE_FIELD_NUMBER: _ClassVar[int]
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_HASH_FIELD_NUMBER: _ClassVar[int]
    HASH_FIELD_NUMBER: _ClassVar[int]
    CAUSE_EVENT_IDS_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    SOURCE_TOPIC_FIELD_NUMBER: _ClassVar[int]
    CASE_OPENED_FIELD_NUMBER: _ClassVar[int]
    REPORT_LINKED_FIELD_NUMBER: _ClassVar[int]
    TASK_ASSIGNED_FIELD_NUMBER: _ClassVar[int]
    TASK_STATUS_CHANGED_FIELD_NUMBER: _ClassVar[int]
    CASE_ESCALATED_FIELD_NUMBER: _ClassVar[int]
    RESPONSE_LEVEL_CHANGED_FIELD_NUMBER: _ClassVar[int]
    CASE_RESOLVED_FIELD_NUMBER: _ClassVar[int]
    CASE_CLOSED_FIELD_NUMBER: _ClassVar[int]
    CASE_REOPENED_FIELD_NUMBER: _ClassVar[int]
    CASES_MERGED_FIELD_NUMBER: _ClassVar[int]
    CASE_SPLIT_FIELD_NUMBER: _ClassVar[int]
    VERIFICATION_REQUESTED_FIELD_NUMBER: _ClassVar[int]
    CASE_VERIFIED_FIELD_NUMBER: _ClassVar[int]
    REPORT_CORRECTED_FIELD_NUMBER: _ClassVar[int]
    REMINDER_ISSUED_FIELD_NUMBER: _ClassVar[int]
    envelope: _common_pb2.Envelope
    case_id: str
    sequence: int
    previous_hash: bytes
    hash: bytes
    cause_event_ids: _containers.RepeatedScalarFieldContainer[str]
    actor: str
    source_topic: str
    case_opened: CaseOpened
    report_linked: ReportLinked
    task_assigned: TaskAssigned
    task_status_changed: TaskStatusChanged
    case_escalated: CaseEscalated
    response_level_changed: ResponseLevelChanged
    case_resolved: CaseResolved
    case_closed: CaseClosed
    case_reopened: CaseReopened
    cases_merged: CasesMerged
    case_split: CaseSplit
    verification_requested: VerificationRequested
    case_verified: CaseVerified
    report_corrected: ReportCorrected
    reminder_issued: ReminderIssued
    def __init__(self, envelope: _Optional[_Union[_common_pb2.Envelope, _Mapping]] = ..., case_id: _Optional[str] = ..., sequence: _Optional[int] = ..., previous_hash: _Optional[bytes] = ..., hash: _Optional[bytes] = ..., cause_event_ids: _Optional[_Iterable[str]] = ..., actor: _Optional[str] = ..., source_topic: _Optional[str] = ..., case_opened: _Optional[_Union[CaseOpened, _Mapping]] = ..., report_linked: _Optional[_Union[ReportLinked, _Mapping]] = ..., task_assigned: _Optional[_Union[TaskAssigned, _Mapping]] = ..., task_status_changed: _Optional[_Union[TaskStatusChanged, _Mapping]] = ..., case_escalated: _Optional[_Union[CaseEscalated, _Mapping]] = ..., response_level_changed: _Optional[_Union[ResponseLevelChanged, _Mapping]] = ..., case_resolved: _Optional[_Union[CaseResolved, _Mapping]] = ..., case_closed: _Optional[_Union[CaseClosed, _Mapping]] = ..., case_reopened: _Optional[_Union[CaseReopened, _Mapping]] = ..., cases_merged: _Optional[_Union[CasesMerged, _Mapping]] = ..., case_split: _Optional[_Union[CaseSplit, _Mapping]] = ..., verification_requested: _Optional[_Union[VerificationRequested, _Mapping]] = ..., case_verified: _Optional[_Union[CaseVerified, _Mapping]] = ..., report_corrected: _Optional[_Union[ReportCorrected, _Mapping]] = ..., reminder_issued: _Optional[_Union[ReminderIssued, _Mapping]] = ...) -> None: ...

class TaskSummary(_message.Message):
    __slots__ = ("task_id", "agency", "role", "status", "deadlines")
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    AGENCY_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    DEADLINES_FIELD_NUMBER: _ClassVar[int]
    task_id: str
    agency: str
    role: TaskRole
    status: TaskStatus
    deadlines: _containers.RepeatedCompositeFieldContainer[_common_pb2.Deadline]
    def __init__(self, task_id: _Optional[str] = ..., agency: _Optional[str] = ..., role: _Optional[_Union[TaskRole, str]] = ..., status: _Optional[_Union[TaskStatus, str]] = ..., deadlines: _Optional[_Iterable[_Union[_common_pb2.Deadline, _Mapping]]] = ...) -> None: ...

class CaseSnapshot(_message.Message):
    __slots__ = ("envelope", "case_id", "status", "category", "incident_type", "severity", "response_level", "location", "priority", "supervising_level", "reports", "tasks", "last_sequence", "last_hash", "opened_at", "updated_at", "merged_into")
    ENVELOPE_FIELD_NUMBER: _ClassVar[int]
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    INCIDENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    SEVERITY_FIELD_NUMBER: _ClassVar[int]
    RESPONSE_LEVEL_FIELD_NUMBER: _ClassVar[int]
    LOCATION_FIELD_NUMBER: _ClassVar[int]
    PRIORITY_FIELD_NUMBER: _ClassVar[int]
    SUPERVISING_LEVEL_FIELD_NUMBER: _ClassVar[int]
    REPORTS_FIELD_NUMBER: _ClassVar[int]
    TASKS_FIELD_NUMBER: _ClassVar[int]
    LAST_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    LAST_HASH_FIELD_NUMBER: _ClassVar[int]
    OPENED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    MERGED_INTO_FIELD_NUMBER: _ClassVar[int]
    envelope: _common_pb2.Envelope
    case_id: str
    status: CaseStatus
    category: _common_pb2.Category
    incident_type: str
    severity: _common_pb2.Severity
    response_level: _common_pb2.ResponseLevel
    location: _common_pb2.Location
    priority: int
    supervising_level: _common_pb2.JurisdictionLevel
    reports: _containers.RepeatedCompositeFieldContainer[ReportRef]
    tasks: _containers.RepeatedCompositeFieldContainer[TaskSummary]
    last_sequence: int
    last_hash: bytes
    opened_at: _timestamp_pb2.Timestamp
    updated_at: _timestamp_pb2.Timestamp
    merged_into: str
    def __init__(self, envelope: _Optional[_Union[_common_pb2.Envelope, _Mapping]] = ..., case_id: _Optional[str] = ..., status: _Optional[_Union[CaseStatus, str]] = ..., category: _Optional[_Union[_common_pb2.Category, str]] = ..., incident_type: _Optional[str] = ..., severity: _Optional[_Union[_common_pb2.Severity, str]] = ..., response_level: _Optional[_Union[_common_pb2.ResponseLevel, str]] = ..., location: _Optional[_Union[_common_pb2.Location, _Mapping]] = ..., priority: _Optional[int] = ..., supervising_level: _Optional[_Union[_common_pb2.JurisdictionLevel, str]] = ..., reports: _Optional[_Iterable[_Union[ReportRef, _Mapping]]] = ..., tasks: _Optional[_Iterable[_Union[TaskSummary, _Mapping]]] = ..., last_sequence: _Optional[int] = ..., last_hash: _Optional[bytes] = ..., opened_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., merged_into: _Optional[str] = ...) -> None: ...

class ChainHead(_message.Message):
    __slots__ = ("case_id", "sequence", "hash")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    HASH_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    sequence: int
    hash: bytes
    def __init__(self, case_id: _Optional[str] = ..., sequence: _Optional[int] = ..., hash: _Optional[bytes] = ...) -> None: ...

class CaseCheckpoint(_message.Message):
    __slots__ = ("envelope", "partition", "number", "at_ms", "input_offset", "cases", "root", "previous", "changed", "key_id", "signature")
    ENVELOPE_FIELD_NUMBER: _ClassVar[int]
    PARTITION_FIELD_NUMBER: _ClassVar[int]
    NUMBER_FIELD_NUMBER: _ClassVar[int]
    AT_MS_FIELD_NUMBER: _ClassVar[int]
    INPUT_OFFSET_FIELD_NUMBER: _ClassVar[int]
    CASES_FIELD_NUMBER: _ClassVar[int]
    ROOT_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_FIELD_NUMBER: _ClassVar[int]
    CHANGED_FIELD_NUMBER: _ClassVar[int]
    KEY_ID_FIELD_NUMBER: _ClassVar[int]
    SIGNATURE_FIELD_NUMBER: _ClassVar[int]
    envelope: _common_pb2.Envelope
    partition: int
    number: int
    at_ms: int
    input_offset: int
    cases: int
    root: bytes
    previous: bytes
    changed: _containers.RepeatedCompositeFieldContainer[ChainHead]
    key_id: str
    signature: bytes
    def __init__(self, envelope: _Optional[_Union[_common_pb2.Envelope, _Mapping]] = ..., partition: _Optional[int] = ..., number: _Optional[int] = ..., at_ms: _Optional[int] = ..., input_offset: _Optional[int] = ..., cases: _Optional[int] = ..., root: _Optional[bytes] = ..., previous: _Optional[bytes] = ..., changed: _Optional[_Iterable[_Union[ChainHead, _Mapping]]] = ..., key_id: _Optional[str] = ..., signature: _Optional[bytes] = ...) -> None: ...
