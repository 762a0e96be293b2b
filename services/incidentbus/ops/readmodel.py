"""The read model behind the query API and `incidentbus status`: a fold of the correlator's output.

Latest snapshots give the cases; case events give the timings for statistics (time to
acknowledge, arrive, resolve; deadline compliance; reopen rate) per agency and per grid
(`timings.py` says how). Drills (envelope status EXERCISE or TEST) are left out of lists,
statistics and gauges unless asked for, so a rehearsal never moves the real figures.
Pure: feed it decoded messages in log order.
"""

from __future__ import annotations

from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Any

from google.protobuf.json_format import MessageToDict

from incidentbus.ops.alerts import Alert, AlertLog
from incidentbus.ops.integrity import Stored
from incidentbus.ops.timings import CaseTimes, TaskTimes, case_stats, task_stats
from incidentbus.v1 import case_events_pb2, common_pb2

OPEN = {case_events_pb2.CASE_STATUS_CLOSED, case_events_pb2.CASE_STATUS_MERGED}
TASK_STEP = {
    "ACKNOWLEDGED": "acknowledged",
    "UNIT_DISPATCHED": "acknowledged",
    "ON_SCENE": "arrived",
    "COMPLETED": "completed",
}
TASK_END = {case_events_pb2.TASK_STATUS_DECLINED, case_events_pb2.TASK_STATUS_CANCELLED}
DRILLS = {common_pb2.EVENT_STATUS_EXERCISE, common_pb2.EVENT_STATUS_TEST}
ACK = common_pb2.DEADLINE_KIND_ACKNOWLEDGE


