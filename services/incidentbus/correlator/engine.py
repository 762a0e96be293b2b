"""One input record -> the area steps it causes. Shared by the faust shell and `incidentbus replay`,
so a replay walks exactly the path production walked.

A tick advances every area already seen in its partition (sorted); any other record steps the
area named by its key. The store is where area states live: a faust table in production, a dict
in a replay.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from incidentbus.correlator.domain.core import step
from incidentbus.correlator.domain.inputs import Input
from incidentbus.correlator.domain.model import AreaState
from incidentbus.correlator.domain.outputs import Output
from incidentbus.correlator.domain.rules import Rules


class AreaStore(Protocol):
    def load(self, area: str) -> AreaState: ...

    def save(self, area: str, state: AreaState) -> None: ...

    def areas(self, partition: int) -> list[str]: ...

    def remember(self, partition: int, area: str) -> None: ...


@dataclass(frozen=True)
class AreaStep:
    area: str
    state: AreaState
    outputs: list[Output]


def steps_for(store: AreaStore, rules: Rules, item: Input, key: str) -> list[AreaStep]:
    """The steps an input causes, each from the area's stored state (nothing is saved here)."""
    is_tick = item.event.WhichOneof("body") == "clock_ticked"
    areas = store.areas(item.at.partition) if is_tick else [key]
    return [_step(store.load(area), item, rules) for area in areas]


def _step(state: AreaState, item: Input, rules: Rules) -> AreaStep:
    """One area's step; a fault of the core becomes a dead letter and leaves the area as it was.

    The core refuses what it cannot act on by itself (admission); this is the last line, so one
    district's fault neither stops the service nor holds up the other districts of a tick."""
    try:
        return AreaStep(state.area, *step(state, item, rules))
    except Exception as exc:
        detail = f"the core failed on this input in area {state.area}: {type(exc).__name__}: {exc}"
        return AreaStep(
            state.area, state, [Output("reject", state.area, reason="correlator.internal", detail=detail)]
        )


@dataclass
class MemoryStore:
    """Area states in a dict: for replays and tests."""

    states: dict[str, AreaState] = field(default_factory=dict)
    known: dict[int, list[str]] = field(default_factory=dict)

    def load(self, area: str) -> AreaState:
        return self.states.get(area) or AreaState(area)

    def save(self, area: str, state: AreaState) -> None:
        self.states[area] = state

    def areas(self, partition: int) -> list[str]:
        return sorted(self.known.get(partition, []))

    def remember(self, partition: int, area: str) -> None:
        if area not in self.known.setdefault(partition, []):
            self.known[partition].append(area)


def run_input(store: AreaStore, rules: Rules, item: Input, key: str) -> list[Output]:
    """Step and save at once (replay): the outputs of one input, in order."""
    outputs: list[Output] = []
    for s in steps_for(store, rules, item, key):
        store.save(s.area, s.state)
        outputs.extend(s.outputs)
    if item.event.WhichOneof("body") != "clock_ticked":
        store.remember(item.at.partition, key)
    return outputs
