"""Holding a copy of case.events.v1 against signed checkpoint records (ops/checkpoint_audit.py)
and the keys that sign them (kernel/checkpoint_keys.py), without a broker: the records as the
correlator publishes them, the file an auditor keeps, and the refusals of the key settings."""

from __future__ import annotations

import base64
import dataclasses
import json

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pydantic import SecretStr

from incidentbus.correlator.engine import MemoryStore, output_record
from incidentbus.kernel.checkpoint_keys import (
    CheckpointKeyError,
    checkpoint_signer,
    public_keys_text,
    read_public_keys,
)
from incidentbus.kernel.records import RawRecord
from incidentbus.kernel.settings import DEV_CHECKPOINT_KEY, BusSettings
from incidentbus.ops.checkpoint_audit import checkpoint_lines, checkpoint_problems, records_of_lines
from incidentbus.ops.integrity import Problem, Stored, group_by_case, verify
from incidentbus.ops.replay import compare_checkpoints
from incidentbus.v1 import case_events_pb2
from tests.unit.correlator.test_checkpointing import INTERVAL, SIGNER, inputs, run

SETTINGS = BusSettings(environment="test")
OTHER_SEED = base64.b64encode(bytes(range(1, 33))).decode()


def published() -> tuple[list[RawRecord], list[RawRecord]]:
    """The case events and the checkpoints of one partition's run, as records on their topics."""
    outputs = run(inputs(), MemoryStore(signing=(SIGNER, INTERVAL)))
    events: list[RawRecord] = []
    checkpoints: list[RawRecord] = []
    for output in outputs:
        if output.kind not in ("case_event", "checkpoint"):
            continue
        out = output_record(SETTINGS, output)
        into = events if output.kind == "case_event" else checkpoints
        into.append(RawRecord(out.topic, 0, len(into), 0, out.key, out.value, out.headers))
    return events, checkpoints


KEYS = read_public_keys(public_keys_text(SETTINGS))


def event_of(record: RawRecord) -> case_events_pb2.CaseEvent:
    return case_events_pb2.CaseEvent.FromString(record.value or b"")


def kinds(events: list[RawRecord], checkpoints: list[RawRecord]) -> set[str]:
    problems, _ = checkpoint_problems(group_by_case(events)[0], checkpoints, KEYS)
    return {p.problem for p in problems}


def test_the_published_records_verify_and_each_tamper_is_named() -> None:
    events, checkpoints = published()
    assert kinds(events, checkpoints) == set()
    last = case_events_pb2.CaseCheckpoint.FromString(checkpoints[-1].value or b"")
    fixed = next(head for head in last.changed if head.sequence > 1)
    cut = [e for e in events if event_of(e).case_id != fixed.case_id or event_of(e).sequence < fixed.sequence]
    assert kinds(cut, checkpoints) == {"tail_truncated"}
    without_case = [e for e in events if event_of(e).case_id != fixed.case_id]
    assert "case_deleted" in kinds(without_case, checkpoints)
    assert "checkpoint_gap" in kinds(events, [checkpoints[0], *checkpoints[2:]])
    forged = case_events_pb2.CaseCheckpoint.FromString(checkpoints[1].value or b"")
    forged.cases += 1
    altered = dataclasses.replace(checkpoints[1], value=forged.SerializeToString(deterministic=True))
    assert "forged_checkpoint" in kinds(events, [checkpoints[0], altered, *checkpoints[2:]])
    misfiled = dataclasses.replace(checkpoints[0], key=b"0/99")
    assert "misfiled_checkpoint" in kinds(events, [misfiled, *checkpoints[1:]])
    garbage = dataclasses.replace(checkpoints[0], value=b"\xff\x00")
    assert "undecodable_checkpoint" in kinds(events, [garbage, *checkpoints[1:]])
    assert kinds(events, []) == {"no_checkpoints"}


def test_verify_counts_the_checkpoints_held_against() -> None:
    events, checkpoints = published()

    def check(cases: dict[str, list[Stored]]) -> tuple[list[Problem], int]:
        problems, checked = checkpoint_problems(cases, checkpoints, KEYS)
        return problems, checked.checkpoints

    verdict = verify("copy", events, checkpoints=check)
    assert verdict.ok
    assert verdict.checkpoints_checked == len(checkpoints)
    assert verdict.as_dict()["checkpoints_checked"] == len(checkpoints)


def test_the_exported_file_gives_back_the_same_records() -> None:
    _, checkpoints = published()
    lines = checkpoint_lines(checkpoints)
    back = records_of_lines(lines, "kept.jsonl")
    assert [(r.key, r.value, r.headers) for r in back] == [(r.key, r.value, r.headers) for r in checkpoints]
    assert '"number": 1' in lines[0]
    with pytest.raises(ValueError, match=r"kept.jsonl:2: not a checkpoint line"):
        records_of_lines([lines[0], "{not json"], "kept.jsonl")


