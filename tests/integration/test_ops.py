"""The operator and auditor commands on the real broker: dlq list/show/redrive, verify, trace.

Each test works in a sandbox of its own (a topic prefix under the session's), so what other
tests write to the session's dead letters or case events cannot change what these commands see.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest

from incidentbus.agencies.base import CodeTables
from incidentbus.agencies.pipeline import events_topic
from incidentbus.agencies.police.adapter import PoliceAdapter
from incidentbus.agencies.registry import load_adapter
from incidentbus.agencies.service import build_app
from incidentbus.correlator.engine import output_record
from incidentbus.kernel.admin import admin_client, apply_catalog, delete_topics
from incidentbus.kernel.catalog import Catalog, load_catalog
from incidentbus.kernel.codec import decode, encode
from incidentbus.kernel.deadletter import decode_dead_letter
from incidentbus.kernel.kafka import producer, read_all, send
from incidentbus.kernel.records import OutgoingRecord, RawRecord
from incidentbus.kernel.settings import BusSettings
from incidentbus.ops.redrive import REDRIVE_HEADER
from incidentbus.v1 import agency_events_pb2, case_events_pb2
from tests.integration.agencies.harness import AgencyHarness
from tests.integration.agencies.samples import SAMPLES
from tests.integration.cli import run_cli
from tests.unit.correlator.builders import T0, Feed
from tests.unit.correlator.conftest import Run
from tests.unit.ops_builders import accident_reports, altered, closed_loop, from_source

CASE_EVENTS = "case.events.v1"
POLICE_TOPICS = ("police.inbox.v1", "police.events.v1", "police.dispatch.v1", "police.outbox.v1")
# The dlq commands read every writer's dead-letter topic; the police service writes its own.
DEAD_LETTER_TOPICS = tuple(t.name for t in load_catalog(BusSettings().catalog_path).dead_letter_topics())
POLICE_LETTERS = "police.deadletters.v1"

Sandbox = Callable[..., BusSettings]


@pytest.fixture
def sandbox(applied: BusSettings, catalog: Catalog) -> Iterator[Sandbox]:
    """Make topic sandboxes under the session prefix holding just the catalog topics named."""
    made: list[BusSettings] = []

    def make(*names: str) -> BusSettings:
        settings = BusSettings(
            topic_prefix=f"{applied.topic_prefix}ops-{uuid.uuid4().hex[:6]}.", environment="test"
        )
        topics = tuple(catalog.get(name) for name in names)
        asyncio.run(apply_catalog(settings, Catalog(agencies=catalog.agencies, topics=topics)))
        made.append(settings)
        return settings

    yield make
    if not os.environ.get("INCIDENTBUS_KEEP_TEST_TOPICS"):
        for settings in made:
            asyncio.run(_drop(settings))


async def _drop(settings: BusSettings) -> None:
    """Every topic of the sandbox, including the changelogs faust made for it."""
    async with admin_client(settings) as client:
        names = [n for n in await client.list_topics() if n.startswith(settings.topic_prefix)]
    await delete_topics(settings, names)


def cli(settings: BusSettings, *args: str) -> subprocess.CompletedProcess[str]:
    return run_cli(settings, *args)


def cli_json(settings: BusSettings, *args: str, code: int = 0) -> Any:
    result = cli(settings, *args, "--json")
    assert result.returncode == code, (result.stdout, result.stderr)
    return json.loads(result.stdout)


async def publish(settings: BusSettings, records: list[OutgoingRecord]) -> list[tuple[int, int]]:
    async with producer(settings) as client:
        return [await send(client, record) for record in records]


def records_of(settings: BusSettings, name: str) -> list[RawRecord]:
    return asyncio.run(read_all(settings, settings.topic(name), idle_ms=300))


# -- dead letters --------------------------------------------------------------------------------


def police_before_ta2() -> PoliceAdapter:
    """The police adapter as it was before `TA2` (collision with injury) entered its code table."""
    tables = {name: dict(rows) for name, rows in load_adapter("police").codes.tables.items()}
    del tables["incident_types"]["TA2"]
    return PoliceAdapter(CodeTables("police", tables))


class OldPolice(AgencyHarness):
    """The police service running the old code table."""

    def __init__(self, settings: BusSettings) -> None:
        super().__init__(settings, "police")
        self.app = build_app(police_before_ta2(), settings, web_port=self.port)


def letters_by_reason(settings: BusSettings) -> dict[str, RawRecord]:
    return {decode_dead_letter(r).reason: r for r in records_of(settings, POLICE_LETTERS)}


async def rejected_by_old_police(settings: BusSettings, ref: str) -> None:
    """A valid report (refused for want of a code), broken bytes, and a bad HTTP post."""
    report = SAMPLES["police"].report(ref)
    async with OldPolice(settings) as police:
        await police.send_inbox(report, key=ref)
        await police.send_inbox(b"\xc3\x28 not utf-8", key="broken")
        status, _ = await police.post(report | {"type_code": "TA1", "location": {"address": "no grid"}})
        assert status == 422
        await police.wait_for(POLICE_LETTERS, lambda rs: len(rs) >= 3)


def test_dlq_list_show_and_redrive_once(sandbox: Sandbox) -> None:
    s, ref = sandbox(*POLICE_TOPICS, *DEAD_LETTER_TOPICS), f"P-{uuid.uuid4().hex[:8]}"
    asyncio.run(rejected_by_old_police(s, ref))
    by_reason = letters_by_reason(s)
    assert set(by_reason) == {"intake.unknown_code", "intake.encoding", "intake.missing_location"}
    broken = by_reason["intake.encoding"]
    asyncio.run(publish(s, [OutgoingRecord(broken.topic, broken.key, broken.value or b"", broken.headers)]))
    ids = {reason: decode_dead_letter(r).envelope.event_id for reason, r in by_reason.items()}

    listed = cli_json(s, "dlq", "list")
    assert sorted(x["letter_id"] for x in listed["letters"]) == sorted(ids.values())  # each once
    assert listed["repeats_collapsed"] == 1
    http = next(x for x in listed["letters"] if x["reason"] == "intake.missing_location")
    assert (http["source_offset"], http["source"]) == (-1, f"{s.topic('police.inbox.v1')}/http")

    def chosen(*args: str) -> list[str]:
        return [x["letter_id"] for x in cli_json(s, "dlq", "list", *args)["letters"]]

    assert chosen("--topic", "police.inbox.v1", "--reason", "intake.unknown") == [ids["intake.unknown_code"]]
    assert chosen("--topic", s.topic("police.inbox.v1"), "--reason", "intake.") == chosen()
    assert chosen("--topic", "health.inbox.v1") == []
    times = sorted(datetime.fromisoformat(x["time"]) for x in listed["letters"])
    assert chosen("--since", (times[-1] + timedelta(seconds=1)).isoformat()) == []
    assert chosen("--until", times[0].isoformat()) == []
    span = ("--since", times[0].isoformat(), "--until", (times[-1] + timedelta(seconds=1)).isoformat())
    assert sorted(chosen(*span)) == sorted(ids.values())
    table = cli(s, "dlq", "list")
    assert table.returncode == 0, table.stderr
    assert "intake.unknown_code" in table.stdout
    assert "3 letter(s); 1 repeat(s) collapsed" in table.stdout
    assert cli(s, "dlq", "list", "--since", "last week").returncode == 2

    shown = cli_json(s, "dlq", "show", ids["intake.unknown_code"])
    original = json.dumps(SAMPLES["police"].report(ref), ensure_ascii=False)
    assert shown["original_value"] == {
        "encoding": "utf-8",
        "data": original,
        "length": len(original.encode()),
    }
    assert shown["original_key"]["data"] == ref
    assert shown["phase"] == "intake"
    assert cli_json(s, "dlq", "show", ids["intake.encoding"])["original_value"]["data"] == (
        b"\xc3\x28 not utf-8".hex()
    )
    human = cli(s, "dlq", "show", ids["intake.unknown_code"])
    assert f'"incident_no": "{ref}"' in human.stdout
    assert cli(s, "dlq", "show", "no-such-letter").returncode == 1

    dry = cli_json(s, "dlq", "redrive", "--reason", "intake.", "--dry-run")
    assert {o["action"] for o in dry["outcomes"]} == {"would_redrive"}
    assert {o["target"] for o in dry["outcomes"]} == {s.topic("police.inbox.v1")}  # HTTP ones too
    inbox_before = len(records_of(s, "police.inbox.v1"))
    assert inbox_before == 2  # the dry run produced nothing

    letter = ids["intake.unknown_code"]
    sentinel = f"{ref}-sentinel"

    async def redrive_to_the_fixed_service() -> tuple[Any, Any, list[agency_events_pb2.AgencyEvent]]:
        async with AgencyHarness(s, "police") as police:  # the code table now knows TA2
            first = await asyncio.to_thread(cli_json, s, "dlq", "redrive", letter)
            events = await police.wait_for(events_topic("police"), lambda rs: bool(reports_with_ref(rs, ref)))
            second = await asyncio.to_thread(cli_json, s, "dlq", "redrive", letter)
            # A sentinel behind it on the same inbox partition (same key): once its event is out,
            # any event of a record the second redrive wrote would be out too.
            await police.send_inbox(SAMPLES["police"].report(sentinel), key=ref)
            events = await police.wait_for(
                events_topic("police"), lambda rs: bool(reports_with_ref(rs, sentinel))
            )
        return first, second, reports_with_ref(events, ref)

    first, second, canonical = asyncio.run(redrive_to_the_fixed_service())
    [done] = first["outcomes"]
    assert (done["action"], first["redriven"]) == ("redriven", 1)
    [again] = second["outcomes"]
    assert (again["action"], again["target"]) == ("already_redriven", done["target"])
    assert (second["redriven"], second["already_redriven"]) == (0, 1)
    inbox = records_of(s, "police.inbox.v1")
    assert [r.header(REDRIVE_HEADER) for r in inbox].count(letter.encode()) == 1
    assert len(inbox) == inbox_before + 2  # the redriven record and the sentinel
    assert len(canonical) == 1
    assert canonical[0].incident_reported.incident_type == "traffic.collision_injury"


def reports_with_ref(records: list[RawRecord], ref: str) -> list[agency_events_pb2.AgencyEvent]:
    events = [decode(r, agency_events_pb2.AgencyEvent).message for r in records]
    return [e for e in events if e.envelope.source_ref == ref]  # type: ignore[attr-defined,misc]


# -- verify --------------------------------------------------------------------------------------


def publish_cases(s: BusSettings) -> tuple[str, list[case_events_pb2.CaseEvent]]:
    """A closed-loop case and a second, open one, published as the correlator publishes them."""
    run = Run()
    case_id = closed_loop(run, accident_reports(run.feed))
    run(run.feed.report("urban", "urban.road_damage", T0, grid="310101-002-003-01"))
    outputs = [o for o in run.outputs if o.kind == "case_event"]
    asyncio.run(publish(s, [output_record(s, o) for o in outputs]))
    return case_id, run.events(case_id)  # type: ignore[return-value]


def case_record(s: BusSettings, event: case_events_pb2.CaseEvent) -> OutgoingRecord:
    return encode(event, topic=s.topic(CASE_EVENTS), key=event.case_id)


def test_verify_passes_the_untouched_log_and_collapses_repeats(sandbox: Sandbox) -> None:
    s = sandbox(CASE_EVENTS)
    _, events = publish_cases(s)
    asyncio.run(publish(s, [case_record(s, events[4])]))  # a redelivery wrote it twice
    verdict = cli_json(s, "verify")
    assert (verdict["ok"], verdict["problems"], verdict["cases_checked"]) == (True, [], 2)
    assert verdict["repeats_collapsed"] == 1
    assert verdict["events_checked"] == verdict["records_read"] - 1
    human = cli(s, "verify")
    assert human.returncode == 0
    assert "no problems" in human.stdout


def test_verify_catches_an_altered_event(sandbox: Sandbox) -> None:
    s = sandbox(CASE_EVENTS)
    case_id, events = publish_cases(s)
    [(partition, offset)] = asyncio.run(publish(s, [case_record(s, altered(events[2]))]))
    verdict = cli_json(s, "verify", "--case", case_id, code=1)
    found = {(p["problem"], p["sequence"]) for p in verdict["problems"]}
    assert ("altered", 3) in found
    assert all(p["case_id"] == case_id for p in verdict["problems"])
    alteration = next(p for p in verdict["problems"] if p["problem"] == "altered")
    assert alteration["positions"] == [f"{partition}/{offset}"]
    human = cli(s, "verify")
    assert human.returncode == 1
    assert "altered" in human.stdout
    assert case_id in human.stdout


def test_verify_catches_a_removed_event_in_a_copy(sandbox: Sandbox) -> None:
    s, copy = sandbox(CASE_EVENTS), sandbox(CASE_EVENTS)
    case_id, events = publish_cases(s)
    removed = events[6].envelope.event_id
    kept = [r for r in records_of(s, CASE_EVENTS) if r.header("ce_id") != removed.encode()]
    copied = [OutgoingRecord(copy.topic(CASE_EVENTS), r.key, r.value or b"", r.headers) for r in kept]
    asyncio.run(publish(copy, copied))
    assert cli_json(s, "verify")["ok"]  # the original is intact
    verdict = cli_json(s, "verify", "--topic", copy.topic(CASE_EVENTS), code=1)
    assert verdict["topic"] == copy.topic(CASE_EVENTS)
    assert [(p["case_id"], p["problem"], p["sequence"]) for p in verdict["problems"]] == [
        (case_id, "missing", 7)
    ]
    assert cli(s, "verify", "--topic", f"{copy.topic_prefix}no.such.topic").returncode == 2


def test_verify_holds_snapshots_against_a_copy_with_its_tail_cut(sandbox: Sandbox) -> None:
    """The chain alone cannot see its last events removed; the case's snapshot can."""
    s, copy = sandbox(CASE_EVENTS, "case.snapshots.v1"), sandbox(CASE_EVENTS)
    run = Run()
    case_id = closed_loop(run, accident_reports(run.feed))
    kept = [o for o in run.outputs if o.kind in ("case_event", "snapshot")]
    asyncio.run(publish(s, [output_record(s, o) for o in kept]))
    events = run.events(case_id)
    cut = {e.envelope.event_id.encode() for e in events[-2:]}  # type: ignore[attr-defined]
    tail_cut = [r for r in records_of(s, CASE_EVENTS) if r.header("ce_id") not in cut]
    asyncio.run(
        publish(
            copy,
            [OutgoingRecord(copy.topic(CASE_EVENTS), r.key, r.value or b"", r.headers) for r in tail_cut],
        )
    )
    snapshots = s.topic("case.snapshots.v1")
    whole = cli_json(s, "verify", "--snapshots", snapshots)
    assert (whole["ok"], whole["snapshots_checked"]) == (True, 1)
    assert cli_json(s, "verify", "--topic", copy.topic(CASE_EVENTS))["ok"]  # the chain alone
    verdict = cli_json(s, "verify", "--topic", copy.topic(CASE_EVENTS), "--snapshots", snapshots, code=1)
    assert [(p["case_id"], p["problem"]) for p in verdict["problems"]] == [(case_id, "snapshot_ahead")]


