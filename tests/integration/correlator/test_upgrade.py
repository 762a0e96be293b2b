"""Upgrading in place from a release whose correlator kept its state in a faust table: the correlate
loop takes the table's changelog over on its group's first start (correlator/upgrade.py).

The older release is played by what it left on the broker: a report on the input, its faust
group's committed offset past it, and its table's changelog holding the state the core left
(written as faust wrote it: raw UTF-8 keys, JSON string values). The new correlator starts; a
duplicate of the report must join the case the old one opened, and the first report must not be
stepped again (that would publish its CaseOpened on case.events.v1).
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Iterator

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import NewTopic
from aiokafka.structs import OffsetAndMetadata

from incidentbus.agencies.registry import AGENCIES
from incidentbus.correlator.domain.inputs import Input
from incidentbus.correlator.domain.statecodec import all_records
from incidentbus.correlator.engine import INPUT, MemoryStore, records_for, routed_record
from incidentbus.correlator.routing import area_of
from incidentbus.correlator.service import build_app
from incidentbus.correlator.upgrade import LEGACY_CHANGELOG, LEGACY_GROUP
from incidentbus.kernel.admin import admin_client, apply_catalog, delete_topics
from incidentbus.kernel.catalog import load_catalog
from incidentbus.kernel.codec import decode, encode
from incidentbus.kernel.kafka import producer, read_all, send
from incidentbus.kernel.records import RawRecord
from incidentbus.kernel.settings import BusSettings
from incidentbus.v1 import case_events_pb2
from tests.integration.agencies.harness import free_port
from tests.integration.waits import CEILING
from tests.unit.correlator.builders import Feed
from tests.unit.correlator.conftest import RULES

pytestmark = pytest.mark.broker


@pytest.fixture
def own() -> Iterator[BusSettings]:
    settings = BusSettings(topic_prefix=f"up-{uuid.uuid4().hex[:8]}.", environment="test")
    catalog = load_catalog(settings.catalog_path)
    asyncio.run(apply_catalog(settings, catalog))
    yield settings
    names = [settings.topic(t.name) for t in catalog.topics] + [settings.topic(LEGACY_CHANGELOG)]
    asyncio.run(delete_topics(settings, names))


async def _route(settings: BusSettings, item: Input) -> RawRecord:
    """The report as the router writes it onto the input; the record as read back."""
    published = encode(item.event, topic=settings.topic("police.events.v1"), key=item.event_id)
    source = RawRecord(
        published.topic, 0, 0, item.recorded_ms, published.key, published.value, published.headers
    )
    routed = routed_record(settings, source, area_of(item.event), "police")
    async with producer(settings) as client:
        await send(client, routed)
    [record] = [
        r for r in await read_all(settings, settings.topic(INPUT), idle_ms=200) if r.value == routed.value
    ]
    return record


async def _leave_a_faust_table(settings: BusSettings, record: RawRecord) -> str:
    """What the older correlator left after stepping `record`: its table's changelog partition
    and its group's committed offset. Returns the case it opened."""
    store = MemoryStore()
    outputs = records_for(store, RULES, settings, record)
    opened = [
        decode(RawRecord(o.topic, 0, 0, 0, o.key, o.value, o.headers), case_events_pb2.CaseEvent).message
        for o in outputs
        if o.topic == settings.topic("case.events.v1")
    ]
    [area] = store.states
    legacy = settings.topic(LEGACY_CHANGELOG)
    async with admin_client(settings) as admin:
        await admin.create_topics([NewTopic(legacy, 6, 1, topic_configs={"cleanup.policy": "compact"})])
    async with producer(settings) as client:
        for name, value in all_records(store.states[area]):
            assert value is not None
            await client.send_and_wait(
                legacy,
                json.dumps(value.decode()).encode(),
                key=f"{area}|{name}".encode(),
                partition=record.partition,
            )
        areas_key = f"__areas__/{record.partition}".encode()
        await client.send_and_wait(
            legacy, json.dumps(area).encode(), key=areas_key, partition=record.partition
        )
    group = AIOKafkaConsumer(**settings.kafka_client_options(), group_id=settings.topic(LEGACY_GROUP))
    await group.start()
    try:
        tp = TopicPartition(record.topic, record.partition)
        group.assign([tp])
        await group.commit({tp: OffsetAndMetadata(record.offset + 1, "")})
    finally:
        await group.stop()
    return str(opened[0].case_id)


def _linked(events: list[case_events_pb2.CaseEvent], ref: str) -> str:
    return next(
        (
            e.case_id
            for e in events
            if e.WhichOneof("body") == "report_linked" and e.report_linked.report.source_ref == ref
        ),
        "",
    )


def test_the_correlate_loop_takes_over_a_faust_tables_state(own: BusSettings) -> None:
    feed, now_ms = Feed(), int(time.time() * 1000)
    first = feed.report("police", "traffic.collision_injury", now_ms - 60_000, casualties=1, ref="UP-1")
    duplicate = feed.report("police", "traffic.collision_injury", now_ms - 30_000, casualties=1, ref="UP-2")

    async def run() -> tuple[str, list[case_events_pb2.CaseEvent]]:
        case = await _leave_a_faust_table(own, await _route(own, first))
        app = build_app(own, RULES, agencies=list(AGENCIES), web_port=free_port(), tick_seconds=None)
        await app.start()
        try:
            await _route(own, duplicate)
            deadline = time.monotonic() + CEILING
            while time.monotonic() < deadline:
                events = [
                    decode(r, case_events_pb2.CaseEvent).message
                    for r in await read_all(own, own.topic("case.events.v1"), idle_ms=200)
                ]
                if _linked(events, "UP-2"):
                    return case, events
                await asyncio.sleep(0.5)
            raise AssertionError("the duplicate reached no case")
        finally:
            await app.stop()

    case, events = asyncio.run(run())
    assert _linked(events, "UP-2") == case, "the duplicate did not join the case the faust table held"
    assert not [e for e in events if e.WhichOneof("body") == "case_opened"], "a report was stepped again"
