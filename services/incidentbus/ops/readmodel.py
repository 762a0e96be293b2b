"""The read model behind the query API and `incidentbus status`: a fold of the correlator's output.

Latest snapshots give the cases; case events give the timings for statistics (time to
acknowledge, arrive, resolve; deadline compliance; reopen rate) per agency and per grid.
Pure: feed it decoded messages in log order.
"""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from google.protobuf.json_format import MessageToDict

from incidentbus.v1 import case_events_pb2, common_pb2

OPEN = {case_events_pb2.CASE_STATUS_CLOSED, case_events_pb2.CASE_STATUS_MERGED}
TASK_STEP = {
    "ACKNOWLEDGED": "acknowledged",
    "UNIT_DISPATCHED": "acknowledged",
    "ON_SCENE": "arrived",
    "COMPLETED": "completed",
}


@dataclass
class TaskTimes:
    agency: str
    grid: str
    assigned: int
    ack_due: int = 0
    acknowledged: int = 0
    arrived: int = 0
    completed: int = 0
    missed: bool = False


@dataclass
class CaseTimes:
    grid: str
    area: str
    opened: int
    resolved: int = 0
    escalations: int = 0
    reopened: int = 0
    closed: bool = False


@dataclass
class ReadModel:
    snapshots: dict[str, case_events_pb2.CaseSnapshot] = field(default_factory=dict)
    tasks: dict[str, TaskTimes] = field(default_factory=dict)
    cases: dict[str, CaseTimes] = field(default_factory=dict)
    dead_letters: Counter[str] = field(default_factory=Counter)
    seen: set[tuple[str, int]] = field(default_factory=set)

    def apply_snapshot(self, snap: case_events_pb2.CaseSnapshot) -> None:
        current = self.snapshots.get(snap.case_id)
        if current is None or snap.last_sequence >= current.last_sequence:
            self.snapshots[snap.case_id] = snap

    def apply_event(self, event: case_events_pb2.CaseEvent) -> None:
        """Fold one case event (byte-identical repeats are ignored by (case, sequence))."""
        key = (event.case_id, event.sequence)
        if key in self.seen:
            return
        self.seen.add(key)
        at = event.envelope.recorded_at.ToMilliseconds()
        kind = event.WhichOneof("body") or ""
        handler = getattr(self, f"_on_{kind}", None)
        if handler is not None:
            handler(event.case_id, getattr(event, kind), at)

    def _on_case_opened(self, case_id: str, body: Any, at: int) -> None:
        self.cases[case_id] = CaseTimes(body.location.grid_code, body.location.jurisdiction.district, at)

    def _on_task_assigned(self, case_id: str, body: Any, at: int) -> None:
        grid = self.cases[case_id].grid if case_id in self.cases else ""
        due = next(
            (
                d.due_at.ToMilliseconds()
                for d in body.deadlines
                if d.kind == common_pb2.DEADLINE_KIND_ACKNOWLEDGE
            ),
            0,
        )
        self.tasks[body.task_id] = TaskTimes(body.agency, grid, at, due)

    def _on_task_status_changed(self, _case_id: str, body: Any, at: int) -> None:
        task = self.tasks.get(body.task_id)
        step = TASK_STEP.get(case_events_pb2.TaskStatus.Name(body.status).removeprefix("TASK_STATUS_"))
        if task is not None and step and not getattr(task, step):
            setattr(task, step, at)

    def _on_case_escalated(self, case_id: str, body: Any, _at: int) -> None:
        if case_id in self.cases:
            self.cases[case_id].escalations += 1
        if body.task_id in self.tasks:
            self.tasks[body.task_id].missed = True

    def _on_case_resolved(self, case_id: str, _body: Any, at: int) -> None:
        if case_id in self.cases and not self.cases[case_id].resolved:
            self.cases[case_id].resolved = at

    def _on_case_reopened(self, case_id: str, _body: Any, _at: int) -> None:
        if case_id in self.cases:
            self.cases[case_id].reopened += 1

    def _on_case_closed(self, case_id: str, _body: Any, _at: int) -> None:
        if case_id in self.cases:
            self.cases[case_id].closed = True

    # -- queries ---------------------------------------------------------------------------------

    def case(self, case_id: str) -> dict[str, Any] | None:
        snap = self.snapshots.get(case_id)
        return as_dict(snap) if snap is not None else None

    def open_cases(self, area: str = "", grid: str = "") -> list[dict[str, Any]]:
        return [
            as_dict(s)
            for s in sorted(self.snapshots.values(), key=lambda s: s.case_id)
            if s.status not in OPEN
            and (not area or s.location.jurisdiction.district == area)
            and (not grid or s.location.grid_code == grid)
        ]

    def overdue(self, now_ms: int) -> list[dict[str, Any]]:
        """Open cases that missed a deadline (escalated) or have one past due right now."""
        late = []
        for s in sorted(self.snapshots.values(), key=lambda s: s.case_id):
            due = [d.due_at.ToMilliseconds() for t in s.tasks for d in t.deadlines]
            escalated = self.cases.get(s.case_id, CaseTimes("", "", 0)).escalations
            if s.status not in OPEN and (escalated or any(d < now_ms for d in due)):
                late.append(as_dict(s) | {"escalations": escalated})
        return late

    def agency_stats(self) -> dict[str, dict[str, Any]]:
        by: dict[str, list[TaskTimes]] = {}
        for task in self.tasks.values():
            by.setdefault(task.agency, []).append(task)
        return {
            agency: _task_stats(tasks) | {"reopen_rate": self._reopen_rate(agency)}
            for agency, tasks in sorted(by.items())
        }

    def grid_stats(self) -> dict[str, dict[str, Any]]:
        by: dict[str, list[CaseTimes]] = {}
        for case in self.cases.values():
            by.setdefault(case.grid, []).append(case)
        return {grid: _case_stats(cases) for grid, cases in sorted(by.items())}

    def _reopen_rate(self, agency: str) -> float:
        ids = {cid for tid, t in self.tasks.items() if t.agency == agency for cid in [tid.rsplit("/", 1)[0]]}
        cases = [self.cases[c] for c in ids if c in self.cases]
        return round(sum(1 for c in cases if c.reopened) / len(cases), 4) if cases else 0.0


