"""Case snapshots and case events written by hand for the dashboard's tests (board.py, the read
model's alerts): each test states exactly the case it shows."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from incidentbus.kernel.envelope import timestamp_ms
from incidentbus.ops.dashboard import board
from incidentbus.ops.readmodel import ReadModel
from incidentbus.v1 import case_events_pb2 as ce
from incidentbus.v1 import common_pb2 as cm
from tests.unit.correlator.builders import GRID, MIN, T0, location

CASE = "C-310101-a"
DAY = 24 * 3600 * 1000
ACK, ARRIVE, RESOLVE = cm.DEADLINE_KIND_ACKNOWLEDGE, cm.DEADLINE_KIND_ARRIVE, cm.DEADLINE_KIND_RESOLVE
LEAD, SUPPORT = ce.TASK_ROLE_LEAD, ce.TASK_ROLE_SUPPORT
ASSIGNED, ACKED, DISPATCHED_T = (
    ce.TASK_STATUS_ASSIGNED,
    ce.TASK_STATUS_ACKNOWLEDGED,
    ce.TASK_STATUS_UNIT_DISPATCHED,
)
ON_SCENE_T, COMPLETED = ce.TASK_STATUS_ON_SCENE, ce.TASK_STATUS_COMPLETED
DECLINED, CANCELLED = ce.TASK_STATUS_DECLINED, ce.TASK_STATUS_CANCELLED
UNKNOWNS = {
    cm.CATEGORY_UNKNOWN_OBJECT,
    cm.CATEGORY_UNKNOWN_SPECIES,
    cm.CATEGORY_UNKNOWN_GAS,
    cm.CATEGORY_UNKNOWN_LIQUID,
    cm.CATEGORY_UNKNOWN_DISEASE,
    cm.CATEGORY_UNKNOWN_SIGN,
}

# (agency, role, status, [(deadline kind, due ms)])
TaskSpec = tuple[str, int, int, Sequence[tuple[int, int]]]


def snapshot(
    case_id: str = CASE,
    *,
    status: int = ce.CASE_STATUS_DISPATCHED,
    category: int = cm.CATEGORY_TRAFFIC,
    response: int = cm.RESPONSE_LEVEL_IV,
    tasks: Sequence[TaskSpec] = (),
    updated: int = T0,
    event_status: int = cm.EVENT_STATUS_ACTUAL,
    sequence: int = 1,
    merged_into: str = "",
) -> ce.CaseSnapshot:
    snap = ce.CaseSnapshot(
        case_id=case_id,
        status=status,  # type: ignore[arg-type]
        category=category,  # type: ignore[arg-type]
        incident_type="traffic.collision",
        response_level=response,  # type: ignore[arg-type]
        location=location(GRID),
        priority=7,
        supervising_level=cm.JURISDICTION_LEVEL_COMMUNITY,
        last_sequence=sequence,
        merged_into=merged_into,
    )
    snap.envelope.status = event_status  # type: ignore[assignment]
    snap.opened_at.CopyFrom(timestamp_ms(T0 - MIN))
    snap.updated_at.CopyFrom(timestamp_ms(updated))
    snap.reports.add(source_agency="police", source_ref="P-1")
    snap.reports.add(source_agency="health", source_ref="H-1")
    for n, (agency, role, task_status, deadlines) in enumerate(tasks, start=1):
        task = snap.tasks.add(task_id=f"{case_id}/t{n}", agency=agency, role=role, status=task_status)
        for kind, due in deadlines:
            task.deadlines.add(kind=kind, task_id=task.task_id).due_at.CopyFrom(timestamp_ms(due))
    return snap


def event(
    case_id: str, sequence: int, at: int, *, status: int = cm.EVENT_STATUS_ACTUAL, **body: Any
) -> ce.CaseEvent:
    e = ce.CaseEvent(case_id=case_id, sequence=sequence, **body)
    e.envelope.recorded_at.CopyFrom(timestamp_ms(at))
    e.envelope.status = status  # type: ignore[assignment]
    e.envelope.event_id = f"{case_id}#{sequence}"
    return e


def row_of(snap: ce.CaseSnapshot, model: ReadModel | None = None) -> dict[str, Any]:
    model = model or ReadModel()
    model.apply_snapshot(snap)
    return board.row(model, snap)
