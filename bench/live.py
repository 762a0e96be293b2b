"""Part 2: the live pipeline on the real broker, in this process (like tests/integration's `Bus`).

The four agency services and the correlator are built with their own `build_app` and run in one
event loop; natives go into the agencies' inbox topics; a watcher in the same loop consumes
`case.events.v1`, every `<agency>.dispatch.v1` and `<agency>.outbox.v1` from the beginning
(outside any consumer group) and notes when each record arrives (`time.perf_counter`).

(a) Maximum rate: the reports are written to the inboxes before the services start; the services
    then work through them as fast as they can. The sustained rate is counted over the middle
    80 % of the reports (10th to 90th percentile of the time each report's first ReportLinked
    arrived), so neither start-up nor the tail counts. DispatchTasks and case events are counted
    over the same window.
(b) Offered loads: reports are produced at a steady rate while the services run; the latency
    of a report is from just before it is produced to the arrival of the first DispatchTask whose
    `reports[].source_ref` names it. Every report of (b) is its own incident (its own grid, no
    point), so every one opens a case and gets a task. A load is a fixed rate, or a fraction of
    the maximum rate (a) measured just before in the same run (`Load.of_max`: a quarter of it is
    the issue's latency target, p99 <= 250 ms).
"""

from __future__ import annotations

import asyncio
import json
import socket
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import faust
from aiokafka import AIOKafkaProducer

from bench.mix import Incident
from bench.places import LATENCY_DISTRICTS
from bench.topics import BenchTopics
from bench.watching import TopicWatcher, header
from incidentbus.agencies.registry import AGENCIES, load_adapter
from incidentbus.agencies.service import build_app as agency_app
from incidentbus.correlator.domain.rules import Rules
from incidentbus.correlator.service import build_app as correlator_app
from incidentbus.correlator.service import runtime_of
from incidentbus.kernel.settings import BusSettings
from incidentbus.v1 import bus_pb2, case_events_pb2

LINKED = b"incidentbus.v1.ReportLinked"
DISPATCH_TASK = b"incidentbus.v1.DispatchTask"
TICK_SECONDS = 5.0  # the correlator's production default


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Watch:
    """When each result of the pipeline reached a consumer in this process."""

    linked_at: dict[str, float] = field(default_factory=dict)  # source_ref -> first ReportLinked
    task_at: dict[str, float] = field(default_factory=dict)  # source_ref -> first DispatchTask naming it
    tasks: list[float] = field(default_factory=list)  # every DispatchTask
    case_events: list[float] = field(default_factory=list)
    commands: int = 0  # every TaskCommand (tasks, cancels, verification requests)
    outbox: int = 0  # every native task rendered on an outbox

    def handle(self, topic: str, value: bytes, headers: Any, now: float) -> None:
        kind = topic.rsplit(".", 2)[-2]  # "<prefix><agency>.dispatch.v1" -> "dispatch"
        if kind == "events":  # case.events.v1
            self.case_events.append(now)
            if header(headers, "ce_type") == LINKED:
                event = case_events_pb2.CaseEvent.FromString(value)
                self.linked_at.setdefault(event.report_linked.report.source_ref, now)
        elif kind == "dispatch":
            self.commands += 1
            if header(headers, "ce_type") == DISPATCH_TASK:
                self.tasks.append(now)
                for report in bus_pb2.TaskCommand.FromString(value).dispatch_task.reports:
                    self.task_at.setdefault(report.source_ref, now)
        elif kind == "outbox":
            self.outbox += 1


WATCHED = ["case.events.v1"] + [f"{a}.{t}.v1" for a in AGENCIES for t in ("dispatch", "outbox")]