# -- trace ---------------------------------------------------------------------------------------


def test_trace_shows_a_closed_loop_and_its_source_reports(sandbox: Sandbox) -> None:
    s = sandbox("police.events.v1", "health.events.v1", CASE_EVENTS)
    feed = Feed()
    reports = accident_reports(feed)
    published = asyncio.run(
        publish(
            s,
            [
                encode(
                    r.event,
                    topic=s.topic(events_topic(r.event.envelope.source_agency)),
                    key=r.event.envelope.source_ref,
                )
                for r in reports
            ],
        )
    )
    at = [
        (s.topic(events_topic(r.event.envelope.source_agency)), p, o)
        for r, (p, o) in zip(reports, published, strict=True)
    ]
    run = Run(feed=feed)
    case_id = closed_loop(run, [from_source(r, *where) for r, where in zip(reports, at, strict=True)])
    asyncio.run(publish(s, [output_record(s, o) for o in run.outputs if o.kind == "case_event"]))

    story = cli_json(s, "trace", case_id)
    assert story["case_id"] == case_id
    assert [e["event_type"] for e in story["events"]] == run.bodies(case_id)
    assert (story["events"][0]["event_type"], story["events"][-1]["event_type"]) == (
        "case_opened",
        "case_closed",
    )
    assert story["status"] == "CLOSED"
    assert story["merged_into"] == []
    assert [(r["topic"], r["partition"], r["offset"]) for r in story["reports"]] == at
    assert [r["event_id"] for r in story["reports"]] == [r.event.envelope.event_id for r in reports]
    assert {r["check"] for r in story["reports"]} == {"confirmed"}
    escalation = next(e for e in story["events"] if e["event_type"] == "case_escalated")
    assert escalation["summary"].startswith("escalated grid → community")
    assert escalation["pending_deadlines"]

    human = cli(s, "trace", case_id)
    assert human.returncode == 0, human.stderr
    for text in ("case_opened", "case_closed", "closed after verification", "confirmed", at[0][0]):
        assert text in human.stdout
    missing = cli(s, "trace", "C-000000-nothing")
    assert missing.returncode == 1
    assert "not found" in missing.stderr
