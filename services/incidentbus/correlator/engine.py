"""One input record -> the area steps it causes and the records they publish. Shared by the live
loop (correlator/runtime.py) and `incidentbus replay`, so a replay walks exactly the path
production walked.

A tick advances every area already seen in its partition (sorted); any other record steps the
area named by its key. The store is where area states live: per input partition, over RocksDB
and the state changelog, in production; a dict in a replay. The records at both ends are here
too — an agency record routed onto the input topic, an input record read back as a core `Input`
(`records_for`: the whole per-record protocol, gate to dead letters), an output as the record it
is published as, a clock tick — so the shells, `replay` and `correlate` share one protocol and
only the shells do I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from incidentbus.correlator.checkpointing import CHECKPOINTS, Checkpointer
from incidentbus.correlator.domain.area import AreaState, Changes
from incidentbus.correlator.domain.core import apply
from incidentbus.correlator.domain.inputs import Input, Position
from incidentbus.correlator.domain.outputs import Output
from incidentbus.correlator.domain.rules import Rules
from incidentbus.correlator.routing import SOURCE_HEADERS, UnroutableError, check_time, publisher_from_headers
from incidentbus.kernel.checkpoint_keys import Signer
from incidentbus.kernel.codec import Decoded, encode
from incidentbus.kernel.deadletter import dead_letter_record
from incidentbus.kernel.envelope import new_envelope, timestamp_ms, wrap
from incidentbus.kernel.gate import Rejected, admit, reject
from incidentbus.kernel.ids import stable_id
from incidentbus.kernel.records import OutgoingRecord, RawRecord
from incidentbus.kernel.settings import BusSettings
from incidentbus.v1 import agency_events_pb2

INPUT = "correlator.input.v1"
TOPIC_OF = {
    "case_event": "case.events.v1",
    "alert": "bus.alerts.v1",
    "snapshot": "case.snapshots.v1",
    "checkpoint": CHECKPOINTS,
}


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

    def checkpointer(self, partition: int) -> Checkpointer | None:
        """The partition's checkpoints (None: none are signed, as offline runs)."""
        ...


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
    # Given (signer or None, interval), checkpoints are made (replay) as the live loop makes them.
    signing: tuple[Signer | None, int] | None = None
    checkpointers: dict[int, Checkpointer] = field(default_factory=dict)

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

    def checkpointer(self, partition: int) -> Checkpointer | None:
        if self.signing is None:
            return None
        found = self.checkpointers.get(partition)
        if found is None:
            found = self.checkpointers[partition] = Checkpointer(partition, *self.signing)
        return found


def run_input(store: AreaStore, rules: Rules, item: Input, key: str) -> list[Output]:
    """Step and save at once (replay): the outputs of one input, in order (a checkpoint due
    before it first)."""
    checkpointer = store.checkpointer(item.at.partition)
    outputs = checkpointer.due(item.recorded_ms, item.at.offset) if checkpointer else []
    for s in steps_for(store, rules, item, key):
        store.save(s.area, s.state, s.changes)
        outputs.extend(s.outputs)
        if checkpointer is not None:
            checkpointer.moved(s.outputs)
    if not item.is_tick:
        store.remember(item.at.partition, key)
    return outputs


def records_for(
    store: AreaStore, rules: Rules, settings: BusSettings, record: RawRecord
) -> list[OutgoingRecord]:
    """The records one input record publishes, in order, its steps saved to `store`: the gate
    (undecodable: its dead letter), the bus-clock check (a `recorded_at` ahead of the broker's
    time: its dead letter; the router checked, but this topic is writable), then the steps; what
    the core refused is a dead letter citing the input record."""
    outcome = admit(
        record, agency_events_pb2.AgencyEvent, rejected_by="correlator", max_bytes=settings.max_message_bytes
    )
    if isinstance(outcome, Rejected):
        return [dead_letter_record(outcome.letter, settings)]
    item = input_of(outcome)
    try:
        check_time(item.event, record.timestamp_ms)
    except UnroutableError as exc:
        return [refused_record(settings, record, exc.reason, str(exc))]
    key = (record.key or b"").decode()
    outputs: list[OutgoingRecord] = []
    checkpointer = store.checkpointer(record.partition)
    if checkpointer is not None:
        outputs += [output_record(settings, due) for due in checkpointer.due(item.recorded_ms, record.offset)]
    for area_step in steps_for(store, rules, item, key):
        store.save(area_step.area, area_step.state, area_step.changes)
        if checkpointer is not None:
            checkpointer.moved(area_step.outputs)
        for output in area_step.outputs:
            if output.kind == "reject":
                outputs.append(refused_record(settings, record, output.reason, output.detail))
            else:
                outputs.append(output_record(settings, output))
    if not item.is_tick:
        store.remember(record.partition, key)
    return outputs


def refused_record(
    settings: BusSettings, record: RawRecord, reason: str, detail: str, *, phase: str = "correlate"
) -> OutgoingRecord:
    """The correlator's dead letter for a record it refused after decoding (`phase`: "route" in
    the routers, "correlate" in the loop)."""
    letter = reject(record, reason=reason, detail=detail, phase=phase, rejected_by="correlator")
    return dead_letter_record(letter.letter, settings)


def tick_record(settings: BusSettings, partition: int, now_ms: int) -> OutgoingRecord:
    """A clock tick for one input partition at `now_ms` (the shell's wall clock, ms since the
    epoch): the only way wall time enters the input, as a record like any other. Its id is
    stable for (topic, partition, now_ms), so a resent tick is the same record."""
    topic = settings.topic(INPUT)
    body = agency_events_pb2.ClockTicked(partition=partition)
    env = new_envelope(
        event_type=body.DESCRIPTOR.full_name,
        source="correlator",
        source_ref=f"tick/{partition}/{now_ms}",
        recorded_at=timestamp_ms(now_ms),
        id_override=stable_id("tick", topic, partition, now_ms),
    )
    return encode(wrap(agency_events_pb2.AgencyEvent, body, env), topic=topic, key=f"tick-{partition}")