def as_dict(message: Any) -> dict[str, Any]:
    return MessageToDict(message, preserving_proto_field_name=True)


def _median_s(values: list[int]) -> float | None:
    return round(statistics.median(values) / 1000, 3) if values else None


def _task_stats(tasks: list[TaskTimes]) -> dict[str, Any]:
    acked = [t for t in tasks if t.acknowledged]
    on_time = [t for t in acked if not t.missed and (not t.ack_due or t.acknowledged <= t.ack_due)]
    judged = [t for t in tasks if t.acknowledged or t.missed]
    return {
        "tasks": len(tasks),
        "median_s_to_acknowledge": _median_s([t.acknowledged - t.assigned for t in acked]),
        "median_s_to_arrive": _median_s([t.arrived - t.assigned for t in tasks if t.arrived]),
        "median_s_to_complete": _median_s([t.completed - t.assigned for t in tasks if t.completed]),
        "deadline_compliance": round(len(on_time) / len(judged), 4) if judged else None,
    }


def _case_stats(cases: list[CaseTimes]) -> dict[str, Any]:
    resolved = [c for c in cases if c.resolved]
    return {
        "cases": len(cases),
        "open": sum(1 for c in cases if not c.closed),
        "median_s_to_resolve": _median_s([c.resolved - c.opened for c in resolved]),
        "deadline_compliance": round(sum(1 for c in cases if not c.escalations) / len(cases), 4),
        "reopen_rate": round(sum(1 for c in resolved if c.reopened) / len(resolved), 4) if resolved else 0.0,
    }
