"""evolve(state, case_event) -> state: a case's state is the fold of its own events.

Every fact the state needs is inside the events, so an auditor or a replay can rebuild any
case from `case.events.v1` alone, without the rules or the inputs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from incidentbus.correlator.domain import names
from incidentbus.correlator.domain.area import AreaState
from incidentbus.correlator.domain.model import Case, Deadline, Place, Report, Task
from incidentbus.v1 import case_events_pb2, common_pb2

PROGRESS = ("REPORTED", "DISPATCHED", "ACKNOWLEDGED", "ON_SCENE")
CLEARS = {  # task status -> deadline kinds it satisfies
    "ACKNOWLEDGED": ("ACKNOWLEDGE",),
    "UNIT_DISPATCHED": ("ACKNOWLEDGE",),
    "ON_SCENE": ("ACKNOWLEDGE", "ARRIVE"),
    "COMPLETED": (),  # () = every deadline of the task
    "DECLINED": (),
    "CANCELLED": (),
}


def ms(ts: Any) -> int:
    """A Timestamp in epoch milliseconds (what `ToMilliseconds` returns, without its call)."""
    return int(ts.seconds * 1000 + ts.nanos // 1_000_000)


def place_of(location: common_pb2.Location) -> Place:
    j = location.jurisdiction
    point = location.point if location.HasField("point") else None
    if point is not None and point.latitude == 0 and point.longitude == 0:
        point = None  # Null Island: a device without a fix; intake drops it too, with a note
    return Place(
        location.grid_code,
        (j.city, j.district, j.street, j.community, j.grid or location.grid_code),
        point.latitude if point else None,
        point.longitude if point else None,
        location.address,
    )


def deadline_of(d: common_pb2.Deadline) -> Deadline:
    return Deadline(names.deadline_name(d.kind), d.task_id, ms(d.set_at), ms(d.due_at))


def _replace_deadlines(case: Case, new: list[Deadline]) -> Case:
    keys = {(d.kind, d.task_id) for d in new}
    kept = tuple(d for d in case.deadlines if (d.kind, d.task_id) not in keys)
    return case.revised(deadlines=(*kept, *new))


def derived_status(case: Case) -> str:
    """REPORTED -> DISPATCHED -> ACKNOWLEDGED -> ON_SCENE follows the tasks; later steps are explicit."""
    if case.status not in PROGRESS:
        return case.status
    active = case.active_tasks()
    if any(t.status == "ON_SCENE" for t in active):
        return "ON_SCENE"
    if any(t.status in ("ACKNOWLEDGED", "UNIT_DISPATCHED") for t in active):
        return "ACKNOWLEDGED"
    return "DISPATCHED" if active else "REPORTED"


def _opened(_: Case | None, b: case_events_pb2.CaseOpened, at: int, case_id: str) -> Case:
    place = place_of(b.location)
    return Case(
        case_id=case_id,
        area=place.path[1],
        status="REPORTED",
        category=names.category_name(b.category),
        incident_type=b.incident_type,
        severity=names.severity_name(b.severity),
        level=names.level_name(b.response_level),
        priority=b.priority,
        place=place,
        opened_ms=at,
        updated_ms=at,
        fast_path=b.fast_path,
    )


def _report(
    r: case_events_pb2.ReportRef,
    b: case_events_pb2.ReportLinked | case_events_pb2.ReportCorrected,
    reported_ms: int,
) -> Report:
    """A report as a link or a correction records it (both carry what correlation compares)."""
    return Report(
        r.event_id,
        r.source_agency,
        r.source_ref,
        r.topic,
        r.partition,
        r.offset,
        b.incident_type,
        names.category_name(b.category),
        names.severity_name(b.severity),
        place_of(b.location),
        b.casualties,
        reported_ms,
        r.revision,
        b.contactable,
    )


def _linked(case: Case, b: case_events_pb2.ReportLinked, at: int) -> Case:
    report = _report(b.report, b, ms(b.reported_at) or at)
    return case.revised(reports=(*case.reports, report))


def _corrected(case: Case, b: case_events_pb2.ReportCorrected, _: int) -> Case:
    """The report is replaced in place; a case's own facts follow its first report."""
    identity = (b.report.source_agency, b.report.source_ref)
    old = next((r for r in case.reports if r.identity == identity), None)
    if old is None:
        return case
    case = case.with_report(_report(b.report, b, old.reported_ms))
    first = case.reports[0]
    if first.identity == identity:
        case = case.revised(
            incident_type=first.incident_type,
            category=first.category,
            severity=first.severity,
            place=first.place,
        )
    return case


