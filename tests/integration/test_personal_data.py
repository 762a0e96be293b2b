"""Personal data on the real broker: sealed at the agency edge, never in plaintext on a shared topic
or in a log line, opened only by `incidentbus trace --decrypt` with the key."""

from __future__ import annotations

import asyncio
import base64
import io
import json
import os
import secrets
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import aiohttp
import pytest
import structlog
from pydantic import SecretStr

from incidentbus.agencies.pipeline import events_topic
from incidentbus.agencies.registry import AGENCIES
from incidentbus.correlator.rulesfile import rules_for
from incidentbus.kernel.codec import decode
from incidentbus.kernel.deadletter import decode_dead_letter, open_letter
from incidentbus.kernel.kafka import read_all
from incidentbus.kernel.logging import configure_logging
from incidentbus.kernel.records import RawRecord
from incidentbus.kernel.sealing import (
    SealingError,
    field_keyring,
    is_sealed,
    open_message,
    parse_keyring,
    sealed_key_id,
)
from incidentbus.kernel.settings import BusSettings
from incidentbus.v1 import agency_events_pb2
from tests.integration.agencies.harness import AgencyHarness
from tests.integration.cli import run_cli
from tests.integration.correlator.harness import Bus, case_of
from tests.integration.waits import CEILING, PROCESS_CEILING

KID = "it-2026"
KEY = base64.b64encode(secrets.token_bytes(32)).decode()
OTHER_KEY = base64.b64encode(secrets.token_bytes(32)).decode()
GRID = "310177-001-002-03"  # a district of this module's own
# Topics any service outside the reporting agency reads or writes: no plaintext may reach them.
SHARED = [
    *(f"{a}.{kind}.v1" for a in AGENCIES for kind in ("events", "dispatch", "outbox")),
    "correlator.input.v1",
    "case.events.v1",
    "case.snapshots.v1",
    "bus.alerts.v1",
]


@pytest.fixture(scope="module")
def keyed(applied: BusSettings) -> BusSettings:
    """The session's topics, with a real (random) key in place of the development key."""
    return applied.model_copy(update={"field_keys": SecretStr(f"{KID}:{KEY}"), "field_key_id": KID})


def person() -> tuple[str, str, str]:
    """A name, mobile and identity number no other test uses, so a hit anywhere is ours."""
    digits = f"{int(uuid.uuid4().hex[:12], 16) % 10**9:09d}"
    return f"Reporter {uuid.uuid4().hex[:6]} 王五", f"13{digits}", f"31017719900307{digits[:3]}X"


def police_report(ref: str, who: tuple[str, str, str], **changes: Any) -> dict[str, Any]:
    name, phone, id_no = who
    return {
        "msg_type": "incident",
        "incident_no": ref,
        "type_code": "TA2",
        "priority": "P2",
        "reported_at": datetime.now(UTC).isoformat(),
        "location": {"grid": GRID, "address": "Renmin Rd / Xizang Rd"},
        "caller": {"name": name, "phone": phone, "id_no": id_no},
        "injured": 1,
    } | changes


def event_of(records: list[RawRecord], ref: str) -> tuple[RawRecord, agency_events_pb2.AgencyEvent] | None:
    for record in records:
        event: agency_events_pb2.AgencyEvent = decode(record, agency_events_pb2.AgencyEvent).message  # type: ignore[assignment]
        if event.envelope.source_ref == ref:
            return record, event
    return None


def assert_sealed(record: RawRecord, event: agency_events_pb2.AgencyEvent, who: tuple[str, str, str]) -> None:
    for plain in who:
        assert plain.encode() not in (record.value or b"")
    reporter = event.incident_reported.reporter
    for value in (reporter.name, reporter.phone, reporter.id_number):
        assert is_sealed(value)
        assert sealed_key_id(value) == KID


def test_a_police_report_leaves_the_agency_sealed(keyed: BusSettings) -> None:
    inbox_ref, http_ref = f"P-{uuid.uuid4().hex[:8]}", f"P-{uuid.uuid4().hex[:8]}"
    who, posted = person(), person()

    async def run() -> list[RawRecord]:
        async with AgencyHarness(keyed, "police") as police:
            await police.send_inbox(police_report(inbox_ref, who), key=inbox_ref)
            status, answer = await police.post(police_report(http_ref, posted))
            assert status == 202, answer
            assert not any(p in json.dumps(answer, ensure_ascii=False) for p in posted)
            return await police.wait_for(
                events_topic("police"), lambda rs: bool(event_of(rs, inbox_ref) and event_of(rs, http_ref))
            )

    records = asyncio.run(run())
    for ref, plain in ((inbox_ref, who), (http_ref, posted)):
        found = event_of(records, ref)
        assert found is not None
        record, event = found
        assert_sealed(record, event, plain)
        open_message(event, field_keyring(keyed), event.envelope.event_id)
        reporter = event.incident_reported.reporter
        assert (reporter.name, reporter.phone, reporter.id_number) == plain


