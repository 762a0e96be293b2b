"""Replay: re-run the correlator core over its recorded input and compare with what production wrote.

The input is `correlator.input.v1` (already ordered per area, clock ticks included), read
without a consumer group, so a replay never moves production offsets. Inputs before the window
are replayed too, to rebuild state, but only the window's outputs are reported or written.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from google.protobuf.message import DecodeError

from incidentbus.correlator.domain.outputs import Output
from incidentbus.correlator.domain.rules import Rules
from incidentbus.correlator.engine import MemoryStore, input_of, run_input
from incidentbus.correlator.routing import UnroutableError, check_time
from incidentbus.kernel.checkpoint_keys import Signer
from incidentbus.kernel.checkpoints import from_message, record_key
from incidentbus.kernel.gate import Rejected, admit
from incidentbus.kernel.records import RawRecord
from incidentbus.v1 import agency_events_pb2, case_events_pb2


@dataclass(frozen=True)
class Window:
    """Which inputs count: by event time, and/or by partition and offsets. Empty = everything."""

    since_ms: int | None = None
    until_ms: int | None = None
    partition: int | None = None
    from_offset: int | None = None
    to_offset: int | None = None

    def after(self, record: RawRecord, at_ms: int) -> bool:
        """Past the window's end: this partition has nothing more to replay."""
        if self.partition is not None and record.partition != self.partition:
            return False
        return (self.until_ms is not None and at_ms > self.until_ms) or (
            self.to_offset is not None and record.offset > self.to_offset
        )

    def contains(self, record: RawRecord, at_ms: int) -> bool:
        if self.partition is not None and record.partition != self.partition:
            return False
        if self.from_offset is not None and record.offset < self.from_offset:
            return False
        return self.since_ms is None or at_ms >= self.since_ms


@dataclass
class Replay:
    """What a replay produced: outputs of the window's inputs, and those inputs' event ids; with a
    signer, the checkpoints among the outputs, and those taken at each partition's end (`ends`)."""

    outputs: list[Output] = field(default_factory=list)
    inputs: set[str] = field(default_factory=set)
    replayed: int = 0
    ends: list[Output] = field(default_factory=list)

    def checkpoints(self) -> list[case_events_pb2.CaseCheckpoint]:
        """The checkpoints signed at interval boundaries, as production signs them."""
        return [o.message for o in self.outputs if isinstance(o.message, case_events_pb2.CaseCheckpoint)]

    def case_events(self) -> list[case_events_pb2.CaseEvent]:
        return [o.message for o in self.outputs if o.kind == "case_event"]  # type: ignore[misc]


def replay(
    records: Iterable[RawRecord],
    rules: Rules,
    window: Window = Window(),
    signer: Signer | None = None,
    *,
    checkpoints: bool = False,
) -> Replay:
    """Feed the recorded input through the core, partition by partition, in log order, refusing
    what the live loop refused (undecodable; recorded ahead of the broker's time). With
    `checkpoints`, the checkpoints production made too, signed by `signer` (the same bytes, Ed25519
    being deterministic, when it is production's key) or unsigned; and, signed only, one more at
    each partition's end (`Replay.ends`), so a replayed copy is covered whole."""
    signing = (signer, rules.audit.checkpoint_interval_ms) if checkpoints else None
    store, result, finished = MemoryStore(signing=signing), Replay(), set[int]()
    read: dict[int, int] = {}  # partition -> the next offset unread
    for record in sorted(records, key=lambda r: (r.partition, r.offset)):
        decoded = admit(record, agency_events_pb2.AgencyEvent, rejected_by="replay", max_bytes=8 << 20)
        if isinstance(decoded, Rejected) or record.partition in finished:
            continue  # production dead-lettered it too
        item = input_of(decoded)
        try:
            check_time(item.event, record.timestamp_ms)
        except UnroutableError:
            continue  # and this
        if window.after(record, item.recorded_ms):
            finished.add(record.partition)
            continue
        read[record.partition] = record.offset + 1
        outputs = run_input(store, rules, item, (record.key or b"").decode())
        result.replayed += 1
        if window.contains(record, item.recorded_ms):
            result.outputs.extend(outputs)
            result.inputs.add(item.event_id)
    if signer is not None:
        for partition, checkpointer in sorted(store.checkpointers.items()):
            result.ends.extend(checkpointer.end(read[partition]))
    return result


