"""Police CAD (110): incident records with type codes, priorities and units."""

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


class Caller(Native):
    name: str = ""
    phone: str = ""
    id_no: str = ""


class Place(Native):
    grid: str | None = None
    address: str = ""
    lat: float | None = None
    lon: float | None = None


class Incident(Native):
    """A CAD incident record (new, or a corrected revision)."""

    msg_type: Literal["incident"]
    incident_no: Annotated[str, Field(min_length=1, max_length=64)]
    revision: Revision = 0
    type_code: str
    priority: str
    reported_at: ProtoTime
    location: Place
    narrative: Annotated[str, Field(max_length=4000)] = ""
    caller: Caller | None = None
    injured: Count = 0
    case_ref: str = ""
    mode: str | None = None  # LIVE, DRILL, TEST (table event_status); absent = live


class Status(Native):
    """A CAD status change on a task the bus gave the police."""

    msg_type: Literal["status"]
    incident_no: str = ""
    task_id: Annotated[str, Field(min_length=1)]
    case_id: Annotated[str, Field(min_length=1)]
    status_seq: Revision
    status_code: str
    at: ProtoTime
    unit: str = ""
    officer: str = ""
    remark: Annotated[str, Field(max_length=4000)] = ""
    reject_code: str = ""
    clear_code: str = ""
    assist_agency: str = ""  # the CAD's name for the other agency (table agencies)
    mode: str | None = None


PoliceMessage = Annotated[Incident | Status, Field(discriminator="msg_type")]


class PoliceAdapter(AgencyAdapter):
    name = "police"
    message_type = PoliceMessage
    task_fields = TaskFields(kind="msg_type", task="task_id", case="case_id", cancel="cancel")
    status_field = "mode"

    def to_canonical(self, message: Native) -> Mapped:
        if isinstance(message, Incident):
            return self._incident(message)
        assert isinstance(message, Status)
        return self._status(message)

    def _incident(self, m: Incident) -> Mapped:
        kind = self.codes.incident_type(m.type_code)
        severity = severity_value(self.codes.lookup("priority", m.priority))
        caller = m.caller or Caller()
        report = agency_events_pb2.IncidentReported(
            category=kind.category,
            incident_type=kind.name,
            severity=severity,
            location=location(
                m.location.grid, address=m.location.address, lat=m.location.lat, lon=m.location.lon
            ),
            description=m.narrative,
            casualties=m.injured,
            case_ref=m.case_ref,
            reporter=agency_events_pb2.Reporter(
                name=caller.name, phone=caller.phone, id_number=caller.id_no, role="caller"
            ),
            native_codes={"police.type_code": m.type_code, "police.priority": m.priority},
        )
        return Mapped(report, source_ref=m.incident_no, revision=m.revision, occurred_at=m.reported_at)

    def _status(self, m: Status) -> Mapped:
        reply = self.codes.reply(
            m.status_code,
            m.task_id,
            m.case_id,
            decline_code=m.reject_code,
            disposition_code=m.clear_code,
            actor=m.officer or m.unit,
            unit=m.unit,
            note=m.remark,
            requested=("assist_agency", m.assist_agency),
        )
        return reply_mapped(reply, f"{m.incident_no or m.task_id}/status/{m.status_seq}", m.at)

    def render_dispatch(self, task: bus_pb2.DispatchTask) -> dict[str, Any]:
        place: dict[str, Any] = {"grid": task.location.grid_code, "address": task.location.address}
        if task.location.HasField("point"):  # the CAD's own place: lat/lon, absent when unknown
            place |= {"lat": task.location.point.latitude, "lon": task.location.point.longitude}
        return {
            "msg_type": "assignment",
            "task_id": task.task_id,
            "case_id": task.case_id,
            "type_code": self.native_code("incident_types", task.incident_type),
            "bus_incident_type": task.incident_type,
            "priority": self.severity_code("priority", task),
            "role": role_name(task),
            "location": place,
            "narrative": task.description,
            "deadlines": deadlines_of(task),
        }