def _assigned(case: Case, b: case_events_pb2.TaskAssigned, at: int) -> Case:
    task = Task(b.task_id, b.agency, names.role_name(b.role), "ASSIGNED", at)
    case = case.with_task(task).revised(task_count=case.task_count + 1)
    return _replace_deadlines(case, [deadline_of(d) for d in b.deadlines])


def _task_changed(case: Case, b: case_events_pb2.TaskStatusChanged, _: int) -> Case:
    status = names.task_status_name(b.status)
    task = case.task(b.task_id) or Task(b.task_id, b.agency, "SUPPORT")
    case = case.with_task(replace(task, status=status)).without_deadlines(
        b.task_id, CLEARS.get(status, ("-",))
    )
    if status == "DECLINED" and b.agency not in case.declined:
        case = case.revised(declined=(*case.declined, b.agency))
    return case


def _escalated(case: Case, b: case_events_pb2.CaseEscalated, _: int) -> Case:
    case = case.revised(supervising=names.jurisdiction_name(b.to_level), priority=b.priority)
    return _replace_deadlines(case, [deadline_of(d) for d in b.rescheduled])


def _reminded(case: Case, b: case_events_pb2.ReminderIssued, _: int) -> Case:
    case = case.revised(reminders=b.reminder)
    return _replace_deadlines(case, [deadline_of(d) for d in b.rescheduled])


def _level(case: Case, b: case_events_pb2.ResponseLevelChanged, _: int) -> Case:
    return _replace_deadlines(
        case.revised(level=names.level_name(b.to_level)), [deadline_of(d) for d in b.retuned]
    )


def _verification(case: Case, b: case_events_pb2.VerificationRequested, _: int) -> Case:
    """A new verification supersedes one still pending (a reporter who did not answer)."""
    if case.verification_id:
        case = case.without_deadlines(case.verification_id)
    case = case.revised(
        verification_id=b.verification_id, verifier=b.agency, verifications=case.verifications + 1
    )
    return _replace_deadlines(case, [deadline_of(b.deadline)])


def _verified(case: Case, b: case_events_pb2.CaseVerified, _: int) -> Case:
    return case.revised(status="VERIFIED").without_deadlines(b.verification_id)


def _closed(case: Case, b: case_events_pb2.CaseClosed, _: int) -> Case:
    merged = b.reason == case_events_pb2.CLOSURE_REASON_MERGED
    closure = names.short(case_events_pb2.ClosureReason, b.reason, "CLOSURE_REASON_")
    return case.revised(
        status="MERGED" if merged else "CLOSED",
        deadlines=(),
        merged_into=b.merged_into,
        closure=closure,
    )


def _reopened(case: Case, _b: case_events_pb2.CaseReopened, __: int) -> Case:
    """Back to work: the pending verification is void; the status follows the tasks again."""
    case = case.without_deadlines(case.verification_id)
    return case.revised(status="DISPATCHED", verification_id="", verifier="", closure="")


def _split(case: Case, b: case_events_pb2.CaseSplit, _: int) -> Case:
    moved = {r.event_id for r in b.moved_reports}
    return case.revised(reports=tuple(r for r in case.reports if r.event_id not in moved))


EVOLVERS: dict[str, Callable[[Case, Any, int], Case]] = {
    "report_linked": _linked,
    "task_assigned": _assigned,
    "task_status_changed": _task_changed,
    "case_escalated": _escalated,
    "response_level_changed": _level,
    "case_resolved": lambda c, _b, _at: c.revised(status="RESOLVED"),
    "verification_requested": _verification,
    "case_verified": _verified,
    "case_closed": _closed,
    "case_reopened": _reopened,
    "cases_merged": lambda c, _b, _at: c,  # the moved reports arrive as their own ReportLinked events
    "case_split": _split,
    "report_corrected": _corrected,
    "reminder_issued": _reminded,
}


def evolve(area: AreaState, event: case_events_pb2.CaseEvent) -> AreaState:
    """The area after one case event (written in place, and returned): the case's sequence and
    hash move with it."""
    body_name = event.WhichOneof("body") or ""
    body, at = getattr(event, body_name), ms(event.envelope.recorded_at)
    current = area.cases.get(event.case_id)
    if body_name == "case_opened":
        case = _opened(current, body, at, event.case_id)
        status = names.event_status_name(event.envelope.status)
        case = case.revised(event_status=status, sequence=event.sequence, last_hash=event.hash)
    elif current is None:
        raise ValueError(f"{body_name} for unknown case {event.case_id}")
    else:
        case = EVOLVERS[body_name](current, body, at)
        case = case.revised(
            sequence=event.sequence,
            last_hash=event.hash,
            updated_ms=at,
            status=derived_status(case),  # follows the tasks, which the line above keeps
        )
    area.put_case(case)
    if body_name == "case_closed" and body.merged_into:
        area.put_alias(event.case_id, body.merged_into)
    return area