@dataclass(frozen=True)
class CheckpointDiff:
    """Replayed checkpoints against production's (`case.checkpoints.v1`), by partition and number:
    `identical` byte for byte, `same_content` (every signed field alike; signed by another key,
    or not signed by the replay), `differing` (keys), and `unpublished` (replayed, not in
    production: production has not reached them yet, or they were deleted)."""

    identical: int
    same_content: int
    differing: list[str]
    unpublished: list[str]


def compare_checkpoints(
    replayed: list[case_events_pb2.CaseCheckpoint], production: Iterable[RawRecord]
) -> CheckpointDiff:
    published = {(r.key or b"").decode(): r.value or b"" for r in production}
    identical = same = 0
    differing: list[str] = []
    unpublished: list[str] = []
    for checkpoint in replayed:
        key = record_key(checkpoint.partition, checkpoint.number)
        theirs = published.get(key)
        if theirs is None:
            unpublished.append(key)
        elif theirs == checkpoint.SerializeToString(deterministic=True):
            identical += 1
        elif _body(theirs) == from_message(checkpoint).checkpoint.body():
            same += 1
        else:
            differing.append(key)
    return CheckpointDiff(identical, same, differing, unpublished)


def _body(value: bytes) -> bytes | None:
    try:
        return from_message(case_events_pb2.CaseCheckpoint.FromString(value)).checkpoint.body()
    except (DecodeError, ValueError, OverflowError):
        return None


@dataclass(frozen=True)
class CaseDiff:
    """The first place a case's replayed history departs from production's."""

    case_id: str
    sequence: int
    production: str
    replay: str


def describe(event: case_events_pb2.CaseEvent | None) -> str:
    """A short, comparable account of a case event: its body and the field that matters most."""
    if event is None:
        return "(none)"
    body_name = event.WhichOneof("body") or ""
    body = getattr(event, body_name)
    detail = next(
        (
            str(getattr(body, f))
            for f in ("agency", "to_level", "reason", "new_case_id", "merged_case_id")
            if f in body.DESCRIPTOR.fields_by_name and getattr(body, f)
        ),
        "",
    )
    if body_name == "report_linked":
        detail = f"{body.report.source_ref} {body.score.rule}"
    return f"{body_name}({detail})" if detail else body_name


def compare(
    replayed: list[case_events_pb2.CaseEvent], production: list[case_events_pb2.CaseEvent], inputs: set[str]
) -> list[CaseDiff]:
    """Case by case, the first differing sequence between replay and production (in the replay's scope)."""
    mine = _by_case(replayed)
    theirs = _by_case([e for e in production if set(e.cause_event_ids) & inputs])
    diffs = []
    for case_id in sorted(set(mine) | set(theirs)):
        a, b = mine.get(case_id, {}), theirs.get(case_id, {})
        for seq in sorted(set(a) | set(b)):
            if a.get(seq, b"") != b.get(seq, b""):
                diffs.append(
                    CaseDiff(case_id, seq, describe(_parse(b.get(seq))), describe(_parse(a.get(seq))))
                )
                break
    return diffs


def _by_case(events: list[case_events_pb2.CaseEvent]) -> dict[str, dict[int, bytes]]:
    found: dict[str, dict[int, bytes]] = {}
    for event in events:
        found.setdefault(event.case_id, {})[event.sequence] = event.SerializeToString(deterministic=True)
    return found


def _parse(raw: bytes | None) -> case_events_pb2.CaseEvent | None:
    if raw is None:
        return None
    event = case_events_pb2.CaseEvent()
    event.ParseFromString(raw)
    return event


def to_ms(when: datetime | None) -> int | None:
    """An aware time (as `text.parse_when` gives) -> epoch milliseconds; a naive one is refused,
    since its instant would depend on the host's zone."""
    if when is None:
        return None
    if when.tzinfo is None:
        raise ValueError(f"{when.isoformat()} has no zone")
    return int(when.timestamp() * 1000)
