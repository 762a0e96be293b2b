"""The correlator's values: a case and its parts, frozen, replaced (never mutated) as events
are folded in. An area's cases, and what finds them, are area.py's AreaState.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

OPEN_STATUSES = ("REPORTED", "DISPATCHED", "ACKNOWLEDGED", "ON_SCENE", "RESOLVED", "VERIFIED")
ACTIVE_TASK = ("ASSIGNED", "ACKNOWLEDGED", "UNIT_DISPATCHED", "ON_SCENE")
JURISDICTION_LEVELS = ("grid", "community", "street", "district", "city")
MAX_PRIORITY = 5


@dataclass(frozen=True)
class Place:
    grid: str
    path: tuple[str, str, str, str, str]  # city, district, street, community, grid
    lat: float | None = None
    lon: float | None = None
    address: str = ""

    def code_at(self, level: str) -> str:
        """The jurisdiction code at a level: grid -> the grid code, city -> the city code."""
        return self.path[4 - JURISDICTION_LEVELS.index(level)]


@dataclass(frozen=True)
class Report:
    """A report linked to a case, with what correlation compares and where it came from."""

    event_id: str
    source_agency: str
    source_ref: str
    topic: str
    partition: int
    offset: int
    incident_type: str
    category: str
    severity: str
    place: Place
    casualties: int
    reported_ms: int
    revision: int = 0
    contactable: bool = False  # the reporter left a contact: may be asked to verify (回访)

    @property
    def identity(self) -> tuple[str, str]:
        """A report is one native record of one agency, whatever its revision."""
        return (self.source_agency, self.source_ref)


@dataclass(frozen=True)
class Task:
    task_id: str
    agency: str
    role: str  # LEAD, SUPPORT, ASSIST
    status: str = "ASSIGNED"
    assigned_ms: int = 0

    @property
    def active(self) -> bool:
        return self.status in ACTIVE_TASK


@dataclass(frozen=True)
class Deadline:
    kind: str  # ACKNOWLEDGE, ARRIVE, RESOLVE, VERIFY
    task_id: str
    set_ms: int
    due_ms: int


@dataclass(frozen=True)
class Case:
    case_id: str
    area: str
    status: str
    category: str
    incident_type: str
    severity: str
    level: str  # NONE, IV, III, II, I
    priority: int
    place: Place
    opened_ms: int
    updated_ms: int
    fast_path: bool = False
    supervising: str = "grid"
    reports: tuple[Report, ...] = ()
    tasks: tuple[Task, ...] = ()
    deadlines: tuple[Deadline, ...] = ()
    declined: tuple[str, ...] = ()  # agencies that declined a task of this case
    verification_id: str = ""
    verifier: str = ""  # the agency the pending verification is addressed to
    verifications: int = 0
    task_count: int = 0
    sequence: int = 0
    last_hash: bytes = b""
    merged_into: str = ""
    event_status: str = "ACTUAL"  # ACTUAL, EXERCISE, TEST: from the report that opened the case
    reminders: int = 0  # reminders issued at the top of the jurisdiction ladder
    closure: str = ""  # VERIFIED, POLICY, MERGED, SUPERSEDED once closed

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def last_report_ms(self) -> int:
        return max((r.reported_ms for r in self.reports), default=self.opened_ms)

    @property
    def casualties(self) -> int:
        return max((r.casualties for r in self.reports), default=0)

    def revised(self, **changes: Any) -> Case:
        """`dataclasses.replace(self, **changes)` without running `__init__` again: the case's
        fields are copied and the named ones set. A case has 27 fields and the fold revises
        one or two per event; `replace` was a sixth of the core's time.

        Raises TypeError for a name that is not a field (as `replace` does)."""
        if not _CASE_FIELDS.issuperset(changes):
            raise TypeError(f"not fields of Case: {sorted(set(changes) - _CASE_FIELDS)}")
        new = object.__new__(Case)
        new.__dict__.update(self.__dict__, **changes)
        return new

    def task(self, task_id: str) -> Task | None:
        return next((t for t in self.tasks if t.task_id == task_id), None)

    def active_tasks(self) -> tuple[Task, ...]:
        return tuple(t for t in self.tasks if t.active)

    def with_report(self, report: Report) -> Case:
        """The case with a report replaced by one of the same identity (a later revision)."""
        reports = tuple(report if r.identity == report.identity else r for r in self.reports)
        return self.revised(reports=reports)

    def with_task(self, task: Task) -> Case:
        others = tuple(t for t in self.tasks if t.task_id != task.task_id)
        return self.revised(tasks=(*others, task))

    def without_deadlines(self, task_id: str, kinds: tuple[str, ...] = ()) -> Case:
        kept = tuple(
            d for d in self.deadlines if not (d.task_id == task_id and (not kinds or d.kind in kinds))
        )
        return self.revised(deadlines=kept)


_CASE_FIELDS = frozenset(f.name for f in fields(Case))
