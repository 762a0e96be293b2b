"""One area's working state: its cases by id, what it has read, and the indexes that find what
an input touches.

An area (a district) is the unit of state and of ordering: all its reports and cases meet in one
input partition. Its state is a store that one step at a time owns: every write goes through a
method that journals the value it replaces, so a step that fails is undone (`rollback`) and one
that succeeds says which keys it changed (`commit`): what the shell persists, one record per
case, per remembered event id and per retired report (no record grows with the district).

The indexes (area_index.py) are derived from the cases and never stored; they follow the cases
written since they were last read (or undone), and are rebuilt only for other rules.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from incidentbus.correlator.domain.area_index import AreaIndex
from incidentbus.correlator.domain.model import Case, Report, Task
from incidentbus.correlator.domain.rules import Rules

# Remembered event ids and retired reports are kept this long (event time), then forgotten.
SEEN_RETENTION_MS = 7 * 24 * 3_600_000
_MISSING: Any = object()


def retired_key(identity: tuple[str, str]) -> str:
    return "/".join(identity)


@dataclass(frozen=True)
class Changes:
    """What one step changed, as (store, key) pairs: "case", "seen", "retired", "alias", and
    ("meta", "") for the clock and the read positions."""

    keys: frozenset[tuple[str, str]]

    def of(self, store: str) -> list[str]:
        return sorted(k for s, k in self.keys if s == store)


class AreaState:
    """Everything the correlator knows about one area, at one point of its input.

    `cases`, `aliases`, `seen`, `positions` and `retired` are read-only live views; writes go
    through the methods below. Between `begin` and `commit`/`rollback` every write is journaled."""

    def __init__(  # noqa: PLR0917 - the stored parts of an area, each needed
        self,
        area: str,
        clock_ms: int = 0,
        cases: Mapping[str, Case] | None = None,
        aliases: Mapping[str, str] | None = None,
        seen: Mapping[str, int] | None = None,
        positions: Mapping[str, int] | None = None,
        retired: Mapping[str, tuple[str, int]] | None = None,
    ) -> None:
        self.area = area
        self._meta: dict[str, int] = {"clock_ms": clock_ms}
        self._cases: dict[str, Case] = dict(cases or {})
        self._aliases: dict[str, str] = dict(aliases or {})  # merged case -> survivor
        self._seen: dict[str, int] = dict(seen or {})  # input event id -> its event time
        self._positions: dict[str, int] = dict(positions or {})  # "topic/partition" -> offset
        # Reports of cases that left the working state: "agency/ref" -> (case id, time it left),
        # so a late revision is refused instead of opening a second case for one report.
        self._retired: dict[str, tuple[str, int]] = dict(retired or {})
        self.cases: Mapping[str, Case] = MappingProxyType(self._cases)
        self.aliases: Mapping[str, str] = MappingProxyType(self._aliases)
        self.seen: Mapping[str, int] = MappingProxyType(self._seen)
        self.positions: Mapping[str, int] = MappingProxyType(self._positions)
        self.retired: Mapping[str, tuple[str, int]] = MappingProxyType(self._retired)
        self._journal: list[tuple[dict[str, Any], str, Any]] | None = None
        self._changed: set[tuple[str, str]] = set()
        self._index: AreaIndex | None = None
        self._dirty: set[str] = set()  # cases written since the index last read them

    def copy(self) -> AreaState:
        """A snapshot (the cases are frozen values: only the maps are copied, O(size))."""
        return AreaState(
            self.area, self.clock_ms, self._cases, self._aliases, self._seen, self._positions, self._retired
        )

    def __repr__(self) -> str:
        return f"AreaState({self.area!r}, clock_ms={self.clock_ms}, cases={len(self._cases)})"

    # -- the journal ------------------------------------------------------------------------------

    def begin(self) -> None:
        """Start journaling writes (one step)."""
        self._journal, self._changed = [], set()

    def commit(self) -> Changes:
        """Keep the step's writes; what they changed."""
        changes = Changes(frozenset(self._changed))
        self._journal, self._changed = None, set()
        return changes

    def rollback(self) -> None:
        """Undo every write since `begin`. The indexes follow: the cases written are read again,
        and restored ids and retired reports are given back their expiry."""
        for store, key, old in reversed(self._journal or []):
            if old is _MISSING:
                store.pop(key, None)
            else:
                store[key] = old
            if store is self._cases:
                self._dirty.add(key)
            elif self._index is not None and old is not _MISSING and store is self._seen:
                self._index.seen_expiry.add(key, old)
            elif self._index is not None and old is not _MISSING and store is self._retired:
                self._index.retired_expiry.add(key, old[1])
        self._journal, self._changed = None, set()

    def _write(self, name: str, store: dict[str, Any], key: str, value: Any) -> None:
        if self._journal is not None:
            self._journal.append((store, key, store.get(key, _MISSING)))
            self._changed.add((name, "" if name == "meta" else key))
        if value is _MISSING:
            store.pop(key, None)
        else:
            store[key] = value

    # -- writes -----------------------------------------------------------------------------------

    @property
    def clock_ms(self) -> int:
        return self._meta["clock_ms"]

    def advance(self, clock_ms: int) -> None:
        """Move the clock to `clock_ms` if later (the clock never goes back)."""
        if clock_ms > self.clock_ms:
            self._write("meta", self._meta, "clock_ms", clock_ms)

    def put_case(self, case: Case) -> None:
        self._write("case", self._cases, case.case_id, case)
        self._dirty.add(case.case_id)

    def put_alias(self, merged: str, survivor: str) -> None:
        self._write("alias", self._aliases, merged, survivor)

    def read_position(self, topic: str, partition: int, offset: int) -> None:
        self._write("meta", self._positions, f"{topic}/{partition}", offset)

    def remember(self, event_id: str, at_ms: int) -> None:
        self._write("seen", self._seen, event_id, at_ms)
        if self._index is not None:
            self._index.seen_expiry.add(event_id, at_ms)

    # -- reads --------------------------------------------------------------------------------------

    def read_before(self, topic: str, partition: int, offset: int) -> bool:
        """Whether this position was read already (a redelivery)."""
        return offset <= self._positions.get(f"{topic}/{partition}", -1)

    def has_seen(self, event_id: str) -> bool:
        """Whether an event with this id was read within the retention (a duplicate fact)."""
        at = self._seen.get(event_id)
        return at is not None and at >= self.clock_ms - SEEN_RETENTION_MS

    def index(self, rules: Rules | None = None) -> AreaIndex:
        """The indexes, up to date with every case written (built for `rules` when given)."""
        if self._index is None or (rules is not None and self._index.rules is not rules):
            self._index = AreaIndex.build(self, rules or (self._index.rules if self._index else None))
            self._dirty = set()
        elif self._dirty:
            dirty, self._dirty = self._dirty, set()
            self._index.update_many([(case_id, self._cases.get(case_id)) for case_id in sorted(dirty)])
        return self._index

    def resolve(self, case_id: str) -> Case | None:
        """The live case for an id, following merges."""
        seen: set[str] = set()
        while case_id in self._aliases and case_id not in seen:
            seen.add(case_id)
            case_id = self._aliases[case_id]
        return self._cases.get(case_id)

    def open_cases(self) -> list[Case]:
        return sorted((c for c in self._cases.values() if c.is_open), key=lambda c: c.case_id)

    def case_of_task(self, task_id: str) -> Case | None:
        case_id = self.index().by_task.get(task_id)
        return self._cases.get(case_id) if case_id else None

    def find_task(self, case_id: str, task_id: str) -> tuple[Case, Task] | None:
        """The case and task a reply names: by its case id (following merges), else by task id."""
        case = self.resolve(case_id) if case_id else None
        if case is None or case.task(task_id) is None:
            case = self.case_of_task(task_id)
        task = case.task(task_id) if case else None
        return (case, task) if case is not None and task is not None else None

    def retired_case(self, identity: tuple[str, str]) -> str:
        """The id of the case that held this report and left the working state, or ''."""
        found = self._retired.get(retired_key(identity))
        return found[0] if found and found[1] >= self.clock_ms - SEEN_RETENTION_MS else ""

    def case_of_report(self, identity: tuple[str, str]) -> tuple[Case, Report] | None:
        """The live (not merged) case holding a report of this (agency, native reference)."""
        case_id = self.index().by_report.get(identity)
        case = self._cases.get(case_id) if case_id else None
        report = next((r for r in case.reports if r.identity == identity), None) if case else None
        return (case, report) if case is not None and report is not None else None

    # -- expiry -------------------------------------------------------------------------------------

    def forget_before(self, horizon_ms: int) -> None:
        """Forget remembered ids and retired reports older than the horizon (event time)."""
        index = self.index()
        for event_id in index.seen_expiry.expired(horizon_ms):
            if self._seen.get(event_id, horizon_ms) < horizon_ms:
                self._write("seen", self._seen, event_id, _MISSING)
        for key in index.retired_expiry.expired(horizon_ms):
            if key in self._retired and self._retired[key][1] < horizon_ms:
                self._write("retired", self._retired, key, _MISSING)

    def evict(self, case_id: str) -> None:
        """The case leaves the working state; its reports are remembered as retired."""
        case = self._cases[case_id]
        index = self.index()
        for report in case.reports:
            key = retired_key(report.identity)
            self._write("retired", self._retired, key, (case_id, self.clock_ms))
            index.retired_expiry.add(key, self.clock_ms)
        self._write("case", self._cases, case_id, _MISSING)
        self._dirty.add(case_id)
