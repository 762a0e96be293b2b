"""Part 1b: the correlator alone, live, over the inputs the offline core stepped (issue 14).

Which inputs: every agency event part 1 stepped (the montco reports and the agencies' answers,
`CoreResult.agency_inputs`), in the order it stepped them, each written to
`correlator.input.v1` as the router writes it (`engine.routed_record`: the agency's record
unchanged, keyed by district, with its source and publisher headers). So the live correlator
decides exactly what the offline core decided, and a district's inputs meet in one partition in
the offline order. Ticks are left out: the correlator's own timer writes them with the wall
clock, which would jump the mix's event time (2025) to today and fire every deadline at once;
the timer is set beyond the run (`NO_TICKS`), so only agency events are stepped.

Like for like: the offline figure is the same inputs stepped in the same order from empty
states, without ticks (`core.step_inputs`: only the `step` calls timed), in the same run. (Part
1's `core.agency_events_per_second`, agency events over the time of their steps in the ticked
run, is printed beside it; there the ticks fire most deadlines, here the agency events do.) The
offline step also says how many records each output topic must receive and which inputs a case
event cites, so the live run knows when the last input's outputs are all out (a batch published
twice cannot make up for a missing one; repeated case events are counted), and whether it
decided the same.

How: the input topic is loaded, then only the correlator app (`service.build_app`: its routers
and the correlate loop, memory store: state in a temporary directory and the state changelog)
starts; a watcher in a process of its own (bench/watch_process.py) reads every output topic. An input
is done when a case event citing it (`cause_event_ids`) arrives; since a partition's batches
are stepped and published in order, an input counts as done once any later input of its
partition is. The rate is inputs done between the 10th and 90th percentile of all inputs over
the time between them (start-up and tail apart, like bench/live.py); also printed: start to the
first output (start-up), and inputs over first output to the last expected output. The
watcher is not in the correlator's process: there it took about a tenth of the core the
correlator runs on.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaProducer

from bench.core import Stepped
from bench.live import free_port
from bench.topics import BenchTopics
from bench.watch_process import run_watcher
from incidentbus.agencies.registry import AGENCIES
from incidentbus.correlator.domain.inputs import Input
from incidentbus.correlator.domain.rules import Rules
from incidentbus.correlator.engine import TOPIC_OF, routed_record
from incidentbus.correlator.service import build_app as correlator_app
from incidentbus.kernel.batches import BatchStats
from incidentbus.kernel.codec import encode
from incidentbus.kernel.records import OutgoingRecord, RawRecord
from incidentbus.kernel.settings import BusSettings

NO_TICKS = 86_400.0  # the correlator's tick interval here: no tick within a run
Position = tuple[int, int]  # partition, offset on correlator.input.v1


def output_topic(kind: str, agency: str) -> str:
    """The catalog topic an output of the core goes to (engine.output_record, dead letters)."""
    if kind == "dispatch":
        return f"{agency}.dispatch.v1"
    return "correlator.deadletters.v1" if kind == "reject" else TOPIC_OF[kind]


def expected_outputs(stepped: Stepped) -> Counter[str]:
    return Counter(output_topic(kind, agency) for kind, agency in stepped.outputs)


def routed(settings: BusSettings, area: str, item: Input) -> OutgoingRecord:
    """An agency event as its service publishes it, then as the router writes it to the input."""
    agency = item.publisher
    published = encode(item.event, topic=settings.topic(f"{agency}.events.v1"), key=item.event_id)
    record = RawRecord(
        published.topic,
        item.source.partition,
        item.source.offset,
        item.recorded_ms,
        published.key,
        published.value,
        published.headers,
    )
    return routed_record(settings, record, area, agency)


async def preload(settings: BusSettings, records: list[OutgoingRecord]) -> list[Position]:
    """Write the records in order (not measured); where each landed."""
    producer = AIOKafkaProducer(
        **settings.kafka_client_options(),
        enable_idempotence=True,
        linger_ms=5,
        max_request_size=settings.max_message_bytes * 4,
    )
    await producer.start()
    positions: list[Position] = []
    try:
        for start in range(0, len(records), 2000):
            sends = [
                await producer.send(r.topic, r.value, key=r.key, headers=list(r.headers))
                for r in records[start : start + 2000]
            ]
            positions += [(m.partition, m.offset) for m in await asyncio.gather(*sends)]
    finally:
        await producer.stop()
    return positions


def done_curve(caused: dict[str, float], where: dict[str, Position]) -> list[tuple[float, int]]:
    """(time, inputs done by then) at each case event's arrival: a partition is done up to the
    latest of its inputs a case event has cited."""
    base: dict[int, int] = {}
    for partition, offset in where.values():
        base[partition] = min(offset, base.get(partition, offset))
    latest: dict[int, int] = {}
    curve = []
    for at, event_id in sorted((t, e) for e, t in caused.items() if e in where):
        partition, offset = where[event_id]
        latest[partition] = max(offset, latest.get(partition, -1))
        curve.append((at, sum(o - base[p] + 1 for p, o in latest.items())))
    return curve


def sustained(curve: list[tuple[float, int]], total: int) -> tuple[float, int, float]:
    """Inputs/s between the 10th and 90th percentile of the inputs done; (rate, inputs, seconds)."""
    lo = next(((t, n) for t, n in curve if n >= 0.1 * total), None)
    hi = next(((t, n) for t, n in curve if n >= 0.9 * total), None)
    if lo is None or hi is None or hi[0] <= lo[0]:
        return 0.0, 0, 0.0
    return (hi[1] - lo[1]) / (hi[0] - lo[0]), hi[1] - lo[1], hi[0] - lo[0]


@dataclass(frozen=True)
class Alone:
    inputs: int
    offline_per_second: float  # the same inputs stepped offline, without ticks
    offline_seconds: float
    per_second: float  # live, 10th to 90th percentile of the inputs done
    window_inputs: int
    window_seconds: float
    whole_per_second: float  # inputs / (first output -> last expected output)
    startup_seconds: float  # app.start() -> first output
    all_seconds: float  # app.start() -> last expected output
    cpu_seconds: float  # CPU time of the correlator's process from app.start() to the last output
    outputs_expected: int
    outputs_seen: int
    repeated_case_events: int  # case events seen more than once (a batch published again)
    complete: bool  # every expected output arrived (the live correlator decided what the core did)
    batches: dict[str, float]  # the correlate loop's batches (kernel/batches.BatchStats)

    @property
    def cpu_us_per_input(self) -> float:
        return 1e6 * self.cpu_seconds / self.inputs if self.inputs else 0.0

    @property
    def cpu_ratio(self) -> float:
        """The offline core's time per input over the live correlator's CPU time per input (the
        same inputs): a rate ratio that a busy neighbour on the machine moves less than wall time."""
        return self.offline_seconds / self.cpu_seconds if self.cpu_seconds > 0 else 0.0


def correlator(
    settings: BusSettings,
    rules: Rules,
    datadir: Path,
    store: str = "memory://",
    stats: BatchStats | None = None,
) -> Any:
    """The correlator app alone, its clock timer out of the way (NO_TICKS)."""
    app = correlator_app(
        settings,
        rules,
        agencies=list(AGENCIES),
        web_port=free_port(),
        store=store,
        tick_seconds=NO_TICKS,
        stats=stats,
    )
    datadir.mkdir(parents=True, exist_ok=True)
    app.conf.datadir = datadir / app.conf.id
    return app


async def run_alone(
    topics: BenchTopics,
    rules: Rules,
    inputs: list[tuple[str, Input]],
    offline: Stepped,
    *,
    datadir: Path,
    stall: float,
    progress: Callable[[str], None] = print,
) -> Alone:
    """Load the input topic with `inputs` (routed), run the correlator alone until every output
    `offline` produced has arrived (or nothing arrives for `stall` seconds)."""
    settings = topics.settings
    await topics.apply()
    positions = await preload(settings, [routed(settings, area, item) for area, item in inputs])
    where = {item.event_id: at for (_, item), at in zip(inputs, positions, strict=True)}
    expected = expected_outputs(offline)
    stats = BatchStats()
    app = correlator(settings, rules, datadir, stats=stats)
    watching = asyncio.create_task(run_watcher(settings.topic_prefix, expected, offline.cited, stall))
    progress(f"(alone) {len(inputs)} inputs preloaded; correlator started")
    started, cpu = time.perf_counter(), time.process_time()
    await app.start()
    try:
        seen = await watching
        cpu = time.process_time() - cpu
    finally:
        await app.stop()
    first, last = seen.first or started, seen.last or started
    rate, window_inputs, window = sustained(done_curve(seen.caused, where), len(inputs))
    return Alone(
        inputs=len(inputs),
        offline_per_second=offline.per_second,
        offline_seconds=offline.seconds,
        per_second=rate,
        window_inputs=window_inputs,
        window_seconds=window,
        whole_per_second=len(inputs) / (last - first) if last > first else 0.0,
        startup_seconds=first - started,
        all_seconds=last - started,
        cpu_seconds=cpu,
        outputs_expected=sum(expected.values()),
        outputs_seen=sum(seen.counts.values()),
        repeated_case_events=seen.repeated_case_events,
        complete=seen.complete,
        batches=stats.as_dict(),
    )
