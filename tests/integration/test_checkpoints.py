"""Signed checkpoints on the real broker (issue 17). The live correlator, stopped and restarted
in between (its state restored from the changelog), publishes checkpoints of the case chains;
an auditor holding only the public key file and the checkpoints (the topic, a copy of it, or a
file exported from it) runs `incidentbus verify` on copies of case.events.v1, each tampered in
one way, and each tamper is reported with its kind; `incidentbus replay` signs the same bytes.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from incidentbus.correlator.domain.rules import Rules
from incidentbus.correlator.rulesfile import default_rules_text, rules_for
from incidentbus.devtools import natives
from incidentbus.kernel.admin import admin_client, apply_catalog, delete_topics
from incidentbus.kernel.catalog import Catalog, load_catalog
from incidentbus.kernel.checkpoint_keys import raw_public, read_public_keys
from incidentbus.kernel.checkpoints import Fold, fold
from incidentbus.kernel.kafka import producer, read_all, send
from incidentbus.kernel.records import OutgoingRecord, RawRecord
from incidentbus.kernel.settings import BusSettings
from incidentbus.ops.checkpoint_audit import signed_checkpoints
from incidentbus.ops.integrity import group_by_case
from incidentbus.v1 import case_events_pb2
from tests.integration.cli import run_cli
from tests.integration.correlator.harness import Bus, now
from tests.unit.ops_builders import altered

CASE_EVENTS, CHECKPOINTS = "case.events.v1", "case.checkpoints.v1"
INTERVAL_MINUTES = 0.02  # 1.2 s of event time; the loop ticks every 0.5 s
Records = list[RawRecord]


def _ref(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


# Two waves of reports in three districts: the second joins a case of the first and opens two
# (a streetlight and garbage: no collision joins them), one in the joined case's district, so
# that district's partition has a case its first checkpoint did not fix.
WAVE_1 = [
    ("police", "TA1", "310102-001-001-01"),
    ("urban", "0201", "310103-001-001-01"),
    ("police", "TA1", "310108-001-001-01"),
]
WAVE_2 = [
    ("police", "TA1", "310102-001-001-01"),
    ("urban", "0301", "310102-005-001-01"),
    ("urban", "0101", "310108-002-001-01"),
]


@dataclass
class Published:
    """What the live bus left: its case events and checkpoints, and the auditor's two files."""

    settings: BusSettings
    rules: Path
    events: Records
    checkpoints: Records
    public_key: Path
    exported: Path

    def folds(self, up_to: int | None = None) -> dict[int, Fold]:
        keys = _public_keys(self.public_key)
        by_partition, problems = signed_checkpoints(self.checkpoints)
        assert problems == []
        return {
            p: fold(p, [s for s in signed if up_to is None or s.checkpoint.number <= up_to], keys)
            for p, signed in by_partition.items()
        }


def _public_keys(path: Path) -> dict[str, Ed25519PublicKey]:
    return read_public_keys(path.read_text("utf-8"))


def _event(record: RawRecord) -> case_events_pb2.CaseEvent:
    return case_events_pb2.CaseEvent.FromString(record.value or b"")


def _heads(events: Records) -> dict[str, tuple[int, bytes]]:
    cases, _ = group_by_case(events)
    return {c: max((s.event.sequence, s.event.hash) for s in stored) for c, stored in cases.items()}


async def _covered(bus: Bus, wanted: int, settings: BusSettings, key_file: Path) -> bool:
    """Every case's head (at least `wanted` cases) is fixed by a checkpoint of its partition."""
    events = await read_all(settings, settings.topic(CASE_EVENTS), idle_ms=200)
    checkpoints = await read_all(settings, settings.topic(CHECKPOINTS), idle_ms=200)
    heads = _heads(events)
    by_partition, _ = signed_checkpoints(checkpoints)
    fixed: dict[str, tuple[int, bytes]] = {}
    for p, signed in by_partition.items():
        fixed |= fold(p, signed, _public_keys(key_file)).heads
    return len(heads) >= wanted and all(fixed.get(c) == h for c, h in heads.items())


async def _wave(
    settings: BusSettings, rules: Rules, wave: list[tuple[str, str, str]], cases: int, keys: Path
) -> None:
    async with Bus(settings, rules, tick_seconds=0.5) as bus:
        for agency, code, grid in wave:
            await bus.send(agency, natives.report(agency, _ref(agency[0].upper()), code, grid, now()))

        async def covered() -> bool:
            return await _covered(bus, cases, settings, keys)

        await bus.until(covered)


