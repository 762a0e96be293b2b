"""Verifying case.events.v1 against the correlator's signed checkpoints (kernel/checkpoints.py):
what a per-case chain cannot show by itself — its own tail cut off, a whole case deleted, a
partition's cases rolled back to an earlier consistent point — and whether the checkpoints
themselves are genuine and complete. Pure: records in, problems out.

The checkpoints come from `case.checkpoints.v1`, an auditor's copy of it, or a file exported
from it (`checkpoint_lines` / `records_of_lines`: JSON lines holding each record's key, value and
headers as base64, plus the readable fields, so an import writes back the same bytes).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from google.protobuf.message import DecodeError as DecodeProtoError

from incidentbus.kernel.checkpoints import Finding, Signed, compare, fold, from_message, record_key
from incidentbus.kernel.codec import DecodeError, decode
from incidentbus.kernel.records import RawRecord
from incidentbus.ops.integrity import Problem, Stored, collapse
from incidentbus.v1 import case_events_pb2

# What each finding means, for the report (README, "Auditing" lists them too).
MEANING = {
    "tail_truncated": "the chain stops before the head a signed checkpoint fixed: its last events are gone",
    "case_deleted": "a signed checkpoint fixed this case; the log holds none of its events",
    "forked": "the event at the fixed head's sequence is not the one the checkpoint fixed",
    "rolled_back": "the partition's cases stand exactly as an earlier checkpoint fixed them",
    "forged_checkpoint": "the checkpoint's signature does not hold: it was made or altered without the key",
    "unknown_key": "signed with a key id the public key file does not hold",
    "wrong_partition": "a checkpoint filed under another partition than it names",
    "conflicting_checkpoints": "two different validly signed checkpoints of one number",
    "checkpoint_gap": "checkpoints of the partition are missing",
    "broken_checkpoint_chain": "a checkpoint does not name its predecessor's digest",
    "checkpoint_root_mismatch": "the heads the checkpoints list do not fold to the signed root",
}


@dataclass(frozen=True)
class Checked:
    """What the checkpoints covered: how many were read, per partition the latest number and its
    event time (ms), and how many case heads they fixed."""

    checkpoints: int
    latest: dict[int, tuple[int, int]]
    heads: int


def signed_checkpoints(records: Iterable[RawRecord]) -> tuple[dict[int, list[Signed]], list[Problem]]:
    """Partition -> its checkpoints as read, and a problem for every record that is none
    (`undecodable_checkpoint`) or is keyed as another (`misfiled_checkpoint`)."""
    found: dict[int, list[Signed]] = {}
    problems: list[Problem] = []
    for record in records:
        where = (f"{record.partition}/{record.offset}",)
        key = (record.key or b"").decode("utf-8", "replace")
        try:
            message = decode(record, case_events_pb2.CaseCheckpoint).as_(case_events_pb2.CaseCheckpoint)
        except DecodeError as exc:
            problems.append(Problem("", 0, "undecodable_checkpoint", f"{exc.reason}: {exc.detail}", where))
            continue
        signed = from_message(message)
        if key != record_key(signed.checkpoint.partition, signed.checkpoint.number):
            problems.append(Problem("", 0, "misfiled_checkpoint", f"keyed {key!r}", where))
            continue
        found.setdefault(signed.checkpoint.partition, []).append(signed)
    return found, problems


def chains_of(cases: Mapping[str, list[Stored]]) -> dict[str, dict[int, bytes]]:
    """Case id -> sequence -> hash, the first version of each sequence (repeats collapsed)."""
    chains: dict[str, dict[int, bytes]] = {}
    for case_id, events in cases.items():
        chain = chains[case_id] = {}
        for stored in collapse(events)[0]:
            chain.setdefault(stored.event.sequence, stored.event.hash)
    return chains


def checkpoint_problems(
    cases: Mapping[str, list[Stored]],
    records: Iterable[RawRecord],
    public_keys: Mapping[str, Ed25519PublicKey],
    case_id: str | None = None,
) -> tuple[list[Problem], Checked]:
    """Every case chain of the copy against the latest checkpoint covering it, and the checkpoints
    against the public keys and each other (MEANING says what each kind means). No checkpoint at
    all is a problem too (`no_checkpoints`): an auditor who asked for them must not be told a
    copy verified when nothing was held against it. With `case_id` (and `cases` holding only
    it), that case's findings and every finding about the checkpoints themselves (forged, gap,
    ...): a case is only as well fixed as the checkpoints that fix it."""
    by_partition, problems = signed_checkpoints(records)
    chains = chains_of(cases)
    latest: dict[int, tuple[int, int]] = {}
    heads = count = 0
    for partition in sorted(by_partition):
        folded = fold(partition, by_partition[partition], public_keys)
        count += len(by_partition[partition])
        found = compare(folded, chains)
        if case_id is not None:  # the other cases are absent, not deleted; no rollback judged
            found = [f for f in found if f.case_id == case_id]
        problems.extend(_problem(f) for f in folded.findings + found)
        if folded.latest is not None:
            latest[partition] = (folded.latest.checkpoint.number, folded.latest.checkpoint.at_ms)
        heads += len(folded.heads)
    if not count:
        problems.append(Problem("", 0, "no_checkpoints", "no checkpoint to hold the copy against"))
    return problems, Checked(count, latest, heads)


def _problem(finding: Finding) -> Problem:
    where = f"input partition {finding.partition}"
    detail = (
        f"{where}: {finding.detail}; {MEANING[finding.kind]}"
        if finding.detail
        else f"{where}: {MEANING[finding.kind]}"
    )
    return Problem(finding.case_id, 0, finding.kind, detail)


# -- the file an auditor keeps ---------------------------------------------------------------------


def checkpoint_lines(records: Iterable[RawRecord]) -> list[str]:
    """Each checkpoint record as one JSON line: the record itself (key, value and headers in
    base64, what an import writes back) and, for a reader, its partition, number, event time,
    root and key id (an undecodable record keeps only the record)."""
    lines = []
    for record in records:
        line: dict[str, object] = {
            "timestamp_ms": record.timestamp_ms,
            "key": base64.b64encode(record.key or b"").decode(),
            "value": base64.b64encode(record.value or b"").decode(),
            "headers": [[k, base64.b64encode(v).decode()] for k, v in record.headers],
        }
        try:
            c = case_events_pb2.CaseCheckpoint.FromString(record.value or b"")
            line |= {
                "partition": c.partition,
                "number": c.number,
                "at_ms": c.at_ms,
                "root": c.root.hex(),
                "key_id": c.key_id,
            }
        except DecodeProtoError:  # kept as it is; verify reports it
            pass
        lines.append(json.dumps(line, sort_keys=True))
    return lines


def records_of_lines(lines: Iterable[str], source: str) -> list[RawRecord]:
    """The records of a checkpoint file (line numbers as offsets); ValueError naming the line."""
    records = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            headers = tuple((str(k), base64.b64decode(v, validate=True)) for k, v in data["headers"])
            key = base64.b64decode(data["key"], validate=True)
            value = base64.b64decode(data["value"], validate=True)
            timestamp_ms = int(data.get("timestamp_ms") or 0)
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"{source}:{number}: not a checkpoint line ({type(exc).__name__})") from exc
        records.append(RawRecord(source, 0, number, timestamp_ms, key, value, headers))
    return records
