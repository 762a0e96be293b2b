"""One input record -> the area steps it causes. Shared by the faust shell and `incidentbus replay`,
so a replay walks exactly the path production walked.

A tick advances every area already seen in its partition (sorted); any other record steps the
area named by its key. The store is where area states live: a faust table in production, a dict
in a replay. The records at both ends are here too — an agency record routed onto the input
topic, an input record read back as a core `Input`, an output as the record it is published as —
so the shell, `replay` and `correlate` share one protocol and only the shell imports faust.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from incidentbus.correlator.domain.area import AreaState, Changes
from incidentbus.correlator.domain.core import apply
from incidentbus.correlator.domain.inputs import Input, Position
from incidentbus.correlator.domain.outputs import Output
from incidentbus.correlator.domain.rules import Rules
from incidentbus.correlator.routing import SOURCE_HEADERS, publisher_from_headers
from incidentbus.kernel.codec import Decoded, encode
from incidentbus.kernel.records import OutgoingRecord, RawRecord
from incidentbus.kernel.settings import BusSettings
from incidentbus.v1 import agency_events_pb2

INPUT = "correlator.input.v1"
TOPIC_OF = {"case_event": "case.events.v1", "alert": "bus.alerts.v1", "snapshot": "case.snapshots.v1"}


def output_record(settings: BusSettings, output: Output) -> OutgoingRecord:
    """Where each kind of output goes; dispatches go to the agency's own topic."""
    topic = f"{output.agency}.dispatch.v1" if output.kind == "dispatch" else TOPIC_OF[output.kind]
    assert output.message is not None
    return encode(output.message, topic=settings.topic(topic), key=output.key)


def routed_record(settings: BusSettings, record: RawRecord, area: str, publisher: str) -> OutgoingRecord:
    """The agency record, unchanged, keyed by area, with where it came from and who published it."""
    source = (record.topic, str(record.partition), str(record.offset), publisher)
    headers = tuple(h for h in record.headers if h[0] not in SOURCE_HEADERS)
    headers += tuple((k, v.encode()) for k, v in zip(SOURCE_HEADERS, source, strict=True))
    return OutgoingRecord(settings.topic(INPUT), area.encode(), record.value or b"", headers)


def input_of(decoded: Decoded) -> Input:
    record = decoded.record
    topic, partition, offset, publisher = ((record.header(h) or b"").decode() for h in SOURCE_HEADERS)
    source = (
        Position(topic, int(partition or -1), int(offset or -1))
        if topic
        else Position(record.topic, record.partition, record.offset)
    )
    at = Position(record.topic, record.partition, record.offset)
    event = decoded.as_(agency_events_pb2.AgencyEvent)
    return Input(event, at, source, publisher_from_headers(topic, publisher))


class AreaStore(Protocol):
    """Where area states live. `load` returns the area's working state (the same object until
    it is saved or dropped); `save` persists what a step changed."""

    def load(self, area: str) -> AreaState: ...

    def save(self, area: str, state: AreaState, changes: Changes) -> None: ...

    def areas(self, partition: int) -> list[str]: ...

    def remember(self, partition: int, area: str) -> None: ...


@dataclass(frozen=True)
class AreaStep:
    area: str
    state: AreaState
    changes: Changes
    outputs: list[Output]


def steps_for(store: AreaStore, rules: Rules, item: Input, key: str) -> list[AreaStep]:
    """The steps an input causes, each on the area's working state (nothing is saved here)."""
    areas = store.areas(item.at.partition) if item.is_tick else [key]
    return [_step(store.load(area), item, rules) for area in areas]


def _step(state: AreaState, item: Input, rules: Rules) -> AreaStep:
    """One area's step; a fault of the core becomes a dead letter and leaves the area as it was
    (the step's writes are undone).

    The core refuses what it cannot act on by itself (admission); this is the last line, so one
    district's fault neither stops the service nor holds up the other districts of a tick."""
    try:
        return AreaStep(state.area, state, *apply(state, item, rules))
    except Exception as exc:
        detail = f"the core failed on this input in area {state.area}: {type(exc).__name__}: {exc}"
        reject = Output("reject", state.area, reason="correlator.internal", detail=detail)
        return AreaStep(state.area, state, Changes(frozenset()), [reject])


@dataclass
class MemoryStore:
    """Area states in a dict: for replays and tests."""

    states: dict[str, AreaState] = field(default_factory=dict)
    known: dict[int, list[str]] = field(default_factory=dict)

    def load(self, area: str) -> AreaState:
        state = self.states.get(area)
        if state is None:  # not `setdefault`: that would build a state on every load
            state = self.states[area] = AreaState(area)
        return state

    def save(self, area: str, state: AreaState, changes: Changes) -> None:
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
        store.save(s.area, s.state, s.changes)
        outputs.extend(s.outputs)
    if not item.is_tick:
        store.remember(item.at.partition, key)
    return outputs
