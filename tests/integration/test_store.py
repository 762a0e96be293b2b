"""The production store: `incidentbus run correlator` keeps its state in RocksDB under its data
directory (one database per input partition), and a worker restarted on the same directory finds
that state there.

The correlator runs as a process with the command's default store. It opens a case for a report
and is stopped. Every record of its changelogs is then deleted on the broker, so the restarted
worker can find the case only in its local RocksDB files (the correlate loop reads its changelog
only past the offset its local store remembers). A duplicate report must join the case it opened before, and
the first report must not have been processed a second time (which would open the same case again
from the input topic, with the same deterministic id, and prove nothing).
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import RecordsToDelete
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from incidentbus.correlator.runtime import CHANGELOG
from incidentbus.kernel.admin import admin_client, apply_catalog, delete_topics
from incidentbus.kernel.catalog import load_catalog
from incidentbus.kernel.codec import decode, encode
from incidentbus.kernel.kafka import producer, read_all, send
from incidentbus.kernel.settings import BusSettings
from incidentbus.v1 import case_events_pb2
from tests.integration.agencies.harness import free_port
from tests.unit.correlator.builders import Feed

pytestmark = pytest.mark.broker
WAIT = 120.0  # ceilings only: every wait ends as soon as what it waits for is there
APP = "incidentbus-correlator"


@pytest.fixture
def own(tmp_path: Path) -> Iterator[BusSettings]:
    """A prefix of its own (one correlator group and changelog, no other test's state in them)
    and a data directory of its own."""
    settings = BusSettings(
        topic_prefix=f"st-{uuid.uuid4().hex[:8]}.", environment="test", data_dir=tmp_path / "faust"
    )
    asyncio.run(apply_catalog(settings, load_catalog(settings.catalog_path)))
    yield settings
    asyncio.run(_delete_prefixed(settings))


async def _delete_prefixed(settings: BusSettings) -> None:
    async with admin_client(settings) as admin:
        mine = [t for t in await admin.list_topics() if t.startswith(settings.topic_prefix)]
    await delete_topics(settings, mine)


def _until(probe: Callable[[], Any], what: str, process: subprocess.Popen[bytes] | None = None) -> Any:
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        found = probe()
        if found:
            return found
        assert process is None or process.poll() is None, f"the correlator exited while waiting for {what}"
        time.sleep(0.3)
    raise AssertionError(f"timed out after {WAIT:.0f}s waiting for {what}")


class Worker:
    """`incidentbus run correlator` as a process, with the command's default store."""

    def __init__(self, settings: BusSettings, log: Path) -> None:
        self.port = free_port()
        env = os.environ | {
            "KAFKA_BOOTSTRAP_SERVERS": settings.bootstrap_servers,
            "INCIDENTBUS_TOPIC_PREFIX": settings.topic_prefix,
            "INCIDENTBUS_DATA_DIR": str(settings.data_dir),
            "INCIDENTBUS_ENVIRONMENT": "test",
            "PYTHONUNBUFFERED": "1",
        }
        args = ["run", "correlator", "--web-port", str(self.port), "--loglevel", "info"]
        self.log = log
        self.process = subprocess.Popen(
            [sys.executable, "-m", "incidentbus.cli", *args],
            env=env,
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
        )
        started = time.monotonic()
        _until(self._answers, "its web port", self.process)  # faust serves it once the app is up
        self.startup = time.monotonic() - started

    def _answers(self) -> bool:
        with socket.socket() as s:
            s.settimeout(0.3)
            return s.connect_ex(("127.0.0.1", self.port)) == 0

    def stop(self) -> None:
        """SIGTERM, as a supervisor stops it; faust closes the app (and its stores) on the way out."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=WAIT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
                raise AssertionError(f"the correlator did not stop on SIGTERM; see {self.log}") from None


def _case_events(settings: BusSettings) -> list[case_events_pb2.CaseEvent]:
    records = asyncio.run(read_all(settings, settings.topic("case.events.v1"), idle_ms=200))
    return [decode(r, case_events_pb2.CaseEvent).message for r in records]  # type: ignore[misc]


def _linked_case(settings: BusSettings, ref: str) -> str:
    linked = [
        e.case_id
        for e in _case_events(settings)
        if e.WhichOneof("body") == "report_linked" and e.report_linked.report.source_ref == ref
    ]
    return linked[0] if linked else ""


def _publish(settings: BusSettings, item: Any) -> None:
    async def go() -> None:
        event = item.event
        topic = settings.topic("police.events.v1")
        async with producer(settings) as client:
            await send(
                client, encode(event, topic=topic, key=event.envelope.subject or event.envelope.source_ref)
            )

    asyncio.run(go())


async def _changelog_offsets(settings: BusSettings) -> dict[TopicPartition, tuple[int, int]]:
    """(first, end) offsets of every partition of the correlator's changelogs (its state's, and
    any faust table's under its app id)."""
    async with admin_client(settings) as admin:
        names = [
            t
            for t in await admin.list_topics()
            if t == settings.topic(CHANGELOG)
            or (t.startswith(settings.topic(APP)) and t.endswith("-changelog"))
        ]
        described = await admin.describe_topics(names) if names else []
    tps = [TopicPartition(t["topic"], p["partition"]) for t in described for p in t["partitions"]]
    if not tps:
        return {}
    consumer = AIOKafkaConsumer(**settings.kafka_client_options(), group_id=None)
    await consumer.start()
    try:
        first, end = await consumer.beginning_offsets(tps), await consumer.end_offsets(tps)
    finally:
        await consumer.stop()
    return {tp: (first[tp], end[tp]) for tp in tps}


async def _empty_changelogs(settings: BusSettings) -> dict[TopicPartition, tuple[int, int]]:
    """Delete every record of the app's changelogs; their offsets afterwards.

    The broker deletes records only where `delete` is among the cleanup policies, so the changelogs
    (compacted) get `compact,delete` first. (AlterConfigs replaces the topic's other settings by the
    broker's defaults too: nothing here needs them, and the topics are this test's own.)
    """
    before = await _changelog_offsets(settings)
    doomed = {tp: RecordsToDelete(end) for tp, (_, end) in before.items() if end > 0}
    async with admin_client(settings) as admin:
        policy = {"cleanup.policy": "compact,delete"}
        topics = sorted({tp.topic for tp in doomed})
        await admin.alter_configs([ConfigResource(ConfigResourceType.TOPIC, t, policy) for t in topics])
        await admin.delete_records(doomed, timeout_ms=30_000)
    return await _changelog_offsets(settings)


def test_a_restarted_correlator_finds_its_state_in_its_local_rocksdb(
    own: BusSettings, tmp_path: Path
) -> None:
    feed, ref = Feed(), f"RS-{uuid.uuid4().hex[:8]}"
    now_ms = int(time.time() * 1000)
    first = Worker(own, tmp_path / "correlator-1.log")
    try:
        _publish(own, feed.report("police", "traffic.collision_injury", now_ms, casualties=1, ref=ref))
        case = _until(lambda: _linked_case(own, ref), "the first report's case", first.process)
    finally:
        first.stop()

    state = own.data_dir / f"{own.topic_prefix}{APP}" / "correlate"
    assert sorted(state.glob("*/CURRENT")), f"no RocksDB under {state}: {sorted(state.iterdir())}"
    emptied = asyncio.run(_empty_changelogs(own))
    assert emptied, "the correlator has no changelog"
    assert any(end > 0 for _, end in emptied.values()), "nothing was ever written to a changelog"
    assert all(start == end for start, end in emptied.values()), emptied

    second = Worker(own, tmp_path / "correlator-2.log")
    try:
        again = f"{ref}-dup"
        later = int(time.time() * 1000)  # the bus refuses a time ahead of the broker's
        report = feed.report("police", "traffic.collision_injury", later, casualties=1, ref=again)
        _publish(own, report)
        joined = _until(lambda: _linked_case(own, again), "the duplicate's case", second.process)
    finally:
        second.stop()
    assert joined == case, "the duplicate opened a case of its own: the state was not found again"
    opened = [e for e in _case_events(own) if e.case_id == case and e.WhichOneof("body") == "case_opened"]
    assert len(opened) == 1, "the first report was processed again after the restart"
    print(f"startup {first.startup:.1f} s, restart on the same data directory {second.startup:.1f} s")