@dataclass
class ReadModel:
    snapshots: dict[str, case_events_pb2.CaseSnapshot] = field(default_factory=dict)
    tasks: dict[str, TaskTimes] = field(default_factory=dict)
    cases: dict[str, CaseTimes] = field(default_factory=dict)
    dead_letters: Counter[str] = field(default_factory=Counter)
    seen: set[tuple[str, int]] = field(default_factory=set)
    statuses: dict[str, int] = field(default_factory=dict)  # case id -> EventStatus (drills stick)
    clock_ms: int = 0  # the latest bus time among the case events folded
    # (agency, native reference) -> the cases whose latest snapshot lists that report
    holders: dict[tuple[str, str], set[str]] = field(default_factory=dict)
    merged_into: dict[str, str] = field(default_factory=dict)  # merged case -> survivor
    history: dict[str, list[Stored]] = field(default_factory=dict)  # case id -> its events, in order
    alert_log: AlertLog = field(default_factory=AlertLog)
    changed: set[str] = field(default_factory=set)  # cases touched since the last `drain()`
    verifications: dict[str, int] = field(default_factory=dict)  # case id -> pending 回访 due (ms)

    def apply_snapshot(self, snap: case_events_pb2.CaseSnapshot) -> None:
        self._mark(snap.case_id, snap.envelope.status)
        self.changed.add(snap.case_id)
        current = self.snapshots.get(snap.case_id)
        if current is None or snap.last_sequence >= current.last_sequence:
            self._index(current, drop=True)
            self.snapshots[snap.case_id] = snap
            self._index(snap)
            if snap.merged_into:
                self.merged_into[snap.case_id] = snap.merged_into

    def _index(self, snap: case_events_pb2.CaseSnapshot | None, *, drop: bool = False) -> None:
        """Keep `holders` in step with the latest snapshots (a report moves on merges and splits)."""
        for ref in snap.reports if snap is not None else ():
            held = self.holders.setdefault((ref.source_agency, ref.source_ref), set())
            if drop:
                held.discard(snap.case_id)  # type: ignore[union-attr]
            else:
                held.add(snap.case_id)  # type: ignore[union-attr]

    def apply_event(self, event: case_events_pb2.CaseEvent, partition: int = -1, offset: int = -1) -> None:
        """Fold one case event read at (partition, offset) of case.events.v1 (-1 when not from the
        log); repeats are ignored by (case, sequence)."""
        key = (event.case_id, event.sequence)
        if key in self.seen:
            return
        self.seen.add(key)
        self._mark(event.case_id, event.envelope.status)
        self.history.setdefault(event.case_id, []).append(Stored(event, partition, offset))
        self.changed.add(event.case_id)
        self.alert_log.fold(event)
        at = event.envelope.recorded_at.ToMilliseconds()
        self.clock_ms = max(self.clock_ms, at)
        kind = event.WhichOneof("body") or ""
        handler = getattr(self, f"_on_{kind}", None)
        if handler is not None:
            handler(event.case_id, getattr(event, kind), at)

    def _mark(self, case_id: str, status: int) -> None:
        """A case is a drill once any of its records says so: the correlator stamps all of a
        drill's outputs alike, and a drill must never leak into real figures."""
        if status in DRILLS or (status and case_id not in self.statuses):
            self.statuses[case_id] = status

    def event_status(self, case_id: str) -> str:
        """ACTUAL, EXERCISE or TEST; a case whose records carry no status (older history) is ACTUAL."""
        status = self.statuses.get(case_id) or common_pb2.EVENT_STATUS_ACTUAL
        return common_pb2.EventStatus.Name(status).removeprefix("EVENT_STATUS_")

    def counts(self, case_id: str, include_drills: bool = False) -> bool:
        """Whether a case belongs in statistics and lists: real ones always, drills on request."""
        return include_drills or self.statuses.get(case_id, 0) not in DRILLS

    def drain(self) -> set[str]:
        """The cases touched since the last call (what a live view must redraw)."""
        changed, self.changed = self.changed, set()
        return changed

    @property
    def alerts(self) -> deque[Alert]:
        """The latest alerts, oldest first (ops/alerts.py)."""
        return self.alert_log.alerts

    def _on_case_opened(self, case_id: str, body: Any, at: int) -> None:
        self.cases[case_id] = CaseTimes(body.location.grid_code, body.location.jurisdiction.district, at)

    def _on_report_linked(self, case_id: str, body: Any, _at: int) -> None:
        if body.score.rule == "repeat" and case_id in self.cases:
            self.cases[case_id].repeats += 1

    def _on_task_assigned(self, case_id: str, body: Any, at: int) -> None:
        grid = self.cases[case_id].grid if case_id in self.cases else ""
        self.tasks[body.task_id] = TaskTimes(case_id, body.agency, grid, at)
        self._deadlines(body.deadlines, at)

    def _deadlines(self, deadlines: Any, at: int) -> None:
        """Acknowledge deadlines (re)set by an event at `at`, each for the task it names."""
        for d in deadlines:
            task = self.tasks.get(d.task_id)
            if d.kind == ACK and task is not None:
                task.ack_deadlines.append((at, d.due_at.ToMilliseconds()))

    def _on_task_status_changed(self, _case_id: str, body: Any, at: int) -> None:
        task = self.tasks.get(body.task_id)
        if task is None:
            return
        replied = body.reported_at.ToMilliseconds() if body.HasField("reported_at") else at
        step = TASK_STEP.get(case_events_pb2.TaskStatus.Name(body.status).removeprefix("TASK_STATUS_"))
        if step and not getattr(task, step):
            setattr(task, step, replied)
        if body.status in TASK_END and not task.acknowledged and not task.ended:
            task.ended = replied

    def _on_case_escalated(self, case_id: str, body: Any, at: int) -> None:
        if case_id in self.cases:
            self.cases[case_id].escalations += 1
        self._deadlines(body.rescheduled, at)

    def _on_reminder_issued(self, case_id: str, body: Any, at: int) -> None:
        if case_id in self.cases:
            self.cases[case_id].reminders += 1
        self._deadlines(body.rescheduled, at)

    def _on_response_level_changed(self, _case_id: str, body: Any, at: int) -> None:
        self._deadlines(body.retuned, at)

    def _on_case_resolved(self, case_id: str, _body: Any, at: int) -> None:
        if case_id in self.cases and not self.cases[case_id].resolved:
            self.cases[case_id].resolved = at

    def _on_verification_requested(self, case_id: str, body: Any, _at: int) -> None:
        if body.HasField("deadline"):
            self.verifications[case_id] = body.deadline.due_at.ToMilliseconds()

    def _on_case_verified(self, case_id: str, _body: Any, _at: int) -> None:
        self.verifications.pop(case_id, None)

    def _on_case_reopened(self, case_id: str, _body: Any, _at: int) -> None:
        self.verifications.pop(case_id, None)
        if case_id in self.cases:
            self.cases[case_id].reopened += 1

    def _on_case_closed(self, case_id: str, body: Any, _at: int) -> None:
        self.verifications.pop(case_id, None)
        if case_id in self.cases:
            self.cases[case_id].closed = True
        if body.merged_into:
            self.merged_into[case_id] = body.merged_into

    def _on_cases_merged(self, case_id: str, body: Any, _at: int) -> None:
        self.merged_into[body.merged_case_id] = case_id

    # -- queries ---------------------------------------------------------------------------------

    def case(self, case_id: str) -> dict[str, Any] | None:
        """Any case by id, drill or not: asking for it by name is asking for it."""
        snap = self.snapshots.get(case_id)
        return self._shown(snap) if snap is not None else None

    def case_of_report(self, agency: str, ref: str) -> tuple[dict[str, Any] | None, str]:
        """The live case holding an agency's report (its native reference), following merges:
        (the case, "") or (None, why not)."""
        held = sorted(self.holders.get((agency, ref), ()))
        if not held:
            return None, f"no case holds a {agency} report {ref!r}"
        live = [c for c in held if self.snapshots[c].status != case_events_pb2.CASE_STATUS_MERGED]
        case_id, via = (live[0], []) if live else self.survivor(held[0])
        snap = self.snapshots.get(case_id)
        if snap is None:
            return (
                None,
                f"{agency} report {ref!r} was in {held[0]}, merged into {case_id}, which is not known",
            )
        found = self._shown(snap) | {"report": {"agency": agency, "ref": ref}}
        return (found | {"merged_from": via} if via else found), ""

    def survivor(self, case_id: str) -> tuple[str, list[str]]:
        """The end of a case's merge chain, and the merged cases passed on the way."""
        via: list[str] = []
        while case_id in self.merged_into and case_id not in via:
            via.append(case_id)
            case_id = self.merged_into[case_id]
        return case_id, via

    def _shown(self, snap: case_events_pb2.CaseSnapshot) -> dict[str, Any]:
        return as_dict(snap) | {"event_status": self.event_status(snap.case_id)}

    def live(self, include_drills: bool = False) -> list[case_events_pb2.CaseSnapshot]:
        """Latest snapshots of the cases that count, by case id."""
        return [
            s
            for s in sorted(self.snapshots.values(), key=lambda s: s.case_id)
            if self.counts(s.case_id, include_drills)
        ]

    def open_cases(
        self, area: str = "", grid: str = "", include_drills: bool = False
    ) -> list[dict[str, Any]]:
        return [
            self._shown(s)
            for s in self.live(include_drills)
            if s.status not in OPEN
            and (not area or s.location.jurisdiction.district == area)
            and (not grid or s.location.grid_code == grid)
        ]

    def overdue(self, now_ms: int, include_drills: bool = False) -> list[dict[str, Any]]:
        """Open cases that missed a deadline (escalated) or have one past due right now."""
        late = []
        for s in self.live(include_drills):
            due = [d.due_at.ToMilliseconds() for t in s.tasks for d in t.deadlines]
            times = self.cases.get(s.case_id, CaseTimes("", "", 0))
            if s.status not in OPEN and (times.escalations or any(d < now_ms for d in due)):
                late.append(self._shown(s) | {"escalations": times.escalations, "reminders": times.reminders})
        return late

    def agency_stats(
        self, now_ms: int | None = None, include_drills: bool = False
    ) -> dict[str, dict[str, Any]]:
        """Per agency. `now_ms` judges tasks still unacknowledged (a deadline past it is missed);
        by default the latest bus time folded, so a replayed history is judged as it stood."""
        now_ms = self.clock_ms if now_ms is None else now_ms
        by: dict[str, list[TaskTimes]] = {}
        for task in self.tasks.values():
            if self.counts(task.case_id, include_drills):
                by.setdefault(task.agency, []).append(task)
        return {
            agency: task_stats(tasks, now_ms) | {"reopen_rate": self._reopen_rate(tasks)}
            for agency, tasks in sorted(by.items())
        }

    def grid_stats(self, include_drills: bool = False) -> dict[str, dict[str, Any]]:
        by: dict[str, list[CaseTimes]] = {}
        for case_id, case in self.cases.items():
            if self.counts(case_id, include_drills):
                by.setdefault(case.grid, []).append(case)
        return {grid: case_stats(cases) for grid, cases in sorted(by.items())}

    def _reopen_rate(self, tasks: list[TaskTimes]) -> float:
        cases = [self.cases[c] for c in {t.case_id for t in tasks} if c in self.cases]
        return round(sum(1 for c in cases if c.reopened) / len(cases), 4) if cases else 0.0


def as_dict(message: Any) -> dict[str, Any]:
    return MessageToDict(message, preserving_proto_field_name=True)