@pytest.fixture(scope="module")
def published(isolated: BusSettings, tmp_path_factory: pytest.TempPathFactory) -> Published:
    """Two waves on the live bus, the correlator restarted between them (a fresh data directory:
    its state, checkpoints included, comes back from the changelog)."""
    folder = tmp_path_factory.mktemp("audit")
    rules_path = folder / "rules.toml"
    text = default_rules_text().replace(
        "[audit]\ncheckpoint_minutes = 5", f"[audit]\ncheckpoint_minutes = {INTERVAL_MINUTES}"
    )
    assert text != default_rules_text()
    rules_path.write_text(text, "utf-8")
    rules = rules_for(isolated, rules_path)
    key_file = folder / "checkpoint-keys.pub"
    done = run_cli(isolated, "checkpoints", "public-key", "--out", str(key_file))
    assert done.returncode == 0, done.stderr
    asyncio.run(_wave(isolated, rules, WAVE_1, 3, key_file))
    asyncio.run(_wave(isolated, rules, WAVE_2, 5, key_file))
    exported = folder / "checkpoints.jsonl"
    done = run_cli(isolated, "checkpoints", "export", str(exported))
    assert done.returncode == 0, done.stderr
    events = asyncio.run(read_all(isolated, isolated.topic(CASE_EVENTS), idle_ms=300))
    checkpoints = asyncio.run(read_all(isolated, isolated.topic(CHECKPOINTS), idle_ms=300))
    return Published(isolated, rules_path, events, checkpoints, key_file, exported)


@pytest.fixture(scope="module")
def copies(isolated: BusSettings) -> Iterator[Callable[[str, Records], str]]:
    """Write records to a fresh auditor's copy of a topic (keys, values and headers as they were)."""
    catalog = load_catalog(isolated.catalog_path)
    made: list[BusSettings] = []

    def copy(name: str, records: Records) -> str:
        settings = isolated.model_copy(
            update={"topic_prefix": f"{isolated.topic_prefix}copy-{uuid.uuid4().hex[:6]}."}
        )
        asyncio.run(apply_catalog(settings, Catalog(agencies=catalog.agencies, topics=(catalog.get(name),))))
        made.append(settings)
        asyncio.run(_publish(settings.topic(name), records, settings))
        return settings.topic(name)

    yield copy
    if not os.environ.get("INCIDENTBUS_KEEP_TEST_TOPICS"):
        for settings in made:
            asyncio.run(_drop(settings))


async def _publish(topic: str, records: Records, settings: BusSettings) -> None:
    async with producer(settings) as client:
        for r in records:
            await send(client, OutgoingRecord(topic, r.key, r.value or b"", r.headers))


async def _drop(settings: BusSettings) -> None:
    async with admin_client(settings) as client:
        names = [n for n in await client.list_topics() if n.startswith(settings.topic_prefix)]
    await delete_topics(settings, names)


def verify(p: Published, *args: str) -> tuple[int, dict[str, Any]]:
    done = run_cli(p.settings, "verify", *args, "--public-key", str(p.public_key), "--json")
    assert done.returncode in (0, 1), done.stderr
    return done.returncode, json.loads(done.stdout)


def kinds(verdict: dict[str, Any]) -> set[str]:
    return {problem["problem"] for problem in verdict["problems"]}


# -- the tampers of a copy of case.events.v1 ------------------------------------------------------


def _chains(p: Published) -> dict[str, Records]:
    chains: dict[str, Records] = {}
    for r in p.events:
        chains.setdefault(_event(r).case_id, []).append(r)
    return chains


def _longest(p: Published) -> str:
    """The case with the most events whose head a checkpoint fixed (the wave-2 join's)."""
    chains = _chains(p)
    return max(chains, key=lambda c: (len({_event(r).sequence for r in chains[c]}), c))


def untouched(p: Published) -> Records:
    return p.events


def altered_event(p: Published) -> Records:
    case = _longest(p)
    target = next(r for r in p.events if _event(r).case_id == case and _event(r).sequence == 2)
    forged = altered(_event(target)).SerializeToString(deterministic=True)
    return [
        RawRecord(r.topic, r.partition, r.offset, 0, r.key, forged, r.headers) if r is target else r
        for r in p.events
    ]


def removed_middle(p: Published) -> Records:
    case = _longest(p)
    return [r for r in p.events if not (_event(r).case_id == case and _event(r).sequence == 2)]


def swapped(p: Published) -> Records:
    case = _longest(p)
    mine = [i for i, r in enumerate(p.events) if _event(r).case_id == case]
    out = list(p.events)
    out[mine[1]], out[mine[2]] = out[mine[2]], out[mine[1]]
    return out


def tail_truncated(p: Published) -> Records:
    case = _longest(p)
    top = max(_event(r).sequence for r in p.events if _event(r).case_id == case)
    return [r for r in p.events if not (_event(r).case_id == case and _event(r).sequence == top)]


def case_deleted(p: Published) -> Records:
    case = _longest(p)
    return [r for r in p.events if _event(r).case_id != case]


