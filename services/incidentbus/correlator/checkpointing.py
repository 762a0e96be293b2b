"""Signed checkpoints of one correlator input partition (issue 17; what is signed:
kernel/checkpoints.py). Engine edge, no I/O: the engine calls `due` before each admitted input
is stepped and `moved` with each case event it publishes; the shells persist `writes()`.

When an input's event time reaches the next multiple of the rules' interval (`[audit]
checkpoint_minutes`) after the partition's last checkpoint, the heads moved since are fixed
first, at that boundary, covering the inputs before this one. Nothing moved: no checkpoint. The
input decides, not the wall clock, so a replay of the partition's input signs the same bytes
(Ed25519 signatures are deterministic), and a live partition with no reports still gets its
checkpoints, its clock ticks being inputs too.

State, in the partition's store beside its districts: `LAST_KEY` (the next boundary and the last
checkpoint) and one `HEAD_PREFIX + case id` record per case (its slot and head in the tree, and
its head not yet checkpointed), so a restore resumes the tree and what is pending exactly.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable
from dataclasses import dataclass, field

from incidentbus.correlator.domain.outputs import Output
from incidentbus.kernel.checkpoint_keys import Signer
from incidentbus.kernel.checkpoints import (
    Head,
    HeadTree,
    Signed,
    from_message,
    record_key,
    sign,
    take,
    to_message,
)
from incidentbus.v1 import case_events_pb2

CHECKPOINTS = "case.checkpoints.v1"
# Keys of the partition's store: no "|", which every district's key holds (partitions.py).
LAST_KEY = b"__checkpoint__"
HEAD_PREFIX = b"__head__/"
_HEAD = struct.Struct(">q q 32s q 32s")  # slot (-1: not in the tree), tree head, pending head (0: none)
_DUE = struct.Struct(">? q")  # whether a boundary is set, and it
# At most this many heads in one checkpoint (about 60 bytes each): more moved heads at one
# boundary make consecutive checkpoints at the same event time, each well under the topic's and
# the state changelog's 1 MB records.
MAX_HEADS = 4_000


@dataclass
class Checkpointer:
    """One partition's checkpoints: the tree of the heads last fixed, those moved since, the last
    checkpoint and the boundary of the next (None before the partition's first input). Without a
    signer (a replay by whoever does not hold the key) checkpoints are made, not signed: their
    content can still be held against production's."""

    partition: int
    signer: Signer | None
    interval_ms: int
    tree: HeadTree = field(default_factory=HeadTree)
    pending: dict[str, Head] = field(default_factory=dict)
    last: Signed | None = None
    due_ms: int | None = None
    dirty: set[str] = field(default_factory=set)
    moved_last: bool = False
    clock_ms: int | None = None  # the latest event time seen (in memory only: for `end`)

    def due(self, at_ms: int, input_offset: int) -> list[Output]:
        """Before the input at `input_offset` (event time `at_ms`) is stepped: the checkpoints due,
        as outputs, if its event time reached the boundary and heads moved since the last (one,
        or more for over MAX_HEADS heads). A late input (event time before the boundary) is no
        reason for one."""
        self.clock_ms = at_ms if self.clock_ms is None else max(self.clock_ms, at_ms)
        if self.due_ms is not None and at_ms < self.due_ms:
            return []
        first = self.due_ms is None
        boundary = at_ms - at_ms % self.interval_ms
        self.due_ms, self.moved_last = boundary + self.interval_ms, True
        return [] if first else self.take(boundary, input_offset)

    def end(self, input_offset: int) -> list[Output]:
        """At the end of a replay of the partition (the next offset unread): the heads moved since
        the last checkpoint, fixed at the latest event time seen. The live loop has no end: its
        next boundary fixes them."""
        return self.take(self.clock_ms or 0, input_offset)

    def take(self, at_ms: int, input_offset: int) -> list[Output]:
        """Fix the pending heads now, MAX_HEADS at a time, in case id order (none pending: none).
        The event time never goes back, even when the interval was made longer."""
        outputs: list[Output] = []
        at_ms = max(at_ms, self.last.checkpoint.at_ms) if self.last else at_ms
        while self.pending:
            chunk = {c: self.pending[c] for c in sorted(self.pending)[:MAX_HEADS]}
            checkpoint = take(
                self.partition, self.tree, chunk, self.last, at_ms=at_ms, input_offset=input_offset
            )
            self.last = (
                sign(checkpoint, self.signer.key_id, self.signer.key)
                if self.signer
                else Signed(checkpoint, "", b"")
            )
            self.dirty.update(chunk)
            self.pending = {c: h for c, h in self.pending.items() if c not in chunk}
            self.moved_last = True
            outputs.append(
                Output("checkpoint", record_key(self.partition, checkpoint.number), to_message(self.last))
            )
        return outputs

    def moved(self, outputs: Iterable[Output]) -> None:
        """Note the heads of the case events among a step's outputs."""
        for output in outputs:
            if output.kind == "case_event" and isinstance(output.message, case_events_pb2.CaseEvent):
                event = output.message
                self.pending[event.case_id] = (event.sequence, event.hash)
                self.dirty.add(event.case_id)

    # -- in the partition's store ---------------------------------------------------------------

    def writes(self) -> dict[bytes, bytes | None]:
        """The records changed since the last call (then forgotten)."""
        out: dict[bytes, bytes | None] = {HEAD_PREFIX + c.encode(): self._head_record(c) for c in self.dirty}
        if self.moved_last:
            last = to_message(self.last).SerializeToString(deterministic=True) if self.last else b""
            out[LAST_KEY] = _DUE.pack(self.due_ms is not None, self.due_ms or 0) + last
        self.dirty, self.moved_last = set(), False
        return out

    def _head_record(self, case_id: str) -> bytes:
        slot = self.tree.slots.get(case_id, -1)
        fixed = self.tree.heads.get(case_id, (0, b""))
        pending = self.pending.get(case_id, (0, b""))
        return _HEAD.pack(slot, fixed[0], fixed[1], pending[0], pending[1])

    @classmethod
    def restored(
        cls, partition: int, signer: Signer | None, interval_ms: int, records: Iterable[tuple[bytes, bytes]]
    ) -> Checkpointer:
        """From the records `writes` left (any order); the tree is rebuilt in slot order."""
        found = cls(partition, signer, interval_ms)
        slotted: list[tuple[int, str, Head]] = []
        for key, value in records:
            if key == LAST_KEY:
                has_due, due_ms = _DUE.unpack_from(value)
                found.due_ms = due_ms if has_due else None
                if len(value) > _DUE.size:
                    found.last = from_message(case_events_pb2.CaseCheckpoint.FromString(value[_DUE.size :]))
            elif key.startswith(HEAD_PREFIX):
                case_id = key[len(HEAD_PREFIX) :].decode()
                slot, seq, digest, pending_seq, pending_digest = _HEAD.unpack(value)
                if slot >= 0:
                    slotted.append((slot, case_id, (seq, digest)))
                if pending_seq:
                    found.pending[case_id] = (pending_seq, pending_digest)
        for _, case_id, head in sorted(slotted):
            found.tree.put(case_id, head)
        return found


def is_checkpoint_record(key: bytes) -> bool:
    """A record of the checkpoints' (never a district's: those keys all hold "|")."""
    return b"|" not in key and (key == LAST_KEY or key.startswith(HEAD_PREFIX))
