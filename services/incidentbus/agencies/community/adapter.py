"""Community (grid workers): patrol reports, task replies, and answers to verification requests.

The grid worker is the only agency that closes the loop (回访): the bus asks the worker of the
case's grid to confirm a resolution, and the answer becomes ResolutionVerified or
ResolutionDisputed. Patrol reports carry a warning colour instead of a priority; without one
the incident type's default severity from the shared taxonomy applies.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from google.protobuf.message import Message
from pydantic import Field

from incidentbus.agencies.base import (
    AgencyAdapter,
    Mapped,
    Native,
    Outcome,
    TaskFields,
    deadlines_of,
    iso,
    location,
    reply_mapped,
    role_name,
)
from incidentbus.agencies.bounds import Count, ProtoTime, Revision, Satisfaction
from incidentbus.agencies.taxonomy import severity_value
from incidentbus.v1 import agency_events_pb2, bus_pb2, common_pb2

Ref = Annotated[str, Field(min_length=1, max_length=64)]
Text = Annotated[str, Field(max_length=4000)]


class Patrol(Native):
    """A grid worker's patrol finding (or an edited version of it)."""

    report_kind: Literal["patrol"]
    report_id: Ref
    edit_no: Revision = 0
    grid_code: str | None = None
    event_type: str
    colour: str | None = None
    household: Annotated[str, Field(max_length=500)] = ""
    lat: float | None = None
    lng: float | None = None
    worker_id: Ref
    worker_name: str = ""
    observed_at: ProtoTime
    text: Text = ""
    attachments: list[Annotated[str, Field(min_length=1, max_length=500)]] = Field(
        default_factory=list, max_length=20
    )
    injured: Count = 0
    case_ref: str = ""
    scenario: str | None = None  # real, drill, test (table event_status); absent = real


class Reply(Native):
    """A grid worker's reply on a task the bus gave the community office."""

    report_kind: Literal["task_reply"]
    report_id: str = ""
    task_id: Ref
    case_id: Ref
    reply_seq: Revision
    action: str
    replied_at: ProtoTime
    worker_id: str = ""
    worker_name: str = ""
    text: Text = ""
    decline_code: str = ""
    result_code: str = ""
    help_agency: str = ""  # the app's name for the other agency (table agencies)
    scenario: str | None = None


class Verification(Native):
    """The grid worker's answer to a verification request (回访)."""

    report_kind: Literal["verification"]
    verification_id: Ref
    case_id: Ref
    edit_no: Revision = 0
    result: str
    score: Annotated[Satisfaction, Field(ge=0, le=5)] = 0  # 1..5, 0 when the resident was not asked
    comment: Text = ""
    worker_id: Ref
    answered_at: ProtoTime
    scenario: str | None = None


CommunityMessage = Annotated[Patrol | Reply | Verification, Field(discriminator="report_kind")]


class CommunityAdapter(AgencyAdapter):
    name = "community"

    message_type = CommunityMessage
    task_fields = TaskFields(kind="push_kind", task="task_id", case="case_id", cancel="withdraw")
    status_field = "scenario"

    def to_canonical(self, message: Native) -> Mapped:
        if isinstance(message, Patrol):
            return self._patrol(message)
        if isinstance(message, Reply):
            return self._reply(message)
        assert isinstance(message, Verification)
        return self._verification(message)

    def _patrol(self, m: Patrol) -> Mapped:
        kind = self.codes.incident_type(m.event_type)
        severity = kind.severity
        native = {"community.event_type": m.event_type}
        if m.colour is not None:  # present but unknown is refused, like any code
            severity = severity_value(self.codes.lookup("severity", m.colour))
            native["community.colour"] = m.colour
        report = agency_events_pb2.IncidentReported(
            category=kind.category,
            incident_type=kind.name,
            severity=severity,
            location=location(m.grid_code, address=m.household, lat=m.lat, lon=m.lng),
            description=m.text,
            casualties=m.injured,
            media_refs=m.attachments,
            case_ref=m.case_ref,
            reporter=agency_events_pb2.Reporter(name=m.worker_name, role="grid_worker"),
            native_codes=native,
        )
        return Mapped(report, source_ref=m.report_id, revision=m.edit_no, occurred_at=m.observed_at)

    def _reply(self, m: Reply) -> Mapped:
        reply = self.codes.reply(
            m.action,
            m.task_id,
            m.case_id,
            decline_code=m.decline_code,
            disposition_code=m.result_code,
            actor=m.worker_name or m.worker_id,
            unit=m.worker_id,
            note=m.text,
            requested=("help_agency", m.help_agency),
            suggested=("help_agency", m.help_agency),
        )
        return reply_mapped(reply, f"{m.report_id or m.task_id}/reply/{m.reply_seq}", m.replied_at)

    def _verification(self, m: Verification) -> Mapped:
        """Verified closes the loop; disputed reopens the case, with the worker's comment as reason."""
        body: Message
        if Outcome(self.codes.lookup("verification", m.result)) is Outcome.VERIFIED:
            body = agency_events_pb2.ResolutionVerified(
                case_id=m.case_id,
                verification_id=m.verification_id,
                verified_by=m.worker_id,
                comment=m.comment,
                satisfaction=m.score,
            )
        else:
            body = agency_events_pb2.ResolutionDisputed(
                case_id=m.case_id,
                verification_id=m.verification_id,
                disputed_by=m.worker_id,
                reason=m.comment,
            )
        return Mapped(
            body,
            source_ref=m.verification_id,
            revision=m.edit_no,
            occurred_at=m.answered_at,
            subject=m.verification_id,
            correlation_id=m.case_id,
        )

    def render_other(self, command: bus_pb2.TaskCommand, body: str) -> dict[str, Any]:
        if body != "request_verification":
            return super().render_other(command, body)
        return self._verification_request(command.request_verification)

    def render_dispatch(self, task: bus_pb2.DispatchTask) -> dict[str, Any]:
        return {
            "push_kind": "task",
            "task_id": task.task_id,
            "case_id": task.case_id,
            "event_type": self.native_code("incident_types", task.incident_type),
            "bus_incident_type": task.incident_type,
            "colour": self.severity_code("severity", task),
            "role": role_name(task),
            "grid_code": task.location.grid_code,
            "household": task.location.address,
            "text": task.description,
            "deadlines": deadlines_of(task),
        } | _point(task.location)

    def _verification_request(self, v: bus_pb2.RequestVerification) -> dict[str, Any]:
        """Ask the case's grid worker to revisit; the answer comes back as report_kind "verification"."""
        return {
            "push_kind": "verification_request",
            "verification_id": v.verification_id,
            "case_id": v.case_id,
            "grid": v.location.grid_code,
            "address": v.location.address,
            "summary": v.summary,
            "due": iso(v.due_at) if v.HasField("due_at") else None,
        } | _point(v.location)


def _point(where: common_pb2.Location) -> dict[str, float]:
    """The app's map pin (lat/lng, as on a patrol report), absent when the bus has no point."""
    if not where.HasField("point"):
        return {}
    return {"lat": where.point.latitude, "lng": where.point.longitude}