def rolled_back(p: Published) -> Records:
    """The partition of the longest case as its first checkpoint fixed it: later events and cases
    gone, every other partition untouched."""
    latest = p.folds()
    case = _longest(p)
    [partition] = [n for n, f in latest.items() if case in f.heads]
    earlier = p.folds(up_to=1)[partition].heads
    mine = set(latest[partition].heads)
    return [
        r
        for r in p.events
        if _event(r).case_id not in mine
        or (_event(r).case_id in earlier and _event(r).sequence <= earlier[_event(r).case_id][0])
    ]


TAMPERS: list[tuple[Callable[[Published], Records], set[str]]] = [
    (untouched, set()),
    (altered_event, {"altered"}),
    (removed_middle, {"missing"}),
    (swapped, {"out_of_order", "missing"}),
    (tail_truncated, {"tail_truncated"}),
    (case_deleted, {"case_deleted"}),
    (rolled_back, {"rolled_back", "tail_truncated", "case_deleted"}),
]


@pytest.mark.parametrize(("tamper", "expected"), TAMPERS, ids=[t.__name__ for t, _ in TAMPERS])
def test_each_tamper_of_a_copy_is_reported_with_its_kind(
    published: Published,
    copies: Callable[[str, Records], str],
    tamper: Callable[[Published], Records],
    expected: set[str],
) -> None:
    copy = copies(CASE_EVENTS, tamper(published))
    code, verdict = verify(published, "--topic", copy, "--checkpoints", published.settings.topic(CHECKPOINTS))
    assert verdict["checkpoints_checked"] == len(published.checkpoints)
    if not expected:
        assert (code, verdict["problems"]) == (0, [])
        return
    assert code == 1
    assert kinds(verdict) == expected, verdict["problems"]
    chain_only = run_cli(published.settings, "verify", "--topic", copy, "--json")
    if tamper in (tail_truncated, case_deleted, rolled_back):  # what the chains alone cannot see
        assert json.loads(chain_only.stdout)["ok"], chain_only.stdout


def test_the_untouched_copy_verifies_against_the_exported_file(
    published: Published, copies: Callable[[str, Records], str]
) -> None:
    copy = copies(CASE_EVENTS, published.events)
    code, verdict = verify(published, "--topic", copy, "--checkpoints-file", str(published.exported))
    assert (code, verdict["problems"]) == (0, [])
    assert verdict["checkpoints_checked"] == len(published.checkpoints) >= 3


def _exported_lines(p: Published) -> list[dict[str, Any]]:
    return [json.loads(line) for line in p.exported.read_text("utf-8").splitlines()]


def test_a_forged_or_missing_checkpoint_is_reported(
    published: Published, copies: Callable[[str, Records], str], tmp_path: Path
) -> None:
    """The exported file, edited, imported into an auditor's checkpoint topic."""
    lines = _exported_lines(published)
    forged = case_events_pb2.CaseCheckpoint.FromString(base64.b64decode(lines[0]["value"]))
    forged.root = bytes(32)  # the signature no longer holds
    edited = [dict(lines[0], value=base64.b64encode(forged.SerializeToString()).decode()), *lines[1:]]
    cases = [(edited, "forged_checkpoint"), ([lines[0], *lines[2:]], "checkpoint_gap")]
    for kept, kind in cases:
        file = tmp_path / f"{kind}.jsonl"
        file.write_text("".join(json.dumps(line) + "\n" for line in kept), "utf-8")
        topic = copies(CHECKPOINTS, [])
        done = run_cli(published.settings, "checkpoints", "import", str(file), "--topic", topic)
        assert done.returncode == 0, done.stderr
        events = copies(CASE_EVENTS, published.events)
        code, verdict = verify(published, "--topic", events, "--checkpoints", topic)
        assert code == 1
        assert kind in kinds(verdict), verdict["problems"]


def test_checkpoints_signed_by_another_key_are_not_trusted(published: Published, tmp_path: Path) -> None:
    other = tmp_path / "other.pub"
    stranger = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
    other.write_text(f"dev:{base64.b64encode(raw_public(stranger)).decode()}\n", "utf-8")
    done = run_cli(
        published.settings,
        "verify",
        "--checkpoints",
        published.settings.topic(CHECKPOINTS),
        "--public-key",
        str(other),
        "--json",
    )
    assert done.returncode == 1, done.stderr
    assert "forged_checkpoint" in kinds(json.loads(done.stdout))


def test_a_replay_signs_the_checkpoints_byte_for_byte(published: Published) -> None:
    done = run_cli(published.settings, "replay", "--rules", str(published.rules), "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)["checkpoints"]
    assert report["unsigned_because"] == ""
    assert report["replayed"] == report["identical"] == len(published.checkpoints)
    assert (report["differing"], report["unpublished"]) == ([], [])
