"""Fuzz every intake on the real broker: thousands of hostile messages mixed with valid traffic.
Every hostile message lands in the dead-letter topic with a reason; every valid one is processed;
no service stops."""

from __future__ import annotations

import asyncio
import json
import random
import uuid
from collections.abc import Iterator
from typing import Any

import aiohttp
import pytest

from incidentbus.kernel.admin import apply_catalog, delete_topics
from incidentbus.kernel.catalog import load_catalog
from incidentbus.kernel.kafka import producer, read_all
from incidentbus.kernel.settings import BusSettings
from tests.integration.correlator.harness import Bus, case_of
from tests.integration.correlator.test_end_to_end import RULES
from tests.integration.hostile import JSON_HEADERS, huge, native_attacks, protobuf_attacks, valid_native
from tests.integration.letters import read_letter
from tests.integration.waits import CEILING

AGENCIES = ("police", "health", "urban", "community")
PER_AGENCY = 360  # native hostile records per agency inbox
PROTOBUF_TOPICS = (
    "police.events.v1",
    "urban.events.v1",
    "health.dispatch.v1",
    "community.dispatch.v1",
    "correlator.input.v1",
)
PER_PROTOBUF_TOPIC = 120
VALID = 40
HTTP_PER_AGENCY = 15


@pytest.fixture(scope="module")
def applied() -> Iterator[BusSettings]:
    """Topics of its own: hostile records must not reach other tests' readers."""
    settings = BusSettings(topic_prefix=f"fz-{uuid.uuid4().hex[:8]}.", environment="test")
    catalog = load_catalog(settings.catalog_path)
    asyncio.run(apply_catalog(settings, catalog))
    yield settings
    asyncio.run(delete_topics(settings, [settings.topic(t.name) for t in catalog.topics]))


def test_hostile_traffic_is_dead_lettered_and_valid_traffic_flows(applied: BusSettings) -> None:
    rng = random.Random(20261125)
    run = uuid.uuid4().hex[:6]
    sent: list[tuple[str, int, int, bytes | None]] = []  # topic, partition, offset, value
    valid_refs = [f"V{run}-{n}" for n in range(VALID)]

    async def produce_all() -> None:
        async with producer(applied) as client:
            for agency in AGENCIES:
                attacks = native_attacks(agency, rng)
                for n in range(PER_AGENCY):
                    ref = f"X{run}-{agency}-{n}"
                    value = huge(ref) if n % 110 == 0 else attacks[n % len(attacks)](ref)
                    await _send(client, f"{agency}.inbox.v1", ref, value, JSON_HEADERS)
                    if n % (PER_AGENCY // (VALID // 4)) == 0 and valid_refs:
                        ref = valid_refs.pop()
                        await _send(
                            client,
                            f"{agency}.inbox.v1",
                            ref,
                            json.dumps(valid_native(agency, ref)).encode(),
                            JSON_HEADERS,
                            keep=False,
                        )
            attacks_pb = protobuf_attacks(rng)
            for topic in PROTOBUF_TOPICS:
                for n in range(PER_PROTOBUF_TOPIC):
                    value, headers = attacks_pb[n % len(attacks_pb)](f"Y{run}-{n}")
                    await _send(client, topic, f"Y{run}-{n}", value, headers)

    async def _send(
        client: Any, topic: str, key: str, value: bytes | None, headers: Any, *, keep: bool = True
    ) -> None:
        meta = await client.send_and_wait(
            applied.topic(topic), value, key=key.encode(), headers=list(headers)
        )
        if keep:
            sent.append((applied.topic(topic), meta.partition, meta.offset, value))

    async def run_bus() -> tuple[
        dict[tuple[str, int, int], Any], list[tuple[int, dict[str, Any]]], list[str]
    ]:
        async with Bus(applied, RULES) as bus:
            await produce_all()
            answers = await _http_attacks(bus, rng)
            refs = [f"V{run}-{n}" for n in range(VALID)]

            async def all_linked() -> bool:
                events = await bus.case_events()
                return all(case_of(events, r) for r in refs)

            await bus.until(all_linked, timeout=2 * CEILING)  # 2,000 records and more
            sentinel = f"S{run}"
            await bus.send("police", valid_native("police", sentinel), key=sentinel)
            await bus.until(lambda: _linked(bus, sentinel))  # nobody stopped
            letters = await _letters(applied, {(t, p, o) for t, p, o, _ in sent})
            return letters, answers, refs

    letters, answers, _ = asyncio.run(run_bus())
    missing = [(t, p, o) for t, p, o, _ in sent if (t, p, o) not in letters]
    assert missing == [], (
        f"{len(missing)} of {len(sent)} hostile records have no dead letter, e.g. {missing[:5]}"
    )
    for topic, partition, offset, value in sent:
        letter = letters[(topic, partition, offset)]
        assert letter.reason
        assert letter.original_value == (value or b"")
    assert len(sent) >= 2000
    assert all(400 <= status < 500 for status, _ in answers)
    assert all(body["error"] for _, body in answers)


async def _http_attacks(bus: Bus, rng: random.Random) -> list[tuple[int, dict[str, Any]]]:
    answers = []
    async with aiohttp.ClientSession() as session:
        for app in bus.apps[:4]:
            port = app.conf.web_port
            agency = app.conf.id.rsplit("-", 1)[-1]
            attacks = native_attacks(agency, rng)
            for n in range(HTTP_PER_AGENCY):
                body = attacks[n % (len(attacks) - 1)](f"H-{n}") or b""
                async with session.post(f"http://127.0.0.1:{port}/v1/intake", data=body) as response:
                    answers.append((response.status, await response.json()))
    return answers


async def _linked(bus: Bus, ref: str) -> str:
    return case_of(await bus.case_events(), ref)


async def _letters(
    settings: BusSettings, wanted: set[tuple[str, int, int]]
) -> dict[tuple[str, int, int], Any]:
    """Dead letters by source position, polling until every wanted position has one (or time is up)."""
    found: dict[tuple[str, int, int], Any] = {}
    shelves = [settings.topic(t.name) for t in load_catalog(settings.catalog_path).dead_letter_topics()]
    deadline = asyncio.get_running_loop().time() + CEILING
    while asyncio.get_running_loop().time() < deadline:
        for shelf in shelves:  # every writer's own dead-letter topic
            for record in await read_all(settings, shelf, idle_ms=300):
                letter = read_letter(record)
                found[(letter.source_topic, letter.source_partition, letter.source_offset)] = letter
        if wanted <= found.keys():
            break
        await asyncio.sleep(1)
    return found
