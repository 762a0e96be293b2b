"""The indexes of one area, derived from its cases: what an input touches, found without a scan.

- **places**: the cases a report could match, by where their anchor (first report) is: cells of
  a few sizes (one per radius the rules use), the grid, and the precise address; a report looks
  only at the cells within its own radius, its grid's neighbourhood and its address, so the
  candidates are the cases near it, however many the district holds;
- **by_report**, **by_task**: the live case holding a report or a task;
- **deadlines**: open cases by their earliest due time (a heap), so a tick touches what is due;
- **eviction**: closed cases by the time they leave the working state;
- **seen / retired expiry**: remembered ids and retired reports by the hour they expire.

Heaps are lazy: an entry is checked against the case when it surfaces, and a case written again
pushes a fresh one. Nothing here is stored: `build` makes it from the cases.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from incidentbus.correlator.domain.matching import EARTH_RADIUS_M, PRECISE, normalised
from incidentbus.correlator.domain.model import Case, Report, Task
from incidentbus.correlator.domain.rules import Rules

if TYPE_CHECKING:
    from incidentbus.correlator.domain.area import AreaState

HOUR_MS = 3_600_000
# Closed and merged cases leave the working state a day (event time) after their last event;
# cases closed on verification stay the reopen window longer (a dissatisfied answer reopens them).
CLOSED_RETENTION_MS = 24 * 3_600_000
REPEATABLE = ("VERIFIED", "POLICY")  # how a case must have closed to be repeated into
Key = tuple[str | int | float, ...]


class Expiry:
    """Keys by the hour of their time: `expired(h)` hands out every key of the hours wholly
    before `h` (the caller checks the key's current time: it may have been renewed)."""

    def __init__(self) -> None:
        self._hours: dict[int, list[str]] = {}
        self._heap: list[int] = []

    def add(self, key: str, at_ms: int) -> None:
        hour = at_ms // HOUR_MS
        if hour not in self._hours:
            self._hours[hour] = []
            heapq.heappush(self._heap, hour)
        self._hours[hour].append(key)

    def expired(self, horizon_ms: int) -> list[str]:
        keys: list[str] = []
        while self._heap and (self._heap[0] + 1) * HOUR_MS <= horizon_ms:
            keys.extend(self._hours.pop(heapq.heappop(self._heap)))
        return keys


# Cells are a millionth wider than their level (0.3 mm at 300 m): a point exactly one radius
# away, after floating-point rounding, can otherwise land a row beyond the three looked at
# (found by hypothesis: 75 m due north of latitude -2.6e-253 is latitude 0.00067449120443905,
# exactly the start of row 1, two rows above the origin's row -1).
CELL_SLACK = 1 + 1e-6


@dataclass(frozen=True)
class Geometry:
    """Cell sizes and grid neighbourhoods from the rules: a cell of level `r` is at least `r`
    metres wide at every latitude its row and the rows beside it span (the haversine bound:
    Δlat ≤ d/R; sin(Δlon/2) ≤ sin(d/2R) / cos(max |lat|)), so every point within `r` of a point
    lies in its cell or one of the eight around it."""

    rules: Rules

    @cached_property
    def levels(self) -> tuple[float, ...]:
        return tuple(sorted({*self.rules.correlation.radius_m.values(), 300.0}))

    @cached_property
    def _reverse(self) -> dict[str, set[str]]:
        reverse: dict[str, set[str]] = {}
        for grid, neighbours in self.rules.grid_neighbours.items():
            for other in neighbours:
                reverse.setdefault(other, set()).add(grid)
        return reverse

    def grids_near(self, grid: str) -> set[str]:
        return {grid, *self.rules.neighbours(grid), *self._reverse.get(grid, ())}

    def level_for(self, radius_m: float) -> float:
        return next((r for r in self.levels if r >= radius_m), self.levels[-1])

    @staticmethod
    def _row_height(level: float) -> float:
        return math.degrees(level * CELL_SLACK / EARTH_RADIUS_M)

    @cached_property
    def _column_counts(self) -> dict[tuple[float, int], int]:
        return {}

    def _columns(self, level: float, row: int) -> int:
        """How many equal columns the row is cut into (1: the whole row is one cell)."""
        known = self._column_counts.get((level, row))
        if known is None:
            known = self._column_counts[(level, row)] = self._count_columns(level, row)
        return known

    def _count_columns(self, level: float, row: int) -> int:
        height = self._row_height(level)
        widest = min(90.0, max(abs((row - 1) * height), abs((row + 2) * height)))
        cos = math.cos(math.radians(widest))
        ratio = math.sin(level * CELL_SLACK / (2 * EARTH_RADIUS_M)) / cos if cos > 0 else 2.0
        if ratio >= 1:
            return 1
        return max(1, math.floor(360.0 / math.degrees(2 * math.asin(ratio))))

    def cell(self, level: float, lat: float, lon: float) -> tuple[int, int]:
        row = math.floor(lat / self._row_height(level))
        columns = self._columns(level, row)
        return row, math.floor((lon + 180.0) % 360.0 / (360.0 / columns)) % columns

    def cells_near(self, level: float, lat: float, lon: float) -> set[tuple[int, int]]:
        """The cell of the point and those around it (wrapping at the antimeridian)."""
        row = math.floor(lat / self._row_height(level))
        near: set[tuple[int, int]] = set()
        for r in (row - 1, row, row + 1):
            columns = self._columns(level, r)
            column = math.floor((lon + 180.0) % 360.0 / (360.0 / columns)) % columns
            near.update((r, (column + dc) % columns) for dc in (-1, 0, 1) if columns >= 3 or dc == 0)
        return near


def _point(report: Report) -> tuple[float, float] | None:
    lat, lon = report.place.lat, report.place.lon
    return (lat, lon) if lat is not None and lon is not None else None


def _address_key(report: Report) -> str:
    address = normalised(report.place.address)
    return address.key if address is not None and address.kind in PRECISE else ""


def place_keys(geometry: Geometry, anchor: Report) -> tuple[Key, ...]:
    """Where a case is found: its anchor's cells (when it has a point), grid and address. The
    "0" keys hold anchors without a point, which a report with one meets only by grid or address."""
    point, address = _point(anchor), _address_key(anchor)
    keys: list[Key] = [("g", anchor.place.grid)]
    if address:
        keys.append(("a", address))
    if point is None:
        keys.append(("g0", anchor.place.grid))
        if address:
            keys.append(("a0", address))
    elif all(map(math.isfinite, point)):
        keys.extend(("c", level, *geometry.cell(level, *point)) for level in geometry.levels)
    return tuple(keys)


def query_keys(geometry: Geometry, report: Report, radius_m: float) -> list[Key]:
    """Where the cases a report could match are: every case `matching.place_score` accepts is
    under one of these keys (a point meets points within the radius, and pointless anchors by
    grid or address; a report without a point meets every anchor by grid or address)."""
    point, address = _point(report), _address_key(report)
    grids = sorted(geometry.grids_near(report.place.grid))
    keys: list[Key] = []
    if point is None:
        keys.extend(("g", g) for g in grids)
        keys.extend([("a", address)] if address else [])
        return keys
    keys.extend(("g0", g) for g in grids)
    keys.extend([("a0", address)] if address else [])
    if all(map(math.isfinite, point)):
        level = geometry.level_for(radius_m)
        cells = sorted(geometry.cells_near(level, *point))
        keys.extend(("c", level, row, column) for row, column in cells)
    return keys


@dataclass
class Postings:
    """Case ids by key."""

    by_key: dict[Key, set[str]] = field(default_factory=dict)

    def add(self, case_id: str, keys: Iterable[Key]) -> None:
        for key in keys:
            self.by_key.setdefault(key, set()).add(case_id)

    def remove(self, case_id: str, keys: Iterable[Key]) -> None:
        for key in keys:
            ids = self.by_key.get(key)
            if ids is not None:
                ids.discard(case_id)
                if not ids:
                    del self.by_key[key]

    def find(self, keys: Iterable[Key]) -> set[str]:
        found: set[str] = set()
        for key in keys:
            found |= self.by_key.get(key, set())
        return found


@dataclass(frozen=True, slots=True)
class _Entry:
    """What one case is indexed under, with the values it was computed from."""

    pool: str = ""
    anchor: Report | None = None
    keys: tuple[Key, ...] = ()
    reports: tuple[Report, ...] = ()
    identities: tuple[tuple[str, str], ...] = ()
    tasks: tuple[Task, ...] = ()
    task_ids: tuple[str, ...] = ()


def pool_of(case: Case) -> str:
    """Which candidates a case is among: "open" (a report may join it), "repeat" (closed, and a
    matching report repeats it), or ""."""
    if case.is_open:
        return "open"
    return "repeat" if case.status == "CLOSED" and case.closure in REPEATABLE else ""


class AreaIndex:
    """Every index of one area; `update` follows one case's write (None: it was evicted)."""

    def __init__(self, rules: Rules | None) -> None:
        self.rules = rules
        self.geometry = Geometry(rules) if rules is not None else None
        self.by_report: dict[tuple[str, str], str] = {}
        self.by_task: dict[str, str] = {}
        self.pools: dict[str, Postings] = {"open": Postings(), "repeat": Postings()}
        self._indexed: dict[str, _Entry] = {}
        self._due: list[tuple[int, str]] = []
        self._evict: list[tuple[int, str]] = []
        self.seen_expiry = Expiry()
        self.retired_expiry = Expiry()

    @classmethod
    def build(cls, state: AreaState, rules: Rules | None) -> AreaIndex:
        index = cls(rules)
        index.update_many(list(state.cases.items()))
        for event_id, at in state.seen.items():
            index.seen_expiry.add(event_id, at)
        for key, (_, at) in state.retired.items():
            index.retired_expiry.add(key, at)
        return index

    def update(self, case_id: str, case: Case | None) -> None:
        self.update_many([(case_id, case)])

    def update_many(self, writes: list[tuple[str, Case | None]]) -> None:
        """Follow cases' writes (None: evicted): first every old entry goes, then the new ones
        come (a report a split moved from one case to another is then held by the new one,
        whichever of the two is read first). What did not change is not indexed again: the
        same anchor (the frozen report object) in the same pool keeps its place keys, the same
        reports and tasks tuples their entries (most writes change a task or a deadline)."""
        changes: list[tuple[str, Case | None, _Entry, _Entry]] = []
        for case_id, case in writes:
            old = self._indexed.pop(case_id, None) or _Entry()
            new = _Entry() if case is None else self._entry(case, old)
            changes.append((case_id, case, old, new))
            if old.keys is not new.keys and old.pool:
                self.pools[old.pool].remove(case_id, old.keys)
            if old.identities is not new.identities:
                _unlink(self.by_report, case_id, old.identities)
            if old.task_ids is not new.task_ids:
                _unlink(self.by_task, case_id, old.task_ids)
        for case_id, case, old, new in changes:
            if old.keys is not new.keys and new.pool:
                self.pools[new.pool].add(case_id, new.keys)
            if old.identities is not new.identities:
                _link(self.by_report, case_id, new.identities)
            if old.task_ids is not new.task_ids:
                _link(self.by_task, case_id, new.task_ids)
            if case is not None:
                self._indexed[case_id] = new
                self._schedule(case_id, case)

    def _schedule(self, case_id: str, case: Case) -> None:
        if case.is_open and case.deadlines:
            heapq.heappush(self._due, (min(d.due_ms for d in case.deadlines), case_id))
        if not case.is_open and self.rules is not None:
            heapq.heappush(self._evict, (self.evicted_after(case), case_id))

    def _entry(self, case: Case, old: _Entry) -> _Entry:
        pool = pool_of(case) if self.geometry is not None and case.reports else ""
        anchor = case.reports[0] if pool else None
        if pool == old.pool and anchor is old.anchor:
            keys = old.keys
        else:
            keys = place_keys(self.geometry, anchor) if anchor is not None and self.geometry else ()
        reports = case.reports if case.status != "MERGED" else ()
        identities = old.identities if reports is old.reports else tuple(r.identity for r in reports)
        task_ids = old.task_ids if case.tasks is old.tasks else tuple(t.task_id for t in case.tasks)
        return _Entry(pool, anchor, keys, reports, identities, case.tasks, task_ids)

    def candidates(self, pool: str, report: Report, radius_m: float) -> set[str]:
        """The ids of the cases of a pool that `report` could match (a superset of them)."""
        assert self.geometry is not None, "an index built without rules has no places"
        return self.pools[pool].find(query_keys(self.geometry, report, radius_m))

    def next_due(self, cases: Mapping[str, Case], upto: int) -> tuple[int, str] | None:
        """The earliest (due time, case id) of an open case at or before `upto`, or None."""
        while self._due:
            due, case_id = self._due[0]
            case = cases.get(case_id)
            if case is None or not case.is_open or not case.deadlines or _earliest(case) != due:
                heapq.heappop(self._due)  # stale: the case moved on (a fresh entry was pushed)
                continue
            return (due, case_id) if due <= upto else None
        return None

    def evicted_after(self, case: Case) -> int:
        """After this time (ms) a closed case leaves the working state."""
        assert self.rules is not None
        extra = self.rules.closing.reopen_window_ms if case.closure == "VERIFIED" else 0
        return case.updated_ms + CLOSED_RETENTION_MS + extra

    def evictable(self, cases: Mapping[str, Case], clock_ms: int) -> Iterator[str]:
        """The closed cases whose time in the working state is over, in id order."""
        found: set[str] = set()
        while self._evict and self._evict[0][0] < clock_ms:
            at, case_id = heapq.heappop(self._evict)
            case = cases.get(case_id)
            if case is not None and not case.is_open and self.evicted_after(case) == at:
                found.add(case_id)
        return iter(sorted(found))


def _unlink(by: dict[Any, str], case_id: str, keys: Iterable[Any]) -> None:
    for key in keys:
        if by.get(key) == case_id:
            del by[key]


def _link(by: dict[Any, str], case_id: str, keys: Iterable[Any]) -> None:
    for key in keys:
        by.setdefault(key, case_id)


def _earliest(case: Case) -> int:
    return min(d.due_ms for d in case.deadlines)
