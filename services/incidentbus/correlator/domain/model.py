"""The correlator's state: frozen values, replaced (never mutated) as events are folded in.

An area (a district) is the unit of state and of ordering: all its reports and cases meet in
one input partition, so one AreaState holds everything a decision about them needs.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from types import MappingProxyType
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

    def task(self, task_id: str) -> Task | None:
        return next((t for t in self.tasks if t.task_id == task_id), None)

    def active_tasks(self) -> tuple[Task, ...]:
        return tuple(t for t in self.tasks if t.active)

    def with_report(self, report: Report) -> Case:
        """The case with a report replaced by one of the same identity (a later revision)."""
        reports = tuple(report if r.identity == report.identity else r for r in self.reports)
        return replace(self, reports=reports)

    def with_task(self, task: Task) -> Case:
        others = tuple(t for t in self.tasks if t.task_id != task.task_id)
        return replace(self, tasks=(*others, task))

    def without_deadlines(self, task_id: str, kinds: tuple[str, ...] = ()) -> Case:
        kept = tuple(
            d for d in self.deadlines if not (d.task_id == task_id and (not kinds or d.kind in kinds))
        )
        return replace(self, deadlines=kept)


def frozen_map(data: dict[str, Any] | None = None) -> MappingProxyType[str, Any]:
    return MappingProxyType(dict(data or {}))


def retired_key(identity: tuple[str, str]) -> str:
    return "/".join(identity)


@dataclass(frozen=True)
class AreaState:
    """Everything the correlator knows about one area, at one point of its input."""

    area: str
    clock_ms: int = 0
    cases: MappingProxyType[str, Case] = field(default_factory=frozen_map)
    aliases: MappingProxyType[str, str] = field(default_factory=frozen_map)  # merged case -> survivor
    seen: MappingProxyType[str, int] = field(default_factory=frozen_map)  # input event id -> event time
    positions: MappingProxyType[str, int] = field(default_factory=frozen_map)  # "topic/partition" -> offset
    # Reports of cases that left the working state: "agency/ref" -> [case id, time it left (ms)],
    # so a late revision is refused instead of opening a second case for one report.
    retired: MappingProxyType[str, tuple[str, int]] = field(default_factory=frozen_map)

    def resolve(self, case_id: str) -> Case | None:
        """The live case for an id, following merges."""
        seen: set[str] = set()
        while case_id in self.aliases and case_id not in seen:
            seen.add(case_id)
            case_id = self.aliases[case_id]
        return self.cases.get(case_id)

    def with_case(self, case: Case) -> AreaState:
        return replace(self, cases=frozen_map({**self.cases, case.case_id: case}))

    def open_cases(self) -> list[Case]:
        return sorted((c for c in self.cases.values() if c.is_open), key=lambda c: c.case_id)

    def case_of_task(self, task_id: str) -> Case | None:
        return next((c for c in self.cases.values() if c.task(task_id) is not None), None)

    def find_task(self, case_id: str, task_id: str) -> tuple[Case, Task] | None:
        """The case and task a reply names: by its case id (following merges), else by task id."""
        case = self.resolve(case_id) if case_id else None
        if case is None or case.task(task_id) is None:
            case = self.case_of_task(task_id)
        task = case.task(task_id) if case else None
        return (case, task) if case is not None and task is not None else None

    def retired_case(self, identity: tuple[str, str]) -> str:
        """The id of the case that held this report and left the working state, or ''."""
        found = self.retired.get(retired_key(identity))
        return found[0] if found else ""

    def case_of_report(self, identity: tuple[str, str]) -> tuple[Case, Report] | None:
        """The live (not merged) case holding a report of this (agency, native reference)."""
        for case in self.cases.values():
            if case.status == "MERGED":
                continue
            for report in case.reports:
                if report.identity == identity:
                    return case, report
        return None
