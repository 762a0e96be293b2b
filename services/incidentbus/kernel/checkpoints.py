"""Signed checkpoints of the case chains: what makes a cut tail, a deleted case or a rolled-back
partition visible (issue 17). Pure: no I/O, no clock; keys are given.

A per-case hash chain shows an altered, removed or reordered event, but not its own last events
cut off, a whole case deleted, or the log rolled back to an earlier consistent point. A checkpoint
fixes the chain heads (case id -> last sequence and hash) of one correlator input partition at a
point of event time, as a Merkle tree hash (RFC 6962's, as Certificate Transparency's signed tree
heads), signs it with Ed25519 and chains it to its predecessor. It carries the heads that changed
since the previous checkpoint, so the full set at any checkpoint is the fold of its chain, and the
fold's root must be the signed root. An auditor holding the public key and the checkpoints then
knows, for every case the bus had fixed, how far its chain must reach.

Shapes: a head is (case id, sequence >= 1, 32-byte SHA-256); roots and digests are 32 bytes;
signatures 64 bytes (Ed25519, deterministic per RFC 8032, so a replay signs alike).
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from incidentbus.kernel.envelope import new_envelope, timestamp_ms
from incidentbus.kernel.ids import stable_id
from incidentbus.v1 import case_events_pb2

Head = tuple[int, bytes]  # (last sequence, last hash) of one case's chain
HASH_BYTES = 32
_KID = re.compile(r"[A-Za-z0-9_.-]{1,64}")


def _frame(*parts: bytes) -> bytes:
    """Length-prefixed parts: no two different lists of parts frame alike."""
    return b"".join(len(p).to_bytes(4, "big") + p for p in parts)


def leaf(case_id: str, head: Head) -> bytes:
    """One chain head as a Merkle leaf's data."""
    sequence, last_hash = head
    return _frame(case_id.encode("utf-8"), sequence.to_bytes(8, "big"), last_hash)


