"""Urban management: work orders with numeric category codes and photos, and their progress steps.

A work order says what and where (category code, grid, photos) and only sometimes how urgent:
without an urgency code the incident type's default severity from the shared taxonomy applies.
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
from incidentbus.agencies.bounds import ProtoTime, Revision
from incidentbus.agencies.taxonomy import severity_value
from incidentbus.v1 import agency_events_pb2, bus_pb2

PhotoRef = Annotated[str, Field(min_length=1, max_length=500)]


class Citizen(Native):
    """Who complained, when the order came from a citizen (hotline, app)."""

    name: str = ""
    mobile: str = ""


class NewOrder(Native):
    """A new work order (or a later revision of it)."""

    wo_type: Literal["NEW"]
    work_order_id: Annotated[str, Field(min_length=1, max_length=64)]
    rev: Revision = 0
    category_code: str
    urgency: str | None = None
    channel: str = ""
    grid: str | None = None
    address: Annotated[str, Field(max_length=500)] = ""
    longitude: float | None = None
    latitude: float | None = None
    photos: list[PhotoRef] = Field(default_factory=list, max_length=20)
    description: Annotated[str, Field(max_length=4000)] = ""
    citizen: Citizen | None = None
    created: ProtoTime
    wo_nature: str | None = None  # ZS 正式, YL 演练, CS 测试 (table event_status); absent = ZS


class Progress(Native):
    """A step of the urban office's handling of a task the bus assigned it."""

    wo_type: Literal["PROGRESS"]
    work_order_id: str = ""
    assign_no: Annotated[str, Field(min_length=1)]
    case_no: Annotated[str, Field(min_length=1)]
    step_seq: Revision
    step_code: str
    step_time: ProtoTime
    handler: str = ""
    team: str = ""
    opinion: Annotated[str, Field(max_length=4000)] = ""
    return_reason: str = ""
    finish_result: str = ""
    transfer_to: str = ""  # the office's name for the other agency (table agencies)
    wo_nature: str | None = None


UrbanMessage = Annotated[NewOrder | Progress, Field(discriminator="wo_type")]


class UrbanAdapter(AgencyAdapter):
    name = "urban"

    message_type = UrbanMessage
    task_fields = TaskFields(kind="wo_type", task="assign_no", case="case_no", cancel="REVOKE")
    status_field = "wo_nature"

    def to_canonical(self, message: Native) -> Mapped:
        if isinstance(message, NewOrder):
            return self._order(message)
        assert isinstance(message, Progress)
        return self._progress(message)

    def _order(self, m: NewOrder) -> Mapped:
        kind = self.codes.incident_type(m.category_code)
        severity = kind.severity
        native = {"urban.category_code": m.category_code}
        if m.urgency is not None:  # present but unknown is refused, like any code
            severity = severity_value(self.codes.lookup("severity", m.urgency))
            native["urban.urgency"] = m.urgency
        if m.channel:
            native["urban.channel"] = m.channel
        report = agency_events_pb2.IncidentReported(
            category=kind.category,
            incident_type=kind.name,
            severity=severity,
            location=location(m.grid, address=m.address, lat=m.latitude, lon=m.longitude),
            description=m.description,
            media_refs=m.photos,
            native_codes=native,
        )
        if m.citizen is not None:  # orders from patrols and cameras have no reporter
            report.reporter.CopyFrom(
                agency_events_pb2.Reporter(name=m.citizen.name, phone=m.citizen.mobile, role="citizen")
            )
        return Mapped(report, source_ref=m.work_order_id, revision=m.rev, occurred_at=m.created)

    def _progress(self, m: Progress) -> Mapped:
        reply = self.codes.reply(
            m.step_code,
            m.assign_no,
            m.case_no,
            decline_code=m.return_reason,
            disposition_code=m.finish_result,
            actor=m.handler or m.team,
            unit=m.team,
            note=m.opinion,
            requested=("transfer_to", m.transfer_to),
            suggested=("transfer_to", m.transfer_to),
        )
        return reply_mapped(reply, f"{m.work_order_id or m.assign_no}/progress/{m.step_seq}", m.step_time)

    def render_dispatch(self, task: bus_pb2.DispatchTask) -> dict[str, Any]:
        point = task.location.point if task.location.HasField("point") else None
        return {
            "wo_type": "ASSIGN",
            "assign_no": task.task_id,
            "case_no": task.case_id,
            "category_code": self.native_code("incident_types", task.incident_type),
            "bus_incident_type": task.incident_type,
            "urgency": self.severity_code("severity", task),
            "role": role_name(task),
            "grid": task.location.grid_code,
            "address": task.location.address,
            "longitude": point.longitude if point else None,
            "latitude": point.latitude if point else None,
            "description": task.description,
            "deadlines": deadlines_of(task),
        }