def test_the_keys_come_from_settings_and_production_refuses_the_development_one() -> None:
    assert checkpoint_signer(SETTINGS).development
    with pytest.raises(CheckpointKeyError, match="INCIDENTBUS_CHECKPOINT_KEYS is not set"):
        checkpoint_signer(BusSettings(environment="production"))
    dev = BusSettings(environment="production", checkpoint_keys=SecretStr(f"k1:{DEV_CHECKPOINT_KEY}"))
    with pytest.raises(CheckpointKeyError, match="development checkpoint key"):
        checkpoint_signer(dev)
    rotated = BusSettings(
        environment="production", checkpoint_keys=SecretStr(f"old:{DEV_CHECKPOINT_KEY[:-8]},new:{OTHER_SEED}")
    )
    with pytest.raises(CheckpointKeyError, match="'old'"):
        checkpoint_signer(rotated)  # a malformed entry is named, never its seed
    two = BusSettings(
        environment="production",
        checkpoint_keys=SecretStr(f"old:{base64.b64encode(bytes(32)).decode()},new:{OTHER_SEED}"),
        checkpoint_key_id="new",
    )
    assert checkpoint_signer(two).key_id == "new"
    assert list(read_public_keys(public_keys_text(two))) == ["new", "old"]
    with pytest.raises(CheckpointKeyError, match="'gone' is not in"):
        checkpoint_signer(two.model_copy(update={"checkpoint_key_id": "gone"}))


def test_a_public_key_file_line_that_is_no_key_is_named() -> None:
    with pytest.raises(ValueError, match="line 2"):
        read_public_keys("# keys\nk1:not-base64!\n")
    with pytest.raises(ValueError, match="no public key"):
        read_public_keys("# nothing\n")


def test_one_case_is_only_as_well_fixed_as_its_checkpoints() -> None:
    """`verify --case`: the findings about the checkpoints themselves are kept, the other cases'
    absence is not taken for deletion."""
    events, checkpoints = published()
    case_id = event_of(events[0]).case_id
    cases, _ = group_by_case(events, case_id)
    assert checkpoint_problems(cases, checkpoints, KEYS, case_id)[0] == []
    gap = [checkpoints[0], *checkpoints[2:]]
    assert "checkpoint_gap" in {p.problem for p in checkpoint_problems(cases, gap, KEYS, case_id)[0]}
    stranger = {"dev": Ed25519PrivateKey.from_private_bytes(bytes(range(32))).public_key()}
    kinds_ = {p.problem for p in checkpoint_problems(cases, checkpoints, stranger, case_id)[0]}
    assert kinds_ == {"forged_checkpoint"}
    assert [p.problem for p in checkpoint_problems(cases, [], KEYS, case_id)[0]] == ["no_checkpoints"]


def test_a_file_line_with_a_bad_field_is_named() -> None:
    _, checkpoints = published()
    line = json.loads(checkpoint_lines(checkpoints)[0])
    for bad in ({"timestamp_ms": "x"}, {"headers": None}, {"key": 5}):
        with pytest.raises(ValueError, match=r"kept.jsonl:1: not a checkpoint line"):
            records_of_lines([json.dumps(line | bad)], "kept.jsonl")
    assert records_of_lines([json.dumps(line | {"timestamp_ms": None})], "kept.jsonl")[0].timestamp_ms == 0


def test_replayed_checkpoints_are_held_against_production_by_bytes_and_by_content() -> None:
    _, published_records = published()
    mine = [case_events_pb2.CaseCheckpoint.FromString(r.value or b"") for r in published_records]
    unsigned = [case_events_pb2.CaseCheckpoint() for _ in mine]
    for blank, c in zip(unsigned, mine, strict=True):
        blank.CopyFrom(c)
        blank.key_id, blank.signature = "", b""
    assert compare_checkpoints(mine, published_records).identical == len(mine)
    same = compare_checkpoints(unsigned, published_records)
    assert (same.identical, same.same_content, same.differing) == (0, len(mine), [])
    other = case_events_pb2.CaseCheckpoint()
    other.CopyFrom(mine[1])
    other.cases += 1
    diff = compare_checkpoints([*mine[:1], other], published_records[:1])
    assert (diff.identical, diff.unpublished) == (1, [f"0/{other.number}"])
    diff = compare_checkpoints([other], published_records)
    assert diff.differing == [f"0/{other.number}"]
