"""Verifying case.events.v1: every case's hash chain, checked from the log alone.

The chain rules are the correlator's own (`check_chain`); this module only reads the log the
way an auditor must: group events by case in log order, collapse byte-identical repeats (the
correlator's at-least-once delivery writes them, and they are harmless), and say where in the
log each problem sits. A second, different version of a sequence number is a conflict; when
that version does not match its own hash it was altered, and that is said too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from incidentbus.correlator.domain.chain import ChainProblem, check_chain, event_hash
from incidentbus.kernel.codec import DecodeError, decode
from incidentbus.kernel.records import RawRecord
from incidentbus.v1 import case_events_pb2


@dataclass(frozen=True)
class Stored:
    """A case event and where it sits in the log."""

    event: case_events_pb2.CaseEvent
    partition: int
    offset: int

    @property
    def position(self) -> str:
        return f"{self.partition}/{self.offset}"

    @property
    def encoded(self) -> bytes:
        return self.event.SerializeToString(deterministic=True)


@dataclass(frozen=True)
class Problem:
    """One finding. `sequence` is 0 for findings about a whole case or a record that is no event."""

    case_id: str
    sequence: int
    problem: str  # check_chain's kinds, plus "undecodable" and "multiple_partitions"
    detail: str
    positions: tuple[str, ...] = ()  # "partition/offset" of the records concerned

    def as_dict(self) -> dict[str, object]:
        return {
            "case_id": self.case_id,
            "sequence": self.sequence,
            "problem": self.problem,
            "detail": self.detail,
            "positions": list(self.positions),
        }


@dataclass(frozen=True)
class Verdict:
    """The outcome of one verification run."""

    topic: str
    records_read: int
    cases_checked: int
    events_checked: int
    repeats_collapsed: int
    problems: list[Problem] = field(default_factory=list)
    snapshots_checked: int = 0  # cases whose latest snapshot was held against their chain
    checkpoints_checked: int = 0  # signed checkpoints the chains were held against

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict[str, object]:
        return {
            "topic": self.topic,
            "ok": self.ok,
            "records_read": self.records_read,
            "cases_checked": self.cases_checked,
            "events_checked": self.events_checked,
            "repeats_collapsed": self.repeats_collapsed,
            "snapshots_checked": self.snapshots_checked,
            "checkpoints_checked": self.checkpoints_checked,
            "problems": [p.as_dict() for p in self.problems],
        }


def _key(record: RawRecord) -> str:
    return (record.key or b"").decode("utf-8", "replace")


def group_by_case(
    records: Iterable[RawRecord], case_id: str | None = None
) -> tuple[dict[str, list[Stored]], list[Problem]]:
    """Case id -> its events in log order (records arrive sorted by partition and offset), and a
    problem for every record that is not a valid CaseEvent."""
    cases: dict[str, list[Stored]] = {}
    problems: list[Problem] = []
    for record in records:
        try:
            event: case_events_pb2.CaseEvent = decode(record, case_events_pb2.CaseEvent).message  # type: ignore[assignment]
        except DecodeError as exc:
            if case_id is None or _key(record) == case_id:
                where = (f"{record.partition}/{record.offset}",)
                problems.append(Problem(_key(record), 0, "undecodable", f"{exc.reason}: {exc.detail}", where))
            continue
        if case_id is None or event.case_id == case_id:
            cases.setdefault(event.case_id, []).append(Stored(event, record.partition, record.offset))
    return cases, problems


def collapse(events: list[Stored]) -> tuple[list[Stored], int]:
    """Drop byte-identical repeats (first copy kept); returns the events and how many were dropped."""
    kept: list[Stored] = []
    seen: set[bytes] = set()
    for stored in events:
        if stored.encoded in seen:
            continue
        seen.add(stored.encoded)
        kept.append(stored)
    return kept, len(events) - len(kept)


def _first_of(events: list[Stored], sequence: int) -> tuple[str, ...]:
    return next(((s.position,) for s in events if s.event.sequence == sequence), ())


def _located(found: ChainProblem, events: list[Stored]) -> Problem:
    if found.problem == "conflicting_versions":
        where = tuple(s.position for s in events if s.event.sequence == found.sequence)
    else:
        where = _first_of(events, found.sequence) if found.problem != "missing" else ()
    return Problem(found.case_id, found.sequence, found.problem, found.detail, where)


def _altered_versions(case_id: str, events: list[Stored]) -> list[Problem]:
    """Later versions of a sequence that do not match their own hash: someone edited a copy."""
    first: dict[int, Stored] = {}
    found: list[Problem] = []
    for stored in events:
        sequence = stored.event.sequence
        if sequence not in first:
            first[sequence] = stored
        elif stored.event.hash != event_hash(stored.event):
            detail = (
                f"the version at {stored.position} does not match its hash "
                f"(first version at {first[sequence].position})"
            )
            found.append(Problem(case_id, sequence, "altered", detail, (stored.position,)))
    return found


def check_case(case_id: str, events: list[Stored]) -> tuple[list[Problem], int, int]:
    """The problems of one case, the number of distinct events, and the repeats collapsed."""
    unique, repeats = collapse(events)
    problems = [_located(p, unique) for p in check_chain(case_id, (s.event for s in unique))]
    problems.extend(_altered_versions(case_id, unique))
    partitions = sorted({s.partition for s in events})
    if len(partitions) > 1:
        detail = f"events spread over partitions {partitions}: the key must be the case id"
        problems.append(Problem(case_id, 0, "multiple_partitions", detail))
    problems.sort(key=lambda p: p.sequence)
    return problems, len(unique), repeats


# Further checks of the grouped cases (the signed checkpoints, ops/checkpoint_audit.py): the
# problems found and how many things they held the cases against.
CaseCheck = Callable[[dict[str, list["Stored"]]], tuple[list["Problem"], int]]


def verify(
    topic: str,
    records: list[RawRecord],
    case_id: str | None = None,
    snapshots: list[RawRecord] | None = None,
    checkpoints: CaseCheck | None = None,
) -> Verdict:
    """Check every case on the topic (or just `case_id`), and, given the records of a snapshot
    topic, each case's latest snapshot against the head of its chain (`snapshot_problems`); given
    `checkpoints`, the cases against them too."""
    cases, problems = group_by_case(records, case_id)
    events = repeats = 0
    for cid, stored in cases.items():
        found, distinct, collapsed = check_case(cid, stored)
        problems.extend(found)
        events, repeats = events + distinct, repeats + collapsed
    latest, unreadable = latest_snapshots(snapshots or [], case_id)
    problems.extend(unreadable)
    problems.extend(snapshot_problems(cases, latest))
    held, checkpoints_checked = checkpoints(cases) if checkpoints else ([], 0)
    problems.extend(held)
    return Verdict(
        topic, len(records), len(cases), events, repeats, problems, len(latest), checkpoints_checked
    )


def latest_snapshots(
    records: Iterable[RawRecord], case_id: str | None = None
) -> tuple[dict[str, case_events_pb2.CaseSnapshot], list[Problem]]:
    """Case id -> its snapshot of the highest `last_sequence` (a compacted topic may still hold
    older ones), and a problem for each record that is no snapshot: `undecodable_snapshot`
    (garbage, or a tombstone: the correlator writes none, so one deletes a case's snapshot) and
    `misfiled_snapshot` (keyed by another case than it names)."""
    latest: dict[str, case_events_pb2.CaseSnapshot] = {}
    problems: list[Problem] = []
    for record in records:
        key, where = _key(record), (f"{record.partition}/{record.offset}",)
        if case_id is not None and key != case_id:
            continue
        try:
            snap: case_events_pb2.CaseSnapshot = decode(record, case_events_pb2.CaseSnapshot).message  # type: ignore[assignment]
        except DecodeError as exc:
            problems.append(Problem(key, 0, "undecodable_snapshot", f"{exc.reason}: {exc.detail}", where))
            continue
        if snap.case_id != key:
            problems.append(
                Problem(key, 0, "misfiled_snapshot", f"keyed {key!r}, names {snap.case_id!r}", where)
            )
            continue
        known = latest.get(snap.case_id)
        if known is None or snap.last_sequence >= known.last_sequence:
            latest[snap.case_id] = snap
    return latest, problems


def snapshot_problems(
    cases: dict[str, list[Stored]], latest: dict[str, case_events_pb2.CaseSnapshot]
) -> list[Problem]:
    """A snapshot must agree with the head of its case's chain: `snapshot_ahead` (the chain stops
    before the sequence the snapshot names: its tail is missing), `snapshot_behind` (events after
    the latest snapshot: a snapshot lost or rolled back), `snapshot_mismatch` (same sequence,
    another hash), `chain_missing` (a snapshot, no events: the case was deleted)."""
    found: list[Problem] = []
    for case_id, snap in sorted(latest.items()):
        unique, _ = collapse(cases.get(case_id, []))
        if not unique:
            detail = f"the snapshot is at sequence {snap.last_sequence}; the log holds no event of the case"
            found.append(Problem(case_id, 0, "chain_missing", detail))
            continue
        head = max(unique, key=lambda s: s.event.sequence)
        at, seq = head.position, head.event.sequence
        if seq < snap.last_sequence:
            detail = f"the chain ends at {seq}, the snapshot is at {snap.last_sequence}: its tail is gone"
            found.append(Problem(case_id, seq + 1, "snapshot_ahead", detail, (at,)))
        elif seq > snap.last_sequence:
            detail = f"the chain reaches {seq}, the latest snapshot is at {snap.last_sequence}"
            found.append(Problem(case_id, snap.last_sequence, "snapshot_behind", detail, (at,)))
        elif head.event.hash != snap.last_hash:
            detail = f"the snapshot's hash at {seq} is not the chain's"
            found.append(Problem(case_id, seq, "snapshot_mismatch", detail, (at,)))
    return found
