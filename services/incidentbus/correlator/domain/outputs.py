"""What the core asks the shell to do, as data: case events, tasks, alerts, snapshots, rejections."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from google.protobuf.message import Message

from incidentbus.correlator.domain import names
from incidentbus.correlator.domain.model import Case, Deadline, Place, Report
from incidentbus.kernel.envelope import new_envelope, timestamp_ms, wrap
from incidentbus.kernel.ids import stable_id
from incidentbus.v1 import bus_pb2, case_events_pb2, common_pb2

# "checkpoint" is the engine edge's (correlator/checkpointing.py), never the core's.
Kind = Literal["case_event", "dispatch", "alert", "snapshot", "reject", "checkpoint"]


@dataclass(frozen=True)
class Output:
    """One effect. `agency` names the dispatch topic; `reason` explains a rejected input."""

    kind: Kind
    key: str
    message: Message | None = None
    agency: str = ""
    reason: str = ""
    detail: str = ""


def envelope(
    body: Message, *, ref: str, case_id: str, at_ms: int, cause: str, eid: str, status: str = "ACTUAL"
) -> common_pb2.Envelope:
    """Every output's envelope; `status` is its case's (a drill's outputs stay a drill's)."""
    return new_envelope(
        event_type=body.DESCRIPTOR.full_name,
        source="correlator",
        source_ref=ref,
        recorded_at=timestamp_ms(at_ms),
        correlation_id=case_id,
        causation_id=cause,
        subject=case_id,
        id_override=eid,
        status=names.event_status_of(status),
    )


def deadline_pb(d: Deadline) -> common_pb2.Deadline:
    return common_pb2.Deadline(
        kind=names.deadline_of(d.kind),
        task_id=d.task_id,
        due_at=timestamp_ms(d.due_ms),
        set_at=timestamp_ms(d.set_ms),
    )


def location_pb(p: Place) -> common_pb2.Location:
    path = common_pb2.JurisdictionPath(
        city=p.path[0], district=p.path[1], street=p.path[2], community=p.path[3], grid=p.path[4]
    )
    location = common_pb2.Location(grid_code=p.grid, jurisdiction=path, address=p.address)
    if p.lat is not None and p.lon is not None:
        location.point.CopyFrom(common_pb2.GeoPoint(latitude=p.lat, longitude=p.lon))
    return location


def report_ref(r: Report) -> case_events_pb2.ReportRef:
    return case_events_pb2.ReportRef(
        event_id=r.event_id,
        source_agency=r.source_agency,
        source_ref=r.source_ref,
        topic=r.topic,
        partition=r.partition,
        offset=r.offset,
        revision=r.revision,
    )


def dispatch(
    case: Case, task_id: str, agency: str, role: str, deadlines: list[Deadline], *, at_ms: int, cause: str
) -> Output:
    body = bus_pb2.DispatchTask(
        task_id=task_id,
        case_id=case.case_id,
        agency=agency,
        role=names.role_of(role),
        category=names.category_of(case.category),
        incident_type=case.incident_type,
        severity=names.severity_of(case.severity),
        response_level=names.level_of(case.level),
        location=location_pb(case.place),
        priority=case.priority,
        deadlines=[deadline_pb(d) for d in deadlines],
        reports=[report_ref(r) for r in case.reports],
        description=f"{case.incident_type} at {case.place.grid} ({len(case.reports)} report(s))",
    )
    env = envelope(
        body,
        ref=task_id,
        case_id=case.case_id,
        at_ms=at_ms,
        cause=cause,
        eid=stable_id("dispatch", task_id),
        status=case.event_status,
    )
    env.subject = task_id
    return Output("dispatch", case.case_id, wrap(bus_pb2.TaskCommand, body, env), agency=agency)


def request_verification(
    case: Case,
    verification_id: str,
    agency: str,
    due: Deadline,
    *,
    at_ms: int,
    cause: str,
    report_refs: tuple[str, ...] = (),
) -> Output:
    body = bus_pb2.RequestVerification(
        verification_id=verification_id,
        case_id=case.case_id,
        location=location_pb(case.place),
        due_at=timestamp_ms(due.due_ms),
        summary=f"{case.incident_type} resolved; please confirm with the reporter",
        report_refs=report_refs,
    )
    env = envelope(
        body,
        ref=verification_id,
        case_id=case.case_id,
        at_ms=at_ms,
        cause=cause,
        eid=stable_id("verify", verification_id),
        status=case.event_status,
    )
    return Output("dispatch", case.case_id, wrap(bus_pb2.TaskCommand, body, env), agency=agency)


def alert(
    case: Case, kind: int, notify: list[str], *, level: str, message: str, at_ms: int, cause: str
) -> Output:
    alert_id = stable_id("alert", case.case_id, case.sequence, kind)
    body = bus_pb2.AlertRaised(
        alert_id=alert_id,
        case_id=case.case_id,
        kind=kind,  # type: ignore[arg-type]
        severity=names.severity_of(case.severity),
        response_level=names.level_of(case.level),
        notify_agencies=sorted(set(notify)),
        target_level=names.jurisdiction_of(level),
        target_jurisdiction=case.place.code_at(level),
        message=message,
        priority=case.priority,
    )
    body.envelope.CopyFrom(
        envelope(
            body,
            ref=alert_id,
            case_id=case.case_id,
            at_ms=at_ms,
            cause=cause,
            eid=alert_id,
            status=case.event_status,
        )
    )
    return Output("alert", case.case_id, body)


def snapshot(case: Case, *, cause: str) -> Output:
    status = "CLOSED" if case.status == "CLOSED" else case.status
    body = case_events_pb2.CaseSnapshot(
        case_id=case.case_id,
        status=names.status_of(status),
        category=names.category_of(case.category),
        incident_type=case.incident_type,
        severity=names.severity_of(case.severity),
        response_level=names.level_of(case.level),
        location=location_pb(case.place),
        priority=case.priority,
        supervising_level=names.jurisdiction_of(case.supervising),
        reports=[report_ref(r) for r in case.reports],
        tasks=[
            case_events_pb2.TaskSummary(
                task_id=t.task_id,
                agency=t.agency,
                role=names.role_of(t.role),
                status=names.task_status_of(t.status),
                deadlines=[deadline_pb(d) for d in case.deadlines if d.task_id == t.task_id],
            )
            for t in case.tasks
        ],
        last_sequence=case.sequence,
        last_hash=case.last_hash,
        opened_at=timestamp_ms(case.opened_ms),
        updated_at=timestamp_ms(case.updated_ms),
        merged_into=case.merged_into,
    )
    eid = stable_id("snapshot", case.case_id, case.sequence)
    body.envelope.CopyFrom(
        envelope(
            body,
            ref=f"{case.case_id}@{case.sequence}",
            case_id=case.case_id,
            at_ms=case.updated_ms,
            cause=cause,
            eid=eid,
            status=case.event_status,
        )
    )
    return Output("snapshot", case.case_id, body)
