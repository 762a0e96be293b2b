"""A service request as its case stands: the Open311 fields read from the citizen's own report
and from the case holding it (ops/readmodel.py), following merges, reopening and closure.

Pure: `RequestBook` folds the citizen agency's canonical events (the requests as intake mapped
them, reporters sealed and never read here); `view` joins one request to the read model.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from incidentbus.ops.readmodel import ReadModel
from incidentbus.v1 import agency_events_pb2, case_events_pb2, common_pb2

CLOSED = {case_events_pb2.CASE_STATUS_CLOSED}
RESOLVE = common_pb2.DEADLINE_KIND_RESOLVE
ACTIVE_TASK = {
    case_events_pb2.TASK_STATUS_ASSIGNED,
    case_events_pb2.TASK_STATUS_ACKNOWLEDGED,
    case_events_pb2.TASK_STATUS_UNIT_DISPATCHED,
    case_events_pb2.TASK_STATUS_ON_SCENE,
}
LEAD = case_events_pb2.TASK_ROLE_LEAD


@dataclass(frozen=True)
class Request:
    """What a citizen asked, as intake mapped it (no personal field)."""

    service_request_id: str
    service_code: str
    description: str
    address: str
    lat: float | None
    long: float | None
    requested_ms: int
    media_url: str
    status: int  # common_pb2.EventStatus
    client: str = ""  # the front end that posted it (its API key's client)


@dataclass
class RequestBook:
    """The requests the citizen agency published, by service_request_id (the latest revision)."""

    requests: dict[str, Request] = field(default_factory=dict)

    def fold(self, event: agency_events_pb2.AgencyEvent) -> None:
        if event.WhichOneof("body") != "incident_reported":
            return
        report, envelope = event.incident_reported, event.envelope
        when = envelope.occurred_at if envelope.HasField("occurred_at") else envelope.recorded_at
        point = report.location.point if report.location.HasField("point") else None
        self.requests[envelope.source_ref] = Request(
            service_request_id=envelope.source_ref,
            service_code=report.native_codes.get("open311.service_code", ""),
            description=report.description,
            address=report.location.address,
            lat=point.latitude if point else None,
            long=point.longitude if point else None,
            requested_ms=when.ToMilliseconds(),
            media_url=report.media_refs[0] if report.media_refs else "",
            status=envelope.status,
            client=report.native_codes.get("open311.client", ""),
        )


def w3c(ms: int) -> str:
    """Milliseconds since the epoch as the W3C datetime Open311 uses (UTC, `Z`, whole seconds)."""
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def view(request: Request, model: ReadModel, names: dict[str, str]) -> dict[str, Any]:
    """The GeoReport v2 request: status `open`/`closed`, notes, agency and times from its case.

    `names` maps service codes to service names. A request no case holds yet (the correlator has
    not read it) is open and says so."""
    found, _ = model.case_of_report("citizen", request.service_request_id)
    case = model.snapshots.get(found["case_id"]) if found is not None else None
    shown: dict[str, Any] = {
        "service_request_id": request.service_request_id,
        "status": "open",
        "status_notes": "Received; being assessed.",
        "service_name": names.get(request.service_code, ""),
        "service_code": request.service_code,
        "description": request.description,
        "agency_responsible": "",
        "service_notice": "",
        "requested_datetime": w3c(request.requested_ms),
        "updated_datetime": w3c(request.requested_ms),
        "expected_datetime": None,
        "address": request.address,
        "address_id": "",
        "zipcode": "",
        "lat": request.lat,
        "long": request.long,
        "media_url": request.media_url,
    }
    if request.status != common_pb2.EVENT_STATUS_ACTUAL:
        label = common_pb2.EventStatus.Name(request.status).removeprefix("EVENT_STATUS_").lower()
        shown["service_notice"] = f"{label}: not a real request"
    if case is None:
        return shown
    return shown | _from_case(case, model, request)


def _from_case(case: case_events_pb2.CaseSnapshot, model: ReadModel, request: Request) -> dict[str, Any]:
    lead = _lead(case)
    due = _expected(case, lead)
    closed = case.status in CLOSED
    return {
        "status": "closed" if closed else "open",
        "status_notes": notes(case, model, request, lead),
        "agency_responsible": lead.agency if lead is not None else "",
        "updated_datetime": w3c(case.updated_at.ToMilliseconds()) if case.HasField("updated_at") else None,
        "expected_datetime": w3c(due) if due and not closed else None,
        "address_id": case.location.grid_code,
    }


def _lead(case: case_events_pb2.CaseSnapshot) -> case_events_pb2.TaskSummary | None:
    """The task answering for the case: its active lead, else its latest lead, else any task."""
    leads = [t for t in case.tasks if t.role == LEAD]
    active = [t for t in leads if t.status in ACTIVE_TASK]
    chosen = active or leads or list(case.tasks)
    return chosen[-1] if chosen else None


def _expected(case: case_events_pb2.CaseSnapshot, lead: case_events_pb2.TaskSummary | None) -> int:
    """When the case is due to be resolved (the lead task's resolve deadline), else its next
    pending deadline; 0 when none is pending."""
    deadlines = [d for t in case.tasks if t.status in ACTIVE_TASK for d in t.deadlines]
    resolve = [d for d in deadlines if d.kind == RESOLVE and lead is not None and d.task_id == lead.task_id]
    pending = resolve or deadlines
    return min((d.due_at.ToMilliseconds() for d in pending), default=0)


def notes(
    case: case_events_pb2.CaseSnapshot,
    model: ReadModel,
    request: Request,
    lead: case_events_pb2.TaskSummary | None,
) -> str:
    """One or two sentences a citizen can read: where the case stands, and how this request
    came into it (joined an earlier report, merged, reopened)."""
    history = [e.event.WhichOneof("body") for e in model.history.get(case.case_id, [])]
    agency = lead.agency if lead is not None else "the responsible agency"
    status = case_events_pb2.CaseStatus.Name(case.status).removeprefix("CASE_STATUS_")
    said = {
        "REPORTED": "Received; being assessed.",
        "DISPATCHED": f"Assigned to {agency}.",
        "ACKNOWLEDGED": f"{agency} has taken it on.",
        "ON_SCENE": f"{agency} is on site.",
        "RESOLVED": f"{agency} reports it resolved; "
        + (
            "please confirm whether it is fixed."
            if pending_confirmation(model, case.case_id, request.service_request_id)
            else "awaiting confirmation."
        ),
        "VERIFIED": "The resolution was confirmed.",
        "CLOSED": _closure(model, case.case_id),
    }.get(status, "Received.")
    extra = []
    first = next((r for r in case.reports), None)
    if first is not None and (first.source_agency, first.source_ref) != (
        "citizen",
        request.service_request_id,
    ):
        extra.append("Joined a case already reported.")
    if "case_reopened" in history and case.status not in CLOSED:
        extra.append("Reopened after a resolution was disputed or reported again.")
    return " ".join([said, *extra])


def pending_confirmation(model: ReadModel, case_id: str, request_id: str) -> str:
    """The id of the verification (回访) the case is waiting for from this request's citizen, or
    "" when none: the case's latest request, addressed to the citizen and naming this request,
    with no answer, reopening or closure after it."""
    pending = ""
    for stored in model.history.get(case_id, []):
        kind = stored.event.WhichOneof("body")
        if kind == "verification_requested":
            asked = stored.event.verification_requested
            named = asked.agency == "citizen" and request_id in asked.report_refs
            pending = asked.verification_id if named else ""
        elif kind in ("case_verified", "case_reopened", "case_closed"):
            pending = ""
    return pending


def _closure(model: ReadModel, case_id: str) -> str:
    closed = [e.event.case_closed for e in model.history.get(case_id, []) if e.event.HasField("case_closed")]
    if closed and closed[-1].reason == case_events_pb2.CLOSURE_REASON_POLICY:
        return f"Closed under policy {closed[-1].policy}." if closed[-1].policy else "Closed by policy."
    if closed and closed[-1].reason == case_events_pb2.CLOSURE_REASON_VERIFIED:
        return "Closed: the resolution was confirmed."
    return "Closed."