class Pipeline:
    """The four agency services and the correlator, in this event loop (memory stores)."""

    def __init__(self, topics: BenchTopics, rules: Rules, datadir: Path) -> None:
        self.topics, settings = topics, topics.settings
        self.apps: list[faust.App] = [
            agency_app(load_adapter(name), settings, web_port=free_port()) for name in AGENCIES
        ]
        self.apps.append(
            correlator_app(
                settings, rules, agencies=list(AGENCIES), web_port=free_port(), tick_seconds=TICK_SECONDS
            )
        )
        for app in self.apps:
            app.conf.datadir = datadir / app.conf.id

    async def __aenter__(self) -> Pipeline:
        await self.topics.declare_changelogs(self.apps)  # see BenchTopics.declare_changelogs
        await asyncio.gather(*(app.start() for app in self.apps))
        return self

    async def __aexit__(self, *exc: object) -> None:
        for app in reversed(self.apps):
            await app.stop()

    def largest_state_record(self) -> int:
        """Bytes of the largest record of the correlator's state (one per case, remembered id, ...;
        a record of its changelog), over the partitions it holds now."""
        owned = runtime_of(self.apps[-1]).owned.values()
        return max((len(v) for p in owned for k, v in p.state.items() if not k.startswith(b"__")), default=0)


def producer_for(settings: BusSettings) -> AIOKafkaProducer:
    return AIOKafkaProducer(
        **settings.kafka_client_options(),
        enable_idempotence=True,
        max_request_size=settings.max_message_bytes * 4,
    )


async def produce(
    producer: AIOKafkaProducer, settings: BusSettings, agency: str, ref: str, native: dict[str, Any]
) -> Any:
    """Queue one native report on its agency's inbox; returns the delivery future."""
    value = json.dumps(native, ensure_ascii=False).encode()
    return await producer.send(
        settings.topic(f"{agency}.inbox.v1"),
        value,
        key=ref.encode(),
        headers=[("content-type", b"application/json")],
    )


@dataclass(frozen=True)
class MaxRate:
    reports: int
    linked: int
    reports_per_second: float  # sustained, over the middle 80 %
    first_half_per_second: float  # 10th to 50th percentile
    second_half_per_second: float  # 50th to 90th percentile (district states are larger by then)
    tasks_per_second: float
    case_events_per_second: float
    window_seconds: float
    all_linked_seconds: float  # from start to the last report linked (start-up included)


@dataclass(frozen=True)
class Load:
    """An offered load of (b): `per_second` reports/s, or `of_max` times the maximum rate of (a)."""

    seconds: float
    per_second: float = 0.0
    of_max: float = 0.0

    @property
    def name(self) -> str:
        return f"{self.of_max:g}max" if self.of_max else f"{self.per_second:g}rps"

    def rate(self, max_rate: float) -> float:
        """The reports/s to offer (a fraction of the maximum: at least 1/s)."""
        return max(self.of_max * max_rate, 1.0) if self.of_max else self.per_second


@dataclass(frozen=True)
class Latency:
    name: str  # Load.name
    target_per_second: float  # what was to be offered
    offered_per_second: float
    seconds: float
    sent: int
    matched: int
    p50_ms: float
    p99_ms: float
    max_ms: float


@dataclass(frozen=True)
class LiveResult:
    max_rate: MaxRate
    latencies: list[Latency]
    largest_state_record_bytes: int


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def _in(times: list[float], start: float, end: float) -> int:
    return sum(start <= t <= end for t in times)


async def _until(probe: Any, timeout: float) -> bool:
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        if probe():
            return True
        await asyncio.sleep(0.1)
    return bool(probe())


async def max_rate(watch: Watch, refs: list[str], started: float, timeout: float) -> MaxRate:
    await _until(lambda: all(r in watch.linked_at for r in refs), timeout)
    times = sorted(watch.linked_at[r] for r in refs if r in watch.linked_at)
    n = len(times)
    lo, mid, hi = int(0.1 * n), int(0.5 * n), max(int(0.9 * n) - 1, 0)
    window = times[hi] - times[lo] if n > 1 else 0.0

    def rate(a: int, b: int) -> float:
        return (b - a) / (times[b] - times[a]) if n > 1 and times[b] > times[a] else 0.0

    return MaxRate(
        reports=len(refs),
        linked=n,
        reports_per_second=rate(lo, hi),
        first_half_per_second=rate(lo, mid),
        second_half_per_second=rate(mid, hi),
        tasks_per_second=_in(watch.tasks, times[lo], times[hi]) / window if window > 0 else 0.0,
        case_events_per_second=_in(watch.case_events, times[lo], times[hi]) / window if window > 0 else 0.0,
        window_seconds=window,
        all_linked_seconds=(times[-1] - started) if times else 0.0,
    )


