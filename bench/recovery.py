"""Part 4: how long a restarted correlator takes to resume, with N open cases in one district.

Filling: N police reports at N distinct points of one district (bench.scale's spread: about
200 m apart, more than a collision's 150 m radius, so each opens a case of its own), a
millisecond apart in event time just before the run, are written to `correlator.input.v1` as the
router writes them, and the correlator (alone, store `store`, its clock timer out of the way) steps
them; the figure of the fill is reports/s from its first output to the last report's case event.
Every case stays open (no tick moves the clock; the probes come a second after the last report,
so no deadline is due). The correlator is then stopped (cleanly: it commits its offsets).

Resuming: a probe report at a corner of the district no case is near is written to the input,
a new correlator app (the same consumer group and state changelog) starts, and the
figure is the time from `app.start()` to the arrival of the first case event citing the probe:
rejoining the group, restoring the state, reading every record of the district into a working
state and building its indexes, stepping the probe and publishing its outputs.

(a) from local state: the same data directory (the correlate loop's RocksDB under it). Only
    the `rocksdb://` store keeps it; with `memory://` it is a temporary directory removed at
    stop, and (a) is not measured (None).
(b) from the changelog alone: a fresh datadir, so the whole state is read from its changelog.

Also reported: the state changelog's records at the restart (what (b) reads before compaction) and
the input records after the committed offsets (read again at a restart).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition

from bench.alone import correlator, preload, routed
from bench.feed import Feed
from bench.mix import CELL, LAT0, LNG0
from bench.scale import SIDE, police_report, spread
from bench.topics import BenchTopics
from bench.watching import CASE_EVENTS, Outputs, TopicWatcher, until
from incidentbus.correlator.domain.inputs import Input
from incidentbus.correlator.domain.rules import Rules
from incidentbus.correlator.engine import INPUT
from incidentbus.correlator.routing import area_of
from incidentbus.correlator.runtime import CHANGELOG
from incidentbus.kernel.settings import BusSettings
from incidentbus.security.acl import CORRELATOR_CORE_GROUP

MEMORY = "memory://"
# probes: corners of the district, half a cell from its edges (cases keep a cell's margin)
CORNERS = ((LAT0 + SIDE - CELL / 2, LNG0 + SIDE - CELL / 2), (LAT0 + CELL / 2, LNG0 + SIDE - CELL / 2))


@dataclass(frozen=True)
class Recovery:
    store: str
    open_cases: int  # CaseOpened events of the fill
    fill_seconds: float
    fill_reports_per_second: float
    changelog_records: int  # in the table's changelog at the restart
    uncommitted: int  # input records after the committed offsets at the restart
    local_seconds: float | None  # (a) same datadir; None: the store keeps no local state
    changelog_seconds: float  # (b) fresh datadir


def reports(n: int, start_ms: int) -> list[tuple[str, Input]]:
    feed = Feed()
    items = [police_report(feed, f"RC{i:05d}", start_ms + i, spread(i, n)) for i in range(n)]
    return [(area_of(item.event), item) for item in items]


async def _lag(settings: BusSettings, group: str, partitions: int) -> int:
    """Input records after the group's committed offsets (all of them if nothing is committed)."""
    consumer = AIOKafkaConsumer(**settings.kafka_client_options(), group_id=group, enable_auto_commit=False)
    await consumer.start()
    try:
        tps = [TopicPartition(settings.topic(INPUT), p) for p in range(partitions)]
        ends = await consumer.end_offsets(tps)
        committed = [(await consumer.committed(tp)) or 0 for tp in tps]
        return sum(int(ends[tp]) - int(c) for tp, c in zip(tps, committed, strict=True))
    finally:
        await consumer.stop()


async def _records(settings: BusSettings, topic: str, partitions: int) -> int:
    """Records written to a topic so far (end offsets minus beginnings, every partition)."""
    consumer = AIOKafkaConsumer(**settings.kafka_client_options(), group_id=None)
    await consumer.start()
    try:
        tps = [TopicPartition(topic, p) for p in range(partitions)]
        ends, starts = await consumer.end_offsets(tps), await consumer.beginning_offsets(tps)
        return sum(int(ends[tp]) - int(starts[tp]) for tp in tps)
    finally:
        await consumer.stop()


async def run_recovery(
    topics: BenchTopics,
    rules: Rules,
    *,
    cases: int,
    datadir: Path,
    stall: float,
    store: str = MEMORY,
    progress: Callable[[str], None] = print,
) -> Recovery:
    settings = topics.settings
    await topics.apply()
    start_ms = int(time.time() * 1000) - cases - 1_000
    fill = reports(cases, start_ms)
    ids = [item.event_id for _, item in fill]
    area = fill[0][0]
    await preload(settings, [routed(settings, a, item) for a, item in fill])
    probe_ms = start_ms + cases + 1_000  # after the last report, before any deadline
    probes = [police_report(Feed(), f"PROBE{k}", probe_ms + k, point) for k, point in enumerate(CORNERS)]
    outputs = Outputs(settings.topic_prefix)
    local, fresh = datadir / "local", datadir / "fresh"
    async with TopicWatcher(topics, [CASE_EVENTS], outputs.handle):
        app: Any = correlator(settings, rules, local, store)
        progress(f"(recovery) {cases} reports preloaded in district {area}; correlator started")
        await app.start()
        try:
            filled = await until(lambda: all(i in outputs.caused for i in ids), outputs, stall)
            opened = outputs.opened
            first, last = outputs.first, max((outputs.caused.get(i, 0.0) for i in ids), default=0.0)
            changelog = settings.topic(CHANGELOG)
        finally:
            await app.stop()
        if not filled:
            raise TimeoutError(f"the correlator opened {outputs.opened} of {cases} cases")
        group = settings.topic(CORRELATOR_CORE_GROUP)
        lag = await _lag(settings, group, topics.like(INPUT).partitions)
        records = await _records(settings, changelog, topics.like(CHANGELOG).partitions)

        async def resume(probe: Input, where: Path, what: str) -> float:
            await preload(settings, [routed(settings, area, probe)])
            app = correlator(settings, rules, where, store)
            progress(f"(recovery) restarting {what}")
            started = time.perf_counter()
            await app.start()
            try:
                if not await until(lambda: probe.event_id in outputs.caused, outputs, stall):
                    raise TimeoutError(f"no output for the probe after a restart {what}")
                return outputs.caused[probe.event_id] - started
            finally:
                await app.stop()

        kept = None if store == MEMORY else await resume(probes[0], local, "on the same datadir")
        alone = await resume(probes[1], fresh, "on a fresh datadir (changelog alone)")
    return Recovery(
        store=store,
        open_cases=opened,
        fill_seconds=last - first,
        fill_reports_per_second=cases / (last - first) if last > first else 0.0,
        changelog_records=records,
        uncommitted=lag,
        local_seconds=kept,
        changelog_seconds=alone,
    )