def merkle_root(leaves: list[bytes]) -> bytes:
    """RFC 6962 section 2.1 Merkle Tree Hash: SHA-256(0x00 | leaf) for leaves, SHA-256(0x01 | left
    | right) for nodes, split at the largest power of two below the count; the empty tree hashes
    the empty string."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return hashlib.sha256(b"\x00" + leaves[0]).digest()
    split = 1 << ((len(leaves) - 1).bit_length() - 1)
    return hashlib.sha256(b"\x01" + merkle_root(leaves[:split]) + merkle_root(leaves[split:])).digest()


def leaf_hash(case_id: str, head: Head) -> bytes:
    return hashlib.sha256(b"\x00" + leaf(case_id, head)).digest()


def _node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


class HeadTree:
    """The chain heads of one partition as an RFC 6962 Merkle tree kept up to date: leaves in the
    order the cases were first put (append-only slots, so a new case never moves another's leaf),
    every complete subtree's hash kept, so putting a head costs O(log n) and the root O(log n)
    instead of hashing every case again at each checkpoint. `merkle_root` of the leaves in slot
    order is the same root (the tests hold it to that)."""

    def __init__(self) -> None:
        self.slots: dict[str, int] = {}
        self.heads: dict[str, Head] = {}
        self.order: list[str] = []
        self._levels: list[list[bytes]] = [[]]  # level l: hashes of the complete 2**l-leaf subtrees

    def __len__(self) -> int:
        return len(self.order)

    def put(self, case_id: str, head: Head) -> None:
        """Set a case's head: a new case takes the next slot."""
        slot = self.slots.get(case_id)
        if slot is None:
            slot = self.slots[case_id] = len(self.order)
            self.order.append(case_id)
            self._levels[0].append(b"")
        self.heads[case_id] = head
        self._levels[0][slot] = leaf_hash(case_id, head)
        level = 1
        while (slot >> level) < ((len(self.order)) >> level):  # the subtree above is complete
            if level == len(self._levels):
                self._levels.append([])
            index, below = slot >> level, self._levels[level - 1]
            value = _node(below[2 * index], below[2 * index + 1])
            if index == len(self._levels[level]):
                self._levels[level].append(value)
            else:
                self._levels[level][index] = value
            level += 1

    def root(self) -> bytes:
        """The Merkle tree hash of every leaf: the complete subtrees of the count's binary
        decomposition, largest first, folded from the right (RFC 6962 section 2.1)."""
        count = len(self.order)
        if not count:
            return hashlib.sha256(b"").digest()
        peaks, start = [], 0
        for level in range(count.bit_length() - 1, -1, -1):
            if count & (1 << level):
                peaks.append(self._levels[level][start >> level])
                start += 1 << level
        value = peaks[-1]
        for peak in reversed(peaks[:-1]):
            value = _node(peak, value)
        return value


def heads_root(heads: Mapping[str, Head], order: Iterable[str]) -> bytes:
    """The Merkle tree hash of the heads of `order`'s cases that `heads` holds, in that order."""
    return merkle_root([leaf(case_id, heads[case_id]) for case_id in order if case_id in heads])


@dataclass(frozen=True)
class Checkpoint:
    """What one checkpoint fixes for one input partition; `changed` is the heads that moved since
    checkpoint `number - 1` (all heads for number 1), `root` the tree hash of every head."""

    partition: int
    number: int  # 1, 2, ... on its partition
    at_ms: int  # the event time it was taken at
    input_offset: int  # the next input offset of the partition: what it covers
    cases: int  # heads in the tree
    root: bytes
    previous: bytes  # digest of checkpoint number - 1 (b"" for number 1)
    changed: tuple[tuple[str, Head], ...] = ()

    def body(self) -> bytes:
        """The signed bytes: every field, framed deterministically."""
        numbers = (self.partition, self.number, self.at_ms, self.input_offset, self.cases)
        changes = b"".join(leaf(case_id, head) for case_id, head in self.changed)
        return _frame(b"incidentbus.checkpoint.v1", *(n.to_bytes(8, "big", signed=True) for n in numbers),
                      self.root, self.previous, changes)  # fmt: skip


@dataclass(frozen=True)
class Signed:
    checkpoint: Checkpoint
    key_id: str
    signature: bytes

    def digest(self) -> bytes:
        """What the next checkpoint's `previous` holds: the hash of this one's signed content. Not
        of its signature: a checkpoint made again alike (a replay without the key, or a batch
        re-signed after a key rotation) is the same link, and only another content conflicts."""
        return hashlib.sha256(self.checkpoint.body()).digest()


def take(
    partition: int,
    tree: HeadTree,
    pending: Mapping[str, Head],
    last: Signed | None,
    *,
    at_ms: int,
    input_offset: int,
) -> Checkpoint:
    """The next checkpoint of a partition: the heads that moved since `last` (`pending`) are put
    into `tree` (in case id order, so new cases take their slots alike in every replay and in the
    auditor's fold) and the tree's root fixed."""
    changed = tuple((c, pending[c]) for c in sorted(pending) if tree.heads.get(c) != pending[c])
    for case_id, head in changed:
        tree.put(case_id, head)
    return Checkpoint(
        partition,
        last.checkpoint.number + 1 if last else 1,
        at_ms,
        input_offset,
        len(tree),
        tree.root(),
        last.digest() if last else b"",
        changed,
    )


def sign(checkpoint: Checkpoint, key_id: str, key: Ed25519PrivateKey) -> Signed:
    return Signed(checkpoint, key_id, key.sign(checkpoint.body()))


def signing_keys(text: str) -> dict[str, Ed25519PrivateKey]:
    """`kid:base64(32-byte seed),kid2:…` -> keys; ValueError naming the entry (never the seed)."""
    keys: dict[str, Ed25519PrivateKey] = {}
    for entry in filter(None, (e.strip() for e in text.split(","))):
        kid, _, encoded = entry.partition(":")
        try:
            seed = base64.b64decode(encoded, validate=True)
        except ValueError:
            seed = b""
        if not _KID.fullmatch(kid) or len(seed) != 32:
            raise ValueError(f"checkpoint key {kid or '?'!r}: expected kid:base64 of a 32-byte Ed25519 seed")
        keys[kid] = Ed25519PrivateKey.from_private_bytes(seed)
    if not keys:
        raise ValueError("no checkpoint signing key")
    return keys


@dataclass(frozen=True)
class Finding:
    """One thing an auditor must know. `kind`: forged_checkpoint, unknown_key, wrong_partition,
    conflicting_checkpoints, checkpoint_gap, broken_checkpoint_chain, checkpoint_root_mismatch,
    tail_truncated, case_deleted, forked, rolled_back."""

    kind: str
    partition: int
    case_id: str = ""
    detail: str = ""


@dataclass
class Fold:
    """A partition's checkpoints folded in number order: the heads at the latest, the roots of
    every one (to recognise a rollback), and what was wrong with the chain of checkpoints."""

    partition: int
    tree: HeadTree = field(default_factory=HeadTree)
    roots: dict[bytes, int] = field(default_factory=dict)  # root -> the checkpoint number having it
    latest: Signed | None = None
    findings: list[Finding] = field(default_factory=list)

    @property
    def heads(self) -> Mapping[str, Head]:
        return self.tree.heads


def fold(partition: int, checkpoints: Iterable[Signed], public_keys: Mapping[str, Ed25519PublicKey]) -> Fold:
    """Check and fold a partition's signed checkpoints (any order, byte-identical copies collapsed).
    A forged one (bad signature, unknown key) or one of another partition is reported and left out;
    two different validly signed checkpoints of one number (`conflicting_checkpoints`: the signer
    told two stories) are reported and the one with the smaller digest is folded, whatever the
    order; a gap in the numbers, a `previous` that is not the predecessor's digest, and a fold whose
    root differs from the signed root (altered `changed`) are reported."""
    found = Fold(partition)
    by_number: dict[int, Signed] = {}
    for signed in checkpoints:
        number = signed.checkpoint.number
        problem = _signature_problem(signed, public_keys)
        if problem is None and signed.checkpoint.partition != partition:
            problem = "wrong_partition"
        if problem is not None:
            found.findings.append(Finding(problem, partition, detail=f"checkpoint {number}"))
            continue
        known = by_number.get(number)
        if known is not None and known.digest() != signed.digest():
            found.findings.append(
                Finding("conflicting_checkpoints", partition, detail=f"checkpoint {number}")
            )
        if known is None or signed.digest() < known.digest():
            by_number[number] = signed
    expected, previous = 1, b""
    for number in sorted(by_number):
        signed = by_number[number]
        if number != expected:
            found.findings.append(
                Finding("checkpoint_gap", partition, detail=f"{expected}..{number - 1} absent")
            )
        elif signed.checkpoint.previous != previous:
            found.findings.append(
                Finding("broken_checkpoint_chain", partition, detail=f"checkpoint {number}")
            )
        for case_id, head in signed.checkpoint.changed:
            found.tree.put(case_id, head)
        if found.tree.root() != signed.checkpoint.root:
            found.findings.append(
                Finding("checkpoint_root_mismatch", partition, detail=f"checkpoint {number}")
            )
        found.roots.setdefault(signed.checkpoint.root, number)
        found.latest, expected, previous = signed, number + 1, signed.digest()
    return found


def _signature_problem(signed: Signed, public_keys: Mapping[str, Ed25519PublicKey]) -> str | None:
    key = public_keys.get(signed.key_id)
    if key is None:
        return "unknown_key"
    try:
        key.verify(signed.signature, signed.checkpoint.body())
    except (InvalidSignature, OverflowError, ValueError):  # a body that cannot even be framed
        return "forged_checkpoint"
    return None


def compare(checkpointed: Fold, copy: Mapping[str, Mapping[int, bytes]]) -> list[Finding]:
    """The copy's chains (case id -> sequence -> hash) against the heads the checkpoints fixed: a
    case they fixed that the copy lacks (`case_deleted`), one whose chain stops short of its head
    (`tail_truncated`), one whose event at the head's sequence is another (`forked`); and when the
    copy's heads for this partition are exactly an earlier checkpoint's, `rolled_back`."""
    findings: list[Finding] = []
    partition = checkpointed.partition
    now: dict[str, Head] = {}
    for case_id, (sequence, last_hash) in sorted(checkpointed.heads.items()):
        chain = copy.get(case_id)
        if not chain:
            findings.append(Finding("case_deleted", partition, case_id, f"fixed at sequence {sequence}"))
            continue
        top = max(chain)
        now[case_id] = (top, chain[top])
        if top < sequence:
            findings.append(
                Finding("tail_truncated", partition, case_id, f"ends at {top}, fixed at {sequence}")
            )
        elif chain.get(sequence) != last_hash:
            findings.append(
                Finding("forked", partition, case_id, f"sequence {sequence} is not the one fixed")
            )
    earlier = checkpointed.roots.get(heads_root(now, checkpointed.tree.order)) if findings else None
    latest = checkpointed.latest.checkpoint.number if checkpointed.latest else 0
    if earlier is not None and earlier < latest:
        findings.append(Finding("rolled_back", partition, detail=f"to checkpoint {earlier} of {latest}"))
    return findings


# -- on the wire -----------------------------------------------------------------------------------


def to_message(signed: Signed) -> case_events_pb2.CaseCheckpoint:
    """The signed checkpoint as the record published on `case.checkpoints.v1` (envelope included:
    a stable id per partition and number, recorded at the checkpoint's event time)."""
    c = signed.checkpoint
    message = case_events_pb2.CaseCheckpoint(
        partition=c.partition,
        number=c.number,
        at_ms=c.at_ms,
        input_offset=c.input_offset,
        cases=c.cases,
        root=c.root,
        previous=c.previous,
        changed=[case_events_pb2.ChainHead(case_id=k, sequence=s, hash=v) for k, (s, v) in c.changed],
        key_id=signed.key_id,
        signature=signed.signature,
    )
    message.envelope.CopyFrom(
        new_envelope(
            event_type=message.DESCRIPTOR.full_name,
            source="correlator",
            source_ref=record_key(c.partition, c.number),
            recorded_at=timestamp_ms(c.at_ms),
            id_override=stable_id("checkpoint", c.partition, c.number),
        )
    )
    return message


def from_message(message: case_events_pb2.CaseCheckpoint) -> Signed:
    """A published checkpoint back as `Signed` (whether its signature holds is `fold`'s to say)."""
    changed = tuple((h.case_id, (h.sequence, h.hash)) for h in message.changed)
    checkpoint = Checkpoint(
        message.partition,
        message.number,
        message.at_ms,
        message.input_offset,
        message.cases,
        message.root,
        message.previous,
        changed,
    )
    return Signed(checkpoint, message.key_id, message.signature)


def record_key(partition: int, number: int) -> str:
    """The compacted topic's key: one per checkpoint, so compaction only collapses resends."""
    return f"{partition}/{number}"