def cli(settings: BusSettings, *args: str, keys: str | None) -> subprocess.CompletedProcess[str]:
    """The CLI with exactly the given field keys (none of this process's)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("INCIDENTBUS_FIELD_KEY")}
    if keys is not None:
        env |= {"INCIDENTBUS_FIELD_KEYS": keys, "INCIDENTBUS_FIELD_KEY_ID": keys.split(":", 1)[0]}
    return run_cli(settings, *args, env=env)


def traced(settings: BusSettings, case_id: str, *flags: str, keys: str | None) -> dict[str, Any]:
    result = cli(settings, "trace", case_id, "--json", *flags, keys=keys)
    assert result.returncode == 0, result.stderr
    story: dict[str, Any] = json.loads(result.stdout)
    return story


def reporter_of(story: dict[str, Any], ref: str) -> dict[str, Any]:
    """The reporter shown for one source report (other tests' reports may share the case)."""
    event_id = next(r["event_id"] for r in story["reports"] if r["source_ref"] == ref)
    found: dict[str, Any] = next(r for r in story["reporters"] if r["event_id"] == event_id)
    return found


async def through_the_bus(
    settings: BusSettings, ref: str, who: tuple[str, str, str]
) -> tuple[str, list[str]]:
    """Report through the police service, let the correlator open a case and dispatch; return the
    case id and everything on the shared topics."""
    async with Bus(settings, rules_for(settings)) as bus:
        await bus.send("police", police_report(ref, who), key=ref)

        async def opened() -> str:
            return case_of(await bus.case_events(), ref)

        case_id = await bus.until(opened)

        async def dispatched() -> bool:  # the correlator's task for the police, on the shared topic
            return any(case_id.encode() in (r.value or b"") for r in await bus.records("police.dispatch.v1"))

        try:
            await bus.until(dispatched)
        except AssertionError as exc:  # say what the bus did decide, to tell a slow bus from a wrong one
            story = [e.WhichOneof("body") for e in await bus.case_events() if e.case_id == case_id]
            tasks = [r.value for r in await bus.records("police.dispatch.v1")]
            raise AssertionError(f"{exc}; case {case_id}: {story}; {len(tasks)} police dispatches") from exc
        seen = [r.value or b"" for topic in SHARED for r in await bus.records(topic)]
    return case_id, [v.decode("utf-8", "replace") for v in seen]


def test_no_plaintext_reaches_the_correlator_and_only_trace_decrypt_with_the_key_shows_it(
    keyed: BusSettings,
) -> None:
    ref, who = f"P-{uuid.uuid4().hex[:8]}", person()
    case_id, shared = asyncio.run(through_the_bus(keyed, ref, who))
    assert shared
    for plain in who:
        assert not [text for text in shared if plain in text], f"{plain!r} on a shared topic"

    opened = traced(keyed, case_id, "--decrypt", keys=f"{KID}:{KEY}")
    reporter = reporter_of(opened, ref)
    shown = {f["path"].rsplit(".", 1)[-1]: (f["value"], f["state"]) for f in reporter["fields"]}
    assert shown == {
        "name": (who[0], "opened"),
        "phone": (who[1], "opened"),
        "id_number": (who[2], "opened"),
    }

    plain_trace = cli(keyed, "trace", case_id, "--json", keys=f"{KID}:{KEY}")
    assert plain_trace.returncode == 0
    assert "reporters" not in json.loads(plain_trace.stdout)
    assert not any(p in plain_trace.stdout for p in who)

    keyless = traced(keyed, case_id, "--decrypt", keys=f"other:{OTHER_KEY}")
    sealed = reporter_of(keyless, ref)
    assert {(f["value"], f["state"]) for f in sealed["fields"]} == {(f"sealed (key {KID})", "sealed")}
    human = cli(keyed, "trace", case_id, "--decrypt", keys=f"{KID}:{KEY}")
    assert human.returncode == 0, human.stderr
    assert who[1] in human.stdout
    assert "reporters" in human.stdout
    human_keyless = cli(keyed, "trace", case_id, "--decrypt", keys=f"other:{OTHER_KEY}")
    assert f"sealed (key {KID})" in human_keyless.stdout
    assert not any(p in human_keyless.stdout + human_keyless.stderr for p in who)


def refused(record: RawRecord, ref: str) -> bool:
    letter = decode_dead_letter(record)
    return letter.reason == "intake.validation" and letter.original_key == ref.encode()


@pytest.fixture
def log_stream(keyed: BusSettings) -> Iterator[io.StringIO]:
    stream = io.StringIO()
    configure_logging(keyed, stream=stream)
    yield stream
    structlog.reset_defaults()


def test_intake_logs_carry_no_personal_values(keyed: BusSettings, log_stream: io.StringIO) -> None:
    """Accepted and refused reports, by inbox and by HTTP: the log lines name records, not people."""
    good, bad, http_good, http_bad = (f"P-{uuid.uuid4().hex[:8]}" for _ in range(4))
    who = person()

    async def run() -> None:
        async with AgencyHarness(keyed, "police") as police:
            await police.send_inbox(police_report(good, who), key=good)
            caller = {"name": who[0], "phone": int(who[1]), "id_no": who[2]}
            await police.send_inbox(police_report(bad, who, caller=caller), key=bad)
            assert (await police.post(police_report(http_good, who)))[0] == 202
            status, answer = await police.post(police_report(http_bad, who, location={"address": who[0]}))
            assert status == 422
            assert not any(p in json.dumps(answer, ensure_ascii=False) for p in who)
            await police.wait_for(
                events_topic("police"), lambda rs: bool(event_of(rs, good) and event_of(rs, http_good))
            )
            await police.wait_for("police.deadletters.v1", lambda rs: any(refused(r, bad) for r in rs))
            # the intake logs its batch once the batch's ids are stored, just after the events land
            loop = asyncio.get_running_loop()
            ends = loop.time() + CEILING
            while "published" not in log_stream.getvalue() and loop.time() < ends:
                await asyncio.sleep(0.05)

    asyncio.run(run())
    text = log_stream.getvalue()
    assert "published" in text
    assert "rejected" in text
    for plain in who:
        assert plain not in text


def test_refused_messages_keep_their_personal_data_sealed_in_dead_letters(keyed: BusSettings) -> None:
    """Refused by HTTP intake, on the inbox, and by the Open311 gateway: every dead letter's raw
    bytes hold no personal value; reason, detail and position stay readable; the writer's key opens
    the original whole, and another key does not."""
    http_ref, inbox_ref = f"P-{uuid.uuid4().hex[:8]}", f"P-{uuid.uuid4().hex[:8]}"
    who, citizen = person(), person()
    email = f"citizen.{uuid.uuid4().hex[:8]}@example.cn"

    async def run() -> list[RawRecord]:
        async with AgencyHarness(keyed, "police") as police, AgencyHarness(keyed, "citizen") as gateway:
            status, _ = await police.post(police_report(http_ref, who, type_code="NO-SUCH"))
            assert status == 422
            await police.send_inbox(police_report(inbox_ref, who, type_code="NO-SUCH"), key=inbox_ref)
            form = {"service_code": "no-such", "lat": "31.23", "long": "121.47", "phone": citizen[1]}
            url = f"http://127.0.0.1:{gateway.port}/open311/v2/requests.json"
            async with (
                aiohttp.ClientSession() as http,
                http.post(url, data=form | {"email": email}) as answer,
            ):
                assert answer.status == 400
            await police.wait_for("police.deadletters.v1", lambda rs: len(_mine(rs, who[1])) >= 2)
            return await gateway.wait_for("citizen.deadletters.v1", lambda rs: bool(_mine(rs, citizen[1])))

    citizen_letters = asyncio.run(run())
    police_letters = asyncio.run(_records(keyed, "police.deadletters.v1"))
    raw = b"".join(
        (r.value or b"") + b"".join(v for _, v in r.headers) for r in police_letters + citizen_letters
    )
    for plain in (*who, citizen[1], email):
        assert plain.encode() not in raw
    # Other modules' letters share these topics (some planted unsealed, as earlier versions wrote
    # them); this module's are the ones sealed with its key, and they opened to our values above.
    ours = [decode_dead_letter(r) for r in police_letters + citizen_letters]
    ours = [letter for letter in ours if letter.sealed_key_id == KID]
    assert len(ours) >= 3
    assert all(not letter.original_value and not letter.original_headers for letter in ours)
    assert {"intake.unknown_code"} == {letter.reason for letter in _mine(police_letters, who[1])}
    assert {letter.source_offset >= 0 for letter in _mine(police_letters, who[1])} == {True, False}
    with pytest.raises(SealingError):
        open_letter(ours[0], parse_keyring(f"other:{OTHER_KEY}", "other"))


def _mine(records: list[RawRecord], phone: str) -> list[Any]:
    """The letters (opened with the module's key) whose original holds this phone number; letters
    other modules' services sealed with the development key share these topics and are passed by."""
    keys, found = parse_keyring(f"{KID}:{KEY}", KID), []
    for record in records:
        letter = decode_dead_letter(record)
        if letter.sealed_key_id != KID:
            continue
        opened = open_letter(letter, keys)
        if phone.encode() in opened.original_value:
            found.append(opened)
    return found


async def _records(settings: BusSettings, topic: str) -> list[RawRecord]:
    return await read_all(settings, settings.topic(topic), idle_ms=300)


def test_an_agency_service_refuses_to_start_in_production_without_keys(applied: BusSettings) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("INCIDENTBUS_FIELD_KEY")}
    env |= {"INCIDENTBUS_ENVIRONMENT": "production", "INCIDENTBUS_TOPIC_PREFIX": applied.topic_prefix}
    result = subprocess.run(
        [sys.executable, "-m", "incidentbus.cli", "run", "police"],
        env=env,
        capture_output=True,
        text=True,
        timeout=PROCESS_CEILING,
        check=False,
    )
    assert result.returncode == 2
    assert "refusing to start" in result.stderr
    assert "INCIDENTBUS_FIELD_KEYS" in result.stderr