def _latency_grid(i: int) -> str:
    """A grid of its own for every report of the fixed load, in six districts of their own."""
    district, j = LATENCY_DISTRICTS[i % len(LATENCY_DISTRICTS)], i // len(LATENCY_DISTRICTS)
    return f"{district}-{j // 99 % 999 + 1:03d}-001-{j % 99 + 1:02d}"


async def fixed_load(
    settings: BusSettings,
    watch: Watch,
    incidents: list[Incident],
    *,
    name: str,
    rate: float,
    seconds: float,
    drain: float,
    offset: int = 0,
) -> Latency:
    total = max(1, round(rate * seconds))
    sent: dict[str, float] = {}
    producer = producer_for(settings)
    await producer.start()
    try:
        started = time.perf_counter()
        futures = []
        for i in range(total):
            due = started + i / rate
            if (wait := due - time.perf_counter()) > 0:
                await asyncio.sleep(wait)
            n = offset + i
            incident, ref = incidents[n % len(incidents)], f"L{n:05d}"
            native = incident.native(ref, grid=_latency_grid(n), point=False)
            sent[ref] = time.perf_counter()
            futures.append(await produce(producer, settings, incident.agency, ref, native))
        offered = time.perf_counter() - started
        await asyncio.gather(*futures)
    finally:
        await producer.stop()
    await _until(lambda: all(r in watch.task_at for r in sent), drain)
    latencies = [(watch.task_at[r] - t) * 1000 for r, t in sent.items() if r in watch.task_at]
    return Latency(
        name=name,
        target_per_second=rate,
        offered_per_second=(total - 1) / offered if total > 1 and offered > 0 else rate,
        seconds=offered,
        sent=total,
        matched=len(latencies),
        p50_ms=_percentile(latencies, 0.50),
        p99_ms=_percentile(latencies, 0.99),
        max_ms=max(latencies, default=0.0),
    )


async def run_live(
    topics: BenchTopics,
    rules: Rules,
    incidents: list[Incident],
    *,
    reports: int,
    loads: list[Load],
    datadir: Path,
    timeout: float,
    progress: Any = print,
) -> LiveResult:
    """(a) then each load in turn, on one running pipeline."""
    settings = topics.settings
    refs = [f"A{i:05d}" for i in range(reports)]
    producer = producer_for(settings)
    await producer.start()
    try:
        futures = [
            await produce(
                producer,
                settings,
                incidents[i % len(incidents)].agency,
                ref,
                incidents[i % len(incidents)].native(ref),
            )
            for i, ref in enumerate(refs)
        ]
        await asyncio.gather(*futures)
    finally:
        await producer.stop()
    watch = Watch()
    async with TopicWatcher(topics, WATCHED, watch.handle):
        started = time.perf_counter()
        async with Pipeline(topics, rules, datadir) as pipeline:
            progress(f"(a) {reports} reports preloaded; services started")
            burst = await max_rate(watch, refs, started, timeout)
            latencies, offset = [], 0
            for load in loads:
                # let the outboxes catch up, so each load starts from a quiet pipeline
                await _until(lambda: watch.outbox >= watch.commands, min(30.0, timeout / 2))
                rate = load.rate(burst.reports_per_second)
                progress(f"(b) offering {rate:.1f} reports/s ({load.name}) for {load.seconds:g} s")
                latencies.append(
                    await fixed_load(
                        settings,
                        watch,
                        incidents,
                        name=load.name,
                        rate=rate,
                        seconds=load.seconds,
                        drain=timeout,
                        offset=offset,
                    )
                )
                offset += latencies[-1].sent
            largest = pipeline.largest_state_record()
    return LiveResult(burst, latencies, largest)
