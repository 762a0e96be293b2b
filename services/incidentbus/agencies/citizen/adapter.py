"""Citizens: service requests from the 12345 hotline and Open311 GeoReport v2 front ends.

The Open311 gateway (gateways/open311) checks a POSTed request, gives it its
`service_request_id` and writes it to this agency's inbox in the shape below; this adapter maps
it like any agency's record. Service codes come from codes.toml `[services]` (the file the
operator edits, and the source of `GET /services.json`); a code that is not there is refused.
Contact fields (name, phone, email) are personal: intake seals them like every reporter field,
and the report says only whether a contact was left (`Reporter.contactable`), which is what
makes the citizen the one asked to confirm the resolution (回访).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal

from google.protobuf.message import Message
from pydantic import Field

from incidentbus.agencies.base import (
    AgencyAdapter,
    Mapped,
    MappingError,
    Native,
    Outcome,
    TaskFields,
    iso,
    location,
)
from incidentbus.agencies.bounds import ProtoTime, Revision, Satisfaction
from incidentbus.agencies.taxonomy import IncidentType, incident_types
from incidentbus.v1 import agency_events_pb2, bus_pb2

Ref = Annotated[str, Field(min_length=1, max_length=64)]
Short = Annotated[str, Field(max_length=200)]
Text = Annotated[str, Field(max_length=4000)]


class ServiceRequest(Native):
    """An Open311 service request as the gateway accepted it (GeoReport v2 `POST /requests` fields)."""

    msg_type: Literal["service_request"]
    service_request_id: Ref
    service_code: Ref
    requested_datetime: ProtoTime
    lat: float | None = None
    long: float | None = None
    address_string: Annotated[str, Field(max_length=500)] = ""
    address_id: Annotated[str, Field(max_length=64)] = ""  # a grid code: the bus's address register
    description: Text = ""
    media_url: Annotated[str, Field(max_length=500)] = ""
    email: Short = ""
    phone: Annotated[str, Field(max_length=40)] = ""
    first_name: Short = ""
    last_name: Short = ""
    device_id: Short = ""
    account_id: Short = ""
    client: Short = ""  # the front end, as its API key names it
    event_status: str | None = None  # actual, exercise, test (table event_status); absent = actual


class Verification(Native):
    """A citizen's answer to a verification request (回访), relayed by the hotline or front end."""

    msg_type: Literal["verification"]
    verification_id: Ref
    case_id: Ref
    service_request_id: Ref
    edit_no: Revision = 0
    result: str
    score: Annotated[Satisfaction, Field(ge=0, le=5)] = 0  # 1..5, 0 when not asked
    comment: Text = ""
    answered_at: ProtoTime
    event_status: str | None = None


CitizenMessage = Annotated[ServiceRequest | Verification, Field(discriminator="msg_type")]


@dataclass(frozen=True)
class Service:
    """One Open311 service: a request type a front end offers, mapped to a canonical type."""

    code: str
    kind: IncidentType
    name: str
    description: str = ""
    group: str = ""
    keywords: tuple[str, ...] = ()


class CitizenAdapter(AgencyAdapter):
    name = "citizen"
    message_type = CitizenMessage
    task_fields = TaskFields(kind="push_kind", task="verification_id", case="case_id", cancel="withdraw")
    status_field = "event_status"

    def services(self) -> list[Service]:
        """Every service of codes.toml `[services]`, in file order; ValueError naming the service
        whose type is not in the shared table or whose fields are not text."""
        known = incident_types()
        found = []
        for code, row in self.codes.tables.get("services", {}).items():
            if (
                not isinstance(row, dict)
                or row.get("type") not in known
                or not isinstance(row.get("name"), str)
            ):
                raise ValueError(f"citizen codes.toml: service {code!r} needs a known `type` and a `name`")
            keywords = row.get("keywords", [])
            found.append(
                Service(
                    code,
                    known[row["type"]],
                    row["name"],
                    str(row.get("description", "")),
                    str(row.get("group", "")),
                    tuple(str(k) for k in keywords),
                )
            )
        return found

    def service(self, code: str) -> Service:
        """The service of a code; MappingError `intake.unknown_code` when the table lacks it."""
        self.codes.lookup("services", code)
        return next(s for s in self.services() if s.code == code)

    def to_canonical(self, message: Native) -> Mapped:
        if isinstance(message, ServiceRequest):
            return self._request(message)
        assert isinstance(message, Verification)
        return self._verification(message)

    def _request(self, m: ServiceRequest) -> Mapped:
        service = self.service(m.service_code)
        grid = m.address_id or None
        if grid is None and m.lat is None and m.long is None:
            raise MappingError(
                "intake.missing_location",
                "no lat/long and no grid code in address_id: addresses are not geocoded here",
            )
        name = " ".join(part for part in (m.first_name, m.last_name) if part)
        report = agency_events_pb2.IncidentReported(
            category=service.kind.category,
            incident_type=service.kind.name,
            severity=service.kind.severity,
            location=location(grid, address=m.address_string, lat=m.lat, lon=m.long),
            description=m.description,
            media_refs=[m.media_url] if m.media_url else [],
            reporter=agency_events_pb2.Reporter(
                name=name,
                phone=m.phone,
                email=m.email,
                role="citizen",
                contactable=bool(m.phone or m.email),
            ),
            native_codes={"open311.service_code": m.service_code}
            | ({"open311.client": m.client} if m.client else {}),
        )
        return Mapped(report, source_ref=m.service_request_id, occurred_at=m.requested_datetime)

    def _verification(self, m: Verification) -> Mapped:
        """Confirmed closes the loop; not fixed reopens the case, with the citizen's comment."""
        body: Message
        who = f"citizen:{m.service_request_id}"
        if Outcome(self.codes.lookup("verification", m.result)) is Outcome.VERIFIED:
            body = agency_events_pb2.ResolutionVerified(
                case_id=m.case_id,
                verification_id=m.verification_id,
                verified_by=who,
                comment=m.comment,
                satisfaction=m.score,
            )
        else:
            body = agency_events_pb2.ResolutionDisputed(
                case_id=m.case_id, verification_id=m.verification_id, disputed_by=who, reason=m.comment
            )
        return Mapped(
            body,
            source_ref=f"{m.verification_id}/{m.service_request_id}",
            revision=m.edit_no,
            occurred_at=m.answered_at,
            subject=m.verification_id,
            correlation_id=m.case_id,
        )

    def render_dispatch(self, task: bus_pb2.DispatchTask) -> dict[str, Any]:
        """Citizens take no tasks: a rule that names them is refused here, never sent."""
        raise MappingError("dispatch.unsupported", "citizens take no tasks, only verification requests")

    def render_other(self, command: bus_pb2.TaskCommand, body: str) -> dict[str, Any]:
        if body != "request_verification":
            return super().render_other(command, body)
        v = command.request_verification
        return {
            "push_kind": "verification_request",
            "verification_id": v.verification_id,
            "case_id": v.case_id,
            "service_request_ids": list(v.report_refs),
            "summary": v.summary,
            "due": iso(v.due_at) if v.HasField("due_at") else None,
        }
