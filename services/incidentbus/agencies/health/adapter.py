"""Health (120 ambulance dispatch): calls with chief-complaint codes and triage levels, task updates.

The dispatch system counts patients, not casualties, grades calls by triage level (1 is the
most urgent) instead of a priority code, and keeps the caller's name and phone on the call.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from incidentbus.agencies.base import (
    AgencyAdapter,
    Mapped,
    Native,
    TaskFields,
    deadlines_of,
    location,
    reply_mapped,
    role_name,
)
from incidentbus.agencies.bounds import Count, ProtoTime, Revision
from incidentbus.agencies.taxonomy import severity_value
from incidentbus.v1 import agency_events_pb2, bus_pb2


class Coordinates(Native):
    """The dispatcher's map pin; both parts or none (a half point is a validation error)."""

    lat: float
    lng: float


class Call(Native):
    """A 120 call record (new, or a corrected version)."""

    record_type: Literal["CALL"]
    call_id: Annotated[str, Field(min_length=1, max_length=64)]
    version: Revision = 0
    chief_complaint_code: str
    # The table decides which levels exist; the model only refuses what is never a level.
    triage_level: Annotated[Count, Field(ge=1)]
    patient_count: Count = 0
    call_time: ProtoTime
    address: Annotated[str, Field(max_length=500)] = ""
    grid_code: str | None = None
    coordinates: Coordinates | None = None
    caller_name: str = ""
    caller_phone: str = ""
    notes: Annotated[str, Field(max_length=4000)] = ""
    case_ref: str = ""
    call_mode: str | None = None  # REAL, EXERCISE, SYSTEM_TEST (table event_status); absent = real


class TaskUpdate(Native):
    """A crew or dispatcher update on a task the bus gave the ambulance service."""

    record_type: Literal["TASK_UPDATE"]
    call_id: str = ""
    dispatch_id: Annotated[str, Field(min_length=1)]
    case_id: Annotated[str, Field(min_length=1)]
    update_no: Revision
    status: str
    update_time: ProtoTime
    ambulance_id: str = ""
    crew_lead: str = ""
    comment: Annotated[str, Field(max_length=4000)] = ""
    refusal_code: str = ""
    outcome_code: str = ""
    support_agency: str = ""  # the dispatcher's name for the other agency (table agencies)
    call_mode: str | None = None


HealthMessage = Annotated[Call | TaskUpdate, Field(discriminator="record_type")]


class HealthAdapter(AgencyAdapter):
    name = "health"

    message_type = HealthMessage
    task_fields = TaskFields(kind="record_type", task="dispatch_id", case="case_id", cancel="STAND_DOWN")
    status_field = "call_mode"

    def to_canonical(self, message: Native) -> Mapped:
        if isinstance(message, Call):
            return self._call(message)
        assert isinstance(message, TaskUpdate)
        return self._update(message)

    def _call(self, m: Call) -> Mapped:
        kind = self.codes.incident_type(m.chief_complaint_code)
        triage = str(m.triage_level)  # code tables are keyed by text
        point = m.coordinates
        report = agency_events_pb2.IncidentReported(
            category=kind.category,
            incident_type=kind.name,
            severity=severity_value(self.codes.lookup("triage", triage)),
            location=location(
                m.grid_code,
                address=m.address,
                lat=point.lat if point else None,
                lon=point.lng if point else None,
            ),
            description=m.notes,
            patient_count=m.patient_count,
            case_ref=m.case_ref,
            reporter=agency_events_pb2.Reporter(name=m.caller_name, phone=m.caller_phone, role="caller"),
            native_codes={"health.chief_complaint": m.chief_complaint_code, "health.triage": triage},
        )
        return Mapped(report, source_ref=m.call_id, revision=m.version, occurred_at=m.call_time)

    def _update(self, m: TaskUpdate) -> Mapped:
        reply = self.codes.reply(
            m.status,
            m.dispatch_id,
            m.case_id,
            decline_code=m.refusal_code,
            disposition_code=m.outcome_code,
            actor=m.crew_lead or m.ambulance_id,
            unit=m.ambulance_id,
            note=m.comment,
            requested=("support_agency", m.support_agency),
        )
        return reply_mapped(reply, f"{m.call_id or m.dispatch_id}/update/{m.update_no}", m.update_time)

    def render_dispatch(self, task: bus_pb2.DispatchTask) -> dict[str, Any]:
        triage = self.severity_code("triage", task)
        point = task.location.point if task.location.HasField("point") else None
        return {
            "record_type": "DISPATCH",
            "dispatch_id": task.task_id,
            "case_id": task.case_id,
            "chief_complaint_code": self.native_code("incident_types", task.incident_type),
            "bus_incident_type": task.incident_type,
            "triage_level": int(triage) if triage is not None else None,
            "role": role_name(task),
            "grid_code": task.location.grid_code,
            "address": task.location.address,
            "coordinates": {"lat": point.latitude, "lng": point.longitude} if point else None,
            "notes": task.description,
            "deadlines": deadlines_of(task),
        }
